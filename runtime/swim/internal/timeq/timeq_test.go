package timeq

import (
	"math/rand/v2"
	"testing"
	"time"
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
		if at.Before(lastAt) || (at.Equal(lastAt) && v < last) {
			t.Fatalf("popped %d at %v after %d at %v", v, at, last, lastAt)
		}
		lastAt, last = at, v
	}
	if _, ok := q.Next(); ok {
		t.Fatal("Next on an empty queue reported a time")
	}
}
