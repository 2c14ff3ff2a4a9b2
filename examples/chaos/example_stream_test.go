package main

import (
	"context"
	"fmt"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// A stream family end to end: StateDump is marked
// `//memberlist:messages stream`, so its generated SendStateDump carries a
// Dump of tens of KB over a stream (SendReliable) and returns once the
// receiver has taken it; OnDump receives it like any message.
func ExampleSendStateDump() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := func(name string, seeds ...string) *runtime.Node {
		cfg := runtime.DefaultLocalConfig()
		cfg.Name, cfg.BindAddr = name, "127.0.0.1:0"
		if len(seeds) > 0 {
			cfg.Discovery = discovery.Static(seeds...)
		}
		n, err := runtime.Start(ctx, cfg)
		if err != nil {
			panic(err)
		}
		return n
	}
	a := start("a")
	defer a.Close()
	b := start("b", a.LocalMember().Addr.String())
	defer b.Close()
	got := make(chan Dump, 1)
	stop := OnDump(a, func(from runtime.Member, m Dump) { got <- m })
	defer stop()
	// b sends once it holds a alive (Joined closes on the first member).
	for {
		if _, ok := memberNamed(b, "a"); ok {
			break
		}
		select {
		case <-ctx.Done():
			panic("b never saw a")
		case <-time.After(10 * time.Millisecond):
		}
	}

	d := stateDump("b", 600)
	if err := SendStateDump(ctx, b, "a", d); err != nil {
		panic(err)
	}
	m := <-got
	fmt.Println(len(m.Entries), "entries;", m.Entries[599])
	// Output: 600 entries; b/cache/key-00599=0000000000000000000000000000000000000599
}

// memberNamed finds a member of n's list by name.
func memberNamed(n *runtime.Node, name string) (runtime.Member, bool) {
	for _, m := range n.Members() {
		if m.Name == name && m.State == runtime.StateAlive {
			return m, true
		}
	}
	return runtime.Member{}, false
}
