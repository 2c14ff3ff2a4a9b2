package udp

import (
	"fmt"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// Transition switches encryption or a cluster label on in a running
// cluster, one member at a time, without a moment when two members cannot
// read each other. The previous framing is a label (From, often none) and,
// unless FromEncrypted, no encryption; the new one is Config's Label and
// Keyring. Every member goes through three configurations, each rolled
// out to all members before the next:
//
//  1. the new Label and Keyring with Phase TransitionAccept: it still sends
//     the previous framing, which every member reads, and accepts both;
//  2. Phase TransitionSend: it sends the new framing, which every member
//     now reads, and still accepts both;
//  3. no Transition: it sends and accepts the new framing only. Wait for
//     Stats.Previous to stop rising on every member first.
//
// The other way round (switching encryption or a label off) is the same
// steps with the framings exchanged.
type Transition struct {
	// Phase is TransitionAccept or TransitionSend; empty means no
	// transition, and the rest is ignored.
	Phase TransitionPhase
	// FromLabel is the cluster's label before the switch; empty for none.
	FromLabel string
	// FromEncrypted says the cluster was encrypted before, with the same
	// Keyring, and only the label changes.
	FromEncrypted bool
}

// TransitionPhase is a step of a Transition.
type TransitionPhase string

// The phases of a Transition.
const (
	// TransitionAccept: send the previous framing, accept both.
	TransitionAccept TransitionPhase = "accept"
	// TransitionSend: send the new framing, accept both.
	TransitionSend TransitionPhase = "send"
)

// codec returns the codec of the previous framing, nil without a
// transition, or an error naming what is wrong with it.
func (tr Transition) codec(label string, keys *frame.Keyring) (*frame.Codec, error) {
	switch tr.Phase {
	case "":
		return nil, nil
	case TransitionAccept, TransitionSend:
	default:
		return nil, fmt.Errorf("%w: Transition.Phase = %q; want %q, %q or empty", ErrInvalidConfig, tr.Phase, TransitionAccept, TransitionSend)
	}
	if tr.FromEncrypted && keys == nil {
		return nil, fmt.Errorf("%w: Transition.FromEncrypted without a Keyring; want a Keyring, or FromEncrypted false", ErrInvalidConfig)
	}
	if tr.FromLabel == label && (keys == nil || tr.FromEncrypted) {
		return nil, fmt.Errorf("%w: Transition from label %q, encrypted %v, to the same framing; want another FromLabel, or a Keyring with FromEncrypted false", ErrInvalidConfig, tr.FromLabel, tr.FromEncrypted)
	}
	var prevKeys *frame.Keyring
	if tr.FromEncrypted {
		prevKeys = keys
	}
	c, err := frame.NewCodec(tr.FromLabel, prevKeys)
	if err != nil {
		return nil, fmt.Errorf("%w: Transition.FromLabel %q: %w", ErrInvalidConfig, tr.FromLabel, err)
	}
	return c, nil
}
