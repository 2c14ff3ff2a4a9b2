package timeq

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values come out by time, and in push order among equal times.
func TestOrder(t *testing.T) {
	var q Queue[int]
	base := time.Unix(0, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		q.Push(base.Add(time.Duration(rng.IntN(50))), i)
	}
	var lastAt time.Time
	last := -1
	for q.Len() > 0 {
		at, v := q.Pop()
		require.False(t, at.Before(lastAt), "popped %d at %v after %d at %v", v, at, last, lastAt)
		if at.Equal(lastAt) {
			require.Greater(t, v, last, "popped %d after %d at the same time %v: not push order", v, last, at)
		}
		lastAt, last = at, v
	}
	_, ok := q.Next()
	assert.False(t, ok, "Next on an empty queue reported a time")
}
