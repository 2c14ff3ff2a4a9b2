package gentest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/testdata/gen/keyed"
)

// replaced is how many keyed broadcasts n's queue replaced.
func replaced(n *runtime.Node) uint64 { return n.Stats().Protocol.BroadcastsReplaced }

// BroadcastCache coalesces the variants with a key field (a Delete
// replaces a queued Set of its key) and broadcasts Flush, which has none,
// as it is; the receiver ends with the latest of the key.
func TestBroadcastCacheCoalesces(t *testing.T) {
	a, b := pair(t)
	ctx := context.Background()
	var mu sync.Mutex
	var sets, deletes []uint64
	var flushes int
	defer keyed.OnSet(b, func(_ runtime.Member, m keyed.Set) { mu.Lock(); sets = append(sets, m.Version); mu.Unlock() })()
	defer keyed.OnDelete(b, func(_ runtime.Member, m keyed.Delete) { mu.Lock(); deletes = append(deletes, m.Version); mu.Unlock() })()
	defer keyed.OnFlush(b, func(runtime.Member, keyed.Flush) { mu.Lock(); flushes++; mu.Unlock() })()

	// Each broadcast is sent several times over a few gossip rounds
	// (50 ms apart), so the next, microseconds later, finds it queued.
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "x", Value: []byte("1"), Version: 1}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "x", Value: []byte("2"), Version: 2}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Delete{Key: "x", Version: 3}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "y", Version: 4}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Flush{Version: 5}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Flush{Version: 6}))
	assert.Equal(t, uint64(2), replaced(a), "Set 2 replaced Set 1, Delete 3 replaced Set 2; y and the Flushes replaced nothing")

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := len(deletes) == 1 && flushes == 2 && len(sets) > 0 && sets[len(sets)-1] == 4
		mu.Unlock()
		if done {
			break
		}
		require.True(t, time.Now().Before(deadline), "not delivered")
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []uint64{3}, deletes)
	assert.Equal(t, []uint64{4}, sets, "the replaced Sets of x never left a")
}

// Every kind of key field keys BroadcastLease; keys are per family, so
// variants whose keys read the same replace each other too.
func TestBroadcastLeaseKeys(t *testing.T) {
	a, _ := pair(t)
	ctx := context.Background()
	send := func(m keyed.Lease) { require.NoError(t, keyed.BroadcastLease(ctx, a, m)) }
	base := replaced(a)
	send(keyed.Grant{Holder: [16]byte{1}})
	send(keyed.Grant{Holder: [16]byte{1}, Until: time.Unix(1, 0)})
	send(keyed.Grant{Holder: [16]byte{2}})
	assert.Equal(t, base+1, replaced(a), "[16]byte keys")
	send(keyed.Renew{ID: 1 << 40})
	send(keyed.Renew{ID: 1 << 40})
	send(keyed.Renew{ID: 8})
	assert.Equal(t, base+2, replaced(a), "uint64 keys")
	send(keyed.Revoke{Shard: -3})
	send(keyed.Revoke{Shard: -3})
	assert.Equal(t, base+3, replaced(a), "int32 keys")
	send(keyed.Move{To: "/a"})
	send(keyed.Move{To: "/a"})
	send(keyed.Blob{Digest: []byte("/a")})
	assert.Equal(t, base+5, replaced(a), "a Path and []byte of the same bytes share a key")
	send(keyed.Revoke{Shard: 8})
	assert.Equal(t, base+6, replaced(a), "Revoke{8} replaces Renew{8}: one family, one key space")
}
