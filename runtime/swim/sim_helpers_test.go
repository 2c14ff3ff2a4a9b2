package swim_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/require"
)

// newCluster starts n simulated members with cfg, joined through the
// first, and waits until every one sees every other alive.
func newCluster(t testing.TB, cfg swim.Config, seed uint64, n int) (*swimtest.Cluster, []*swimtest.Node) {
	t.Helper()
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: seed})
	nodes := c.AddN(n)
	require.NoError(t, c.JoinAll(nodes[0]))
	ok, took := c.RunUntil(2*time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "%d members did not converge within %v", n, took)
	return c, nodes
}

// failedAbout counts "failed" events about any of targets, reported by
// any member.
func failedAbout(c *swimtest.Cluster, targets []*swimtest.Node) int {
	n := 0
	for _, x := range targets {
		n += c.CountEvents(swim.EventFailed, x.Name)
	}
	return n
}

// others returns ns without x.
func others(ns []*swimtest.Node, x ...*swimtest.Node) []*swimtest.Node {
	var out []*swimtest.Node
	for _, n := range ns {
		skip := false
		for _, y := range x {
			skip = skip || n == y
		}
		if !skip {
			out = append(out, n)
		}
	}
	return out
}

// suspicionMin is Lifeguard's shortest suspicion timeout for n members.
func suspicionMin(cfg swim.Config, n int) time.Duration {
	return time.Duration(float64(cfg.SuspicionMult) * math.Max(1, math.Log10(float64(n))) * float64(cfg.ProbeInterval))
}

// eventLog renders every member's events as text, in member order.
func eventLog(c *swimtest.Cluster) []byte {
	var b bytes.Buffer
	for _, n := range c.Nodes() {
		for _, ev := range n.Events {
			fmt.Fprintf(&b, "%s %d %s %s %v %d %s\n", n.Name, ev.At.UnixNano(), ev.Type, ev.Member.Name, ev.Member.Addr, ev.Member.Incarnation, ev.Member.State)
		}
	}
	return b.Bytes()
}

// fastTimings are S1's: 200 ms periods, 100 ms probe timeout, gossip every
// 50 ms.
func fastTimings() swim.Config {
	cfg := swim.DefaultLANConfig()
	cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipInterval = 200*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond
	return cfg
}
