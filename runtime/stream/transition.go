package stream

import (
	"fmt"
	"unicode/utf8"
)

// Transition switches sealing or a cluster label on in a running cluster,
// one node at a time, as package udp's Transition does for datagrams: the
// previous framing is FromLabel and, unless FromEncrypted, no sealing;
// the new one is Config's Label and Keys. In TransitionAccept a node dials
// with the previous framing, which every node still accepts, and accepts
// both; in TransitionSend it dials with the new framing, which every node
// accepts by then, and still accepts both; without a Transition it dials
// and accepts the new framing only. Stats.Previous counts connections
// accepted in the previous framing: once it stops rising on every node,
// the Transition can go. Mutual TLS has no transition.
type Transition struct {
	// Phase is TransitionAccept or TransitionSend; empty means no
	// transition, and the rest is ignored.
	Phase TransitionPhase
	// FromLabel is the cluster's label before the switch; empty for none.
	FromLabel string
	// FromEncrypted says streams were sealed before, with the same Keys,
	// and only the label changes.
	FromEncrypted bool
}

// TransitionPhase is a step of a Transition.
type TransitionPhase string

// The phases of a Transition.
const (
	// TransitionAccept: dial with the previous framing, accept both.
	TransitionAccept TransitionPhase = "accept"
	// TransitionSend: dial with the new framing, accept both.
	TransitionSend TransitionPhase = "send"
)

// framing is how a connection is protected and labelled.
type framing struct {
	mode  mode
	label string
}

// check reports what is wrong with tr for a transport whose new framing
// is cur.
func (tr Transition) check(cur framing) error {
	bad := func(what, want string) error {
		return fmt.Errorf("%w: Transition %s; want %s", ErrInvalidConfig, what, want)
	}
	switch tr.Phase {
	case "":
		return nil
	case TransitionAccept, TransitionSend:
	default:
		return bad(fmt.Sprintf("Phase = %q", tr.Phase), fmt.Sprintf("%q, %q or empty", TransitionAccept, TransitionSend))
	}
	switch {
	case cur.mode == modeTLS:
		return bad("with TLS", "no Transition: mutual TLS has none")
	case len(tr.FromLabel) > MaxLabelLen || !utf8.ValidString(tr.FromLabel):
		return bad(fmt.Sprintf("FromLabel = %q", tr.FromLabel), fmt.Sprintf("at most %d bytes of UTF-8", MaxLabelLen))
	case tr.FromEncrypted && cur.mode != modeSealed:
		return bad("FromEncrypted without Keys", "Keys, or FromEncrypted false")
	case tr.previous() == cur:
		return bad(fmt.Sprintf("from label %q, sealed %v, to the same framing", tr.FromLabel, tr.FromEncrypted), "another FromLabel, or Keys with FromEncrypted false")
	}
	return nil
}

// previous is the framing before the switch.
func (tr Transition) previous() framing {
	if tr.FromEncrypted {
		return framing{mode: modeSealed, label: tr.FromLabel}
	}
	return framing{mode: modePlain, label: tr.FromLabel}
}

// current is the transport's own framing: its protection and Label.
func (t *Transport) current() framing { return t.cfg.framing() }

// framing is the framing c configures: its protection and Label.
func (c Config) framing() framing {
	switch {
	case c.TLS != nil:
		return framing{mode: modeTLS, label: c.Label}
	case c.Keys != nil:
		return framing{mode: modeSealed, label: c.Label}
	}
	return framing{mode: modePlain, label: c.Label}
}

// dialFraming is the framing this transport dials with: the previous one
// in TransitionAccept, else its own.
func (t *Transport) dialFraming() framing {
	if t.cfg.Transition.Phase == TransitionAccept {
		return t.cfg.Transition.previous()
	}
	return t.current()
}

// acceptFraming returns the framing of a dialer's hello if this transport
// accepts it: its own, or the previous one during a Transition (counted
// in Stats.Previous). Otherwise it returns why not, as for its own.
func (t *Transport) acceptFraming(h *dialerHello) (framing, error) {
	got := framing{mode: h.mode, label: h.label}
	if t.cfg.Transition.Phase != "" && got == t.cfg.Transition.previous() && got != t.current() {
		if h.port == 0 {
			return framing{}, errBadHello
		}
		t.stats.previous.Add(1)
		return got, nil
	}
	return t.current(), t.checkHello(h)
}
