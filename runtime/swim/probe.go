package swim

import (
	"net/netip"
	"slices"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Failure detection (SWIM section 3 and 4.3, Lifeguard section 4): one probe
// per protocol period, round robin over a shuffled list; a direct ping, then
// ping-req through IndirectChecks members, whose relays answer with a nack
// when their own ping times out.

// probeState is the probe of the current protocol period. Its acks and
// nacks count only if they echo nonce and come from the member probed or
// from a relay that was asked, so they can neither be forged blind nor
// replayed from a recording.
type probeState struct {
	nonce       uint64
	target      string
	addr        netip.AddrPort
	incarnation uint64
	// verified: the target has answered this member before; a member that
	// never has (perhaps a fake one) does not move the health score.
	verified bool
	acked    bool
	relays   []netip.AddrPort
	nacked   []bool // per relay, so a duplicated nack counts once
}

// ackKind says what an awaited ack belongs to.
type ackKind uint8

const (
	ackRelay  ackKind = iota + 1 // a ping we relay for another member's ping-req
	ackCheck                     // a ping that checks an address before a claim is believed
	ackVerify                    // a ping to a member learnt second-hand, to hear from it
)

// ackHandler is an awaited ack other than our own probe's, by nonce.
type ackHandler struct {
	kind ackKind
	from netip.AddrPort // the address the ack must come from
	// ackRelay: the member that asked, and the nonce of its ping-req.
	reqTo    netip.AddrPort
	reqNonce uint64
	nacked   bool
	// ackCheck: the claim to apply once the address answers.
	check *addrCheck
	// ackVerify: the member to mark verified once it answers.
	name string
}

// maxAwaited bounds the relayed pings and address checks awaited at once,
// and maxVerifying the pings to members learnt second-hand. A full table
// refuses new ones rather than overwrite an entry: whoever fills it cannot
// make us forget the acks we really wait for.
const (
	maxAwaited   = 64
	maxVerifying = 512
)

// await records an awaited ack under a fresh nonce, unless the table for
// its kind is full, and schedules its expiry.
func (c *Core) await(h ackHandler, expire time.Duration, kind timerKind) (uint64, bool) {
	limit := maxAwaited
	if h.kind == ackVerify {
		limit = maxVerifying
	}
	if c.awaiting[h.kind] >= limit {
		return 0, false
	}
	nonce := c.newNonce()
	c.acks[nonce] = h
	c.awaiting[h.kind]++
	c.schedule(c.now.Add(expire), timer{kind: kind, nonce: nonce})
	return nonce, true
}

// forget drops an awaited ack.
func (c *Core) forget(nonce uint64) {
	if h, ok := c.acks[nonce]; ok {
		delete(c.acks, nonce)
		c.awaiting[h.kind]--
	}
}

// newNonce returns a random nonce that no awaited ack uses.
func (c *Core) newNonce() uint64 {
	for {
		n := c.rng.Uint64()
		if _, busy := c.acks[n]; !busy && n != 0 && (c.probe == nil || c.probe.nonce != n) {
			return n
		}
	}
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
	c.newPeriod()
	c.verifySome()
	c.schedule(c.now.Add(c.scaled(c.cfg.ProbeInterval)), timer{kind: timerProbe})
	if c.leaving {
		return
	}
	m := c.nextProbeTarget()
	if m == nil {
		return
	}
	nonce := c.newNonce()
	c.probe = &probeState{nonce: nonce, target: m.Name, addr: m.Addr, incarnation: m.Incarnation, verified: m.verified}
	c.stats.Probes++
	b := wire.AppendHeader(nil)
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce, Target: m.Name})
	if m.State == StateSuspect {
		// Buddy system (Lifeguard 4.3): tell a suspect at once that it is
		// suspected, so it can refute before the news reaches it by gossip.
		b = wire.AppendSuspect(b, &wire.Suspect{Name: m.Name, Incarnation: m.Incarnation, From: c.self.Name})
	}
	c.sendPacket(m.Addr, c.piggyback(m.Addr, b))
	c.schedule(c.now.Add(c.scaled(c.cfg.ProbeTimeout)), timer{kind: timerProbeTimeout, nonce: nonce})
}

// probeTimeout: the direct ping went unanswered; ask others to try.
func (c *Core) probeTimeout(nonce uint64) {
	p := c.probe
	if p == nil || p.nonce != nonce || p.acked {
		return
	}
	m, ok := c.members[p.target]
	if !ok || !p.verified {
		return // a member never heard from gets no relays' effort
	}
	relays := c.randomMembers(c.cfg.IndirectChecks, func(r *member) bool {
		return r.State == StateAlive && r.verified && r != m
	})
	for _, r := range relays {
		b := wire.AppendHeader(nil)
		b = wire.AppendPingReq(b, &wire.PingReq{Nonce: nonce, Target: m.Name, Addr: m.Addr})
		c.sendPacket(r.Addr, c.piggyback(r.Addr, b))
		p.relays = append(p.relays, r.Addr)
	}
	p.nacked = make([]bool, len(p.relays))
	c.stats.IndirectProbes += uint64(len(relays))
}

// finishProbe judges the probe of the period that just ended.
func (c *Core) finishProbe() {
	p := c.probe
	if p == nil {
		return
	}
	c.probe = nil
	if p.acked {
		return
	}
	c.stats.FailedProbes++
	// Lifeguard: every relay that neither acked nor nacked is a hint that we
	// are the slow one; with no relays at all, the failed probe is. A
	// target that never answered us may not exist at all: failing to reach
	// it says nothing of our health.
	if p.verified {
		nacks := 0
		for _, n := range p.nacked {
			if n {
				nacks++
			}
		}
		if len(p.relays) > 0 {
			c.adjustHealth(len(p.relays) - nacks)
		} else {
			c.adjustHealth(1)
		}
	}
	m, ok := c.members[p.target]
	if !ok || m.Incarnation != p.incarnation || m.State > StateSuspect {
		return
	}
	c.onSuspect(m.Name, m.Incarnation, c.self.Name)
}

// handlePing answers a ping addressed to us, echoing its nonce.
func (c *Core) handlePing(from netip.AddrPort, p *wire.Ping) {
	if p.Target != "" && p.Target != c.self.Name {
		return // meant for a member that used to be at our address
	}
	b := wire.AppendHeader(nil)
	b = wire.AppendAck(b, &wire.Ack{Nonce: p.Nonce})
	c.sendPacket(from, c.piggyback(from, b))
}

// handlePingReq pings a target on a member's behalf. The target must be a
// member we know at that address, so a ping-req cannot aim our pings at an
// address of the sender's choosing; when we cannot help (leaving, unknown
// target, too many relays awaited) we nack at once, so that the requester
// does not take our silence for its own slowness.
func (c *Core) handlePingReq(from netip.AddrPort, r *wire.PingReq) {
	t, known := c.byAddr[r.Addr]
	switch {
	case c.leaving || !known || t.Name != r.Target || t == c.self:
		c.stats.PingReqsRefused++
		c.sendNack(from, r.Nonce)
		return
	}
	nonce, ok := c.await(ackHandler{kind: ackRelay, from: r.Addr, reqTo: from, reqNonce: r.Nonce}, c.cfg.ProbeInterval, timerRelayForget)
	if !ok {
		c.stats.PingReqsRefused++
		c.sendNack(from, r.Nonce)
		return
	}
	b := wire.AppendHeader(nil)
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce, Target: r.Target})
	c.sendPacket(r.Addr, c.piggyback(r.Addr, b))
	c.schedule(c.now.Add(c.relayTimeout()), timer{kind: timerRelayTimeout, nonce: nonce})
}

// relayTimeout is how long a relay waits before it nacks. The requester
// sends its ping-req ProbeTimeout into a period of ProbeInterval and judges
// the probe at the period's end, so the nack must come back within the rest
// of the period; waiting a full ProbeTimeout, as the incumbent does, makes
// it arrive just too late and turns every nack into a missed one. The
// window is never shorter than a tenth of the probe timeout, however
// ProbeTimeout and ProbeInterval are set.
func (c *Core) relayTimeout() time.Duration {
	return max(min(c.cfg.ProbeTimeout, c.cfg.ProbeInterval-c.cfg.ProbeTimeout)*4/5, c.cfg.ProbeTimeout/10)
}

// relayExpired: a relayed ping went unanswered so far; tell the requester.
// The relay still waits for the ack until the requester's window is over
// (timerRelayForget): a late ack still reaches it in time to count.
func (c *Core) relayExpired(nonce uint64) {
	h, ok := c.acks[nonce]
	if !ok || h.kind != ackRelay || h.nacked {
		return
	}
	h.nacked = true
	c.acks[nonce] = h
	c.sendNack(h.reqTo, h.reqNonce)
}

// relayForget drops a relayed ping whose requester has judged its probe.
func (c *Core) relayForget(nonce uint64) {
	if h, ok := c.acks[nonce]; ok && h.kind == ackRelay {
		c.forget(nonce)
	}
}

// verifyPerPeriod bounds the members verifySome pings per protocol period.
const verifyPerPeriod = 128

// verifySome pings a few alive members not heard from yet (those that the
// table of verifications had no room for when they were learnt), going
// round the member list from where it stopped.
func (c *Core) verifySome() {
	n := len(c.nodes)
	for i, sent := 0, 0; i < n && sent < verifyPerPeriod && c.awaiting[ackVerify] < maxVerifying; i++ {
		c.verifyIdx = (c.verifyIdx + 1) % n
		m := c.nodes[c.verifyIdx]
		if !m.verified && m.State == StateAlive && !c.verifyingAddr(m.Addr) {
			c.verify(m)
			sent++
		}
	}
}

// verifyingAddr reports whether a verification ping to addr is awaited.
func (c *Core) verifyingAddr(addr netip.AddrPort) bool {
	for _, h := range c.acks {
		if h.kind == ackVerify && h.from == addr {
			return true
		}
	}
	return false
}

// verify pings a member learnt second-hand, so that it becomes a gossip,
// relay and sync target as soon as it answers rather than when its turn
// to be probed comes. A fake one never answers and never becomes one.
func (c *Core) verify(m *member) {
	nonce, ok := c.await(ackHandler{kind: ackVerify, from: m.Addr, name: m.Name}, c.cfg.ProbeInterval, timerCheckExpire)
	if !ok {
		return
	}
	b := wire.AppendHeader(nil)
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce, Target: m.Name})
	c.sendPacket(m.Addr, b)
}

func (c *Core) sendNack(to netip.AddrPort, nonce uint64) {
	b := wire.AppendHeader(nil)
	b = wire.AppendNack(b, &wire.Nack{Nonce: nonce})
	c.sendPacket(to, b)
}

// handleAck counts an ack that echoes an awaited nonce and comes from the
// address it was awaited from; any other is dropped and counted.
func (c *Core) handleAck(from netip.AddrPort, nonce uint64) {
	if p := c.probe; p != nil && p.nonce == nonce {
		if from != p.addr && !slices.Contains(p.relays, from) {
			c.stats.AcksRejected++
			return
		}
		if !p.acked {
			p.acked = true
			if p.verified {
				c.adjustHealth(-1)
			}
			if m, ok := c.members[p.target]; ok && m.Addr == p.addr {
				c.markVerified(m)
			}
		}
		return
	}
	h, ok := c.acks[nonce]
	if !ok || from != h.from {
		c.stats.AcksRejected++
		return
	}
	c.forget(nonce)
	switch h.kind {
	case ackRelay:
		b := wire.AppendHeader(nil)
		b = wire.AppendAck(b, &wire.Ack{Nonce: h.reqNonce})
		c.sendPacket(h.reqTo, b)
	case ackCheck:
		c.checkPassed(h.check)
	case ackVerify:
		if m, ok := c.members[h.name]; ok && m.Addr == from {
			c.markVerified(m)
		}
	}
}

// handleNack counts a nack from a relay we asked, once per relay.
func (c *Core) handleNack(from netip.AddrPort, nonce uint64) {
	p := c.probe
	if p == nil || p.nonce != nonce {
		c.stats.AcksRejected++
		return
	}
	i := slices.Index(p.relays, from)
	if i < 0 {
		c.stats.AcksRejected++
		return
	}
	p.nacked[i] = true
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
