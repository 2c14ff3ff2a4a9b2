// Command cache is a complete program with typed messages: three members
// of a cache cluster on loopback; one broadcasts an invalidation that the
// others act on, another sends a request to a third.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cache:", err)
		os.Exit(1)
	}
}

// run starts three nodes, waits until each sees the three alive, sends
// typed messages and prints what the nodes received, in order.
func run(ctx context.Context, out io.Writer) error {
	received := make(chan string, 16)
	var nodes []*runtime.Node
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	for i := range 3 {
		cfg := runtime.DefaultLocalConfig()
		cfg.Name = fmt.Sprintf("node-%d", i+1)
		cfg.BindAddr = "127.0.0.1:0" // port 0 picks a free port
		if i > 0 {
			cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		n, err := runtime.Start(ctx, cfg)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		// The generated On functions decode each message for its handler.
		stop := OnInvalidate(n, func(from runtime.Member, m Invalidate) {
			received <- fmt.Sprintf("%s drops %q (from %s)", cfg.Name, m.Key, from.Name)
		})
		defer stop()
		stop = OnWarm(n, func(from runtime.Member, m Warm) {
			received <- fmt.Sprintf("%s warms %v (from %s)", cfg.Name, m.Keys, from.Name)
		})
		defer stop()
	}
	for _, n := range nodes {
		for alive(n) < len(nodes) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s sees %d alive members: %w", n.LocalMember().Name, alive(n), ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	// A broadcast reaches every other member; a send, one member.
	if err := BroadcastCacheMessage(ctx, nodes[0], Invalidate{Key: "user:42"}); err != nil {
		return err
	}
	if err := SendCacheMessage(ctx, nodes[1], "node-3", Warm{Keys: []string{"user:7", "user:8"}}); err != nil {
		return err
	}
	var lines []string
	for len(lines) < 3 {
		select {
		case l := <-received:
			lines = append(lines, l)
		case <-ctx.Done():
			return fmt.Errorf("%d of 3 messages received: %w", len(lines), ctx.Err())
		}
	}
	slices.Sort(lines) // they arrive in any order
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return nil
}

// alive counts the members n holds alive, itself included.
func alive(n *runtime.Node) int {
	count := 0
	for _, m := range n.Members() {
		if m.State == runtime.StateAlive {
			count++
		}
	}
	return count
}
