package swim

import (
	"math"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Anti-entropy, join and reconnection. Every sync period a member sends a
// digest of its view to a random member, which starts a full exchange only
// if its own view differs; in a quiet cluster anti-entropy costs one small
// packet a period. A member that has just joined, or was refused names
// over the period's budget, syncs at once (syncIfGrowing), and a state we
// asked for that brought new members is checked again a few periods later
// with another member (armResync), so members joining by the thousand
// converge in a few periods. Once a view stops growing, the member
// compares it a few more times (settledTick), so that a join it missed is
// found in seconds. A sync sends the sender's whole member state
// in packet-sized chunks over the packet path; a sync request carries just
// the sender's own record and asks for the receiver's state.
// Join sends requests to the seeds; ReconnectInterval sends one to a member
// held dead or a seed that is not an alive member, and when the answer comes
// the requester pushes its own state back, so both halves of a healed
// partition learn they were declared dead and refute.

// syncInterval is the anti-entropy period, scaled with N like the
// incumbent's push/pull: ceil(log2 N - 5) + 1 times longer above 32 members.
func (c *Core) syncInterval() time.Duration {
	n := c.liveCount()
	d := c.cfg.SyncInterval
	if n <= 32 {
		return d
	}
	mult := math.Ceil(math.Log2(float64(n))-5) + 1
	return time.Duration(mult * float64(d))
}

// syncTick sends a digest of our view to one random alive member; a full
// exchange follows only if its view differs.
func (c *Core) syncTick() {
	period := c.cfg.ProbeInterval
	if c.viewsDiffered && c.now.Before(c.syncDue) && c.now.Sub(c.grewAt) < settlePeriods*period {
		// A round brought forward while the view still grows: wait until
		// it has not grown for settlePeriods. While members join one after
		// another, views differ at nearly every round, for news in flight,
		// and each round that found them differ cost two whole-state
		// transfers and brought the next one forward again, for as long
		// as the joins went on. In the simulator, 1,024 members joining
		// 30 ms apart sent 124,000 sync datagrams with rounds brought
		// forward and 92,000 with them waiting (bytes -9 %), and
		// converged as fast. Once the joins stop, the round comes: a
		// member that missed a join late in it learns it then, not a
		// sync interval (minutes) later. Never later than the regular
		// round, whose time syncDue keeps.
		at := c.grewAt.Add(settlePeriods*period + c.jitter(period))
		if at.After(c.syncDue) {
			at = c.syncDue
		}
		c.schedule(at, timer{kind: timerSync})
		return
	}
	next := c.syncInterval()
	c.syncDue = c.now.Add(next)
	if c.viewsDiffered && c.health == 0 {
		// The last round found views that differ, as while many members
		// join at once: check again soon rather than a full period later.
		// Not while the health score says this member is short of CPU:
		// during a storm of suspicions views differ at every round, and
		// a whole-state exchange a second by every member kept a
		// saturated process saturated (S4, 768 members: 70 KB per member
		// per second, nine exchanges in ten seconds at each).
		next = min(next, settlePeriods*period)
	}
	c.viewsDiffered = false
	c.schedule(c.now.Add(next+c.jitter(period)), timer{kind: timerSync})
	c.sendDigest()
}

// settlePeriods is how soon, in protocol periods, an anti-entropy round
// follows one that found views differ, and how long the view must not
// have grown before it does.
const settlePeriods = 5

// syncIfGrowing sends a digest now if names were refused for being over
// the period's budget (a state transfer we ask for brings them
// unbudgeted), or the member has just joined; called once per period.
//
// A view that merely grew does not sync: while hundreds join one after
// another, every member's view grows by a few each period, and a sync per
// period each (two whole-state transfers once views differ) was most of
// the traffic of such a join: in the simulator, 512 members joining 25 ms
// apart sent 325,000 sync datagrams with it and 29,000 without, and all
// members joining at once converged as fast (3,000 members: 6.1 periods
// with it, 6.3 without). Gossip brings the joins; the check after one's
// own join (armResync) and anti-entropy bring what gossip misses.
func (c *Core) syncIfGrowing() {
	if c.limits.refused > 0 || c.justJoined {
		c.justJoined = false
		c.sendDigest()
	}
}

// resyncPeriods is how many protocol periods after a state transfer that
// brought new members this view checks again, with a digest to another
// member, rather than a sync interval later (minutes, in a large
// cluster). With thousands joining at once, the first transfer a member
// gets misses whoever joined after its source answered; the check finds
// them, and stops once a digest matches, as it does in a converged
// cluster: steady traffic does not change.
//
// One check per join, no more: each that finds views differ costs two
// whole-state transfers, and with hundreds of members joining in one
// process, a check after every transfer that taught something kept both
// cores busy with transfers (S4: 512 members collapsed in every trial;
// with one check, five trials of five were healthy). Past it, the sync
// interval goes on as in any cluster.
const resyncPeriods = 3

// armResync schedules the check, unless one is pending already, this
// member has had its check since it last joined, or it joined more than
// two sync intervals ago. The check is for a join's transfers: its digest
// carries a nonce, so the answer's records are believed without pings. A
// member whose join taught it nothing new never had its check, and a
// routine exchange long after, perhaps with a member that thaws after a
// long pause holding members the others forgot, armed one then: answered
// from that view, it brought the forgotten back as joined.
func (c *Core) armResync() {
	if c.resyncArmed || c.resynced || c.leaving || c.now.Sub(c.joinedAt) > 2*c.cfg.SyncInterval {
		return
	}
	c.resyncArmed, c.resynced = true, true
	// No jitter: members that join at once got their transfers at
	// different times already, and the check needs no random draw.
	c.schedule(c.now.Add(resyncPeriods*c.cfg.ProbeInterval), timer{kind: timerResync})
}

// resyncTick sends the check: a digest to a member other than the last
// one a digest went to, whose view we may just have taken.
func (c *Core) resyncTick() {
	c.resyncArmed = false
	if c.leaving {
		return
	}
	last := c.lastSynced
	peers := c.randomMembersFrom(c.resyncRng, 1, func(m *member) bool { return m.State == StateAlive && m.verified && m.Addr != last })
	if len(peers) == 0 {
		peers = c.randomMembersFrom(c.resyncRng, 1, func(m *member) bool { return m.State == StateAlive && m.verified })
	}
	if len(peers) > 0 {
		c.digestTo(peers[0], true)
	}
}

// grew notes that the view gained a member or a candidate, and starts a
// new series of checks, the first checkPeriods after it stops growing
// (settledTick). The timer of a series under way, due up to 16 periods
// later, is replaced (settleGen), so that the first check of the new
// series is not put off until then.
func (c *Core) grew() {
	c.grewAt = c.now
	c.checksSent = 0
	first := c.now.Add((checkPeriods + 1) * c.cfg.ProbeInterval)
	if !c.settleDue.IsZero() && !c.settleDue.After(first) {
		return
	}
	c.armSettled(c.now.Add(checkPeriods*c.cfg.ProbeInterval + c.jitterFrom(c.resyncRng, c.cfg.ProbeInterval)))
}

// armSettled sets the one timerSettled that counts for at; any other
// pending is stale.
func (c *Core) armSettled(at time.Time) {
	c.settleDue = at
	c.settleGen++
	c.schedule(at, timer{kind: timerSettled, gen: c.settleGen})
}

// checkPeriods is how long, in protocol periods, a view must not have
// grown before it is checked (settledTick), and half the first gap
// between two checks: long enough for the news of a join to reach every
// member (a few gossip rounds), so that a check seldom finds views that
// differ only by news in flight. In the simulator, 128 members joining at 10 % loss (40
// seeds, 1 s periods) converged after the last join in 5.0 s at the
// median and 11.0 s at the slowest with 2 periods, against 7.3 and 18.5 s
// with 5, and 8.3 and 26.5 s without checks.
const checkPeriods = 2

// settleChecks is how many digests a member sends once its view stops
// growing: checkPeriods after it, and then each twice as long after the
// one before as the last gap.
const settleChecks = 4

// settledTick compares views once the view has not grown for
// checkPeriods: a digest to one random member, then a few more at
// doubling intervals.
//
// Gossip carries each join a bounded number of times, and a state
// transfer loses whichever chunks the network drops, so a member can miss
// a join for good: at 10 % loss, 128 members joining one after another
// left a view or two a member short in most runs. Nothing but an
// anti-entropy round (90 s apart at that size, minutes in larger
// clusters) found the hole, and convergence took up to 24 s in the
// simulator, and 60 s and more at 1,024 members in one process. Now every
// member whose view grew compares it once the joins stop: the member
// that missed one finds the hole with its own digest if its view grew too
// (as in any wave of joins), or with the digest of a member that picks
// it. The checks cost a digest each, small, and nothing more where views
// agree; while members join one after another no view settles and none
// is sent; and a member short of CPU (health above zero) waits, as each
// check that finds views differ costs two whole states.
func (c *Core) settledTick() {
	c.settleDue = time.Time{}
	if c.leaving {
		return
	}
	settle := checkPeriods * c.cfg.ProbeInterval
	var at time.Time
	if c.now.Sub(c.grewAt) < settle || c.health > 0 {
		at = c.grewAt.Add(settle)
		if !at.After(c.now) {
			at = c.now.Add(settle)
		}
	} else {
		peers := c.randomMembersFrom(c.resyncRng, 1, func(m *member) bool { return m.State == StateAlive && m.verified })
		if len(peers) > 0 {
			c.digestTo(peers[0], false)
		}
		c.checksSent++
		if c.checksSent >= settleChecks {
			return
		}
		at = c.now.Add(settle << c.checksSent)
	}
	c.armSettled(at.Add(c.jitterFrom(c.resyncRng, c.cfg.ProbeInterval)))
}

// sendDigest sends a digest of our view to one random alive member we
// have heard from.
func (c *Core) sendDigest() {
	if c.leaving {
		return
	}
	peers := c.randomMembers(1, func(m *member) bool { return m.State == StateAlive && m.verified })
	if len(peers) > 0 {
		c.digestTo(peers[0], false)
	}
}

// digestTo sends a digest of our view to peer; with vouch, one carrying a
// nonce, so that its answer's records are believed without pings (see
// vouchNonce).
func (c *Core) digestTo(peer *member, vouch bool) {
	c.lastSynced = peer.Addr
	// Its state, if it answers with it, is ours to take unbudgeted.
	r := c.solicit(peer.Addr, 2*c.cfg.ProbeInterval)
	r.asked = c.now
	r.keyedDigest = true
	r.nonce = c.vouchNonce(vouch)
	b := c.packetBuf()
	b = wire.AppendDigest(b, &wire.Digest{From: c.self.Name, Digest: c.digest(), KeyedSum: c.keyed.sum(), Nonce: r.nonce})
	c.sendPacket(peer.Addr, b)
}

// handleDigest starts a full exchange when the sender's view of the live
// members differs from ours, and an exchange of keyed broadcasts when its
// store of them does (see keyed.go); when both agree, the round is over.
// The answer budget is checked first, before the digest costs any work.
func (c *Core) handleDigest(pk *packet, d *wire.Digest) {
	if c.leaving || !c.answerBudget(pk.src, pk.from) {
		return
	}
	if d.KeyedSum != c.keyed.sum() {
		c.sendKeyedSums(pk.from, 0)
	}
	if d.Digest != c.digest() {
		c.answerState(pk.from, wire.SyncWantReply, d.Nonce)
	}
}

// digest summarises which members this view holds alive or suspect, at
// which incarnation and state. It is a sum of per-member hashes, so order
// does not matter; dead, left and forgotten members all count as absent,
// so views that differ only in how long they remember the dead agree, and
// so do members not yet heard from, which a sync would not carry.
//
// The sum over the other members is kept as they change (viewSum; see
// unsum), not summed at each digest: at 1,024 members a walk over the view
// took 150 us, and with every member checking its view as it settles
// (settledTick), nearly a tenth of the CPU of 1,024 members in one
// process went to it.
func (c *Core) digest() uint64 { return c.viewSum + digestTerm(c.self) }

// digestTerm is m's term in the digest: zero unless m is alive or suspect
// and heard from.
func digestTerm(m *member) uint64 {
	if m.State > StateSuspect || !m.verified {
		return 0
	}
	h := fnv64(m.Name) // FNV-1a, continued over the incarnation and state
	h = (h ^ m.Incarnation) * 1099511628211
	h = (h ^ uint64(m.State)) * 1099511628211
	return mix64(h)
}

// unsum takes m's term out of the digest's running sum before m's state,
// incarnation or verification changes, or m is forgotten; resum puts it
// back once the change is made. Our own term is not kept (digest adds it).
func (c *Core) unsum(m *member) {
	if m != c.self {
		c.viewSum -= digestTerm(m)
	}
}

// resum puts m's term back into the digest's running sum (see unsum).
func (c *Core) resum(m *member) {
	if m != c.self {
		c.viewSum += digestTerm(m)
	}
}

// reconnectTick contacts one member held dead, or one seed that is not the
// address of an alive member, to heal partitions.
func (c *Core) reconnectTick() {
	c.schedule(c.now.Add(c.cfg.ReconnectInterval), timer{kind: timerReconnect})
	if c.leaving {
		return
	}
	var candidates []netip.AddrPort
	if c.counts[StateDead] > 0 {
		for _, m := range c.nodes {
			if m.State == StateDead {
				candidates = append(candidates, m.Addr)
			}
		}
	}
	for _, s := range c.seeds {
		if m, ok := c.byAddr[s]; !ok || m.State > StateSuspect {
			candidates = append(candidates, s)
		}
	}
	if len(candidates) == 0 {
		return
	}
	c.sendSyncRequest(candidates[c.rng.IntN(len(candidates))])
}

// sendSyncRequest asks the member at addr for its state, announcing
// ourselves, and remembers to push our own state back when it answers.
// The cookie the address gave us, if any, goes in front.
func (c *Core) sendSyncRequest(to netip.AddrPort) {
	r := c.solicit(to, c.cfg.ReconnectInterval)
	// Our state goes back with the answer, so that the two halves of a
	// healed partition (or two clusters joined) learn each other; a
	// joiner that holds nobody but itself has nothing to push that its
	// request did not carry, and the seed of hundreds joining one after
	// another would take in a whole state per joiner.
	r.pushedBack = c.joining && c.liveCount() == 1
	r.asked = c.now
	r.nonce = c.vouchNonce(c.joining)
	b := c.packetBuf()
	if r.cookie != nil {
		b = wire.AppendCookie(b, &wire.Cookie{Value: r.cookie})
	}
	b = wire.AppendSyncStart(b, wire.SyncWantReply|wire.SyncLast, c.self.Name, 1, r.nonce)
	b = wire.AppendRecord(b, c.record(c.self))
	c.sendPacket(to, b)
}

// answerState sends our state to to in answer to its request, once the
// caller has checked the answer budget (answerBudget); every chunk echoes
// the request's nonce.
func (c *Core) answerState(to netip.AddrPort, flags uint8, nonce uint64) {
	if flags&wire.SyncWantReply != 0 {
		// We ask for its state in turn: its answer is ours to take. What
		// comes back from a request we merely answered is budgeted.
		c.solicit(to, 2*c.cfg.ProbeInterval)
	}
	c.limits.answerBytes += c.sendState(to, flags, nil, nonce)
}

// vouchNonce is the nonce of a request whose answer, echoing it, is
// believed record by record without a verification ping each: a joiner's
// state request and the check after a join (resyncTick), when the
// answerer's view is the cluster's latest news. Other requests carry
// none (zero), so their answers' new names are candidates: a member that
// thaws after a long pause holds members everyone else has forgotten,
// and a routine digest answered from its view must not bring them back.
func (c *Core) vouchNonce(vouch bool) uint64 {
	if !vouch {
		return 0
	}
	return c.nonceRng.Uint64() | 1 // never zero, which means none
}

// record is m's state as a sync record.
func (c *Core) record(m *member) *wire.Record {
	return &wire.Record{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation, State: wire.State(m.State)}
}

// sendState sends our whole state to addr in as many packets as it takes
// and returns the bytes sent; flags go on every chunk except SyncWantReply,
// on the first only, and SyncLast, on the last. A cookie, if given, goes in
// front of every chunk, and a nonce, if not zero, in every one.
func (c *Core) sendState(to netip.AddrPort, flags uint8, cookie []byte, nonce uint64) int {
	// Only members this view has heard from: a view passes on nothing it
	// was merely told, so made-up members stay where they were told.
	all := make([]*member, 0, len(c.nodes)+1)
	all = append(all, c.self)
	for _, m := range c.nodes {
		if m.verified {
			all = append(all, m)
		}
	}
	budget := c.cfg.PacketBudget
	var cookieMsg []byte
	if cookie != nil {
		cookieMsg = wire.AppendCookie(nil, &wire.Cookie{Value: cookie})
	}
	sent := 0
	for first := true; len(all) > 0; first = false {
		// Count how many records fit; the prefix grows by a byte at a few
		// counts, so size it for the worst case of the whole remainder.
		prefix := 1 + len(cookieMsg) + wire.SyncStartSize(c.self.Name, len(all), nonce)
		size, n := prefix, 0
		for n < len(all) {
			rs := wire.RecordSize(c.record(all[n]))
			if size+rs > budget && n > 0 {
				break
			}
			size += rs
			n++
		}
		f := flags &^ (wire.SyncWantReply | wire.SyncLast)
		if first {
			f |= flags & wire.SyncWantReply
		}
		if n == len(all) {
			f |= wire.SyncLast
		}
		b := make([]byte, 0, size)
		b = wire.AppendHeader(b)
		b = append(b, cookieMsg...)
		b = wire.AppendSyncStart(b, f, c.self.Name, n, nonce)
		for _, m := range all[:n] {
			b = wire.AppendRecord(b, c.record(m))
		}
		c.sendPacket(to, b)
		sent += len(b)
		all = all[n:]
	}
	return sent
}

// handleSync merges a chunk of another member's state and answers it. A
// stranger's request gets a cookie; echoing it, the stranger gets our
// state and may announce itself (its own record only), and is a member
// from then on if admitted.
func (c *Core) handleSync(pk *packet, s *wire.Sync) {
	// A stranger's answer is budgeted by its IP even once it is admitted,
	// so that it gains nothing by asking from many ports.
	asked := pk.src
	if pk.src == fromStranger && !c.strangerSync(pk, s) {
		return
	}
	if s.Flags&wire.SyncWantReply != 0 && s.Flags&wire.SyncReply == 0 {
		c.viewsDiffered = true // an answer to our digest: the views differ
	}
	joined := s.Flags&wire.SyncReply != 0 && c.joining && pk.src != fromStranger
	if joined {
		// This join's transfers get a check of their own (armResync),
		// counted from now, however long the join took.
		c.resynced, c.joinedAt = false, c.now
	}
	if pk.src != fromStranger {
		added := c.limits.added
		if c.mergeRecords(pk, s) && c.limits.added > added {
			c.armResync() // a state we asked for taught us members
		}
	}
	if joined {
		// Joined: announce ourselves to the members we just learned of.
		// The seed gossips us too, but with many joining at once it would
		// be the one bottleneck every newcomer's news goes through.
		c.joining = false
		c.justJoined = true
		c.announceSelf()
	}
	if c.leaving {
		return
	}
	if s.Flags&wire.SyncWantReply != 0 && c.answerBudget(asked, pk.from) {
		c.answerState(pk.from, wire.SyncReply, s.Nonce)
	}
	if s.Flags&wire.SyncLast != 0 {
		// The last chunk of a state we asked for: the exchange took this
		// long (Ready.Syncs).
		if r, ok := c.pending[pk.from]; ok && !r.asked.IsZero() {
			c.out.Syncs = append(c.out.Syncs, Sync{Addr: pk.from, Took: c.now.Sub(r.asked)})
			r.asked = time.Time{}
		}
	}
	if s.Flags&(wire.SyncReply|wire.SyncLast) == wire.SyncReply|wire.SyncLast {
		if r, ok := c.pending[pk.from]; ok && !r.pushedBack && !c.now.After(r.until) {
			r.pushedBack = true
			c.sendState(pk.from, 0, r.cookie, 0)
		}
	}
}

// strangerSync handles a sync from an address that is no member and that
// we did not ask. Without a valid cookie, a request gets one and the rest
// is dropped; with one, the sender's own record is applied first-hand, and
// the sender is classified again. It reports whether the sync goes on to
// be answered.
func (c *Core) strangerSync(pk *packet, s *wire.Sync) bool {
	if !pk.cookie {
		if s.Flags&wire.SyncWantReply != 0 {
			c.sendCookie(pk.from)
		} else {
			c.stats.StrangerDropped++
		}
		return false
	}
	for i := range s.Records {
		r := &s.Records[i]
		if r.Name == s.From && r.Addr == pk.from && r.State == wire.StateAlive {
			_, known := c.members[r.Name]
			c.applyAlive(fromStranger, pk.from, &wire.Alive{Name: r.Name, Addr: r.Addr, Meta: r.Meta, Incarnation: r.Incarnation})
			if m, ok := c.members[r.Name]; ok && m.Addr == pk.from {
				c.markVerified(m)
			} else if !known {
				// Not admitted (the table is full, or its IP has spent its
				// budget): no answer, so that it keeps trying to join.
				return false
			}
			break
		}
	}
	pk.src, pk.sender = c.classify(pk.from)
	return true
}

// mergeRecords applies the records of a sync from a member or an address
// we asked, and reports whether we asked.
func (c *Core) mergeRecords(pk *packet, s *wire.Sync) bool {
	src := pk.src
	if r, ok := c.pending[pk.from]; ok && !c.now.After(r.until) {
		src = fromSolicited // our own request's answer: not budgeted
		if s.Nonce != 0 && s.Nonce == r.nonce {
			src = fromVouched // and provably so: believed without pings
		}
	}
	for i := range s.Records {
		r := &s.Records[i]
		switch r.State {
		case wire.StateAlive:
			c.applyAlive(src, pk.from, &wire.Alive{Name: r.Name, Addr: r.Addr, Meta: r.Meta, Incarnation: r.Incarnation})
		case wire.StateSuspect, wire.StateDead:
			// Another view's "dead" may be stale or one-sided: let it
			// start a suspicion, which the member can refute, never a
			// death (as the incumbent's push/pull does). The sender
			// passes on a state, not an accusation of its own: it is no
			// independent confirmation (Lifeguard 4.2).
			c.onSuspect(r.Name, r.Incarnation, "")
		case wire.StateLeft:
			c.onLeave(r.Name, r.Incarnation, pk.sender)
		}
	}
	return src == fromSolicited || src == fromVouched
}

// reapInterval is how often old dead members and caches are swept.
func (c *Core) reapInterval() time.Duration {
	return max(c.cfg.DeadRetention/8, time.Second)
}

// reap forgets members dead or left for longer than DeadRetention, and
// expires caches, so state stays bounded under churn.
func (c *Core) reap() {
	c.schedule(c.now.Add(c.reapInterval()), timer{kind: timerReap})
	for i := 0; i < len(c.nodes); {
		m := c.nodes[i]
		if (m.State == StateDead || m.State == StateLeft) && c.now.Sub(m.Since) >= c.cfg.DeadRetention {
			c.removeMember(m) // moves the last member into slot i
			continue
		}
		i++
	}
	c.expireSeen()
	c.keyed.expire(c.now, c.keyedTTL())
	c.expirePending()
}

// expirePending forgets requests whose answers are no longer awaited.
func (c *Core) expirePending() {
	for a, r := range c.pending {
		if c.now.After(r.until) {
			delete(c.pending, a)
		}
	}
}
