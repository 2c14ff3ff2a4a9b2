package swim_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// A broadcast reaches every other member exactly once, with its origin,
// even with loss on every link.
func TestBroadcastDeliveredOnce(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 11, 40)
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.05})
	for i := range 5 {
		if err := c.Broadcast(nodes[i], fmt.Appendf(nil, "hello %d", i)); err != nil {
			t.Fatal(err)
		}
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
	if !ok {
		t.Fatalf("broadcasts not delivered everywhere within %v", took)
	}
	c.Run(time.Minute)
	for _, n := range nodes {
		seen := map[string]bool{}
		for _, m := range n.Delivered {
			key := string(m.Payload)
			if seen[key] {
				t.Fatalf("%s got %q twice", n.Name, key)
			}
			seen[key] = true
			if !m.Broadcast || m.From != fmt.Sprintf("node-%c", key[len(key)-1]) {
				t.Fatalf("%s: %+v has the wrong origin", n.Name, m)
			}
			if m.From == n.Name {
				t.Fatalf("%s received its own broadcast", n.Name)
			}
		}
	}
	t.Logf("5 broadcasts to 40 members in %v", took)
}

// Send reaches the named member only; oversize and unknown names are
// errors, never silent drops.
func TestSend(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 12, 5)
	if err := c.Send(nodes[0], nodes[3].Name, []byte("direct")); err != nil {
		t.Fatal(err)
	}
	c.Run(time.Second)
	for _, n := range nodes {
		want := 0
		if n == nodes[3] {
			want = 1
		}
		if len(n.Delivered) != want {
			t.Fatalf("%s got %d messages, want %d", n.Name, len(n.Delivered), want)
		}
	}
	if m := nodes[3].Delivered[0]; m.From != nodes[0].Name || m.Broadcast || !bytes.Equal(m.Payload, []byte("direct")) {
		t.Fatalf("delivered %+v", m)
	}
	max := swim.MaxPayload(swim.DefaultLANConfig().PacketBudget)
	if err := c.Send(nodes[0], nodes[1].Name, make([]byte, max+1)); !errors.Is(err, swim.ErrTooLarge) {
		t.Fatalf("oversized send: %v, want ErrTooLarge", err)
	}
	if err := c.Broadcast(nodes[0], make([]byte, max+1)); !errors.Is(err, swim.ErrTooLarge) {
		t.Fatalf("oversized broadcast: %v, want ErrTooLarge", err)
	}
	if err := c.Send(nodes[0], "nobody", []byte("x")); !errors.Is(err, swim.ErrUnknownMember) {
		t.Fatalf("send to unknown: %v, want ErrUnknownMember", err)
	}
	// The largest allowed payload goes through whole.
	if err := c.Send(nodes[0], nodes[1].Name, bytes.Repeat([]byte{7}, max)); err != nil {
		t.Fatal(err)
	}
	c.Run(time.Second)
	if d := nodes[1].Delivered; len(d) != 1 || len(d[0].Payload) != max {
		t.Fatalf("largest payload not delivered whole")
	}
}

// Protocol news never starves user broadcasts: while 300 members join at
// once and every queue is full of membership news, a broadcast of the
// largest size still reaches every member within seconds.
func TestBroadcastNotStarvedByProtocolNews(t *testing.T) {
	c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 13})
	nodes := c.AddN(300)
	c.JoinAll(nodes[0])
	c.Run(time.Second)
	if d := nodes[0].Core.Stats().QueueDepth; d < 100 {
		t.Fatalf("queue depth %d: the protocol is not busy enough for this test", d)
	}
	// A large broadcast fits only a packet where it has the first claim.
	news := bytes.Repeat([]byte("u"), swim.MaxPayload(swim.DefaultLANConfig().PacketBudget))
	if err := c.Broadcast(nodes[0], news); err != nil {
		t.Fatal(err)
	}
	ok, took := c.RunUntil(4*time.Second, func() bool {
		for _, n := range nodes[1:] {
			if len(n.Delivered) == 0 {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("broadcast did not reach every member within %v while the protocol was busy", took)
	}
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
		if err := target.Step(c.Now(), nodes[2].Addr, p); !errors.Is(err, swim.ErrMalformed) {
			t.Fatalf("packet %x: err = %v, want ErrMalformed", p, err)
		}
	}
	if got := target.Stats().Malformed; got != 6 {
		t.Fatalf("malformed counter %d, want 6", got)
	}
	after := target.Members()
	for i := range before {
		if before[i].State != after[i].State || before[i].Incarnation != after[i].Incarnation {
			t.Fatalf("membership changed: %+v -> %+v", before[i], after[i])
		}
	}
	// And the valid packet alone does change it, so the test can fail.
	if err := target.Step(c.Now(), nodes[2].Addr, valid); err != nil {
		t.Fatal(err)
	}
	if m, _ := target.Member(nodes[1].Name); m.State != swim.StateLeft {
		t.Fatalf("the valid leave was not applied: %v", m.State)
	}
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
			if err := c.Broadcast(n, fmt.Appendf(nil, "%s-%d", n.Name, i)); err != nil {
				t.Fatal(err)
			}
		}
		c.Run(100 * time.Millisecond)
	}
	c.Run(30 * time.Second)
	for _, n := range nodes {
		if got, want := len(n.Delivered), perNode*(len(nodes)-1); got != want {
			t.Fatalf("%s received %d broadcasts, want %d", n.Name, got, want)
		}
	}
}
