package swim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Admission: who may change this view, and how much a stranger can draw
// from it. Every datagram is hostile until proven otherwise (see
// SECURITY.md). A packet's sender is classified by its source address:
//
//   - a member: the address of a member this view holds alive or suspect;
//     all its messages count, but the names it introduces are budgeted per
//     protocol period (newNamesPerSource, newNamesPerPeriod);
//   - solicited: an address we asked for state (a seed, a member held dead,
//     a member we sent a digest or asked for its state in turn), for a
//     little while; its sync records count without a budget, as they
//     answer our own request;
//   - a stranger: anyone else. It gets acks for its pings (with nothing
//     piggybacked), a cookie for a state request or a digest, and full
//     state only for a request that echoes the cookie, which also lets it
//     announce itself (its own record, at the address it sends from,
//     budgeted by its IP). Anything else it sends is dropped and counted.
//
// Names learnt second-hand are candidates until they answer a ping (see
// markVerified in state.go). No view grows past Config.MaxMembers.

// source is what a packet's sender is to this view.
type source uint8

const (
	fromStranger source = iota
	fromSolicited
	fromMember
	// fromVouched: a chunk of the state we asked for that echoes our
	// request's nonce, so that it came from the address we asked (or from
	// someone who saw the request). Its records are believed as they
	// stand, without a verification ping each: the member that sent them
	// heard from each member it passes on.
	fromVouched
	// fromProven: a member's packet that answers a ping of ours (it holds
	// an ack echoing the ping's nonce) or echoes a token we gave it (see
	// token.go), so that it came from the member's address (or from
	// someone who saw the ping or the token). The news it carries is
	// believed as news in a vouched state is, without a verification ping
	// per new member, but budgeted as any member's.
	fromProven
)

// vouches reports whether news from src is believed without a
// verification ping: it answers a request or a ping of ours, or echoes a
// token of ours, that an off-path sender could not have seen.
func (src source) vouches() bool { return src == fromVouched || src == fromProven }

// Budgets for names never seen before, per protocol period. A solicited
// state transfer is not budgeted (we asked for it), nor bounded but by
// MaxMembers; unsolicited news of new members is, so that a member (or an
// address forged as one, without encryption) cannot fill the table at the
// speed of its uplink.
const (
	// newNamesPerSource bounds the new names one source introduces per
	// period: a member by its address and port, a stranger by its IP.
	newNamesPerSource = 128
	// newNamesPerPeriod bounds the new names all unsolicited sources
	// introduce per period.
	newNamesPerPeriod = 512
	// maxSourcesTracked bounds the per-source budget table per period;
	// sources past it share the total budget only through a refusal.
	maxSourcesTracked = 4096
)

// Limits on answers, per protocol period.
const (
	// stateAnswerBytes bounds the bytes of state this member sends in
	// answer to requests per period, whoever asks: enough for a thousand
	// members joining through one seed at once, little enough to bound
	// what cookie-echoing requesters can draw in all.
	stateAnswerBytes = 64 << 20
	// maxCorrectionsTracked bounds the (member, source) pairs whose stale
	// accusation was corrected this period.
	maxCorrectionsTracked = 4096
)

// maxIncarnation is the highest incarnation believed from anyone but the
// member itself. Incarnations start at the member's start time in
// milliseconds (about 2^41 today) and grow by one per refutation, so a
// claim above 2^62 is a forgery meant to pin a member where it cannot
// refute.
const maxIncarnation = 1 << 62

// Cookies. A cookie is an HMAC of the requester's IP and the current time
// slot under a secret the core draws from its seeded generator and renews
// every cookieRotation; one from the previous slot or secret is still
// accepted, so a cookie stays good for one to two slots: long enough for a
// round trip, too short for a recording of a join to let a departed member
// in again once it is forgotten.
const (
	cookieLen      = 16
	cookieSlot     = 10 * time.Second
	cookieRotation = time.Minute
)

// secrets is a secret the core draws from its seeded generator and renews
// every so often, and the previous one, which is still accepted: cookies
// and tokens (token.go) are HMACs under a pair each. The HMACs are kept,
// keyed, so that computing one under them allocates no new hash.
type secrets struct {
	cur, prev hash.Hash // HMAC-SHA256 under the current and previous secret
	renewAt   time.Time
}

// startSecrets draws both secrets of s, the current one first, and sets
// the first renewal every from now.
func (c *Core) startSecrets(s *secrets, every time.Duration) {
	s.cur, s.prev = c.newSecret(), c.newSecret()
	s.renewAt = c.now.Add(every)
}

// renewSecrets draws a new current secret for s when it is due, keeping
// the last one as the previous.
func (c *Core) renewSecrets(s *secrets, every time.Duration) {
	if c.now.Before(s.renewAt) {
		return
	}
	s.prev, s.cur = s.cur, c.newSecret()
	s.renewAt = c.now.Add(every)
}

// newSecret draws a secret and returns the HMAC-SHA256 keyed with it.
func (c *Core) newSecret() hash.Hash {
	var k [32]byte
	for i := 0; i < len(k); i += 8 {
		binary.LittleEndian.PutUint64(k[i:], c.rng.Uint64())
	}
	return hmac.New(sha256.New, k[:])
}

// request is a state request of ours, awaiting an answer.
type request struct {
	until      time.Time
	nonce      uint64    // the nonce of our last request or digest to the address
	cookie     []byte    // the cookie the address gave us, echoed in front of requests
	pushedBack bool      // our state went back in answer to its state
	asked      time.Time // when we last asked it (a digest or a state request), for Ready.Syncs
	// keyedDigest: we sent it a digest, and take its KeyedSums once;
	// keyedAsked: we sent it our KeyedSums, and take its reply once.
	keyedDigest, keyedAsked bool
}

// periodLimits are the per-period budgets; newPeriod starts them afresh.
type periodLimits struct {
	added       int // members added this period, by any path
	refused     int // new names over budget this period
	newNames    int
	perSource   map[netip.AddrPort]int
	answered    map[netip.AddrPort]int
	answerBytes int
	corrected   map[correction]bool
	verified    int // verification pings sent by verifySome this period
	// verifyAnswered counts verification pings answered this period;
	// verifyBudget is what verifySome may send this period.
	verifyAnswered, verifyBudget int
}

type correction struct {
	name string
	to   netip.AddrPort
}

// newPeriod starts the per-period budgets afresh and renews the cookie
// secret when it is due.
func (c *Core) newPeriod() {
	l := &c.limits
	l.verifyBudget = min(maxVerifying, max(verifyPerPeriod, 2*l.verifyAnswered))
	l.added, l.refused, l.newNames, l.answerBytes, l.verified, l.verifyAnswered = 0, 0, 0, 0, 0, 0
	if len(c.pending) > maxSourcesTracked/4 {
		c.expirePending()
	}
	clear(l.perSource)
	clear(l.answered)
	clear(l.corrected)
	c.renewSecrets(&c.tokens, c.tokenRotation())
	c.renewSecrets(&c.cookies, cookieRotation)
	if cap(c.msgs) > keptMessages {
		c.msgs = nil
	}
}

// classify says what the sender at from is to this view, and which member
// it is when it is one.
func (c *Core) classify(from netip.AddrPort) (source, *member) {
	if m, ok := c.byAddr[from]; ok && m != c.self && m.State <= StateSuspect {
		return fromMember, m
	}
	if r, ok := c.pending[from]; ok && !c.now.After(r.until) {
		return fromSolicited, nil
	}
	return fromStranger, nil
}

// solicit remembers that from may answer us with state for a while.
func (c *Core) solicit(to netip.AddrPort, d time.Duration) *request {
	r, ok := c.pending[to]
	if !ok {
		r = &request{}
		c.pending[to] = r
	}
	if until := c.now.Add(d); until.After(r.until) {
		r.until = until
	}
	return r
}

// sourceKey is the key of a sender's budgets: a member's own address, or a
// stranger's IP, so that a stranger gains nothing by rotating its port.
func sourceKey(src source, from netip.AddrPort) netip.AddrPort {
	if src == fromMember || src == fromProven {
		return from
	}
	return netip.AddrPortFrom(from.Addr(), 0)
}

// admitNew reports whether a name never seen before may be added, on news
// from from, and counts it against the budgets. A stranger announcing
// itself (having echoed a cookie) is budgeted by its IP only: it proved
// that it receives there, and many members joining at once through one
// seed must not wait on each other.
func (c *Core) admitNew(src source, from netip.AddrPort) bool {
	if len(c.members) >= c.cfg.maxMembers() {
		c.stats.MembersRefused++
		return false
	}
	if src == fromSolicited || src == fromVouched {
		return true
	}
	l := &c.limits
	key := sourceKey(src, from)
	n, tracked := l.perSource[key]
	total := (src == fromMember || src == fromProven) && l.newNames >= newNamesPerPeriod
	if total || n >= newNamesPerSource || (!tracked && len(l.perSource) >= maxSourcesTracked) {
		c.stats.MembersRefused++
		l.refused++
		return false
	}
	if l.perSource == nil {
		l.perSource = make(map[netip.AddrPort]int)
	}
	l.perSource[key] = n + 1
	l.newNames++
	return true
}

// cookieFor computes the cookie for ip in time slot slot with mac, one of
// the cookie secrets' HMACs.
func cookieFor(mac hash.Hash, ip netip.Addr, slot int64) []byte {
	mac.Reset()
	a := ip.As16()
	mac.Write(a[:])
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], uint64(slot))
	mac.Write(s[:])
	return mac.Sum(nil)[:cookieLen]
}

func (c *Core) cookieSlot() int64 { return c.now.UnixNano() / int64(cookieSlot) }

// newCookie is the cookie a stranger at ip must echo.
func (c *Core) newCookie(ip netip.Addr) []byte {
	return cookieFor(c.cookies.cur, ip, c.cookieSlot())
}

// validCookie reports whether v is a cookie this core gave ip lately.
func (c *Core) validCookie(ip netip.Addr, v []byte) bool {
	if len(v) != cookieLen {
		return false
	}
	slot := c.cookieSlot()
	for _, mac := range []hash.Hash{c.cookies.cur, c.cookies.prev} {
		for _, s := range []int64{slot, slot - 1} {
			if hmac.Equal(v, cookieFor(mac, ip, s)) {
				return true
			}
		}
	}
	return false
}

// sendCookie answers a stranger's state request with a cookie alone: a
// few bytes, less than the request itself.
func (c *Core) sendCookie(to netip.AddrPort) {
	c.stats.CookiesSent++
	b := c.packetBuf()
	b = wire.AppendCookie(b, &wire.Cookie{Value: c.newCookie(to.Addr())})
	c.sendPacket(to, b)
}

// handleCookie takes a cookie that an address we asked for state gave us,
// and asks again with it. A cookie it gave us already is ignored, so a
// cookie costs at most one small request in return.
func (c *Core) handleCookie(from netip.AddrPort, v []byte) {
	r, ok := c.pending[from]
	if !ok || c.now.After(r.until) || len(v) != cookieLen || bytes.Equal(r.cookie, v) {
		return
	}
	r.cookie = bytes.Clone(v)
	c.sendSyncRequest(from)
}

// strangerAnswersPerIP bounds the state answers per period to one IP that
// is no member (each request echoed a cookie, so the IP receives what it
// asks for): members that share a host, or a NAT, join at once, while one
// host still draws at most this many states a period.
const strangerAnswersPerIP = 64

// answerBudget reports whether a state answer may go to to now, and
// reserves it: one per member (by address and port) and
// strangerAnswersPerIP per stranger IP per period, and stateAnswerBytes in
// all. It is checked before any work is done for the request.
func (c *Core) answerBudget(src source, to netip.AddrPort) bool {
	l := &c.limits
	key := sourceKey(src, to)
	limit := 1
	if src != fromMember {
		limit = strangerAnswersPerIP
	}
	n, tracked := l.answered[key]
	if n >= limit || l.answerBytes >= stateAnswerBytes || (!tracked && len(l.answered) >= maxSourcesTracked) {
		c.stats.StateAnswersLimited++
		return false
	}
	if l.answered == nil {
		l.answered = make(map[netip.AddrPort]int)
	}
	l.answered[key] = n + 1
	return true
}

// correctOnce reports whether a stale accusation about name from to may be
// corrected now: once per (member, source) per period.
func (c *Core) correctOnce(name string, to netip.AddrPort) bool {
	l := &c.limits
	k := correction{name, to}
	if l.corrected[k] || len(l.corrected) >= maxCorrectionsTracked {
		c.stats.CorrectionsLimited++
		return false
	}
	if l.corrected == nil {
		l.corrected = make(map[correction]bool)
	}
	l.corrected[k] = true
	return true
}

// believable reports whether an incarnation claimed by a third party can be
// true (see maxIncarnation); a refusal is counted.
func (c *Core) believable(inc uint64) bool {
	if inc > maxIncarnation {
		c.stats.IncarnationsRefused++
		return false
	}
	return true
}
