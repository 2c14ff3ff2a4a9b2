package swim_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// keyedPayload is what the keyed tests broadcast: the key's number and a
// version, as an application that needs the latest value carries one.
func keyedPayload(key, version int) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(key)), uint32(version))
}

// latest tracks, per member, the highest version delivered of each key
// and how often a member delivered a version older than one it had.
type latest struct {
	version    map[string][]int // by member name, by key
	delivered  int
	outOfOrder int
}

func newLatest(c *swimtest.Cluster, nodes []*swimtest.Node, keys int) *latest {
	l := &latest{version: map[string][]int{}}
	for _, n := range nodes {
		l.version[n.Name] = make([]int, keys)
	}
	c.OnDeliver = func(n *swimtest.Node, m swim.UserMessage) {
		key, version := int(binary.BigEndian.Uint32(m.Payload)), int(binary.BigEndian.Uint32(m.Payload[4:]))
		l.delivered++
		if v := l.version[n.Name]; version > v[key] {
			v[key] = version
		} else {
			l.outOfOrder++
		}
	}
	return l
}

// has reports whether every one of nodes holds version want of every key.
func (l *latest) has(nodes []*swimtest.Node, want int) bool {
	for _, n := range nodes {
		for _, v := range l.version[n.Name] {
			if v != want {
				return false
			}
		}
	}
	return true
}

// missing counts the member-key pairs of nodes lacking version want.
func (l *latest) missing(nodes []*swimtest.Node, want int) int {
	n := 0
	for _, m := range nodes {
		for _, v := range l.version[m.Name] {
			if v != want {
				n++
			}
		}
	}
	return n
}

// drained waits until no member has news or broadcasts queued.
func drained(t *testing.T, c *swimtest.Cluster, nodes []*swimtest.Node) {
	t.Helper()
	ok, _ := c.RunUntil(time.Minute, func() bool {
		for _, n := range nodes {
			if n.Core.Stats().QueueDepth != 0 {
				return false
			}
		}
		return true
	})
	require.True(t, ok, "news still queued")
}

// Issue 13's must-show: 10,000 keyed broadcasts over 1,000 keys in one
// second leave at most 1,000 in the sender's queue, never ErrQueueFull,
// and every member ends with the latest value of every key, never
// delivering an older value of a key after a newer one: gossip carries
// most, and the keyed store's anti-entropy the rest.
func TestBroadcastKeyedCoalesces(t *testing.T) {
	for _, tc := range []struct {
		name string
		link swimtest.Link
	}{
		{"clean", swimtest.Link{Delay: time.Millisecond, Jitter: time.Millisecond}},
		{"loss 5%", swimtest.Link{Delay: time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.05}},
		{"loss 10%", swimtest.Link{Delay: time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const members, keys, updates = 10, 1000, 10000
			c, nodes := newCluster(t, swim.DefaultLANConfig(), 13, members)
			c.SetDefaultLink(tc.link)
			l := newLatest(c, nodes, keys)
			src := nodes[0]
			// Start with the news of the joins sent, so that the queues
			// hold the broadcasts alone.
			drained(t, c, nodes)
			queued := func(n *swimtest.Node) int { return n.Core.Stats().BroadcastQueueDepth }
			// Ten updates every millisecond for a second: each key is
			// updated ten times, every 100 ms. deepest is the most
			// broadcasts the sender held; relayed the most any other
			// member held.
			deepest, relayed := 0, 0
			for i := range updates {
				key, version := i%keys, i/keys+1
				require.NoError(t, c.BroadcastKeyed(src, fmt.Sprint(key), keyedPayload(key, version)), "update %d", i)
				deepest = max(deepest, queued(src))
				if i%10 == 9 {
					c.Run(time.Millisecond)
					for _, n := range nodes[1:] {
						relayed = max(relayed, queued(n))
					}
				}
			}
			assert.LessOrEqual(t, deepest, keys, "the sender's queue held more than one broadcast per key")
			assert.LessOrEqual(t, relayed, keys, "a member's queue held more than one broadcast per key")
			sent := l.delivered
			ok, took := c.RunUntil(5*time.Minute, func() bool { return l.has(nodes[1:], updates/keys) })
			require.True(t, ok, "%d member-key pairs lack the latest version after %v", l.missing(nodes[1:], updates/keys), took)
			var replaced, dropped, stale, pushed uint64
			for _, n := range nodes {
				s := n.Core.Stats()
				replaced += s.BroadcastsReplaced
				dropped += s.BroadcastsDropped
				stale += s.BroadcastsStale
				pushed += s.KeyedPushed
				assert.Equal(t, keys, s.KeyedStored, "%s holds the latest of every key", n.Name)
			}
			t.Logf("%d members, %d keys, %d updates in 1s: deepest queue %d at the sender, %d elsewhere; %d deliveries per member (%d during the second); %d replaced, %d stale, %d dropped, %d repair packets; all latest %v after the second",
				members, keys, updates, deepest, relayed, l.delivered/(members-1), sent/(members-1), replaced, stale, dropped, pushed, took)
			assert.Zero(t, l.outOfOrder, "deliveries of a version not newer than one delivered before")
			assert.Zero(t, dropped, "broadcasts not passed on")
			// Fewer deliveries than updates: queued versions were replaced.
			assert.Less(t, l.delivered, updates*(members-1))
		})
	}
}

// A keyed broadcast replaces one of its key still queued: the receivers
// get only the newer; once the older has been delivered, a newer one of
// the same key is delivered too (its broadcast id differs).
func TestBroadcastKeyedReplaces(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 7, 4)
	src, rest := nodes[0], nodes[1:]
	var got []string
	c.OnDeliver = func(n *swimtest.Node, m swim.UserMessage) {
		got = append(got, n.Name+" "+string(m.Payload))
	}
	require.NoError(t, c.BroadcastKeyed(src, "k", []byte("v1")))
	require.NoError(t, c.BroadcastKeyed(src, "k", []byte("v2")))
	require.NoError(t, c.BroadcastKeyed(src, "other", []byte("o1")))
	c.Run(10 * time.Second)
	var want []string
	for _, n := range rest {
		want = append(want, n.Name+" v2", n.Name+" o1")
	}
	assert.ElementsMatch(t, want, got, "v1 was replaced before it was sent")

	got = nil
	require.NoError(t, c.BroadcastKeyed(src, "k", []byte("v3")))
	c.Run(10 * time.Second)
	want = nil
	for _, n := range rest {
		want = append(want, n.Name+" v3")
	}
	assert.ElementsMatch(t, want, got, "members that delivered v2 deliver v3 too")
}

// Keyed and plain broadcasts share the queue's bound: a full queue refuses
// a new key, and still takes a newer payload of a queued key.
func TestBroadcastKeyedQueueFull(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 5, 3)
	src := nodes[0]
	n := 0
	for ; ; n++ {
		err := c.BroadcastKeyed(src, fmt.Sprint(n), []byte("x"))
		if errors.Is(err, swim.ErrQueueFull) {
			break
		}
		require.NoError(t, err)
		require.Less(t, n, 5000, "the queue never filled")
	}
	assert.Equal(t, 1024, n, "broadcasts queued before ErrQueueFull")
	require.ErrorIs(t, c.Broadcast(src, []byte("plain")), swim.ErrQueueFull)
	require.NoError(t, c.BroadcastKeyed(src, "0", []byte("y")), "a queued key is replaced even when the queue is full")
	require.ErrorIs(t, c.BroadcastKeyed(src, "new", []byte("y")), swim.ErrQueueFull)
}

// The empty key is a plain broadcast, and a key of any length is hashed.
func TestBroadcastKeyedLimits(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 5, 2)
	src := nodes[0]
	long := make([]byte, 1<<20)
	require.NoError(t, c.BroadcastKeyed(src, string(long), []byte("x")))
	require.ErrorIs(t, c.BroadcastKeyed(src, "k", make([]byte, swim.MaxPayload(swim.DefaultPacketBudget)+1)), swim.ErrTooLarge)
	require.NoError(t, c.BroadcastKeyed(src, "", []byte("a")))
	require.NoError(t, c.BroadcastKeyed(src, "", []byte("b")))
	c.Run(5 * time.Second)
	var got []string
	for _, m := range nodes[1].Delivered {
		got = append(got, string(m.Payload))
	}
	assert.ElementsMatch(t, []string{"x", "a", "b"}, got, "empty keys coalesce nothing")
	c.Leave(src)
	require.ErrorIs(t, c.BroadcastKeyed(src, "k", []byte("x")), swim.ErrLeft)
}
