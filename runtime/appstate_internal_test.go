package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The period grows above 32 members as the incumbent's does.
func TestPushPullScale(t *testing.T) {
	for _, tc := range []struct {
		n    int
		mult time.Duration
	}{{1, 1}, {32, 1}, {33, 2}, {64, 2}, {65, 3}, {1000, 6}, {1024, 6}, {10000, 10}} {
		assert.Equal(t, tc.mult*30*time.Second, pushPullScale(30*time.Second, tc.n), "N=%d", tc.n)
	}
}

// Each rank gets its own slot in every period, in rank order, on the same
// wall-clock grid at every node; after pushes a slot to the next period.
func TestNextSlot(t *testing.T) {
	period := 10 * time.Second
	now := time.Date(2026, 1, 1, 12, 0, 3, 0, time.UTC) // 3 s into a period
	base := now.Truncate(period)
	assert.Equal(t, base.Add(4*time.Second), nextSlot(now, period, 2, 5, time.Time{}), "rank 2 of 5: 4 s into this period")
	assert.Equal(t, base.Add(period), nextSlot(now, period, 0, 5, time.Time{}), "rank 0's slot has passed: the next period's")
	assert.Equal(t, base.Add(period+4*time.Second), nextSlot(now, period, 2, 5, base.Add(5*time.Second)), "not before after")
	for rank := range 20 {
		s := nextSlot(base, period, rank, 20, time.Time{})
		assert.True(t, s.After(base) && !s.After(base.Add(period)), "rank %d: %v", rank, s)
	}
}

// At most maxPendingMerges states wait for a slow MergeRemoteState; a
// newer state from the same member replaces its older one; the rest are
// dropped and counted.
func TestMergeQueueBounded(t *testing.T) {
	a := newAppState(nil)
	for i := range maxPendingMerges + 3 {
		a.enqueue(mergeJob{from: Member{Name: string(rune('a' + i))}, state: []byte{byte(i)}})
	}
	a.enqueue(mergeJob{from: Member{Name: "a"}, state: []byte("newer"), periodic: true})
	assert.Len(t, a.queue, maxPendingMerges)
	assert.EqualValues(t, 3, a.dropped.Load())
	job, ok := a.pop()
	assert.True(t, ok)
	assert.Equal(t, "newer", string(job.state))
	assert.True(t, job.periodic)
}
