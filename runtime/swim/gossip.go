package swim

import (
	"math"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Dissemination (SWIM section 4.1): news rides on every packet the core
// sends ("piggybacking") and on gossip rounds to GossipNodes random members
// every GossipInterval, with at most one early round in between for a
// verdict or a refutation; each member sends a piece of news at most
// RetransmitMult·ceil(log10(N+1)) times, least-sent first.

// retransmitLimit is how many times one member sends one piece of news.
func (c *Core) retransmitLimit() int {
	return c.cfg.RetransmitMult * int(math.Ceil(math.Log10(float64(c.liveCount()+1))))
}

// piggyback fills the rest of packet b, bound for to, with queued news,
// giving protocol news and user broadcasts first claim by turns (see the
// package doc). Only alive or suspect members heard from get news: an
// answer to anyone else (a stranger, a candidate, a member held dead)
// stays the size of the question.
func (c *Core) piggyback(to netip.AddrPort, b []byte) []byte {
	if c.news.len() == 0 && c.user.len() == 0 {
		return b
	}
	m, ok := c.byAddr[to]
	if !ok || !m.verified || m.State > StateSuspect {
		return b
	}
	return c.fillFor(m, b, false)
}

// fillFor fills packet b, bound for member m, with queued news, and then,
// if alive news waited and some went in, or if trusting, adds the tokens
// that let m believe it (see token.go), when room is left: after the news,
// so that a user broadcast of the largest size still finds a packet of its
// own.
func (c *Core) fillFor(m *member, b []byte, trusting bool) []byte {
	alive := c.news.len() > c.news.notAlive
	n := len(b)
	if b = c.fill(b); trusting || alive && len(b) > n {
		b = c.appendTokens(m, b)
	}
	return b
}

// fill fills the rest of packet b with queued news, whoever it goes to:
// gossip rounds use it for members recently declared dead too, which
// must learn of it to refute.
func (c *Core) fill(b []byte) []byte {
	if c.news.len() == 0 && c.user.len() == 0 {
		return b
	}
	limit, userLimit := c.retransmitLimit(), c.userRetransmitLimit()
	budget := c.cfg.PacketBudget
	c.fillCount++
	if c.fillCount%4 == 0 {
		b = c.user.fill(b, budget, userLimit)
		return c.news.fill(b, budget, limit)
	}
	b = c.news.fill(b, budget, limit)
	return c.user.fill(b, budget, userLimit)
}

// userRetransmitLimit is how many times one member sends one user
// broadcast: the protocol's limit, but at least 2·ceil(log2(N+1))+2. In
// small clusters RetransmitMult·ceil(log10(N+1)) is two to four sends, and
// then a member is missed now and then (about 1 broadcast in 12 at five
// members with the Local preset); membership news has anti-entropy behind
// it, user broadcasts do not.
func (c *Core) userRetransmitLimit() int {
	floor := 2*int(math.Ceil(math.Log2(float64(c.liveCount()+1)))) + 2
	return max(c.retransmitLimit(), floor)
}

// gossipTick schedules the next periodic round, pings candidates
// (verifySome) and runs the round.
//
// Back-pressure from Lifeguard's health score: a member whose own probes
// time out (it is slow, or its network is) gossips less often, by the same
// multiplier as its probes, and to fewer members, so that a saturated
// process stops feeding its own collapse; its news still rides on its
// probes and acks.
func (c *Core) gossipTick() {
	c.gossipEvery = c.scaled(c.cfg.GossipInterval)
	c.gossipDue = c.now.Add(c.gossipEvery)
	c.earlyUsed = false
	c.schedule(c.gossipDue, timer{kind: timerGossip})
	if c.awaiting[ackVerify] < len(c.candidates) {
		// Some candidate has no ping awaited. When every one has, the
		// scan would only find them all awaited, round after round.
		c.verifySome()
	}
	c.gossipRound()
}

// wantEarlyRound asks for an early gossip round for news just queued that
// should not wait for the next periodic one: a verdict (a member found
// dead or gone, or this member leaving) or a refutation. A crash counts as
// detected once the last member holds it dead, and at every hop the news
// waited half a gossip interval on average for a round. Every input that
// may call it (Step, Tick, Leave) ends with earlyRound, so that verdicts
// that come together share the round and the answers to the input go
// first.
func (c *Core) wantEarlyRound() { c.earlyWanted = true }

// earlyRound runs the early round wantEarlyRound asked for, or arms it, at
// least half an interval after the last round and only before the next
// periodic one, which would carry the news as soon; one an interval at
// most. So news, however frequent (or forged), at most doubles the rate of
// rounds, and a member in poor health still gossips less.
func (c *Core) earlyRound() {
	wanted := c.earlyWanted
	c.earlyWanted = false
	if !wanted || c.earlyUsed {
		return
	}
	at := c.lastRound.Add(c.gossipEvery / 2)
	if at.Before(c.now) {
		at = c.now
	}
	if !at.Before(c.gossipDue) {
		return
	}
	c.earlyUsed = true
	if c.now.Before(at) {
		c.schedule(at, timer{kind: timerGossipEarly})
		return
	}
	c.gossipRound()
}

// gossipRound sends queued news to GossipNodes random members (fewer for
// poor health), dead ones included for GossipToTheDeadTime so that they
// can learn of it and refute. It carries whatever news is queued, so an
// early round asked for meanwhile is not needed.
func (c *Core) gossipRound() {
	c.lastRound, c.earlyWanted = c.now, false
	if c.news.len() == 0 && c.user.len() == 0 {
		return
	}
	fanout := max(1, c.cfg.GossipNodes-c.health)
	targets := c.randomMembers(fanout, func(m *member) bool {
		return m.verified && (m.State <= StateSuspect || c.recentlyDead(m, c.cfg.GossipToTheDeadTime))
	})
	for _, m := range targets {
		b := c.fillFor(m, c.packetBuf(), false)
		if len(b) <= 1 {
			return // the queues ran dry
		}
		c.sendPacket(m.Addr, b)
	}
}

// handleBroadcast delivers a user broadcast once and passes it on. A keyed
// one is delivered only if it is later than the one of its origin and key
// held in the keyed store, so an older payload of a key never follows a
// newer one.
func (c *Core) handleBroadcast(m *wire.Broadcast) {
	id := broadcastID{origin: m.Origin, id: m.ID}
	var msg []byte
	if m.Key != 0 {
		// Our own, from an earlier life, is kept too (not delivered), so
		// that our store's sum agrees with the others'.
		if msg = c.keyed.keep(c.now, m); msg == nil {
			if m.Origin != c.self.Name {
				c.stats.BroadcastsStale++
			}
			return
		}
	}
	if m.Origin == c.self.Name {
		return
	}
	if _, ok := c.seen[id]; ok {
		return
	}
	c.markSeen(id)
	if !c.leaving {
		c.out.Delivered = append(c.out.Delivered, UserMessage{From: m.Origin, Broadcast: true, Payload: m.Payload})
	}
	c.relay(m, msg)
}

// relay queues a received broadcast, encoded as msg if known, to pass it
// on. A keyed broadcast replaces an earlier one of its origin and key
// waiting here, and is not passed on if a later one waits: the latest of
// a key spreads, not every version of it (see BroadcastKeyed).
func (c *Core) relay(m *wire.Broadcast, msg []byte) {
	key := broadcastKey(m.Origin, m.Key)
	queued := c.user.queued(key)
	if queued && !c.user.supersedes(key, m.Epoch, m.ID) {
		c.stats.BroadcastsReplaced++
		return
	}
	// Pass it on unless it cannot fit one of our packets (a member with a
	// larger budget sent it) or our queue is full: relaying is best effort
	// (the keyed store repairs what it misses), and a broadcast that can
	// never be sent must not clog the queue.
	if msg == nil {
		msg = wire.AppendBroadcast(nil, m)
	}
	if len(msg) > c.cfg.PacketBudget-1 || (c.user.len() >= maxUserQueue && !queued) {
		c.stats.BroadcastsDropped++
		return
	}
	if queued {
		c.stats.BroadcastsReplaced++
	}
	it := c.user.push(key, msg, nil)
	it.id, it.epoch = m.ID, m.Epoch
}

// maxUserQueue bounds the user broadcasts waiting to be sent. Broadcast
// returns ErrQueueFull past it, so a producer faster than the network learns
// it instead of growing memory and delaying every broadcast behind it past
// the receivers' de-duplication window.
const maxUserQueue = 1024

// seenLimit bounds the broadcast de-duplication cache; past it the oldest
// entries go first, so a flood of broadcasts costs memory only up to here.
const seenLimit = 1 << 16

// markSeen remembers a broadcast so that copies arriving later are dropped.
func (c *Core) markSeen(id broadcastID) {
	c.seen[id] = c.now
	c.seenOrder = append(c.seenOrder, id)
	if len(c.seenOrder) > seenLimit {
		delete(c.seen, c.seenOrder[0])
		c.seenOrder = c.seenOrder[1:]
	}
}

// seenTTL is how long a broadcast id is remembered: long enough for every
// copy still in flight to have arrived.
func (c *Core) seenTTL() time.Duration {
	d := time.Duration(4*c.retransmitLimit()) * (c.cfg.GossipInterval + c.cfg.ProbeInterval)
	return max(d, 5*time.Minute)
}

// expireSeen forgets broadcast ids older than seenTTL.
func (c *Core) expireSeen() {
	ttl := c.seenTTL()
	n := 0
	for _, id := range c.seenOrder {
		if at, ok := c.seen[id]; ok && c.now.Sub(at) < ttl {
			break
		}
		delete(c.seen, id)
		n++
	}
	c.seenOrder = append(c.seenOrder[:0], c.seenOrder[n:]...)
}
