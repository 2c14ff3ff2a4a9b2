package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// exampleConfig is a node on loopback that probes every 200 ms, so that these
// examples see a failure within a second or two. A real cluster keeps its
// profile's timings (DefaultLANConfig probes every second and takes about
// five to declare a failure), which bear a loaded machine without false
// alarms.
func exampleConfig(name string, seeds ...*runtime.Node) runtime.Config {
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0" // port 0 picks a free port
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	for _, s := range seeds {
		cfg.Discovery = discovery.Static(s.LocalMember().Addr.String())
	}
	return cfg
}

// Subscribe delivers every change in the member list. Here a node watches
// two others join, then one of them stop without a word: it is suspected,
// then declared failed.
func ExampleNode_Subscribe() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	a, err := runtime.Start(ctx, exampleConfig("node-1"))
	if err != nil {
		panic(err)
	}
	defer a.Close()
	sub := a.Subscribe() // before the others start, so no event is missed
	defer sub.Close()

	b, _ := runtime.Start(ctx, exampleConfig("node-2", a))
	defer b.Close()
	c, _ := runtime.Start(ctx, exampleConfig("node-3", a))

	joined := map[string]bool{}
	for len(joined) < 2 {
		select {
		case ev := <-sub.C:
			if ev.Type == runtime.EventJoined {
				joined[ev.Member.Name] = true
			}
		case <-ctx.Done():
			panic("no joins")
		}
	}
	fmt.Println("joined:", slices.Sorted(maps.Keys(joined))) // in either order

	c.Close() // abrupt: no leave message, like a crash
	for {
		select {
		case ev := <-sub.C:
			if ev.Type == runtime.EventFailed && ev.Member.Name == "node-3" {
				fmt.Println(ev.Member.Name, ev.Type, "in state", ev.Member.State)
				return
			}
		case <-ctx.Done():
			panic("no failure detected")
		}
	}
	// Output:
	// joined: [node-2 node-3]
	// node-3 failed in state dead
}

// Leave tells the cluster this node is going; the others report it as
// left, not failed, and stop probing it.
func ExampleNode_Leave() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	a, _ := runtime.Start(ctx, exampleConfig("node-1"))
	defer a.Close()
	sub := a.Subscribe()
	defer sub.Close()
	b, _ := runtime.Start(ctx, exampleConfig("node-2", a))
	defer b.Close()

	for ev := range sub.C {
		if ev.Type == runtime.EventJoined {
			break
		}
	}
	if err := b.Leave(ctx); err != nil {
		panic(err)
	}
	for ev := range sub.C {
		if ev.Type == runtime.EventLeft {
			fmt.Println(ev.Member.Name, "left")
			break
		}
	}
	for _, m := range a.Members() {
		fmt.Println(m.Name, m.State)
	}
	// A node that left sends nothing more.
	err := b.Broadcast(ctx, 1, []byte("still there?"))
	fmt.Println(errors.Is(err, runtime.ErrLeft), err)
	// Output:
	// node-2 left
	// node-1 alive
	// node-2 left
	// true memberlist: this node has left the cluster
}

// Metadata travels with a member's record: an update reaches every member
// as an EventUpdated.
func ExampleNode_UpdateMeta() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	a, _ := runtime.Start(ctx, exampleConfig("node-1"))
	defer a.Close()
	sub := a.Subscribe()
	defer sub.Close()
	b, _ := runtime.Start(ctx, exampleConfig("node-2", a))
	defer b.Close()

	for ev := range sub.C {
		if ev.Type == runtime.EventJoined {
			break
		}
	}
	if err := b.UpdateMeta(ctx, []byte("role=db")); err != nil {
		panic(err)
	}
	for ev := range sub.C {
		if ev.Type == runtime.EventUpdated && string(ev.Member.Meta) == "role=db" {
			fmt.Printf("%s %s meta=%s\n", ev.Member.Name, ev.Type, ev.Member.Meta)
			break
		}
	}
	// Output: node-2 updated meta=role=db
}

// Send reaches one alive member; a name the node does not know as alive
// or suspect is an error that errors.Is can test.
func ExampleNode_Send() {
	ctx := context.Background()
	a, err := runtime.Start(ctx, exampleConfig("node-1"))
	if err != nil {
		panic(err)
	}
	defer a.Close()

	err = a.Send(ctx, "nobody", 7, []byte("hello"))
	fmt.Println(errors.Is(err, runtime.ErrUnknownMember))
	fmt.Println(err)
	// Output:
	// true
	// memberlist: send to "nobody": unknown member
}
