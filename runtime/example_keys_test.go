package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
)

// Rotating the cluster's key without downtime: each step runs on every
// member before the next starts on any, and the members keep talking
// throughout.
func ExampleNode_UseKey() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Real keys come from crypto/rand, or `openssl rand -base64 32` for
	// MEMBERLIST_KEYS; fixed bytes keep the example short.
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)

	cfg := exampleConfig("node-1")
	cfg.Keys = [][]byte{oldKey}
	a, err := runtime.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	cfg = exampleConfig("node-2", a)
	cfg.Keys = [][]byte{oldKey}
	b, err := runtime.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer b.Close()

	got := make(chan string, 10)
	stop := b.Handle(1, func(from runtime.Member, p []byte) {
		select {
		case got <- string(p):
		default: // a handler must not block for good: Close waits for it
		}
	})
	defer stop()
	// talk sends until b hears a, which proves both ways work: a only
	// knows b once b's packets open.
	talk := func(step string) {
		retry := time.NewTicker(100 * time.Millisecond)
		defer retry.Stop()
		for {
			_ = a.Send(ctx, "node-2", 1, []byte(step)) // fails until a knows b
			select {
			case msg := <-got:
				if msg == step { // not a late copy of an earlier step
					fmt.Printf("%s: node-2 heard %q; node-1 holds %d keys\n", step, msg, len(a.Keys()))
					return
				}
			case <-retry.C:
			case <-ctx.Done():
				panic("no message after " + step)
			}
		}
	}
	talk("before")

	nodes := []*runtime.Node{a, b}
	for _, n := range nodes { // 1. every member accepts the new key
		if err := n.InstallKey(ctx, newKey); err != nil {
			panic(err)
		}
	}
	talk("installed")
	for _, n := range nodes { // 2. every member sends with it
		if err := n.UseKey(ctx, newKey); err != nil {
			panic(err)
		}
	}
	talk("used")
	for _, n := range nodes { // 3. the old key is gone
		if err := n.RemoveKey(ctx, oldKey); err != nil {
			panic(err)
		}
	}
	talk("removed")
	fmt.Println("primary is the new key:", bytes.Equal(a.Keys()[0], newKey) && bytes.Equal(b.Keys()[0], newKey))
	// Output:
	// before: node-2 heard "before"; node-1 holds 1 keys
	// installed: node-2 heard "installed"; node-1 holds 2 keys
	// used: node-2 heard "used"; node-1 holds 2 keys
	// removed: node-2 heard "removed"; node-1 holds 1 keys
	// primary is the new key: true
}

// statsLog is a Metrics that hands each observation to a function.
type statsLog func(runtime.Stats)

func (f statsLog) Observe(s runtime.Stats) { f(s) }

// Config.Metrics receives the node's counters once a second, from the
// node's own loop: export them from there, quickly (to Prometheus, expvar
// or a log). Node.Stats returns the same on demand.
func ExampleMetrics() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	observed := make(chan runtime.Stats, 1)
	cfg := exampleConfig("node-1")
	cfg.Metrics = statsLog(func(s runtime.Stats) {
		select {
		case observed <- s: // never block the node's loop
		default:
		}
	})
	a, err := runtime.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	b, err := runtime.Start(ctx, exampleConfig("node-2", a))
	if err != nil {
		panic(err)
	}
	defer b.Close()

	for {
		select {
		case s := <-observed:
			if s.Alive < 2 {
				continue // not joined yet
			}
			fmt.Println("members alive:", s.Alive)
			fmt.Println("packets flowing:", s.PacketsIn > 0 && s.PacketsOut > 0)
			return
		case <-ctx.Done():
			panic("no observation with both members")
		}
	}
	// Output:
	// members alive: 2
	// packets flowing: true
}
