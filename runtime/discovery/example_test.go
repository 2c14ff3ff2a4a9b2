package discovery_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/memberlist-go/memberlist/runtime/discovery"
)

func ExampleStatic() {
	seeds := discovery.Static("10.0.0.2:7946", "[fd00::1]:7946", "10.0.0.2:7946")
	addrs, err := seeds.Seeds(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(addrs)
	// Output: [10.0.0.2:7946 [fd00::1]:7946]
}

func ExampleParseStatic() {
	_, err := discovery.ParseStatic("10.0.0.1:7946", "10.0.0.2")
	fmt.Println(err)
	// Output: discovery: invalid config: seed "10.0.0.2": missing port in address; want host:port with port 1-65535, such as 10.0.0.1:7946, [fd00::1]:7946 or seed.example:7946
}

// In Kubernetes, a headless service with a named port publishes one SRV
// record per ready pod (or per pod, with publishNotReadyAddresses, which a
// restarting cluster needs to find its first members).
func ExampleDNS() {
	seeds := discovery.DNS("_swim._udp.chaos.default.svc.cluster.local", 0)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		addrs, err := seeds.Seeds(ctx)
		cancel()
		if err != nil {
			log.Printf("no seeds this round: %v", err)
		}
		for _, a := range addrs {
			fmt.Println("contact", a) // unless a is an alive member, or this node
		}
		time.Sleep(30 * time.Second)
	}
}
