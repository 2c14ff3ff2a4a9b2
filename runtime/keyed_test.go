package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// Issue 13's must-show over real sockets: 10,000 keyed broadcasts over
// 1,000 keys in about a second leave at most 1,000 in the sender's queue,
// never ErrQueueFull, and every member ends with the latest value of
// every key: gossip carries most, and the keyed store's anti-entropy
// (every SyncInterval, shortened here) the rest. The payload carries a
// version so that the test can tell the latest, and can check that no
// member delivers an older value after a newer one.
func TestBroadcastKeyedLoopback(t *testing.T) {
	const members, keys, updates, family = 4, 1000, 10000, 77
	nodes := cluster(t, members, func(c *runtime.Config) { c.SyncInterval = 2 * time.Second })
	ctx := context.Background()
	var mu sync.Mutex
	latest := map[string][]uint32{}
	older := 0
	for _, n := range nodes[1:] {
		name := n.LocalMember().Name
		latest[name] = make([]uint32, keys)
		n.Handle(family, func(_ runtime.Member, p []byte) {
			key, version := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
			mu.Lock()
			defer mu.Unlock()
			if v := latest[name]; version > v[key] {
				v[key] = version
			} else {
				older++
			}
		})
	}
	// The news of the joins goes first, so that the queues hold the
	// broadcasts alone.
	eventually(t, 20*time.Second, "news of the joins sent", func() bool {
		for _, n := range nodes {
			if n.Stats().Protocol.QueueDepth != 0 {
				return false
			}
		}
		return true
	})

	src := nodes[0]
	deepest := 0
	began := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := range updates {
		if i%100 == 0 && i > 0 {
			<-tick.C // a hundred every 10 ms: 10,000 in about a second
			deepest = max(deepest, src.Stats().Protocol.BroadcastQueueDepth)
		}
		key, version := i%keys, i/keys+1
		p := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(key)), uint32(version))
		require.NoError(t, src.BroadcastKeyed(ctx, family, fmt.Sprint(key), p), "update %d", i)
	}
	took := time.Since(began)
	deepest = max(deepest, src.Stats().Protocol.BroadcastQueueDepth)
	assert.LessOrEqual(t, deepest, keys, "the sender's queue held more than one broadcast per key")

	missing := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range latest {
			for _, version := range v {
				if version != updates/keys {
					n++
				}
			}
		}
		return n
	}
	start := time.Now()
	assert.Eventually(t, func() bool { return missing() == 0 }, time.Minute, 20*time.Millisecond, "every member holds the latest of every key")
	all := time.Since(start)
	var undelivered, pushed uint64
	for _, n := range nodes {
		undelivered += n.Stats().Undelivered
		pushed += n.Stats().Protocol.KeyedPushed
	}
	require.Zero(t, missing(), "member-key pairs lacking the latest version after %v (%d payloads dropped at full handler queues)", all, undelivered)
	mu.Lock()
	assert.Zero(t, older, "deliveries of a version not newer than one delivered before")
	mu.Unlock()
	s := src.Stats()
	assert.Equal(t, uint64(updates), s.Families[family].Broadcast, "broadcasts counted at the sender")
	var received uint64
	for _, n := range nodes[1:] {
		f := n.Stats().Families[family]
		received += f.Received
		assert.Equal(t, f.Received, f.ReceivedBroadcast)
	}
	assert.Less(t, received, uint64(updates*(members-1)), "older versions were replaced, not all delivered")
	t.Logf("%d updates of %d keys sent in %v, deepest queue %d, %d replaced at the sender; %d deliveries per member; all latest %v later, %d repair packets",
		updates, keys, took.Round(time.Millisecond), deepest, s.Protocol.BroadcastsReplaced, received/uint64(members-1), all.Round(time.Millisecond), pushed)
}

// A keyed broadcast of one family does not replace one of another family
// with the same key, and the errors are Broadcast's.
func TestBroadcastKeyedFamilies(t *testing.T) {
	nodes := cluster(t, 2, nil)
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	for _, family := range []uint32{1, 2} {
		nodes[1].Handle(family, func(_ runtime.Member, p []byte) {
			mu.Lock()
			got = append(got, fmt.Sprintf("%d:%s", family, p))
			mu.Unlock()
		})
	}
	require.NoError(t, nodes[0].BroadcastKeyed(ctx, 1, "k", []byte("a")))
	require.NoError(t, nodes[0].BroadcastKeyed(ctx, 2, "k", []byte("b")))
	require.NoError(t, nodes[0].BroadcastKeyed(ctx, 1, "k", []byte("c")))
	// Whether "a" left before "c" replaced it depends on the timing of
	// a gossip round (the simulator shows the replacement); "b" is never
	// replaced by "c", of another family.
	eventually(t, 10*time.Second, "both families delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(got, "1:c") && slices.Contains(got, "2:b")
	})
	mu.Lock()
	assert.Subset(t, []string{"1:a", "2:b", "1:c"}, got)
	mu.Unlock()

	require.ErrorIs(t, nodes[0].BroadcastKeyed(ctx, 1, "k", make([]byte, runtime.MaxMessageSize+1)), runtime.ErrTooLarge)
	require.NoError(t, nodes[0].BroadcastKeyed(ctx, 1, "k", make([]byte, runtime.MaxMessageSize)))
	nodes[0].Close()
	require.True(t, errors.Is(nodes[0].BroadcastKeyed(ctx, 1, "k", nil), runtime.ErrClosed))
}
