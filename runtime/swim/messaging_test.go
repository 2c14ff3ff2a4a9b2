package swim_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A broadcast reaches every other member exactly once, with its origin,
// even with loss on every link.
func TestBroadcastDeliveredOnce(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 11, 40)
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.05})
	for i := range 5 {
		require.NoError(t, c.Broadcast(nodes[i], fmt.Appendf(nil, "hello %d", i)))
	}
	got := func(n *swimtest.Node) int { return len(n.Delivered) }
	ok, took := c.RunUntil(4*time.Second, func() bool {
		for _, n := range nodes {
			want := 5 // every broadcast but its own
			if n.ID < 5 {
				want = 4
			}
			if got(n) < want {
				return false
			}
		}
		return true
	})
	require.True(t, ok, "broadcasts not delivered everywhere within %v", took)
	c.Run(time.Minute)
	for _, n := range nodes {
		seen := map[string]bool{}
		for _, m := range n.Delivered {
			key := string(m.Payload)
			require.False(t, seen[key], "%s got %q twice", n.Name, key)
			seen[key] = true
			require.True(t, m.Broadcast, "%s: %+v is no broadcast", n.Name, m)
			require.Equal(t, fmt.Sprintf("node-%c", key[len(key)-1]), m.From, "%s: the origin of %+v", n.Name, m)
			require.NotEqual(t, n.Name, m.From, "%s received its own broadcast", n.Name)
		}
	}
	t.Logf("5 broadcasts to 40 members in %v", took)
}

// Send reaches the named member only; oversize and unknown names are
// errors, never silent drops.
func TestSend(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 12, 5)
	require.NoError(t, c.Send(nodes[0], nodes[3].Name, []byte("direct")))
	c.Run(time.Second)
	for _, n := range nodes {
		want := 0
		if n == nodes[3] {
			want = 1
		}
		require.Len(t, n.Delivered, want, "messages %s got", n.Name)
	}
	m := nodes[3].Delivered[0]
	assert.Equal(t, nodes[0].Name, m.From)
	assert.False(t, m.Broadcast)
	assert.Equal(t, []byte("direct"), m.Payload)

	max := swim.MaxPayload(swim.DefaultLANConfig().PacketBudget)
	assert.ErrorIs(t, c.Send(nodes[0], nodes[1].Name, make([]byte, max+1)), swim.ErrTooLarge, "oversized send")
	assert.ErrorIs(t, c.Broadcast(nodes[0], make([]byte, max+1)), swim.ErrTooLarge, "oversized broadcast")
	assert.ErrorIs(t, c.Send(nodes[0], "nobody", []byte("x")), swim.ErrUnknownMember, "send to unknown")
	// The largest allowed payload goes through whole.
	require.NoError(t, c.Send(nodes[0], nodes[1].Name, bytes.Repeat([]byte{7}, max)))
	c.Run(time.Second)
	d := nodes[1].Delivered
	require.Len(t, d, 1, "largest payload not delivered")
	assert.Equal(t, max, len(d[0].Payload), "largest payload not delivered whole")
}

// Protocol news never starves user broadcasts: while 300 members join at
// once and every queue is full of membership news, a broadcast of the
// largest size still reaches every member within seconds.
func TestBroadcastNotStarvedByProtocolNews(t *testing.T) {
	c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 13})
	nodes := c.AddN(300)
	require.NoError(t, c.JoinAll(nodes[0]))
	c.Run(time.Second)
	require.GreaterOrEqual(t, nodes[0].Core.Stats().QueueDepth, 100, "queue depth: the protocol is not busy enough for this test")
	// A large broadcast fits only a packet where it has the first claim.
	news := bytes.Repeat([]byte("u"), swim.MaxPayload(swim.DefaultLANConfig().PacketBudget))
	require.NoError(t, c.Broadcast(nodes[0], news))
	ok, took := c.RunUntil(4*time.Second, func() bool {
		for _, n := range nodes[1:] {
			if len(n.Delivered) == 0 {
				return false
			}
		}
		return true
	})
	missing := 0
	for _, n := range nodes[1:] {
		if len(n.Delivered) == 0 {
			missing++
		}
	}
	require.True(t, ok, "broadcast did not reach every member within %v while the protocol was busy (%d missing)", took, missing)
	t.Logf("reached 299 members in %v with protocol news queued", took)
}

// A malformed packet is counted and dropped: it never panics and never
// changes membership, even when valid messages precede the bad one.
func TestMalformedPacketChangesNothing(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 14, 3)
	target := nodes[0].Core
	before := target.Members()
	// A valid leave of node-1 with garbage after it.
	valid := leavePacket(t, nodes[1])
	for _, p := range [][]byte{
		nil, {}, {0}, {99, 1, 2}, append(append([]byte{}, valid...), 0xc1),
		append(append([]byte{}, valid...), valid[1:len(valid)-1]...),
	} {
		require.ErrorIs(t, target.Step(c.Now(), nodes[2].Addr, p), swim.ErrMalformed, "packet %x", p)
	}
	assert.EqualValues(t, 6, target.Stats().Malformed, "malformed counter")
	after := target.Members()
	require.Len(t, after, len(before))
	for i := range before {
		assert.Equal(t, before[i].State, after[i].State, "membership changed: %+v -> %+v", before[i], after[i])
		assert.Equal(t, before[i].Incarnation, after[i].Incarnation, "membership changed: %+v -> %+v", before[i], after[i])
	}
	// And the valid packet alone does change it, so the test can fail.
	require.NoError(t, target.Step(c.Now(), nodes[2].Addr, valid))
	m, _ := target.Member(nodes[1].Name)
	assert.Equal(t, swim.StateLeft, m.State, "the valid leave was not applied")
}

// leavePacket is a valid packet announcing that n left.
func leavePacket(t *testing.T, n *swimtest.Node) []byte {
	t.Helper()
	self := n.Core.LocalMember()
	return wire.AppendLeave(wire.AppendHeader(nil), &wire.Leave{Name: self.Name, Incarnation: self.Incarnation})
}

// In a small cluster with the Local preset (two sends per piece of news),
// every broadcast still reaches every member.
func TestBroadcastReachesAllInSmallCluster(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLocalConfig(), 15, 5)
	const perNode = 40
	for i := range perNode {
		for _, n := range nodes {
			require.NoError(t, c.Broadcast(n, fmt.Appendf(nil, "%s-%d", n.Name, i)))
		}
		c.Run(100 * time.Millisecond)
	}
	c.Run(30 * time.Second)
	for _, n := range nodes {
		assert.Equal(t, perNode*(len(nodes)-1), len(n.Delivered), "broadcasts %s received", n.Name)
	}
}
