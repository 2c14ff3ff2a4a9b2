package runtime

import (
	"errors"
	"sync"
)

// ErrSlowSubscriber is what Subscription.Err returns after the node cut the
// subscriber off for falling more than Config.EventBuffer events behind.
var ErrSlowSubscriber = errors.New("memberlist: subscriber fell behind and was cut off")

// Subscription delivers every membership event to one subscriber, in
// order. A subscriber that falls Config.EventBuffer events behind is cut
// off rather than allowed to stall the protocol or silently miss events: C
// is closed and Err returns ErrSlowSubscriber. Such a subscriber should
// take a Members snapshot and subscribe again.
//
// C's own buffer is small (subscriptionBuffer); events published while it
// is full wait in a backlog that a goroutine, running only while there is
// one, moves into C. So a subscription costs memory for the events it is
// behind by, not for Config.EventBuffer of them: a joiner learning
// thousands of members at once needs a large EventBuffer for that moment
// only, and a process of many members each holding a buffer of thousands
// of events (hundreds of kilobytes each, scanned by every garbage
// collection) spent its collections on them.
type Subscription struct {
	// C receives the events. It is closed by Close, by the node's Close, or
	// when the subscriber falls behind.
	C <-chan Event

	c     chan Event
	node  *Node
	limit int // Config.EventBuffer
	mu    sync.Mutex
	err   error
	// closed: the subscription ended; C is closed, or will be by the
	// running pump.
	closed bool
	// backlog holds the events published while C was full, oldest first;
	// pumping says a pump is moving them into C. done is closed when the
	// subscription ends, to stop a pump waiting on the subscriber.
	backlog []Event
	pumping bool
	done    chan struct{}
}

// subscriptionBuffer is the most events C itself buffers: enough for a
// subscriber that keeps up, small because every collection scans it.
const subscriptionBuffer = 32

// Err reports why C was closed: nil while open or after Close,
// ErrSlowSubscriber after falling behind, ErrClosed when the node closed.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription; C is closed. It is safe to call more than
// once.
func (s *Subscription) Close() {
	s.node.subsMu.Lock()
	delete(s.node.subs, s)
	s.node.subsMu.Unlock()
	s.end(nil)
}

// end ends the subscription once, recording why: C is closed now, or by
// the pump as it stops.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	s.backlog = nil
	close(s.done)
	if !s.pumping {
		close(s.c)
	}
}

// offer hands events to the subscriber without blocking: into C while it
// has room and no backlog waits, else into the backlog. It reports false
// when the subscriber is more than its limit behind.
func (s *Subscription) offer(events []Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	for _, ev := range events {
		if !s.pumping {
			select {
			case s.c <- ev:
				continue
			default:
			}
		}
		if len(s.c)+len(s.backlog) >= s.limit {
			return false
		}
		s.backlog = append(s.backlog, ev)
		if !s.pumping {
			s.pumping = true
			s.node.pumps.Add(1)
			go s.pump()
		}
	}
	return true
}

// pump moves the backlog into C, waiting on the subscriber, and stops once
// the backlog is empty (dropping its memory) or the subscription ends
// (closing C, which nobody else may while a pump can send on it).
func (s *Subscription) pump() {
	defer s.node.pumps.Done()
	for {
		s.mu.Lock()
		if s.closed || len(s.backlog) == 0 {
			s.pumping = false
			if s.closed {
				close(s.c)
			}
			s.backlog = nil
			s.mu.Unlock()
			return
		}
		ev := s.backlog[0]
		s.backlog[0] = Event{}
		s.backlog = s.backlog[1:]
		s.mu.Unlock()
		select {
		case s.c <- ev:
		case <-s.done:
		}
	}
}

// Subscribe returns a new subscription to membership events; every
// subscriber gets every event from now on, and subscribers never take
// events from each other.
func (n *Node) Subscribe() *Subscription {
	c := make(chan Event, min(n.cfg.EventBuffer, subscriptionBuffer))
	s := &Subscription{C: c, c: c, node: n, limit: n.cfg.EventBuffer, done: make(chan struct{})}
	n.subsMu.Lock()
	defer n.subsMu.Unlock()
	if n.subsClosed {
		s.end(ErrClosed)
		return s
	}
	n.subs[s] = struct{}{}
	return s
}

// publish hands events to every subscriber without ever blocking.
func (n *Node) publish(events []Event) {
	if len(events) == 0 {
		return
	}
	n.subsMu.Lock()
	defer n.subsMu.Unlock()
	for s := range n.subs {
		if !s.offer(events) {
			delete(n.subs, s)
			s.end(ErrSlowSubscriber)
		}
	}
}

// closeSubs ends every subscription when the node closes.
func (n *Node) closeSubs() {
	n.subsMu.Lock()
	defer n.subsMu.Unlock()
	n.subsClosed = true
	for s := range n.subs {
		s.end(ErrClosed)
	}
	clear(n.subs)
}
