package swim

import "time"

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

// timerHeap is a min-heap of timers by (at, order), written out rather
// than through container/heap to avoid boxing every timer.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].order < h[j].order
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	q := *h
	t := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = timer{}
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q.less(l, m) {
			m = l
		}
		if r < len(q) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return t
}

// schedule asks to be woken at at for t.
func (c *Core) schedule(at time.Time, t timer) {
	t.at = at
	c.timerOrder++
	t.order = c.timerOrder
	c.timers.push(t)
}

// nextWake is when the earliest timer is due; zero when none is set.
func (c *Core) nextWake() time.Time {
	if len(c.timers) == 0 {
		return time.Time{}
	}
	return c.timers[0].at
}
