package gentest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/testdata/gen/keyed"
)

// keyedPair is pair with each broadcast sent 32 times (about 1.6 s of
// gossip rounds to the one other member) before it leaves the queue, so
// that the next call finds it queued even if the machine stalls between
// the two calls.
func keyedPair(t *testing.T) (a, b *runtime.Node) {
	return pair(t, func(c *runtime.Config) { c.RetransmitMult = 32 })
}

// replaced is how many keyed broadcasts n's queue replaced.
func replaced(n *runtime.Node) uint64 { return n.Stats().Protocol.BroadcastsReplaced }

// BroadcastCache coalesces the variants with a key field (a Delete
// replaces a queued Set of its key) and broadcasts Flush, which has none,
// as it is; the receiver ends with the latest of the key, and never gets
// an older payload of a key after a newer one.
func TestBroadcastCacheCoalesces(t *testing.T) {
	a, b := keyedPair(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []string // in the order b delivered them
	add := func(what string, version uint64) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %d", what, version))
		mu.Unlock()
	}
	defer keyed.OnSet(b, func(_ runtime.Member, m keyed.Set) { add("set "+m.Key, m.Version) })()
	defer keyed.OnDelete(b, func(_ runtime.Member, m keyed.Delete) { add("delete "+m.Key, m.Version) })()
	defer keyed.OnFlush(b, func(_ runtime.Member, m keyed.Flush) { add("flush", m.Version) })()

	// Each broadcast stays queued for about 1.6 s (keyedPair), so the
	// next, microseconds later, finds it queued and replaces it.
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "x", Value: []byte("1"), Version: 1}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "x", Value: []byte("2"), Version: 2}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Delete{Key: "x", Version: 3}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Set{Key: "y", Version: 4}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Flush{Version: 5}))
	require.NoError(t, keyed.BroadcastCache(ctx, a, keyed.Flush{Version: 6}))
	assert.Equal(t, uint64(2), replaced(a), "Set 2 replaced Set 1, Delete 3 replaced Set 2; y and the Flushes replaced nothing")

	has := func(want string) bool { return slices.Contains(got, want) }
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return has("delete x 3") && has("set y 4") && has("flush 5") && has("flush 6")
	}, 10*time.Second, 20*time.Millisecond, "not delivered within 10s")
	mu.Lock()
	defer mu.Unlock()
	// A gossip round (or an ack's piggyback) may fall between two calls
	// on a loaded machine, so a Set of x may have left before it was
	// replaced; but none arrives after the Delete that replaced it, and
	// each of the rest arrives once.
	var x, rest []string
	for _, g := range got {
		if strings.Contains(g, " x ") {
			x = append(x, g)
		} else {
			rest = append(rest, g)
		}
	}
	assert.Subset(t, []string{"set x 1", "set x 2", "delete x 3"}, x, "only the payloads of x broadcast")
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(x))), len(x), "a payload of x delivered twice: %v", got)
	assert.Equal(t, "delete x 3", x[len(x)-1], "the Delete of x is the last of x delivered: %v", got)
	assert.ElementsMatch(t, []string{"set y 4", "flush 5", "flush 6"}, rest, "y's Set and the two Flushes once each")
}

// Every kind of key field keys BroadcastLease; keys are per family, so
// variants whose keys read the same replace each other too.
func TestBroadcastLeaseKeys(t *testing.T) {
	a, _ := keyedPair(t)
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
