package swim

import (
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Keyed broadcasts are repaired by anti-entropy, so that every member ends
// with the latest payload of every key even where gossip, which is best
// effort, missed one.
//
// Every member keeps a store of the latest keyed broadcast it knows of
// each origin and key, its own and those it received. Versions are
// ordered by the origin's epoch (its start time), then by broadcast id,
// so a member never delivers an older payload of a key after a newer
// one, even from an origin that restarted. The store is summed into the
// anti-entropy digest; a member whose sum differs answers with its store
// summed in 32 buckets (KeyedSums), the digest's sender pushes its
// broadcasts of the buckets that differ and answers with its own sums,
// and the first member pushes its own in turn. Each push is at most
// keyedPushPackets packets, once per digest, to a member we sent a
// digest or sums to, so a forged or replayed KeyedSums costs little.

const (
	// keyedLimit bounds the keyed broadcasts a member keeps; past it the
	// oldest go first.
	keyedLimit = 4096
	// keyedPushPackets bounds the packets of one push of keyed broadcasts.
	keyedPushPackets = 16
)

// keyedEntry is the latest keyed broadcast of one origin and key.
type keyedEntry struct {
	skey   string // broadcastKey(origin, key)
	epoch  uint64
	id     uint32
	msg    []byte // the broadcast, encoded
	at     time.Time
	bucket int
	hash   uint64
}

// keyedRef is one entry of the store's insertion order; a ref whose time
// differs from its entry's is stale (the key was updated since).
type keyedRef struct {
	skey string
	at   time.Time
}

// keyedStore holds the latest keyed broadcast of each origin and key, and
// their sums by bucket.
type keyedStore struct {
	entries map[string]*keyedEntry
	order   []keyedRef // oldest first
	sums    [wire.KeyedBuckets]uint64
}

// later reports whether the broadcast (epoch, id) of an origin follows
// (oldEpoch, oldID): a later epoch (a restarted origin numbers anew), or
// the same epoch and an id less than half the id space ahead (one origin
// numbers its broadcasts in order, wrapping).
func later(epoch uint64, id uint32, oldEpoch uint64, oldID uint32) bool {
	if epoch != oldEpoch {
		return epoch > oldEpoch
	}
	return int32(id-oldID) > 0
}

// keep stores b if it is later than the broadcast held for its origin and
// key, and returns it encoded; nil if it was not later. Only a stored
// broadcast is encoded: most that arrive are further copies of one held.
func (s *keyedStore) keep(now time.Time, b *wire.Broadcast) []byte {
	skey := broadcastKey(b.Origin, b.Key)
	if old, ok := s.entries[skey]; ok {
		if !later(b.Epoch, b.ID, old.epoch, old.id) {
			return nil
		}
		s.remove(old)
	}
	msg := wire.AppendBroadcast(nil, b)
	if s.entries == nil {
		s.entries = make(map[string]*keyedEntry)
	}
	kh := mix64(fnv64(b.Origin) ^ b.Key)
	e := &keyedEntry{skey: skey, epoch: b.Epoch, id: b.ID, msg: msg, at: now, bucket: int(kh % wire.KeyedBuckets)}
	e.hash = mix64(kh ^ mix64(b.Epoch^uint64(b.ID)<<32))
	s.entries[skey] = e
	s.sums[e.bucket] += e.hash
	s.order = append(s.order, keyedRef{skey: skey, at: now})
	for len(s.entries) > keyedLimit {
		s.popOldest()
	}
	if len(s.order) > 2*len(s.entries)+64 {
		s.compact()
	}
	return msg
}

// remove takes e out of the store; its refs go stale.
func (s *keyedStore) remove(e *keyedEntry) {
	delete(s.entries, e.skey)
	s.sums[e.bucket] -= e.hash
}

// live returns the entry ref r stands for, nil if r is stale.
func (s *keyedStore) live(r keyedRef) *keyedEntry {
	if e, ok := s.entries[r.skey]; ok && e.at.Equal(r.at) {
		return e
	}
	return nil
}

// popOldest removes the oldest entry.
func (s *keyedStore) popOldest() {
	for len(s.order) > 0 {
		r := s.order[0]
		s.order = s.order[1:]
		if e := s.live(r); e != nil {
			s.remove(e)
			return
		}
	}
}

// expire removes the entries stored longer than ttl ago.
func (s *keyedStore) expire(now time.Time, ttl time.Duration) {
	n := 0
	for _, r := range s.order {
		if now.Sub(r.at) < ttl {
			break
		}
		if e := s.live(r); e != nil {
			s.remove(e)
		}
		n++
	}
	s.order = append(s.order[:0], s.order[n:]...)
}

// compact drops the stale refs.
func (s *keyedStore) compact() {
	order := s.order[:0]
	for _, r := range s.order {
		if s.live(r) != nil {
			order = append(order, r)
		}
	}
	clear(s.order[len(order):])
	s.order = order
}

// sum is the store's digest: zero when it is empty.
func (s *keyedStore) sum() uint64 {
	var t uint64
	for _, v := range s.sums {
		t += v
	}
	if t == 0 && len(s.entries) > 0 {
		return 1 // zero means no store on the wire
	}
	return t
}

// fnv64 is FNV-1a of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// mix64 is splitmix64's finaliser: it spreads the bits before summing.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// keyedTTL is how long a keyed broadcast is kept: three quarters of the
// de-duplication window, so that no member pushes one that a member has
// forgotten it delivered, to be delivered again.
func (c *Core) keyedTTL() time.Duration {
	return c.seenTTL() * 3 / 4
}

// sendKeyedSums sends our bucket sums to to: with flags 0 in answer to
// its digest, asking for its differing broadcasts and its sums in turn;
// with KeyedReply in answer to its sums.
func (c *Core) sendKeyedSums(to netip.AddrPort, flags uint8) {
	if flags&wire.KeyedReply == 0 {
		c.solicit(to, 2*c.cfg.ProbeInterval).keyedAsked = true
	}
	b := c.packetBuf()
	b = wire.AppendKeyedSums(b, &wire.KeyedSums{From: c.self.Name, Flags: flags, Sums: c.keyed.sums[:]})
	c.limits.answerBytes += len(b)
	c.sendPacket(to, b)
}

// handleKeyedSums pushes our broadcasts of the buckets whose sums differ
// from the sender's, once per digest we sent it (the first sums) or sums
// we sent it (the reply); anything else is refused, so a forged or
// replayed KeyedSums draws nothing.
func (c *Core) handleKeyedSums(pk *packet, ks *wire.KeyedSums) {
	r, ok := c.pending[pk.from]
	if !ok || c.now.After(r.until) || c.leaving {
		c.stats.KeyedSumsRefused++
		return
	}
	reply := ks.Flags&wire.KeyedReply != 0
	switch {
	case reply && r.keyedAsked:
		r.keyedAsked = false
	case !reply && r.keyedDigest:
		r.keyedDigest = false
	default:
		c.stats.KeyedSumsRefused++
		return
	}
	var differ [wire.KeyedBuckets]bool
	any := false
	for i, s := range ks.Sums {
		if s != c.keyed.sums[i] {
			differ[i], any = true, true
		}
	}
	if !any {
		return
	}
	c.viewsDiffered = true // check again soon
	c.pushKeyed(pk.from, &differ)
	if !reply {
		c.sendKeyedSums(pk.from, wire.KeyedReply)
	}
}

// pushKeyed sends to to our keyed broadcasts of the buckets marked in
// differ, newest first, in at most keyedPushPackets packets. Those still
// queued for gossip are left to it: while a burst spreads, the stores
// differ by what is in flight, and pushing it too would send it twice.
func (c *Core) pushKeyed(to netip.AddrPort, differ *[wire.KeyedBuckets]bool) {
	budget := c.cfg.PacketBudget
	b := c.packetBuf()
	packets := 0
	for i := len(c.keyed.order) - 1; i >= 0 && packets < keyedPushPackets; i-- {
		e := c.keyed.live(c.keyed.order[i])
		if e == nil || !differ[e.bucket] || len(e.msg) > budget-1 || c.user.queued(e.skey) {
			continue
		}
		if len(b)+len(e.msg) > budget && len(b) > 1 {
			c.sendPacket(to, b)
			c.limits.answerBytes += len(b)
			c.stats.KeyedPushed++
			packets++
			b = c.packetBuf()
			if packets == keyedPushPackets {
				return
			}
		}
		b = append(b, e.msg...)
	}
	if len(b) > 1 {
		c.sendPacket(to, b)
		c.limits.answerBytes += len(b)
		c.stats.KeyedPushed++
	}
}
