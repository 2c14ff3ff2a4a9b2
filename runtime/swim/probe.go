package swim

import (
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Failure detection (SWIM section 3 and 4.3, Lifeguard section 4): one probe
// per protocol period, round robin over a shuffled list; a direct ping, then
// ping-req through IndirectChecks members, whose relays answer with a nack
// when their own ping times out.

// probeState is the probe of the current protocol period.
type probeState struct {
	seq           uint16
	target        string
	incarnation   uint64
	acked         bool
	expectedNacks int
	nacks         int
}

// ackKind says what an awaited ack belongs to.
type ackKind uint8

const (
	ackProbe ackKind = iota + 1 // our own probe, direct or through relays
	ackRelay                    // a ping we relay for another member's ping-req
)

// ackHandler is an awaited ack, by sequence number.
type ackHandler struct {
	kind   ackKind
	reqTo  netip.AddrPort // ackRelay: the member that asked
	reqSeq uint16         // ackRelay: its sequence number
}

// seqSpace is how many sequence numbers a core cycles through. Below 128 a
// sequence number is one byte on the wire (a MessagePack fixint) instead of
// three, which saves four bytes of every ping and ack: about 5% of a quiet
// cluster's traffic. A core has only a handful of acks outstanding at once
// (one probe and the pings it relays, each for under a protocol period),
// and nextSeq skips numbers still awaited, so the small space is enough.
const seqSpace = 128

// nextSeq returns a sequence number no outstanding ack is waiting on.
func (c *Core) nextSeq() uint16 {
	for range seqSpace {
		c.seq = (c.seq + 1) % seqSpace
		if _, busy := c.acks[c.seq]; !busy {
			break
		}
	}
	return c.seq
}

// addToProbeList puts a member at a random place in the probe round, so a
// newcomer is probed within one round but not in a predictable slot.
func (c *Core) addToProbeList(m *member) {
	if m.probeIn {
		return
	}
	m.probeIn = true
	c.probeList = append(c.probeList, m)
	last := len(c.probeList) - 1
	lo := c.probeIdx
	if lo > last {
		lo = last
	}
	i := lo + c.rng.IntN(last-lo+1)
	c.probeList[i], c.probeList[last] = c.probeList[last], c.probeList[i]
}

// nextProbeTarget returns the next member of the round to probe, reshuffling
// at the end of each round and dropping members that are dead, left or gone.
func (c *Core) nextProbeTarget() *member {
	for range 2 {
		for c.probeIdx < len(c.probeList) {
			m := c.probeList[c.probeIdx]
			c.probeIdx++
			if !m.gone && (m.State == StateAlive || m.State == StateSuspect) {
				return m
			}
		}
		// New round: keep the members worth probing, in a new order.
		kept := c.probeList[:0]
		for _, m := range c.probeList {
			if !m.gone && (m.State == StateAlive || m.State == StateSuspect) {
				kept = append(kept, m)
			} else {
				m.probeIn = false
			}
		}
		clear(c.probeList[len(kept):])
		c.probeList = kept
		c.rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
		c.probeIdx = 0
		if len(kept) == 0 {
			return nil
		}
	}
	return nil
}

// probeTick ends the current protocol period and starts the next.
func (c *Core) probeTick() {
	c.finishProbe()
	c.schedule(c.now.Add(c.scaled(c.cfg.ProbeInterval)), timer{kind: timerProbe})
	if c.leaving {
		return
	}
	m := c.nextProbeTarget()
	if m == nil {
		return
	}
	seq := c.nextSeq()
	c.probe = &probeState{seq: seq, target: m.Name, incarnation: m.Incarnation}
	c.acks[seq] = ackHandler{kind: ackProbe}
	c.stats.Probes++
	b := wire.AppendHeader(nil)
	b = wire.AppendPing(b, &wire.Ping{Seq: seq, Target: m.Name})
	if m.State == StateSuspect {
		// Buddy system (Lifeguard 4.3): tell a suspect at once that it is
		// suspected, so it can refute before the news reaches it by gossip.
		b = wire.AppendSuspect(b, &wire.Suspect{Name: m.Name, Incarnation: m.Incarnation, From: c.self.Name})
	}
	c.sendPacket(m.Addr, c.piggyback(b))
	c.schedule(c.now.Add(c.scaled(c.cfg.ProbeTimeout)), timer{kind: timerProbeTimeout, seq: seq})
}

// probeTimeout: the direct ping went unanswered; ask others to try.
func (c *Core) probeTimeout(seq uint16) {
	p := c.probe
	if p == nil || p.seq != seq || p.acked {
		return
	}
	m, ok := c.members[p.target]
	if !ok {
		return
	}
	relays := c.randomMembers(c.cfg.IndirectChecks, func(r *member) bool {
		return r.State == StateAlive && r != m
	})
	for _, r := range relays {
		b := wire.AppendHeader(nil)
		b = wire.AppendPingReq(b, &wire.PingReq{Seq: seq, Target: m.Name, Addr: m.Addr})
		c.sendPacket(r.Addr, c.piggyback(b))
	}
	p.expectedNacks = len(relays)
	c.stats.IndirectProbes += uint64(len(relays))
}

// finishProbe judges the probe of the period that just ended.
func (c *Core) finishProbe() {
	p := c.probe
	if p == nil {
		return
	}
	c.probe = nil
	delete(c.acks, p.seq)
	if p.acked {
		return
	}
	c.stats.FailedProbes++
	// Lifeguard: every relay that neither acked nor nacked is a hint that we
	// are the slow one; with no relays at all, the failed probe is.
	if p.expectedNacks > 0 {
		c.adjustHealth(p.expectedNacks - p.nacks)
	} else {
		c.adjustHealth(1)
	}
	m, ok := c.members[p.target]
	if !ok || m.Incarnation != p.incarnation || m.State > StateSuspect {
		return
	}
	c.onSuspect(m.Name, m.Incarnation, c.self.Name)
}

// handlePing answers a ping addressed to us.
func (c *Core) handlePing(from netip.AddrPort, p *wire.Ping) {
	if p.Target != "" && p.Target != c.self.Name {
		return // meant for a member that used to be at our address
	}
	b := wire.AppendHeader(nil)
	b = wire.AppendAck(b, &wire.Ack{Seq: p.Seq})
	c.sendPacket(from, c.piggyback(b))
}

// handlePingReq pings a target on another member's behalf.
func (c *Core) handlePingReq(from netip.AddrPort, r *wire.PingReq) {
	if c.leaving {
		return
	}
	seq := c.nextSeq()
	c.acks[seq] = ackHandler{kind: ackRelay, reqTo: from, reqSeq: r.Seq}
	b := wire.AppendHeader(nil)
	b = wire.AppendPing(b, &wire.Ping{Seq: seq, Target: r.Target})
	c.sendPacket(r.Addr, c.piggyback(b))
	c.schedule(c.now.Add(c.relayTimeout()), timer{kind: timerRelayTimeout, seq: seq})
}

// relayTimeout is how long a relay waits before it nacks. The requester
// sends its ping-req ProbeTimeout into a period of ProbeInterval and judges
// the probe at the period's end, so the nack must come back within the rest
// of the period; waiting a full ProbeTimeout, as the incumbent does, makes
// it arrive just too late and turns every nack into a missed one.
func (c *Core) relayTimeout() time.Duration {
	return min(c.cfg.ProbeTimeout, c.cfg.ProbeInterval-c.cfg.ProbeTimeout) * 4 / 5
}

// relayExpired: a relayed ping went unanswered; tell the requester.
func (c *Core) relayExpired(seq uint16) {
	h, ok := c.acks[seq]
	if !ok || h.kind != ackRelay {
		return
	}
	delete(c.acks, seq)
	b := wire.AppendHeader(nil)
	b = wire.AppendNack(b, &wire.Nack{Seq: h.reqSeq})
	c.sendPacket(h.reqTo, b)
}

func (c *Core) handleAck(seq uint16) {
	h, ok := c.acks[seq]
	if !ok {
		return
	}
	delete(c.acks, seq)
	switch h.kind {
	case ackProbe:
		if p := c.probe; p != nil && p.seq == seq && !p.acked {
			p.acked = true
			c.adjustHealth(-1)
		}
	case ackRelay:
		b := wire.AppendHeader(nil)
		b = wire.AppendAck(b, &wire.Ack{Seq: h.reqSeq})
		c.sendPacket(h.reqTo, b)
	}
}

func (c *Core) handleNack(seq uint16) {
	if p := c.probe; p != nil && p.seq == seq && !p.acked {
		p.nacks++
	}
}

// randomMembers picks up to k distinct members other than self that pass
// keep, uniformly at random.
func (c *Core) randomMembers(k int, keep func(*member) bool) []*member {
	if k <= 0 || len(c.nodes) == 0 {
		return nil
	}
	var out []*member
	// Rejection sampling is cheap while most members qualify; a bounded
	// number of tries keeps it O(k) even when few do.
	for tries := 0; len(out) < k && tries < 3*k+8; tries++ {
		m := c.nodes[c.rng.IntN(len(c.nodes))]
		if !keep(m) || containsMember(out, m) {
			continue
		}
		out = append(out, m)
	}
	if len(out) < k {
		// Few qualify: take them from a full pass, starting at random.
		start := c.rng.IntN(len(c.nodes))
		for i := range c.nodes {
			m := c.nodes[(start+i)%len(c.nodes)]
			if len(out) == k {
				break
			}
			if keep(m) && !containsMember(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func containsMember(ms []*member, m *member) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// recentlyDead reports whether m died recently enough to still get gossip.
func (c *Core) recentlyDead(m *member, window time.Duration) bool {
	return m.State == StateDead && c.now.Sub(m.Since) < window
}
