package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// fastConfig is a LAN config with 200 ms probes (scenario S1's timings), so
// tests over real sockets finish quickly.
func fastConfig(name string) runtime.Config {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.ReconnectInterval = 2 * time.Second
	cfg.DiscoveryInterval = time.Second
	return cfg
}

func start(t *testing.T, cfg runtime.Config) *runtime.Node {
	t.Helper()
	n, err := runtime.Start(context.Background(), cfg)
	require.NoError(t, err, "Start %s", cfg.Name)
	t.Cleanup(func() { n.Close() })
	return n
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// allSee reports whether every node in viewers holds the member named name
// in state, at addr when addr is set.
func allSee(viewers []*runtime.Node, name string, state runtime.State, check func(runtime.Member) bool) bool {
	for _, v := range viewers {
		found := false
		for _, m := range v.Members() {
			if m.Name == name {
				found = m.State == state && (check == nil || check(m))
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func countAlive(n *runtime.Node) int {
	c := 0
	for _, m := range n.Members() {
		if m.State == runtime.StateAlive {
			c++
		}
	}
	return c
}

// Fifty nodes in one process on real UDP sockets: they join through one
// seed; a closed node is reported failed; a leaving node left; new
// metadata reaches everyone; a node restarted under its name on a new port
// is alive again everywhere.
func TestFiftyNodesOnLoopback(t *testing.T) {
	const N = 50
	seed := start(t, fastConfig("node-0"))
	nodes := []*runtime.Node{seed}
	for i := 1; i < N; i++ {
		cfg := fastConfig(fmt.Sprintf("node-%d", i))
		cfg.Discovery = discovery.Static(seed.LocalMember().Addr.String())
		nodes = append(nodes, start(t, cfg))
	}
	took := eventually(t, 30*time.Second, "50 alive in every view", func() bool {
		for _, n := range nodes {
			if countAlive(n) != N {
				return false
			}
		}
		return true
	})
	t.Logf("50 nodes converged in %v", took)

	crashed := nodes[7]
	crashed.Close()
	rest := append(append([]*runtime.Node{}, nodes[:7]...), nodes[8:]...)
	took = eventually(t, 20*time.Second, "node-7 failed everywhere", func() bool {
		return allSee(rest, "node-7", runtime.StateDead, nil)
	})
	t.Logf("crash detected by all in %v", took)

	leaver := nodes[8]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, leaver.Leave(ctx), "Leave")
	leaver.Close()
	rest = append(append([]*runtime.Node{}, nodes[:7]...), nodes[9:]...)
	eventually(t, 10*time.Second, "node-8 left everywhere", func() bool {
		return allSee(rest, "node-8", runtime.StateLeft, nil)
	})

	meta := []byte("role=db")
	require.NoError(t, nodes[9].UpdateMeta(ctx, meta), "UpdateMeta")
	eventually(t, 10*time.Second, "new metadata everywhere", func() bool {
		return allSee(rest, "node-9", runtime.StateAlive, func(m runtime.Member) bool { return bytes.Equal(m.Meta, meta) })
	})

	cfg := fastConfig("node-7")
	cfg.Discovery = discovery.Static(seed.LocalMember().Addr.String())
	again := start(t, cfg)
	addr := again.LocalMember().Addr
	rest = append(rest, again)
	took = eventually(t, 10*time.Second, "restarted node-7 alive everywhere at its new address", func() bool {
		return allSee(rest, "node-7", runtime.StateAlive, func(m runtime.Member) bool { return m.Addr == addr })
	})
	t.Logf("restart alive everywhere in %v", took)
}
