package swim

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// The probe schedule. SWIM's shuffled round robin bounds how long one
// member takes to probe a given other (a round), but with every member
// shuffling on its own, the probes a given member receives arrive at
// random: about one a period on average, yet none for half a second one
// time in twelve at periods of 200 ms. A crashed member waits for its
// first probe before anyone suspects it, so that wait is the tail of crash
// detection. Here a healthy member instead probes by a schedule all share:
// the M members in name order hold places 0 to M-1, and in protocol period
// p (counted on the clock from the Unix epoch, so members with clocks in
// step agree on it) the members at places i and p-i (mod M) probe each
// other. For a given p that pairs every member with one other, but for at
// most two left without a partner, who probe the next member of their own
// shuffled round: so every member is probed about once a period, and over
// M periods each member still meets every other once. Views that differ
// (during joins) or clocks out of step make some members probed twice and
// others not in a period, which is how the shuffled round robin behaves
// anyway. A member whose health score is raised keeps to its own round
// (nextProbeTarget): its slowed periods would skip places of the schedule.

// inSchedule reports whether m is worth probing: whether it belongs in
// the ring, and stays in the shuffled round.
func inSchedule(m *member) bool {
	return !m.gone && m.verified && (m.State == StateAlive || m.State == StateSuspect)
}

// ringPlace is where a member named name is, or would go, in the ring.
func (c *Core) ringPlace(name string) int {
	i, _ := slices.BinarySearchFunc(c.ring, name, func(m *member, name string) int {
		return strings.Compare(m.Name, name)
	})
	return i
}

// reschedule puts m into the ring or takes it out, as its record now
// says; every change to what inSchedule reads calls it.
func (c *Core) reschedule(m *member) {
	if m == c.self || m.inRing == inSchedule(m) {
		return
	}
	i := c.ringPlace(m.Name)
	if m.inRing = !m.inRing; m.inRing {
		c.ring = slices.Insert(c.ring, i, m)
		if m.Name < c.self.Name {
			c.selfPlace++
		}
	} else {
		c.ring = slices.Delete(c.ring, i, i+1)
		if m.Name < c.self.Name {
			c.selfPlace--
		}
	}
}

// periodAt is the schedule's period for a probe tick at t: the clock's,
// or the one after the last, whichever is later. Ticks are a period or
// more apart on the monotonic clock, but periods are counted on the wall
// clock, which may be stepped back; a member then keeps its own count
// rather than probe the same partner again.
func (c *Core) periodAt(t time.Time) int64 {
	return max(t.UnixNano()/int64(c.cfg.ProbeInterval), c.lastPeriod+1)
}

// partnerIn returns this member's partner in period, nil if it has none.
func (c *Core) partnerIn(period int64) *member {
	if len(c.ring) == 0 {
		return nil
	}
	// Self, not in the ring, sits at place s of the M places.
	s, places := c.selfPlace, int64(len(c.ring)+1)
	q := int(((period-int64(s))%places + places) % places)
	switch {
	case q == s:
		return nil
	case q > s:
		q-- // the places after self are shifted by one in the ring
	}
	return c.ring[q]
}

// scheduledTarget returns this member's partner in the period of the
// current tick, nil if it has none.
func (c *Core) scheduledTarget() *member {
	c.lastPeriod = c.periodAt(c.now)
	return c.partnerIn(c.lastPeriod)
}

// A pair probes each other with three datagrams, not four. The partner
// whose tick comes first pings; the other, if its own tick is less than
// half a period away, puts its ping to the partner in the ack
// (appendPairPing), and when the partner's ack to that came less than half
// a period before its tick, the tick sends nothing (pairedProbe). An older
// answer is not taken: a partner that crashed after giving it would be
// found out a period late. The early ping carries its own nonce, so an
// ack to it proves the partner alive just as a probe's does; a forged or
// replayed ping from the partner's address buys nothing but that ping,
// once a period. Neither side pairs while news waits to be sent
// (hasNews).
//
// Over 300 simulated crashes of 32 members at 200 ms periods (100 runs of
// three crashes), the mean of the runs' median detection time (the
// bench's measure) was 1.620 s with shuffled rounds, 1.571 s with the
// schedule and no pairing, and 1.595 s with pairing, which sent 17 % fewer
// datagrams over the runs; p90 1.91, 1.70 and 1.72 s. Steady traffic at
// the LAN preset (1 s periods), per member and second: 74.8 bytes without
// pairing, 65.0 with it at 32 members; 73.9 and 63.3 at 128.

// pairCheck is the early ping of the period to come.
type pairCheck struct {
	period int64
	want   uint32 // binds the partner's name (nameTag)
	addr   netip.AddrPort
	acked  bool
	at     time.Time // when the ack came
}

// appendPairPing appends to the ack in b a ping to the member at from, if
// it is this member's partner in the period of its next tick, that tick is
// less than half a period away, and no ping went to it early for that
// period yet.
func (c *Core) appendPairPing(b []byte, from netip.AddrPort) []byte {
	until := c.nextTick.Sub(c.now) // not positive before the first tick
	if c.health != 0 || c.leaving || until <= 0 || until > c.cfg.ProbeInterval/2 || c.hasNews() {
		return b
	}
	m, ok := c.byAddr[from]
	if !ok || !m.inRing || m.State != StateAlive {
		return b
	}
	period := c.periodAt(c.nextTick)
	if c.pair.period == period || c.partnerIn(period) != m {
		return b
	}
	h := ackHandler{kind: ackPair, from: m.Addr, name: m.Name, sentAt: c.now, askCoord: c.wantCoord(m)}
	nonce, ok := c.await(h, m.Name, c.cfg.ProbeInterval, timerCheckExpire)
	if !ok {
		return b
	}
	c.pair = pairCheck{period: period, want: nonce ^ nameTag(m.Name), addr: m.Addr}
	return wire.AppendPing(b, &wire.Ping{Nonce: nonce})
}

// pairAcked records the partner's ack to the early ping.
func (c *Core) pairAcked(h ackHandler, want uint32, coord []byte) {
	if c.pair.want == want {
		c.pair.acked = true
		c.pair.at = c.now
	}
	c.sample(h.name, c.now.Sub(h.sentAt), coord)
}

// pairedProbe reports whether m, the target of the tick that just started
// a period, answered this period's early ping less than half a period ago.
func (c *Core) pairedProbe(m *member) bool {
	done := c.pair.acked && c.pair.period == c.lastPeriod && c.pair.addr == m.Addr &&
		c.now.Sub(c.pair.at) <= c.cfg.ProbeInterval/2 && !c.hasNews()
	c.pair = pairCheck{}
	return done
}

// hasNews reports whether news or user broadcasts wait to be sent. A pair
// shares datagrams only while none do: the datagram saved would have
// carried them. Saved during a wave of joins anyway, it cost the wave's
// news a quarter of the probes' room, and in the simulator one join in
// 1,024 joining 15 ms apart went unseen by some member for 1.3 to 6.1 s
// (3 of 6 seeds; none of 4 with pairing off).
func (c *Core) hasNews() bool {
	return c.news.len() > 0 || c.user.len() > 0
}
