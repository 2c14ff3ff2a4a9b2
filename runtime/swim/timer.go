package swim

import (
	"container/heap"
	"time"
)

// timerKind names what a timer does when it fires. Timers are data, as in
// foca: the core never cancels one; a fired timer that no longer matches the
// state it was set for (a token mismatch) does nothing.
type timerKind uint8

const (
	timerProbe        timerKind = iota + 1 // start the next probe
	timerProbeTimeout                      // direct ping unanswered: go indirect
	timerRelayTimeout                      // a relayed ping unanswered: nack
	timerSuspicion                         // a suspicion ran out: declare dead
	timerGossip                            // gossip round
	timerSync                              // anti-entropy round
	timerReconnect                         // contact a dead member or a seed
	timerJoinRetry                         // no seed answered yet
	timerReap                              // forget old dead members, expire caches
)

// timer is one wake-up request. seq and gen are tokens that tell a stale
// timer from a live one; name says which member a suspicion timer is for.
type timer struct {
	at    time.Time
	order uint64 // insertion order: equal times fire in the order set
	kind  timerKind
	seq   uint16
	gen   uint64
	name  string
}

// timerHeap is a min-heap of timers by (at, order).
type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].order < h[j].order
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// schedule asks to be woken at at for t.
func (c *Core) schedule(at time.Time, t timer) {
	t.at = at
	c.timerOrder++
	t.order = c.timerOrder
	heap.Push(&c.timers, t)
}

// nextWake is when the earliest timer is due; zero when none is set.
func (c *Core) nextWake() time.Time {
	if len(c.timers) == 0 {
		return time.Time{}
	}
	return c.timers[0].at
}
