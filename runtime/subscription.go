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
type Subscription struct {
	// C receives the events. It is closed by Close, by the node's Close, or
	// when the subscriber falls behind.
	C <-chan Event

	c      chan Event
	node   *Node
	mu     sync.Mutex
	err    error
	closed bool
}

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

// end closes C once, recording why.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	close(s.c)
}

// Subscribe returns a new subscription to membership events; every
// subscriber gets every event from now on, and subscribers never take
// events from each other.
func (n *Node) Subscribe() *Subscription {
	c := make(chan Event, n.cfg.EventBuffer)
	s := &Subscription{C: c, c: c, node: n}
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
		for _, ev := range events {
			select {
			case s.c <- ev:
				continue
			default:
			}
			delete(n.subs, s)
			s.end(ErrSlowSubscriber)
			break
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
