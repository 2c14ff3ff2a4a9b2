package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// startCluster starts n nodes on loopback, joined through the first, and
// waits until every node sees all n alive.
func startCluster(tb testing.TB, n int) []*runtime.Node {
	tb.Helper()
	var nodes []*runtime.Node
	tb.Cleanup(func() {
		for _, x := range nodes {
			x.Close()
		}
	})
	for i := range n {
		cfg := runtime.DefaultLocalConfig()
		cfg.Name = fmt.Sprintf("node-%02d", i)
		cfg.BindAddr = "127.0.0.1:0"
		cfg.Meta = []byte(fmt.Sprintf("zone=z%d", i%3))
		if i > 0 {
			cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		x, err := runtime.Start(context.Background(), cfg)
		require.NoError(tb, err)
		nodes = append(nodes, x)
	}
	deadline := time.Now().Add(time.Minute)
	for _, x := range nodes {
		for x.Stats().Alive != n {
			if time.Now().After(deadline) {
				tb.Fatalf("no convergence: %s sees %d alive of %d", x.LocalMember().Name, x.Stats().Alive, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nodes
}

// BenchmarkMembers is the cost of one Members() call on a node of a running
// cluster, as an application polling its member list pays it; and of
// LocalMember() and Stats().
func BenchmarkMembers(b *testing.B) {
	for _, n := range []int{10, 64} {
		nodes := startCluster(b, n)
		b.Run(fmt.Sprintf("Members/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := len(nodes[0].Members()); got != n {
					b.Fatalf("%d members, want %d", got, n)
				}
			}
		})
		b.Run(fmt.Sprintf("Members/parallel/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = nodes[0].Members()
				}
			})
		})
		b.Run(fmt.Sprintf("LocalMember/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = nodes[0].LocalMember()
			}
		})
		b.Run(fmt.Sprintf("Stats/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = nodes[0].Stats()
			}
		})
		for _, x := range nodes {
			x.Close()
		}
	}
}
