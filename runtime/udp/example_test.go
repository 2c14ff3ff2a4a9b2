package udp_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/udp"
)

func Example() {
	ctx := context.Background()
	a, err := udp.Listen(ctx, udp.Config{Bind: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := udp.Listen(ctx, udp.Config{Bind: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	got := make(chan string, 1)
	b.Start(func(from netip.AddrPort, p []byte) {
		// p is reused for the next datagram; string(p) copies it.
		got <- string(p)
	})
	if err := a.WriteTo([]byte("ping"), b.AdvertiseAddr()); err != nil {
		fmt.Println(err)
		return
	}
	select {
	case s := <-got:
		fmt.Println(s)
	case <-time.After(10 * time.Second):
		fmt.Println("timeout")
	}
	// Output: ping
}
