package frame

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"time"
)

// DefaultReplayWindow is how many encrypted datagrams a Replays remembers
// at most: at the few to few tens of datagrams a second a member receives,
// well over the span that DefaultClockSkew asks for (see Replays).
const DefaultReplayWindow = 2048

// DefaultClockSkew is how far, by default, a sender's clock may be ahead of
// or behind the receiver's, network delay included, for its encrypted
// datagrams to be accepted. Hosts kept in time by NTP differ by
// milliseconds; ten seconds leaves room for a host whose clock has drifted
// for days without being so wide that the filter cannot remember a span
// of traffic (twice the allowance) at the rates a member sees.
const DefaultClockSkew = 10 * time.Second

// Reasons Replays.Check refuses a datagram that Codec.Open accepted. It
// returns them unwrapped; test for them with errors.Is all the same.
var (
	// ErrReplayed: a copy of an encrypted datagram received lately.
	ErrReplayed = errors.New("frame: copy of a datagram received lately")
	// ErrStale: an encrypted datagram sealed longer ago than the clock-skew
	// allowance (or further ahead of this node's clock), or before the
	// oldest datagram the filter still remembers: a recording replayed
	// after the filter forgot it, or a sender whose clock is off.
	ErrStale = errors.New("frame: datagram sealed outside the replay filter's span (clock skew or a replay)")
)

// Replays remembers the encrypted datagrams a receiver accepted lately, so
// that it can refuse copies: an eavesdropper cannot forge a datagram without
// the key, but it can send a captured one again, to the member it was meant
// for or to another, with any source address. Every datagram sealed has a
// nonce of its own, so a copy is never a genuine datagram (the network's
// rare duplicates excepted, which are as well dropped).
//
// Memory is bounded by count (Window datagrams) and a copy must be refused
// however long after the original it comes, so the filter also bounds time,
// by the send time that every encrypted frame carries, sealed in its
// authenticated part (see SentAt). A datagram sealed at s on the sender's
// clock, arriving at t on the receiver's, is accepted only if
//
//  1. s is within the allowance of t: t - Skew <= s <= t + Skew;
//  2. s is after the filter's floor (below);
//  3. its nonce is not remembered.
//
// and is then remembered until rule 1 refuses it anyway (after t = s +
// Skew). When a datagram would be the Window+1st to remember, the filter
// first forgets those that rule 1 already refuses and, if that frees too
// little, the quarter with the oldest send times, raising the floor to the
// newest send time it forgot. So every copy is refused, as Replayed while
// the original is remembered and as Stale after: a recording can no longer
// be replayed by first flushing the filter with other traffic. The floor
// never falls, so also a receiver's clock stepped back cannot revive a
// forgotten datagram.
//
// The price is the allowance: a sender whose clock is more than Skew ahead
// or behind, or whose datagrams wait longer than that in the network and
// the socket buffer, has them refused as Stale. The filter holds the
// allowance as long as it can remember 2·Skew of traffic: Window / (2·Skew)
// accepted encrypted datagrams a second, 102 at the defaults. Beyond that
// the floor rises to the send times of about Window datagrams ago, and a
// sender whose clock is behind the bulk's by more than that span is
// refused. The filter forgets the oldest send times first, so a sender
// whose clock is ahead by A harms the others only if it alone has Window
// datagrams accepted within A.
//
// Memory: 48 bytes per datagram of the window, allocated by NewReplays
// (96 KB at the default); remembering and refusing allocate nothing.
//
// A Replays is not safe for concurrent use: the one goroutine that reads a
// socket owns it.
type Replays struct {
	window int
	skew   int64 // milliseconds
	floor  int64 // send times at or before it are refused, ms
	// table is an open-addressing hash set of the remembered datagrams,
	// at most half full, with linear probing; id 0 marks an empty slot.
	table []seenEntry
	n     int
	// spare holds the survivors while pruning rebuilds the table.
	spare []seenEntry
}

// seenEntry is one remembered datagram: 64 bits of its nonce, and its
// send time in milliseconds since the Unix epoch.
type seenEntry struct {
	id   uint64
	sent int64
}

// NewReplays returns a filter that remembers up to window datagrams
// (window <= 0 means DefaultReplayWindow) and accepts send times within
// skew of the receiver's clock (skew <= 0 means DefaultClockSkew); see
// Replays.
func NewReplays(window int, skew time.Duration) *Replays {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	if skew <= 0 {
		skew = DefaultClockSkew
	}
	size := 1
	for size < 2*window {
		size <<= 1
	}
	return &Replays{
		window: window,
		skew:   max(skew.Milliseconds(), 1),
		floor:  math.MinInt64,
		table:  make([]seenEntry, size),
		spare:  make([]seenEntry, 0, window),
	}
}

// Check reports whether p, a datagram that Codec.Open accepted, may be
// handed on at now, the receiver's clock: nil, after which the filter
// remembers it, or ErrReplayed or ErrStale, unwrapped. Plain datagrams are
// always accepted: they carry no nonce nor time, and without a key anyone
// can forge a fresh one anyway.
func (r *Replays) Check(p []byte, now time.Time) error {
	n, ok := nonce(p)
	if !ok {
		return nil
	}
	sent, ok := SentAt(p, now)
	if !ok {
		return nil
	}
	nowMS := now.UnixMilli()
	if sent < nowMS-r.skew || sent > nowMS+r.skew || sent <= r.floor {
		return ErrStale
	}
	// The nonce is random: any 64 bits of it identify a datagram, with a
	// chance of about 2^-53 per datagram of mistaking a new one for a
	// copy. The lowest bit is set so that no id is the empty slot's 0.
	// Only authentic datagrams reach here, so nobody without the key
	// chooses the ids, and they spread evenly over the table as they are.
	id := binary.LittleEndian.Uint64(n[:8]) | 1
	i := r.find(id)
	if r.table[i].id == id {
		return ErrReplayed
	}
	if r.n >= r.window {
		r.prune(nowMS)
		if sent <= r.floor {
			return ErrStale // among the oldest, and just forgotten with them
		}
		i = r.find(id)
	}
	r.table[i] = seenEntry{id: id, sent: sent}
	r.n++
	return nil
}

// find returns the slot holding id, or the empty slot where it would go.
func (r *Replays) find(id uint64) int {
	mask := uint64(len(r.table) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		if e := r.table[i].id; e == id || e == 0 {
			return int(i)
		}
	}
}

// prune forgets the datagrams that rule 1 of Replays refuses at nowMS
// anyway and, if they are fewer than a quarter of the window, the quarter
// with the oldest send times, raising the floor to the newest send time
// forgotten. Freeing a quarter at a time keeps pruning, which rebuilds the
// table, to a constant amortised cost per datagram.
func (r *Replays) prune(nowMS int64) {
	r.spare = r.spare[:0]
	for _, e := range r.table {
		if e.id != 0 {
			r.spare = append(r.spare, e)
		}
	}
	slices.SortFunc(r.spare, func(a, b seenEntry) int { return cmp.Compare(a.sent, b.sent) })
	cut := max(r.floor, nowMS-r.skew-1)
	if k := max(len(r.spare)/4, 1); r.spare[k-1].sent > cut {
		cut = r.spare[k-1].sent
		// Datagrams sealed in the same millisecond go together, as the
		// floor cannot split them. When that would forget more than half,
		// a burst in the last millisecond or so, forget only those sealed
		// before it if there are any, so as not to refuse the rest of it.
		if n := r.sentAtMost(cut); n > len(r.spare)/2 && r.spare[0].sent < cut {
			i, _ := slices.BinarySearchFunc(r.spare, cut, func(e seenEntry, t int64) int { return cmp.Compare(e.sent, t) })
			cut = max(r.spare[i-1].sent, nowMS-r.skew-1, r.floor)
		}
	}
	keep := r.spare[r.sentAtMost(cut):]
	if len(keep) < len(r.spare) {
		// Everything at or before the newest send time forgotten is
		// refused from now on; rule 1 refuses the rest of what was cut.
		r.floor = max(r.floor, r.spare[len(r.spare)-len(keep)-1].sent)
	}
	clear(r.table)
	r.n = 0
	for _, e := range keep {
		r.table[r.find(e.id)] = e
		r.n++
	}
}

// sentAtMost returns how many of the sorted spare entries were sealed at or
// before t.
func (r *Replays) sentAtMost(t int64) int {
	i, _ := slices.BinarySearchFunc(r.spare, t+1, func(e seenEntry, t int64) int { return cmp.Compare(e.sent, t) })
	return i
}
