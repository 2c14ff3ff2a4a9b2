package swim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Failure detection (SWIM section 3 and 4.3, Lifeguard section 4): one probe
// per protocol period, of this period's partner in the probe schedule
// (schedule.go) or round robin over a shuffled list; a direct ping, then
// ping-req through IndirectChecks members, whose relays answer with a nack
// when their own ping times out.

// probeState is the probe of the current protocol period. Its acks and
// nacks count only if they echo nonce and come from the member probed or
// from a relay that was asked, so they can neither be forged blind nor
// replayed from a recording.
type probeState struct {
	nonce       uint32 // sent in the ping; relays echo it in nacks
	want        uint32 // the ack that counts: nonce XOR the target's tag
	target      string
	addr        netip.AddrPort
	incarnation uint64
	// verified: the target has answered this member before; a member that
	// never has (perhaps a fake one) does not move the health score.
	verified bool
	acked    bool
	sentAt   time.Time
	// end is when the period ends and the probe is judged; streamed, that
	// a stream probe was asked for (see StreamProbe).
	end      time.Time
	streamed bool
	relays   []netip.AddrPort
	nacked   []bool    // per relay, so a duplicated nack counts once
	reqAt    time.Time // when the relays were asked
	// late: a timer of this probe ran late, so this member was short of
	// CPU while it waited, and a failure is not the target's (see
	// finishProbe).
	late bool
}

// ackKind says what an awaited ack belongs to.
type ackKind uint8

const (
	ackRelay  ackKind = iota + 1 // a ping we relay for another member's ping-req
	ackCheck                     // a ping that checks an address before a claim is believed
	ackVerify                    // a ping to a member learnt second-hand, to hear from it
	ackPing                      // a ping the application asked for (Core.Ping)
	ackPair                      // a ping to this period's partner in an ack (appendPairPing)
	ackKinds                     // the number of kinds, plus one
)

// ackHandler is an awaited ack other than our own probe's, by nonce.
type ackHandler struct {
	kind ackKind
	from netip.AddrPort // the address the ack must come from
	// ackRelay: the member that asked, the nonce of its ping-req, and the
	// ack to forward to it.
	reqTo    netip.AddrPort
	reqNonce uint32
	reqAck   uint32
	nacked   bool
	// ackCheck: the claim to apply once the address answers.
	check *addrCheck
	// ackVerify, ackPing: the member pinged.
	name string
	// ackPing, ackPair: when the ping left.
	sentAt time.Time
	// askCoord: the ping asks for the member's coordinate (wantCoord).
	askCoord bool
}

// maxAwaited bounds the relayed pings and address checks awaited at once,
// and maxVerifying the pings to members learnt second-hand. A full table
// refuses new ones rather than overwrite an entry: whoever fills it cannot
// make us forget the acks we really wait for.
const (
	maxAwaited   = 64
	maxVerifying = 512
)

// await records an ack awaited from the member named name, unless the
// table for its kind is full, and schedules its expiry. It returns the
// nonce to put in the ping.
func (c *Core) await(h ackHandler, name string, expire time.Duration, kind timerKind) (uint32, bool) {
	limit := maxAwaited
	if h.kind == ackVerify {
		limit = maxVerifying
	}
	if c.awaiting[h.kind] >= limit {
		return 0, false
	}
	nonce, want := c.newNonce(name, h.askCoord)
	c.acks[want] = h
	c.awaiting[h.kind]++
	if h.kind == ackVerify {
		c.verifying[h.from]++
	}
	c.schedule(c.now.Add(expire), timer{kind: kind, key: uint64(want)})
	return nonce, true
}

// forget drops an awaited ack.
func (c *Core) forget(want uint32) {
	if h, ok := c.acks[want]; ok {
		delete(c.acks, want)
		c.awaiting[h.kind]--
		if h.kind == ackVerify {
			if c.verifying[h.from]--; c.verifying[h.from] == 0 {
				delete(c.verifying, h.from)
			}
		}
	}
}

// nameTag is the 32-bit tag of a member name that an ack binds in: FNV-1a.
func nameTag(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h
}

// newNonce returns a random nonce for a ping to the member named name and
// the ack that answers it, one no awaited ack uses. The nonce's lowest bit
// asks for the pinged member's coordinate on the ack (wantCoord).
func (c *Core) newNonce(name string, wantCoord bool) (nonce, want uint32) {
	tag := nameTag(name)
	for {
		nonce = c.rng.Uint32() &^ 1
		if wantCoord {
			nonce |= 1
		}
		want = nonce ^ tag
		if _, busy := c.acks[want]; !busy && (c.probe == nil || c.probe.want != want) {
			return nonce, want
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

// nextProbeTarget returns the member to probe: the schedule's while the
// health score is zero (schedule.go), else the next member of this
// member's own round, reshuffled at the end of each round, which drops
// members that are dead, left or gone.
func (c *Core) nextProbeTarget() *member {
	if m := c.retry; m != nil {
		c.retry = nil
		if inSchedule(m) {
			return m
		}
	}
	c.retries = 0 // a new target: its failures count afresh
	if c.health == 0 {
		// The round moves only when the schedule leaves us without a
		// partner, about once in M periods, while every new member is
		// added to it: start a new one, which drops the departed, once
		// they could be half of it.
		if len(c.probeList) > 2*len(c.ring)+16 {
			c.newRound()
		}
		if m := c.scheduledTarget(); m != nil {
			return m
		}
	}
	for range 2 {
		for c.probeIdx < len(c.probeList) {
			m := c.probeList[c.probeIdx]
			c.probeIdx++
			if inSchedule(m) {
				return m
			}
		}
		if c.newRound() == 0 {
			return nil
		}
	}
	return nil
}

// newRound starts a new round of the shuffled list: the members worth
// probing, in a new order. It returns how many there are.
func (c *Core) newRound() int {
	kept := c.probeList[:0]
	for _, m := range c.probeList {
		if inSchedule(m) {
			kept = append(kept, m)
		} else {
			m.probeIn = false
		}
	}
	clear(c.probeList[len(kept):])
	c.probeList = kept
	c.rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
	c.probeIdx = 0
	return len(kept)
}

// probeTick ends the current protocol period and starts the next.
func (c *Core) probeTick() {
	if c.firedLate {
		c.probeRanLate()
	}
	c.finishProbe()
	c.syncIfGrowing()
	c.newPeriod()
	c.verifySome()
	end := c.now.Add(c.scaled(c.cfg.ProbeInterval))
	c.schedule(end, timer{kind: timerProbe})
	c.nextTick = end
	if c.leaving {
		return
	}
	m := c.nextProbeTarget()
	if m == nil {
		return
	}
	// One probe is under way at a time, and the last was judged above
	// (finishProbe): its record is reused, an allocation a period saved.
	p := &c.probeSlot
	paired := c.pairedProbe(m)
	var nonce, want uint32
	if !paired {
		nonce, want = c.newNonce(m.Name, c.wantCoord(m))
	}
	*p = probeState{nonce: nonce, want: want, target: m.Name, addr: m.Addr, incarnation: m.Incarnation, verified: m.verified, acked: paired, sentAt: c.now, end: end, relays: p.relays[:0], nacked: p.nacked[:0]}
	c.probe = p
	c.stats.Probes++
	if paired {
		// Answered already (schedule.go): nothing to send this period.
		c.stats.PairedProbes++
		c.adjustHealth(-1)
		return
	}
	b := c.packetBuf()
	if m.State == StateSuspect {
		// Buddy system (Lifeguard 4.3): tell a suspect at once that it is
		// suspected, so it can refute before the news reaches it by
		// gossip. The accusation goes before the ping, so that the
		// refutation is queued by the time the ack is written and rides
		// on it.
		b = wire.AppendSuspect(b, &wire.Suspect{Name: m.Name, Incarnation: m.Incarnation, From: c.self.Name})
	}
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce})
	c.sendPacket(m.Addr, c.piggyback(m.Addr, b))
	c.schedule(c.now.Add(c.scaled(c.cfg.ProbeTimeout)), timer{kind: timerProbeTimeout, key: uint64(want)})
}

// probeTimeout: the direct ping went unanswered; ask others to try.
func (c *Core) probeTimeout(want uint32) {
	p := c.probe
	if p == nil || p.want != want || p.acked {
		return
	}
	if c.firedLate {
		c.probeRanLate()
	}
	m, ok := c.members[p.target]
	if !ok || !p.verified {
		return // a member never heard from gets no relays' effort
	}
	relays := c.randomMembers(c.cfg.IndirectChecks, func(r *member) bool {
		return r.State == StateAlive && r.verified && r != m
	})
	for _, r := range relays {
		b := c.packetBuf()
		b = wire.AppendPingReq(b, &wire.PingReq{Nonce: p.nonce, Target: m.Name, Addr: m.Addr})
		c.sendPacket(r.Addr, c.piggyback(r.Addr, b))
		p.relays = append(p.relays, r.Addr)
	}
	for range p.relays {
		p.nacked = append(p.nacked, false)
	}
	p.reqAt = c.now
	c.stats.IndirectProbes += uint64(len(relays))
	if !c.cfg.DisableTCPProbe {
		// TCP fallback (the incumbent's, hashicorp/memberlist#226): where
		// UDP is filtered or lossy but streams get through, the target
		// answers over a stream and is not suspected.
		p.streamed = true
		c.stats.StreamProbes++
		c.out.StreamProbes = append(c.out.StreamProbes, StreamProbe{Name: m.Name, Addr: m.Addr, Token: p.want, Deadline: p.end})
	}
}

// StreamProbeResult tells the core how a stream probe it asked for in
// Ready ended: ok when the member named in it answered over the stream.
// A success counts as an ack of the current probe, as an indirect one
// would, health score included: the target answered, so the probe
// succeeded and the relays' missing nacks are not held against this
// member. A result for a probe already judged, or a token the core never
// handed out, changes nothing.
func (c *Core) StreamProbeResult(now time.Time, token uint32, ok bool) {
	c.advance(now)
	p := c.probe
	if p == nil || !p.streamed || p.want != token {
		return
	}
	p.streamed = false // one result per request
	if !ok {
		c.stats.StreamProbesFailed++
		return
	}
	if p.acked {
		return // an ack over UDP came first: UDP works
	}
	p.acked = true
	c.stats.StreamProbeAcks++
	if p.verified {
		c.adjustHealth(-1)
	}
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
	nacks := 0
	for _, n := range p.nacked {
		if n {
			nacks++
		}
	}
	if p.verified {
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
	if (p.late || c.relaysSilent(p, nacks)) && c.retries < maxInconclusive {
		// Our own timers or input ran late while we waited, and the ack
		// may sit unread in our socket; or we asked relays and none
		// answered at all, not even with a nack, which a relay sends when
		// the target does not answer it either (or at once, when it
		// cannot help): our ping-reqs or their answers were lost, or the
		// relays were as short of CPU as we may be. Any nack shows that
		// our side is reached; silence says more about our side than
		// about the target. Every accusation (or confirmation of one)
		// costs the whole cluster news to spread, and on a saturated
		// machine those were what kept it saturated; so the probe is
		// inconclusive, and the same member is probed again next period.
		// A crash is detected at most maxInconclusive periods later, and
		// only while this member is short of CPU or cut off from its
		// relays. With 1,280 members starting one after another in one
		// process (S4), accusations made 487,000 suspicions by the 43 s
		// cap, when 1,172 had started; with silent relays inconclusive,
		// 6,800, and all 1,280 converged, in 28 to 35 s over four trials.
		c.stats.InconclusiveProbes++
		c.retries++
		c.retry = m
		return
	}
	c.onSuspect(m.Name, m.Incarnation, c.self.Name)
}

// relaysSilent reports whether the relays of probe p were asked in time
// to answer within the period and none did: none nacked (an ack through
// one would have made the probe succeed). A relay nacks once its own ping
// has gone unanswered for relayTimeout; a tenth of ProbeTimeout is left
// for the round trip and for timers run late, as isLate allows. With
// ProbeTimeout close to ProbeInterval (Validate allows four fifths) the
// nacks cannot come back in time, and their absence says nothing. The
// relays are taken to share our timings, as the members of one cluster
// do.
func (c *Core) relaysSilent(p *probeState, nacks int) bool {
	return len(p.relays) > 0 && nacks == 0 && c.now.Sub(p.reqAt) >= c.relayTimeout()+c.cfg.ProbeTimeout/10
}

// maxInconclusive is how many probes of one member in a row may be
// inconclusive (see finishProbe): a member whose own delays never end
// still accuses a member that never answers.
const maxInconclusive = 2

// handlePing answers a ping, binding our name into the ack: a ping meant
// for a member that used to be at our address gets an ack its sender does
// not count. A member's ping that gives us a token (a verification ping)
// gets one back, so that from then on each believes the other's news of
// new members.
func (c *Core) handlePing(pk *packet, p *wire.Ping) {
	ack := wire.Ack{Nonce: p.Nonce ^ c.selfTag}
	if p.Nonce&1 == 1 {
		ack.Coord = appendCoord(nil, c.viv.coord) // asked for
	}
	b := c.packetBuf()
	b = wire.AppendAck(b, &ack)
	b = c.appendPairPing(b, pk.from)
	if pk.trusting {
		b = c.fillFor(pk.sender, b, true)
	} else {
		b = c.piggyback(pk.from, b)
	}
	c.sendPacket(pk.from, b)
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
	h := ackHandler{kind: ackRelay, from: r.Addr, reqTo: from, reqNonce: r.Nonce, reqAck: r.Nonce ^ nameTag(r.Target)}
	nonce, ok := c.await(h, r.Target, c.cfg.ProbeInterval, timerRelayForget)
	if !ok {
		c.stats.PingReqsRefused++
		c.sendNack(from, r.Nonce)
		return
	}
	b := c.packetBuf()
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce})
	c.sendPacket(r.Addr, c.piggyback(r.Addr, b))
	c.schedule(c.now.Add(c.relayTimeout()), timer{kind: timerRelayTimeout, key: uint64(nonce ^ nameTag(r.Target))})
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
func (c *Core) relayExpired(want uint32) {
	h, ok := c.acks[want]
	if !ok || h.kind != ackRelay || h.nacked {
		return
	}
	h.nacked = true
	c.acks[want] = h
	c.sendNack(h.reqTo, h.reqNonce)
}

// relayForget drops a relayed ping whose requester has judged its probe.
func (c *Core) relayForget(want uint32) {
	if h, ok := c.acks[want]; ok && h.kind == ackRelay {
		c.forget(want)
	}
}

// verifyPerPeriod bounds the members verifySome pings per protocol period,
// unless they are being answered: then a period may send twice as many as
// the last one had answered, up to maxVerifying, so that the hundreds of
// real members a join at once brings are heard from in a few periods while
// made-up ones, which never answer, still cost 128 pings a period.
const verifyPerPeriod = 128

// verifySome pings a few alive members not heard from yet, going round
// the member list from where it stopped. It runs every gossip tick and
// every period, and sends at most the period's budget: candidates are
// heard from within a gossip interval, while a member told of hundreds at
// once spreads its pings over periods rather than sending them in one
// burst.
func (c *Core) verifySome() {
	n := len(c.candidates)
	budget := max(verifyPerPeriod, c.limits.verifyBudget)
	for i := 0; i < n && c.limits.verified < budget && c.awaiting[ackVerify] < maxVerifying; i++ {
		c.verifyIdx = (c.verifyIdx + 1) % n
		m := c.candidates[c.verifyIdx]
		if m.State == StateAlive && !c.verifyingAddr(m.Addr) {
			c.verify(m)
			c.limits.verified++
		}
	}
}

// verifyingAddr reports whether a verification ping to addr is awaited.
func (c *Core) verifyingAddr(addr netip.AddrPort) bool {
	return c.verifying[addr] > 0
}

// verify pings a member learnt second-hand, so that it becomes a gossip,
// relay and sync target as soon as it answers rather than when its turn
// to be probed comes. A fake one never answers and never becomes one.
// verifySome calls it within the period's budget, and only
// with room in the table of verifications.
func (c *Core) verify(m *member) {
	nonce, ok := c.await(ackHandler{kind: ackVerify, from: m.Addr, name: m.Name}, m.Name, c.cfg.ProbeInterval, timerCheckExpire)
	if !ok {
		return
	}
	b := c.packetBuf()
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce})
	if m.verifyFails == 0 {
		// A token for the candidate, which keeps it if it knows us
		// already and drops it if not; so it is not counted as given,
		// and our next alive news to it carries another. Only on the
		// first ping: an address that does not answer gets no more than
		// a bare ping.
		b = wire.AppendToken(b, &wire.Token{Given: tokenFor(c.tokens.cur, m.Addr)})
	}
	c.sendPacket(m.Addr, b)
}

func (c *Core) sendNack(to netip.AddrPort, nonce uint32) {
	b := c.packetBuf()
	b = wire.AppendNack(b, &wire.Nack{Nonce: nonce})
	c.sendPacket(to, b)
}

// handleAck counts an ack that answers an awaited ping and comes from the
// address it was awaited from; any other is dropped and counted.
func (c *Core) handleAck(from netip.AddrPort, v uint32, coord []byte) {
	if p := c.probe; p != nil && p.want == v {
		if from != p.addr && !slices.Contains(p.relays, from) {
			c.stats.AcksRejected++
			return
		}
		if !p.acked {
			p.acked = true
			if from == p.addr {
				c.sample(p.target, c.now.Sub(p.sentAt), coord)
			}
			if p.verified {
				c.adjustHealth(-1)
			}
			if m, ok := c.members[p.target]; ok && m.Addr == p.addr {
				c.markVerified(m)
			}
		}
		return
	}
	h, ok := c.acks[v]
	if !ok || from != h.from {
		c.stats.AcksRejected++
		return
	}
	c.forget(v)
	switch h.kind {
	case ackRelay:
		b := c.packetBuf()
		b = wire.AppendAck(b, &wire.Ack{Nonce: h.reqAck})
		c.sendPacket(h.reqTo, b)
	case ackCheck:
		c.checkPassed(h.check)
	case ackVerify:
		c.limits.verifyAnswered++
		if m, ok := c.members[h.name]; ok && m.Addr == from {
			c.markVerified(m)
		}
	case ackPair:
		c.pairAcked(h, v, coord)
	case ackPing:
		rtt := c.now.Sub(h.sentAt)
		c.sample(h.name, rtt, coord)
		c.out.Pongs = append(c.out.Pongs, Pong{Token: v, RTT: rtt})
	}
}

// answersPing reports whether msgs hold an ack that answers a ping of ours
// awaited from from, before handleAck takes it.
func (c *Core) answersPing(from netip.AddrPort, msgs []wire.Message) bool {
	for i := range msgs {
		if msgs[i].Type != wire.TypeAck {
			continue
		}
		v := msgs[i].Ack.Nonce
		if p := c.probe; p != nil && p.want == v && (from == p.addr || slices.Contains(p.relays, from)) {
			return true
		}
		if h, ok := c.acks[v]; ok && h.from == from {
			return true
		}
	}
	return false
}

// handleNack counts a nack from a relay we asked, once per relay.
func (c *Core) handleNack(from netip.AddrPort, nonce uint32) {
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
	return c.randomMembersFrom(c.rng, k, keep)
}

// randomMembersFrom is randomMembers drawing from rng.
func (c *Core) randomMembersFrom(rng *rand.Rand, k int, keep func(*member) bool) []*member {
	if k <= 0 || len(c.nodes) == 0 {
		return nil
	}
	var out []*member
	// Rejection sampling is cheap while most members qualify; a bounded
	// number of tries keeps it O(k) even when few do.
	for tries := 0; len(out) < k && tries < 3*k+8; tries++ {
		m := c.nodes[rng.IntN(len(c.nodes))]
		if !keep(m) || containsMember(out, m) {
			continue
		}
		out = append(out, m)
	}
	if len(out) < k {
		// Few qualify: take them from a full pass, starting at random.
		start := rng.IntN(len(c.nodes))
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

// sample takes a round trip measured to the member named name, directly,
// with the coordinate its ack carried, if any: it is reported in Ready and
// moves our network coordinate.
func (c *Core) sample(name string, rtt time.Duration, coord []byte) {
	m, ok := c.members[name]
	if !ok {
		return
	}
	if m.net == nil {
		m.net = new(measured)
	}
	if co, ok := parseCoord(coord); ok {
		if !m.net.hasCoord {
			c.coordsHeld++
		}
		m.net.coord, m.net.hasCoord = co, true
	}
	m.net.add(rtt.Seconds())
	c.out.RTTs = append(c.out.RTTs, RTT{Member: name, RTT: rtt})
	if m.net.hasCoord {
		c.viv.observe(m.net.coord, m.net.median(), c.rng)
	}
}

// wantCoord says whether this probe of m asks for its coordinate: one
// probe of it in coordinateEvery does, for coordinates change slowly.
// Which one depends on m's name as well as on the count, because the two
// members of a pair in the probe schedule probe each other at the same
// meetings: counted alike, both would ask at the same meeting every time,
// and both moving toward each other on one round trip overshoots (over
// seeds 45 to 56 of TestCoordinatesEstimateRoundTrips' setting, the worst
// estimate's error had a median of 0.31 and p90 errors 0.12, against 0.19
// and 0.09 staggered). Until we hold coordWarm coordinates, a member
// without one is asked at once, so that ours starts moving; after that,
// at each probe with a chance of one in coordinateEvery. Asking every member at its first probe cost a new
// member's first round a coordinate on every ack (24 bytes each, a tenth
// of the traffic of 32 members in the minute after they joined); the
// members asked later are estimated from their measured round trips
// meanwhile (EstimateRTT).
func (c *Core) wantCoord(m *member) bool {
	m.coordAge++ // wraps at 256, a multiple of coordinateEvery
	switch {
	case m.net != nil && m.net.hasCoord:
		return (uint32(m.coordAge)+nameTag(m.Name))%coordinateEvery == 0
	case c.coordsHeld >= coordWarm && c.rng.IntN(coordinateEvery) != 0:
		return false
	}
	return true
}

// Ping sends a ping to the member named name; the ack's round trip comes
// in Ready.Pongs under the returned token, or a Pong marked Lost after a
// protocol period. It feeds the network coordinate like a probe's ack.
func (c *Core) Ping(now time.Time, name string) (uint32, error) {
	c.advance(now)
	if c.leaving {
		return 0, ErrLeft
	}
	m, ok := c.members[name]
	if !ok || !m.verified || m == c.self || m.State > StateSuspect {
		return 0, fmt.Errorf("swim: ping %q: %w", name, ErrUnknownMember)
	}
	nonce, ok := c.await(ackHandler{kind: ackPing, from: m.Addr, name: name, sentAt: c.now}, name, c.cfg.ProbeInterval, timerCheckExpire)
	if !ok {
		return 0, fmt.Errorf("swim: ping %q: %w", name, ErrQueueFull)
	}
	b := c.packetBuf()
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce})
	c.sendPacket(m.Addr, b)
	return nonce ^ nameTag(name), nil
}

// Coordinate returns this member's network coordinate.
func (c *Core) Coordinate() Coordinate { return c.viv.coord }

// EstimateRTT estimates the round trip to the member named name from the
// two network coordinates or, while its coordinate is unknown, as the
// median of the last round trips measured to it; ok is false before the
// member answered a probe or a Ping of ours.
func (c *Core) EstimateRTT(name string) (time.Duration, bool) {
	m, ok := c.members[name]
	if !ok || !m.verified || m.net == nil {
		return 0, false
	}
	if m.net.hasCoord {
		return c.viv.coord.DistanceTo(m.net.coord), true
	}
	return time.Duration(m.net.median() * float64(time.Second)), true
}
