package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// Raw messages: the layer under the typed Send/Broadcast/On functions that
// memberlist-gen writes. A family is a message family's stable id; the
// payload is its encoding, at most MaxMessageSize bytes.

// Send sends payload of the given family to the member named to, in one
// packet, best effort: nothing says whether it arrived. The member must be
// alive or suspect, and not this node; otherwise the error wraps
// ErrUnknownMember.
func (n *Node) Send(ctx context.Context, to string, family uint32, payload []byte) error {
	b, err := frame(family, payload)
	if err != nil {
		return err
	}
	var serr error
	if e := n.do(ctx, func(now time.Time) { serr = n.core.Send(now, to, b) }); e != nil {
		return e
	}
	return publicError(serr)
}

// Broadcast gossips payload of the given family to every other member;
// each receives it at most once, and this node's own handlers do not.
func (n *Node) Broadcast(ctx context.Context, family uint32, payload []byte) error {
	b, err := frame(family, payload)
	if err != nil {
		return err
	}
	var berr error
	if e := n.do(ctx, func(now time.Time) { berr = n.core.Broadcast(now, b) }); e != nil {
		return e
	}
	return publicError(berr)
}

func frame(family uint32, payload []byte) ([]byte, error) {
	if len(payload) > MaxMessageSize {
		return nil, &restated{
			msg:  fmt.Sprintf("memberlist: message of %d bytes; at most %d (MaxMessageSize) fit one packet", len(payload), MaxMessageSize),
			errs: []error{ErrTooLarge},
		}
	}
	b := make([]byte, familyLen, familyLen+len(payload))
	binary.BigEndian.PutUint32(b, family)
	return append(b, payload...), nil
}

// Handle registers fn to receive every message of the given family, sent or
// broadcast, with its sender; stop unregisters it. Handlers run one at a
// time on the node's dispatch goroutine, never on the protocol loop: a slow
// handler delays other messages, and once 1,024 wait, new ones are dropped
// and counted (Stats.Undelivered), but the protocol never waits for it.
func (n *Node) Handle(family uint32, fn func(from Member, payload []byte)) (stop func()) {
	h := &handler{fn: fn}
	n.handlersMu.Lock()
	n.handlers[family] = append(n.handlers[family], h)
	n.handlersMu.Unlock()
	return func() {
		n.handlersMu.Lock()
		defer n.handlersMu.Unlock()
		n.handlers[family] = slices.DeleteFunc(n.handlers[family], func(x *handler) bool { return x == h })
	}
}

// dispatch runs handlers for delivered messages until Close.
func (n *Node) dispatch() {
	defer n.wg.Done()
	for {
		select {
		case <-n.quit:
			return
		case d := <-n.deliver:
			n.handlersMu.RLock()
			hs := slices.Clone(n.handlers[d.family])
			n.handlersMu.RUnlock()
			if len(hs) == 0 {
				n.undelivered.Add(1)
				d.release()
				continue
			}
			n.counted.Store(false)
			for _, h := range hs {
				h.fn(d.from, d.payload)
			}
			d.release()
		}
	}
}

// CountUndecodable records that the payload of the given family a handler
// was just handed does not decode, for err: it adds one to
// Stats.Undecodable and logs err at Debug. It is meant for the code
// memberlist-gen writes, whose On functions call it from their handlers
// so that no malformed message goes unseen; a handler of raw payloads may
// call it too. Call it from a handler, for the payload it is running on:
// the payload counts once however many of its handlers call it (each
// variant's On function and the family's error handler all may).
func (n *Node) CountUndecodable(family uint32, err error) {
	if n.counted.Swap(true) {
		return
	}
	n.undecodable.Add(1)
	n.log.Debug("memberlist: message does not decode", "family", family, "err", err)
}
