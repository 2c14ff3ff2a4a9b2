package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// Two nodes on loopback: the second joins through a static seed list.
func Example_staticSeeds() {
	ctx := context.Background()

	cfg := runtime.DefaultLocalConfig()
	cfg.Name = "node-1"
	cfg.BindAddr = "127.0.0.1:0" // port 0 picks a free port
	first, err := runtime.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer first.Close()

	cfg.Name = "node-2"
	cfg.Discovery = discovery.Static(first.LocalMember().Addr.String())
	second, err := runtime.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer second.Close()

	for deadline := time.Now().Add(10 * time.Second); len(first.Members()) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, m := range first.Members() {
		fmt.Println(m.Name, m.State)
	}
	// Output:
	// node-1 alive
	// node-2 alive
}

// On Kubernetes, the members of a StatefulSet find each other through the
// SRV records of a headless service (see examples/chaos/k8s).
func Example_kubernetesDNS() {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = "chaos-0"
	cfg.Discovery = discovery.DNS("_swim._udp.chaos.default.svc.cluster.local", 0)
	_ = cfg // runtime.Start(ctx, cfg) inside the cluster
}

// Receiving raw messages of one family; memberlist-gen writes typed
// wrappers over Send, Broadcast and Handle.
func ExampleNode_Handle() {
	ctx := context.Background()
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = "a"
	cfg.BindAddr = "127.0.0.1:0"
	a, _ := runtime.Start(ctx, cfg)
	defer a.Close()
	cfg.Name = "b"
	cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b, _ := runtime.Start(ctx, cfg)
	defer b.Close()

	got := make(chan string, 1)
	stop := a.Handle(42, func(from runtime.Member, payload []byte) {
		got <- fmt.Sprintf("%s says %s", from.Name, payload)
	})
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b.Send(ctx, "a", 42, []byte("hello")) == nil {
			break
		}
	}
	fmt.Println(<-got)
	// Output: b says hello
}
