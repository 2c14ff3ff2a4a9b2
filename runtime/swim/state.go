package swim

import (
	"bytes"
	"math"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// The rules by which news changes a view (SWIM section 4.2, with Lifeguard's
// refinements). News about a member carries its incarnation; newer news
// replaces older: a higher incarnation, or the same incarnation and a
// stronger state (alive < suspect < dead < left). Only the member itself
// raises its incarnation, to refute a suspicion or announce a change.

// addMember records a member first heard of. A member heard of first-hand
// is verified at once; one only told of is a candidate until it answers
// (see markVerified).
func (c *Core) addMember(a *wire.Alive, verified bool) *member {
	m := &member{Member: Member{
		Name:        a.Name,
		Addr:        a.Addr,
		Meta:        a.Meta,
		Incarnation: a.Incarnation,
		State:       StateAlive,
		Since:       c.now,
	}, idx: int32(len(c.nodes)), verified: verified}
	c.members[m.Name] = m
	c.byAddr[m.Addr] = m
	c.nodes = append(c.nodes, m)
	c.resum(m)
	c.limits.added++
	c.grew()
	if verified {
		c.counts[StateAlive]++
		c.addToProbeList(m)
		c.reschedule(m)
	} else {
		m.candIdx = int32(len(c.candidates))
		c.candidates = append(c.candidates, m)
	}
	return m
}

// removeMember forgets a member entirely (after DeadRetention).
func (c *Core) removeMember(m *member) {
	c.unsum(m)
	c.nodes = swapRemove(c.nodes, m.idx, func(x *member) *int32 { return &x.idx })
	if m.verified {
		c.counts[m.State]--
	} else {
		c.dropCandidate(m)
	}
	delete(c.members, m.Name)
	if m.net != nil && m.net.hasCoord {
		c.coordsHeld--
	}
	if c.byAddr[m.Addr] == m {
		delete(c.byAddr, m.Addr)
	}
	m.gone = true
	m.susp = nil
	c.reschedule(m)
}

// setState moves m to state s, keeping counts and Since.
func (c *Core) setState(m *member, s State) {
	if m.State == s {
		return
	}
	if m != c.self && m.verified {
		c.counts[m.State]--
		c.counts[s]++
	}
	c.unsum(m)
	m.State = s
	c.resum(m)
	m.Since = c.now
	if s != StateSuspect {
		m.susp = nil
	}
	if s == StateAlive && m != c.self && m.verified {
		c.addToProbeList(m)
	}
	c.reschedule(m)
}

// onAliveFrom applies an alive announcement that came in pk.
func (c *Core) onAliveFrom(pk *packet, a *wire.Alive) {
	src := pk.src
	if pk.proven {
		src = fromProven
	}
	c.applyAlive(src, pk.from, a)
}

// applyAlive applies an alive announcement received from the address from.
// It is first-hand when it comes from the address it announces; then it is
// believed at any incarnation. Second-hand, an incarnation past
// maxIncarnation is refused as forged, and a new address is believed only
// once it has answered a ping for the name (checkAddress): the member at
// the old address has that long to refute a forgery.
func (c *Core) applyAlive(src source, from netip.AddrPort, a *wire.Alive) {
	if a.Name == c.self.Name {
		c.aliveAboutSelf(from, a)
		return
	}
	first := a.Addr == from
	if !first && !c.believable(a.Incarnation) {
		return
	}
	m, ok := c.members[a.Name]
	if !ok {
		c.addHeardOf(src, from, a, first)
		return
	}
	if a.Incarnation <= m.Incarnation {
		if src.vouches() && !m.verified && m.Addr == a.Addr && a.Incarnation == m.Incarnation {
			c.markVerified(m)
		}
		return
	}
	if m.Addr != a.Addr && !first {
		c.checkAddress(a, netip.AddrPort{})
		return
	}
	c.updateAlive(m, a)
	if first {
		c.markVerified(m)
	}
}

// addHeardOf adds a member this view has not held, announced in a, within
// the admission rules. First-hand, or in a state we asked for that echoes
// our nonce (fromVouched: the member that sent it heard from this one), it
// is a member at once and its news is passed on; else it is a candidate.
func (c *Core) addHeardOf(src source, from netip.AddrPort, a *wire.Alive, first bool) {
	trusted := first || src.vouches()
	if !trusted && src != fromSolicited && len(c.candidates) >= maxCandidates {
		c.stats.MembersRefused++
		return
	}
	if holder, ok := c.byAddr[a.Addr]; ok && holder.verified && holder.State <= StateSuspect {
		// One address, one live member: a new name there is believed
		// only once the member holding it is found dead.
		c.stats.MembersRefused++
		return
	}
	if !c.admitNew(src, from) || !c.admitted(a) {
		return
	}
	m := c.addMember(a, trusted)
	// A member learnt from a state we asked for is passed on too, but
	// only to a few (stateRelaySends): news of a join must not depend on
	// the one member that heard it first-hand, and two views that merge
	// learn each other's members this way; but a member that has just
	// joined learns every member of the cluster from one state, and at
	// the full retransmit limit it would send each of them to every member
	// again (at 1,024 members joining one after another, half of all the
	// alive news sent).
	m.relayOnly = src == fromSolicited || src == fromVouched
	if trusted {
		// Passed on even when vouched for: members that already hold it
		// ignore it, and those that joined at the same moment as it may
		// hear of it no other way.
		c.spreadAlive(m)
		c.emit(EventJoined, m)
		return
	}
	// Learnt second-hand (gossip or a state transfer): passed on only once
	// it has answered, so that made-up members never crowd real news out
	// of the queue. Pinged at a gossip tick (verifySome), not at once:
	// while many join, the member's own announcement or a state we asked
	// for often vouches for it first, and the ping is saved; and the pings
	// of many candidates are paced, not one burst.
	m.unspread = true
}

// stateRelaySends is how many members are sent news of a member learnt
// from a state transfer (see addHeardOf): enough that its news does not
// hang on one packet; each that had not heard of it passes it on in full.
const stateRelaySends = 2

// spreadAlive queues news of m, a member just added or verified: in full,
// or only for stateRelaySends sends if a state transfer brought it.
func (c *Core) spreadAlive(m *member) {
	if !m.relayOnly {
		c.queueAlive(m)
		return
	}
	c.news.pushSent(m.Name, c.aliveMsg(m), max(0, c.retransmitLimit()-stateRelaySends))
}

// updateAlive applies newer alive news about a known member.
func (c *Core) updateAlive(m *member, a *wire.Alive) {
	was := m.State
	moved := m.Addr != a.Addr
	changed := moved || !bytes.Equal(m.Meta, a.Meta)
	if moved {
		if c.byAddr[m.Addr] == m {
			delete(c.byAddr, m.Addr)
		}
		c.byAddr[a.Addr] = m
		if was <= StateSuspect {
			// Tell the old address, once: if a process still runs there
			// under this name, news no longer reaches it (it is no member
			// at that address any more), and it must learn that another
			// claims its name.
			b := c.packetBuf()
			b = wire.AppendAlive(b, a)
			c.sendPacket(m.Addr, b)
		}
		// Tokens, round trips and coordinates are for an address.
		m.tokenIn, m.tokenGiven = 0, time.Time{}
		if m.net != nil && m.net.hasCoord {
			c.coordsHeld--
		}
		m.net = nil
	}
	c.unsum(m)
	m.Addr, m.Meta, m.Incarnation = a.Addr, a.Meta, a.Incarnation
	c.resum(m)
	c.setState(m, StateAlive)
	if moved {
		// A member that misses this news holds the member dead at an
		// address nobody answers at any more, reconnects there in vain,
		// and has no repair but anti-entropy, minutes apart in a large
		// cluster. Sent movedSends times the limit by each member that
		// passes it on, it misses a member with odds of about
		// e^-(movedSends·limit) rather than e^-limit. In the 100
		// simulated restarts of TestScaleRestartAtNewAddressReachesEveryone
		// one member missed it for 16.9 s with the limit alone; sent three
		// times as often, it reached every member within 0.3 s in all of
		// them.
		c.news.pushMore(m.Name, c.aliveMsg(m), (movedSends-1)*c.retransmitLimit())
	} else {
		c.queueAlive(m)
	}
	switch {
	case was == StateDead || was == StateLeft:
		c.emit(EventJoined, m)
	case was == StateSuspect || changed:
		c.emit(EventUpdated, m)
	}
}

// movedSends is how many times the retransmit limit news of a member at a
// new address is sent (see updateAlive).
const movedSends = 3

// aliveAboutSelf handles news about this member's own name. News that puts
// the name at another address is checked first (checkAddress): if a process
// there answers to the name, two live processes share it and the one with
// the older incarnation yields, reporting EventConflict once; if nobody
// answers, the news is a stale record of an earlier life of ours (a restart
// on a host whose clock is behind) or a forgery, and we refute above it.
func (c *Core) aliveAboutSelf(from netip.AddrPort, a *wire.Alive) {
	s := c.self
	if a.Incarnation < s.Incarnation || c.leaving {
		return
	}
	if a.Addr == s.Addr {
		if a.Incarnation == s.Incarnation && bytes.Equal(a.Meta, s.Meta) {
			return // our own announcement, echoed
		}
		if a.Addr != from && !c.believable(a.Incarnation) {
			return
		}
		c.refute(a.Incarnation)
		return
	}
	if c.conflictAt != 0 && a.Incarnation <= c.conflictAt {
		return // yielded to this claimant already
	}
	c.checkAddress(a, from)
}

// reportConflict yields our name to another live process that answers to
// it with a newer incarnation, or outbids it when ours is newer.
func (c *Core) reportConflict(a *wire.Alive) {
	if a.Incarnation <= c.self.Incarnation {
		c.refute(a.Incarnation)
		return
	}
	if c.conflictAt != a.Incarnation {
		c.conflictAt = a.Incarnation
		c.out.Events = append(c.out.Events, Event{Type: EventConflict, At: c.now, Member: Member{
			Name: a.Name, Addr: a.Addr, Meta: bytes.Clone(a.Meta), Incarnation: a.Incarnation, State: StateAlive, Since: c.now,
		}})
	}
}

// addrCheck is a claim that waits for its address to answer.
type addrCheck struct {
	alive wire.Alive
	self  bool           // the claim is about our own name
	told  netip.AddrPort // self: who told us, to be told back if we refute
}

// checkAddress pings a.Addr for a.Name before the claim is believed; the
// claim is applied when the ack comes (checkPassed), or dropped (for our
// own name: refuted) when it does not (checkExpired). At most maxAwaited
// checks and relayed pings are awaited at once, so claims cannot make us
// ping more than that many addresses per protocol period.
//
// A claim about our own name comes with told, the address that told us:
// our answer to it is then a state request, which, echoing its cookie,
// announces us first-hand where the stale record was.
func (c *Core) checkAddress(a *wire.Alive, told netip.AddrPort) {
	self := a.Name == c.self.Name
	for _, h := range c.acks {
		if h.kind == ackCheck && h.from == a.Addr && h.check.alive.Name == a.Name && h.check.alive.Incarnation >= a.Incarnation {
			return // already checking this address for this name
		}
	}
	k := &addrCheck{alive: *a, self: self, told: told}
	k.alive.Meta = bytes.Clone(a.Meta)
	// An ack takes at most ProbeTimeout; a restarted member waits no
	// longer than that to win its name back.
	nonce, ok := c.await(ackHandler{kind: ackCheck, from: a.Addr, check: k}, a.Name, c.cfg.ProbeTimeout, timerCheckExpire)
	if !ok {
		c.stats.ChecksRefused++
		return
	}
	c.stats.AddressChecks++
	b := c.packetBuf()
	b = wire.AppendPing(b, &wire.Ping{Nonce: nonce})
	c.sendPacket(a.Addr, b)
}

// checkPassed applies a claim whose address answered.
func (c *Core) checkPassed(k *addrCheck) {
	if k.self {
		if !c.leaving {
			c.reportConflict(&k.alive)
		}
		return
	}
	m, ok := c.members[k.alive.Name]
	if !ok || k.alive.Incarnation <= m.Incarnation {
		return
	}
	c.updateAlive(m, &k.alive)
	c.markVerified(m)
}

// dropCandidate takes m out of the candidates.
func (c *Core) dropCandidate(m *member) {
	c.candidates = swapRemove(c.candidates, m.candIdx, func(x *member) *int32 { return &x.candIdx })
}

// swapRemove removes list[i] by moving the last member into its place,
// whose position pos points to, and returns the shorter list: members keep
// their own positions in the lists they are in, so removal costs no search.
func swapRemove(list []*member, i int32, pos func(*member) *int32) []*member {
	last := len(list) - 1
	list[i] = list[last]
	*pos(list[i]) = i
	list[last] = nil
	return list[:last]
}

// markVerified records that m answered at its address: a candidate becomes
// a member (EventJoined), and the news of it goes out if it waited for an
// answer.
func (c *Core) markVerified(m *member) {
	if !m.verified && m != c.self {
		c.unsum(m)
		m.verified = true
		c.resum(m)
		c.grew()
		c.dropCandidate(m)
		c.counts[m.State]++
		if m.State <= StateSuspect {
			c.addToProbeList(m)
		}
		c.reschedule(m)
		if m.State == StateAlive {
			c.emit(EventJoined, m)
		}
	}
	if m.unspread {
		m.unspread = false
		if m.State == StateAlive {
			c.spreadAlive(m)
		}
	}
}

// checkExpired drops a check or verification whose address did not
// answer in time.
func (c *Core) checkExpired(want uint32) {
	h, ok := c.acks[want]
	if !ok || (h.kind != ackCheck && h.kind != ackVerify && h.kind != ackPing && h.kind != ackPair) {
		return
	}
	c.forget(want)
	if h.kind == ackPing {
		c.out.Pongs = append(c.out.Pongs, Pong{Token: want, Lost: true})
		return
	}
	if h.kind == ackVerify {
		c.verifyFailed(h.name, h.from)
		return
	}
	if h.kind == ackCheck && h.check.self && !c.leaving && c.believable(h.check.alive.Incarnation) {
		c.refute(h.check.alive.Incarnation)
		if k := h.check; k.told.IsValid() && k.told != c.self.Addr {
			// Whoever holds the stale record may not hear our gossip
			// (to it, our address is no member's): ask it for its
			// state, which announces us first-hand.
			c.sendSyncRequest(k.told)
		}
	}
}

// admitted asks Config.Admit about a member never seen before.
func (c *Core) admitted(a *wire.Alive) bool {
	if c.cfg.Admit == nil {
		return true
	}
	if err := c.cfg.Admit(Member{Name: a.Name, Addr: a.Addr, Meta: bytes.Clone(a.Meta), Incarnation: a.Incarnation, State: StateAlive, Since: c.now}); err != nil {
		c.stats.AdmitRefused++
		return false
	}
	return true
}

// maxCandidates bounds the members heard of from gossip but not heard
// from yet. A state transfer we asked for is bounded by MaxMembers only.
const maxCandidates = 1024

// verifyTries is how many verification pings a candidate gets before it is
// forgotten: one lost datagram must not cost a real member its place.
const verifyTries = 3

// verifyFailed counts a verification ping to the candidate named name that
// went unanswered, and forgets the candidate after verifyTries: a member
// nobody can reach there, perhaps one made up, costs nothing more.
func (c *Core) verifyFailed(name string, addr netip.AddrPort) {
	m, ok := c.members[name]
	if !ok || m.verified || m.Addr != addr {
		return
	}
	m.verifyFails++
	if m.verifyFails >= verifyTries {
		c.removeMember(m)
	}
}

// correctStale answers an accusation older than what we know: the sender
// missed the refutation (its copies all went past it, or were lost) and
// would otherwise time the suspicion out and declare a live member dead.
// Telling it directly costs one small packet, at most one per datagram and
// one per member and sender per protocol period, and only members get it.
func (c *Core) correctStale(pk *packet, name string, inc uint64) {
	m, ok := c.members[name]
	if !ok || inc >= m.Incarnation || m.State != StateAlive || pk.from == m.Addr || pk.corrected {
		return
	}
	if !c.correctOnce(name, pk.from) {
		return
	}
	pk.corrected = true
	b := c.packetBuf()
	b = wire.AppendAlive(b, &wire.Alive{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation})
	c.sendPacket(pk.from, b)
}

// onSuspect applies an accusation; from names the accuser, "" when it is
// not known (a suspect record of another member's state).
func (c *Core) onSuspect(name string, inc uint64, from string) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation || !c.believable(inc) {
		return
	}
	if m == c.self {
		c.accused(inc)
		return
	}
	switch m.State {
	case StateDead, StateLeft:
		if inc == m.Incarnation {
			return // weaker news at the same incarnation
		}
	case StateSuspect:
		if inc == m.Incarnation {
			if m.susp != nil && m.susp.confirm(from) {
				c.queueSuspect(m, from)
				c.armSuspicion(m)
			}
			return
		}
	}
	c.unsum(m)
	m.Incarnation = inc
	c.resum(m)
	c.setState(m, StateSuspect)
	c.startSuspicion(m, from)
	if from != "" {
		// A suspicion learnt from another member's state names no
		// accuser: it is not ours to gossip as if it were someone's
		// accusation; its accuser and anti-entropy spread it.
		c.queueSuspect(m, from)
	}
	c.stats.Suspicions++
	c.emit(EventSuspected, m)
}

// onDead applies a declaration of death; from names the accuser.
func (c *Core) onDead(name string, inc uint64, from string) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation || !c.believable(inc) {
		return
	}
	if m == c.self {
		c.accused(inc)
		return
	}
	if inc == m.Incarnation && m.State >= StateDead {
		return // the same or stronger news
	}
	was := m.State
	c.unsum(m)
	m.Incarnation = inc
	c.resum(m)
	c.setState(m, StateDead)
	c.news.push(m.Name, wire.AppendDead(nil, &wire.Dead{Name: m.Name, Incarnation: inc, From: from}), nil)
	if was <= StateSuspect {
		c.wantEarlyRound()
	}
	if was != StateDead {
		c.emit(EventFailed, m)
	}
}

// onLeave applies a member's announcement that it left; sender is the
// member whose packet carried it, if any: from the member itself, any
// incarnation is believed.
func (c *Core) onLeave(name string, inc uint64, sender *member) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation {
		return
	}
	if (sender == nil || sender != m) && !c.believable(inc) {
		return
	}
	if m == c.self {
		c.accused(inc) // a leave of ours that we did not send: a replay
		return
	}
	if inc == m.Incarnation && m.State == StateLeft {
		return
	}
	was := m.State
	c.unsum(m)
	m.Incarnation = inc
	c.resum(m)
	c.setState(m, StateLeft)
	c.news.push(m.Name, wire.AppendLeave(nil, &wire.Leave{Name: m.Name, Incarnation: inc}), nil)
	if was <= StateSuspect {
		c.wantEarlyRound()
	}
	if was != StateLeft {
		c.emit(EventLeft, m)
	}
}

// accused handles news that this member is not alive at incarnation inc.
// It refutes, unless the member is leaving, or has yielded its name to a
// newer claimant and the accusation is about that claimant's incarnation.
func (c *Core) accused(inc uint64) {
	if c.leaving || (c.conflictAt != 0 && inc <= c.conflictAt) {
		return
	}
	c.refute(inc)
}

// refute answers news that says this member is not alive as it is, by
// announcing itself at a higher incarnation (SWIM 4.2). Having to refute
// is also a sign of our own poor health (Lifeguard).
func (c *Core) refute(accused uint64) {
	if accused >= c.self.Incarnation {
		c.self.Incarnation = accused
	}
	c.bumpIncarnation()
	c.adjustHealth(1)
	c.stats.Refutations++
	c.announceSelf()
	c.wantEarlyRound()
}

// bumpIncarnation raises our incarnation by one, saturating: wrapping to
// zero would undo every refutation, so at the top (reachable only through a
// forged accusation) it stays put.
func (c *Core) bumpIncarnation() {
	if c.self.Incarnation < math.MaxUint64 {
		c.self.Incarnation++
	}
}

// announceSelf queues this member's alive announcement.
func (c *Core) announceSelf() {
	c.queueAlive(c.self)
}

func (c *Core) queueAlive(m *member) {
	c.news.push(m.Name, c.aliveMsg(m), nil)
}

// aliveMsg encodes m's alive announcement as a queue item.
func (c *Core) aliveMsg(m *member) []byte {
	return wire.AppendAlive(nil, &wire.Alive{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation})
}

func (c *Core) queueSuspect(m *member, from string) {
	c.news.push(m.Name, wire.AppendSuspect(nil, &wire.Suspect{Name: m.Name, Incarnation: m.Incarnation, From: from}), nil)
}

// startSuspicion starts Lifeguard's timer for a member just suspected.
func (c *Core) startSuspicion(m *member, from string) {
	lo, hi, k := c.suspicionBounds()
	m.susp = &suspicion{start: c.now, k: k, min: lo, max: hi, confirmers: []string{from}}
	c.armSuspicion(m)
}

// armSuspicion (re)sets the suspicion's timer to its current deadline.
func (c *Core) armSuspicion(m *member) {
	c.suspGen++
	m.susp.gen = c.suspGen
	c.schedule(m.susp.start.Add(m.susp.timeout()), timer{kind: timerSuspicion, name: m.Name, gen: c.suspGen})
}

// suspicionTimeout declares a member dead whose suspicion ran out.
func (c *Core) suspicionTimeout(name string, gen uint64) {
	m, ok := c.members[name]
	if !ok || m.State != StateSuspect || m.susp == nil || m.susp.gen != gen {
		return
	}
	c.onDead(m.Name, m.Incarnation, c.self.Name)
}
