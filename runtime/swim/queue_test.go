package swim

import (
	"math"
	"testing"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
)

// A keyed item is replaced by a later id only, across the wrap of the id
// space, and queued tells keyed items apart from unkeyed ones.
func TestQueueSupersedes(t *testing.T) {
	var q queue
	assert.True(t, q.supersedes("k", 0, 5), "nothing queued")
	q.push("k", []byte{1}, nil).id = math.MaxUint32
	q.push("", []byte{2}, nil)
	assert.True(t, q.queued("k"))
	assert.False(t, q.queued(""), "unkeyed items are not found by the empty key")
	assert.False(t, q.queued("other"))
	assert.True(t, q.supersedes("k", 0, 0), "0 follows MaxUint32")
	assert.True(t, q.supersedes("k", 0, 1<<30))
	assert.False(t, q.supersedes("k", 0, math.MaxUint32), "the same id")
	assert.False(t, q.supersedes("k", 0, math.MaxUint32-1), "an earlier id")
	q.push("k", []byte{3}, nil).id = 0
	assert.Equal(t, 2, q.len(), "the keyed item was replaced")
	assert.False(t, q.supersedes("k", 0, math.MaxUint32))
}

// Distinct origins never share a queue key, and no key is the unkeyed one.
func TestBroadcastKeyNamespaces(t *testing.T) {
	assert.Equal(t, "", broadcastKey("a", 0))
	assert.NotEqual(t, broadcastKey("a", 1), broadcastKey("b", 1))
	assert.NotEqual(t, broadcastKey("a", 0x6200000000000001), broadcastKey("ab", 1))
}

// notAlive counts the queued items that are not alive news, through
// replacement, transmission and exhaustion.
func TestQueueCountsItemsNotAlive(t *testing.T) {
	var q queue
	alive := wire.AppendAlive(nil, &wire.Alive{Name: "b", Incarnation: 1})
	suspect := wire.AppendSuspect(nil, &wire.Suspect{Name: "c", Incarnation: 1, From: "a"})
	q.push("b", alive, nil)
	assert.Equal(t, 0, q.notAlive)
	q.push("c", suspect, nil)
	q.push("c", suspect, nil) // replaces the first
	assert.Equal(t, 1, q.notAlive)
	q.push("c", alive, nil) // a refutation replaces the accusation
	assert.Equal(t, 0, q.notAlive)
	q.push("d", suspect, nil)
	for q.len() > 0 {
		q.fill(nil, 1400, 3)
		notAlive := 0
		for _, h := range q.buckets {
			for it := h; it != nil; it = it.next {
				if !it.alive() {
					notAlive++
				}
			}
		}
		assert.Equal(t, notAlive, q.notAlive)
	}
	assert.Equal(t, 0, q.notAlive)
}

// An item pushed with extra sends leaves the queue only after the limit
// plus those; the others at the limit.
func TestQueueExtraSends(t *testing.T) {
	var q queue
	q.push("plain", wire.AppendLeave(nil, &wire.Leave{Name: "p", Incarnation: 1}), nil)
	q.pushMore("more", wire.AppendLeave(nil, &wire.Leave{Name: "m", Incarnation: 1}), 4)
	const limit = 3
	sends := map[string]int{}
	for range 10 {
		if q.len() == 0 {
			break
		}
		for _, k := range []string{"plain", "more"} {
			if q.queued(k) {
				sends[k]++
			}
		}
		q.fill(nil, 1400, limit)
	}
	assert.Equal(t, map[string]int{"plain": limit, "more": limit + 4}, sends)
	assert.Zero(t, q.len())
}
