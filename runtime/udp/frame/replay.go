package frame

import "encoding/binary"

// DefaultReplayWindow is the number of encrypted packets a Replays
// remembers at least: at the few to few tens of packets a second a member
// receives, a minute or more of traffic.
const DefaultReplayWindow = 1024

// Replays remembers the nonces of the encrypted packets a receiver accepted
// lately, so that it can drop copies: an eavesdropper cannot forge a packet
// without the key, but it can send a captured one again, to the member it
// was meant for or to another, with any source address. Every packet
// sealed has a nonce of its own, so a copy is never a genuine packet (the
// network's rare duplicates excepted, which are as well dropped).
//
// It remembers between window and twice window nonces: two generations,
// the older dropped wholesale when the newer fills, which bounds memory
// (some 36 bytes a nonce, 74 KB at the default window) without any
// per-packet bookkeeping. A copy older
// than that gets through to the protocol, whose incarnation rules make old
// news harmless (see SECURITY.md at the repository root for what remains).
//
// A Replays is not safe for concurrent use: the one goroutine that reads a
// socket owns it.
type Replays struct {
	window   int
	cur, old map[uint64]struct{}
}

// NewReplays returns a filter that remembers at least window nonces;
// window <= 0 means DefaultReplayWindow.
func NewReplays(window int) *Replays {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	return &Replays{
		window: window,
		cur:    make(map[uint64]struct{}, window),
		old:    make(map[uint64]struct{}, window),
	}
}

// Seen reports whether p, a datagram that Open accepted, is a copy of one
// given to Seen within the window, and remembers it. Plain datagrams are
// never reported: they carry no nonce, and without a key anyone can forge a
// fresh one anyway.
func (r *Replays) Seen(p []byte) bool {
	n, ok := nonce(p)
	if !ok {
		return false
	}
	// The nonce is random: any 64 bits of it identify a packet, with a
	// chance of about 2^-53 per packet of mistaking a new one for a copy.
	id := binary.LittleEndian.Uint64(n[:8])
	if _, ok := r.cur[id]; ok {
		return true
	}
	if _, ok := r.old[id]; ok {
		return true
	}
	if len(r.cur) >= r.window {
		// clear keeps the map's storage, so turning generations over
		// allocates nothing.
		clear(r.old)
		r.cur, r.old = r.old, r.cur
	}
	r.cur[id] = struct{}{}
	return false
}
