package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// ErrNoAck: a Ping got no ack within a protocol period.
var ErrNoAck = errors.New("memberlist: no ack")

// Coordinate is a member's network coordinate (Vivaldi): the distance
// between two members' coordinates estimates their round trip.
type Coordinate = swim.Coordinate

// pings are the Ping calls waiting for their ack, by the core's token.
type pings struct {
	mu      sync.Mutex
	waiting map[uint32]chan swim.Pong
}

// Ping sends a ping to the member named name and returns the round trip
// of its ack. It fails with ErrUnknownMember for a name that is no alive
// or suspect member, ErrNoAck when no ack came within a protocol period,
// or ctx's error. The round trip also moves this node's network
// coordinate, as every probe's does.
func (n *Node) Ping(ctx context.Context, name string) (time.Duration, error) {
	ch := make(chan swim.Pong, 1)
	var err error
	if derr := n.do(ctx, func(now time.Time) {
		var token uint32
		if token, err = n.core.Ping(now, name); err == nil {
			n.pings.mu.Lock()
			if n.pings.waiting == nil {
				n.pings.waiting = make(map[uint32]chan swim.Pong)
			}
			n.pings.waiting[token] = ch
			n.pings.mu.Unlock()
		}
	}); derr != nil {
		return 0, derr
	}
	if err != nil {
		return 0, publicError(err)
	}
	select {
	case p := <-ch:
		if p.Lost {
			return 0, fmt.Errorf("%w from %q within %v", ErrNoAck, name, n.cfg.ProbeInterval)
		}
		return p.RTT, nil
	case <-n.quit:
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// deliverPongs hands the core's ping outcomes to the Ping calls waiting
// for them; it runs on the loop.
func (n *Node) deliverPongs(pongs []swim.Pong) {
	if len(pongs) == 0 {
		return
	}
	n.pings.mu.Lock()
	defer n.pings.mu.Unlock()
	for _, p := range pongs {
		if ch, ok := n.pings.waiting[p.Token]; ok {
			delete(n.pings.waiting, p.Token)
			ch <- p // buffered, and each token is answered once
		}
	}
}

// Coordinate returns this node's network coordinate.
func (n *Node) Coordinate() Coordinate {
	var c Coordinate
	if err := n.do(context.Background(), func(time.Time) { c = n.core.Coordinate() }); err != nil {
		return Coordinate{} // closed: f may not have run, or may still run
	}
	return c
}

// EstimateRTT estimates the round trip to the member named name from the
// two network coordinates, without sending anything. Until that member's
// coordinate is known (it comes on one ack in several), the estimate is
// the median of the last round trips its acks measured. It fails with
// ErrUnknownMember before the member has answered a probe or Ping of ours.
func (n *Node) EstimateRTT(name string) (time.Duration, error) {
	var d time.Duration
	ok := false
	if err := n.do(context.Background(), func(time.Time) { d, ok = n.core.EstimateRTT(name) }); err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("memberlist: estimate round trip to %q: not probed yet: %w", name, ErrUnknownMember)
	}
	return d, nil
}
