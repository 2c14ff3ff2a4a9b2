package swim_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// A member cut off while keys changed misses the gossip of them for good;
// the keyed store's anti-entropy brings it the latest of every key once
// the partition heals.
func TestKeyedRepairAfterPartition(t *testing.T) {
	const keys = 300
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 31, 5)
	l := newLatest(c, nodes, keys)
	src, cut := nodes[0], nodes[4]
	drained(t, c, nodes)
	c.Partition(others(nodes, cut), []*swimtest.Node{cut})
	for v := 1; v <= 3; v++ {
		for k := range keys {
			require.NoError(t, c.BroadcastKeyed(src, fmt.Sprint(k), keyedPayload(k, v)))
		}
		c.Run(time.Second)
	}
	ok, _ := c.RunUntil(time.Minute, func() bool { return l.has(nodes[1:4], 3) })
	require.True(t, ok, "the members on the sender's side lack keys")
	drained(t, c, nodes[:4])
	require.Equal(t, keys, l.missing([]*swimtest.Node{cut}, 3), "the cut member got keys through the partition")
	c.Heal()
	ok, took := c.RunUntil(5*time.Minute, func() bool { return l.has(nodes[1:], 3) })
	require.True(t, ok, "%d keys still missing at the healed member after %v", l.missing([]*swimtest.Node{cut}, 3), took)
	assert.Equal(t, keys, cut.Core.Stats().KeyedStored)
	pushed := uint64(0)
	for _, n := range nodes {
		pushed += n.Core.Stats().KeyedPushed
	}
	assert.NotZero(t, pushed, "repaired by gossip alone: the test shows nothing")
	assert.Zero(t, l.outOfOrder)
	t.Logf("%d keys repaired at the healed member in %v, %d repair packets", keys, took, pushed)
}

// A restarted origin numbers its broadcasts anew from a random id; its
// new epoch still orders them after those of its previous life, so the
// members deliver its new value (with ids alone, half the seeds would
// find the new id behind the old one and keep the old value), and a
// recording of the old one replayed later is not delivered again.
func TestKeyedNewerAfterRestart(t *testing.T) {
	for seed := uint64(37); seed < 45; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			c, nodes := newCluster(t, swim.DefaultLANConfig(), seed, 4)
			src, rest := nodes[0], nodes[1:]
			var got []string
			c.OnDeliver = func(n *swimtest.Node, m swim.UserMessage) { got = append(got, n.Name+" "+string(m.Payload)) }
			stop := c.Capture()
			require.NoError(t, c.BroadcastKeyed(src, "k", []byte("old")))
			c.Run(10 * time.Second)
			old := stop()
			c.Crash(src)
			c.Run(time.Second)
			require.NoError(t, c.Restart(src, false))
			require.NoError(t, c.Join(src, rest[0]))
			ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
			require.True(t, ok)
			require.NoError(t, c.BroadcastKeyed(src, "k", []byte("new")))
			c.Run(10 * time.Second)
			var want []string
			for _, n := range rest {
				want = append(want, n.Name+" old", n.Name+" new")
			}
			assert.ElementsMatch(t, want, got)

			got = nil
			replayed := 0
			for _, p := range old {
				if p.From != src.Addr || !bytes.Contains(p.Data, []byte("old")) {
					continue
				}
				for _, n := range rest {
					_ = c.Inject(n, p.From, p.Data)
					replayed++
				}
			}
			c.Run(10 * time.Second)
			require.NotZero(t, replayed, "no recording of the old value")
			assert.Empty(t, got, "an older value delivered after a newer one")
		})
	}
}

// decodeTypes returns the message types of packet p.
func decodeTypes(t *testing.T, p []byte) []wire.Type {
	t.Helper()
	msgs, err := wire.DecodePacket(p, nil)
	require.NoError(t, err)
	var types []wire.Type
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	return types
}

// fullStores fills every member's keyed store: 4,096 keys with 100-byte
// payloads, far more than one push carries.
func fullStores(t *testing.T, c *swimtest.Cluster, nodes []*swimtest.Node) {
	t.Helper()
	for k := range 4096 {
		require.NoError(t, c.BroadcastKeyed(nodes[0], fmt.Sprint(k), bytes.Repeat([]byte{'v'}, 100)))
		if k%1000 == 999 {
			drained(t, c, nodes)
		}
	}
	drained(t, c, nodes)
	ok, _ := c.RunUntil(5*time.Minute, func() bool {
		for _, n := range nodes {
			if n.Core.Stats().KeyedStored != 4096 {
				return false
			}
		}
		return true
	})
	require.True(t, ok, "stores not full")
}

// awaitDigest runs the cluster until target sends a digest, and returns
// the member it went to.
func awaitDigest(t *testing.T, c *swimtest.Cluster, nodes []*swimtest.Node, target *swimtest.Node) *swimtest.Node {
	t.Helper()
	for range 1000 {
		stop := c.Capture()
		c.Run(100 * time.Millisecond)
		for _, p := range stop() {
			if p.From != target.Addr || !containsType(decodeTypes(t, p.Data), wire.TypeDigest) {
				continue
			}
			for _, n := range nodes {
				if n.Addr == p.To {
					return n
				}
			}
		}
	}
	require.FailNow(t, "no digest sent")
	return nil
}

func containsType(types []wire.Type, ty wire.Type) bool {
	for _, x := range types {
		if x == ty {
			return true
		}
	}
	return false
}

// forgedSums is a KeyedSums from name whose every bucket differs from
// any real store's.
func forgedSums(name string) []byte {
	sums := make([]uint64, wire.KeyedBuckets)
	for i := range sums {
		sums[i] = 0xdeadbeef + uint64(i)
	}
	return wire.AppendKeyedSums(wire.AppendHeader(nil), &wire.KeyedSums{From: name, Sums: sums})
}

// Attacks on the keyed repair (see hostile_test.go): a KeyedSums from a
// stranger draws nothing; one from a member we sent no digest draws
// nothing; one answering our digest draws at most keyedPushPackets
// packets of broadcasts and one of sums, to that member alone, once: a
// replay of it draws nothing.
func TestHostile_ForgedKeyedSumsBounded(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 41, 5)
	fullStores(t, c, nodes)
	target := nodes[2]
	forged := forgedSums("x")

	// From a stranger: dropped, no answer.
	s0 := target.Core.Stats()
	stop := c.Capture()
	require.NoError(t, c.Inject(target, attacker, forged))
	for _, p := range stop() {
		assert.NotEqual(t, attacker, p.To, "answered a stranger")
	}
	assert.Equal(t, s0.StrangerDropped+1, target.Core.Stats().StrangerDropped)

	// Answering our digest: bounded, once.
	peer := awaitDigest(t, c, nodes, target)
	bystander := others(nodes, target, peer)[0]
	push := func(from *swimtest.Node) (broadcasts, sums, bytesOut int) {
		stop := c.Capture()
		require.NoError(t, c.Inject(target, from.Addr, forgedSums(from.Name)))
		for _, p := range stop() {
			if p.From != target.Addr {
				continue
			}
			require.Equal(t, from.Addr, p.To, "a push went to a member that did not ask")
			types := decodeTypes(t, p.Data)
			switch {
			case containsType(types, wire.TypeKeyedSums):
				sums++
			case containsType(types, wire.TypeBroadcast):
				broadcasts++
			}
			bytesOut += len(p.Data)
		}
		return broadcasts, sums, bytesOut
	}
	s1 := target.Core.Stats()
	b, s, n := push(bystander)
	assert.Zero(t, b+s+n, "pushed to a member it sent no digest")
	assert.Equal(t, s1.KeyedSumsRefused+1, target.Core.Stats().KeyedSumsRefused)

	b, s, n = push(peer)
	assert.Equal(t, 16, b, "broadcast packets pushed for one forged KeyedSums")
	assert.Equal(t, 1, s, "sums answered")
	assert.LessOrEqual(t, n, 17*cfg.PacketBudget)
	t.Logf("one forged KeyedSums of %d bytes drew %d packets, %d bytes, to the member it forged", len(forged), b+s, n)

	s2 := target.Core.Stats()
	b, s, _ = push(peer)
	assert.Zero(t, b+s, "a replay drew a second push")
	assert.Equal(t, s2.KeyedSumsRefused+1, target.Core.Stats().KeyedSumsRefused)
}

// The keyed store is bounded: past 4,096 keys the oldest go, and its
// entries expire within the de-duplication window.
func TestKeyedStoreBounded(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 43, 2)
	src := nodes[0]
	for k := range 5000 {
		require.NoError(t, c.BroadcastKeyed(src, fmt.Sprint(k), []byte("x")))
		if k%1000 == 999 {
			drained(t, c, nodes)
		}
	}
	assert.Equal(t, 4096, src.Core.Stats().KeyedStored)
	c.Run(10 * time.Minute)
	assert.Zero(t, src.Core.Stats().KeyedStored, "entries outlived the de-duplication window")
	assert.Zero(t, nodes[1].Core.Stats().KeyedStored, "entries outlived the de-duplication window")
}
