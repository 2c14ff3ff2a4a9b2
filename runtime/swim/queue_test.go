package swim

import (
	"math"
	"testing"

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
