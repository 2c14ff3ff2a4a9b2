package swim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/timeq"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Errors returned by Core methods; test for them with errors.Is.
var (
	// ErrTooLarge: a payload does not fit one packet (see MaxPayload).
	ErrTooLarge = errors.New("swim: payload too large for one packet")
	// ErrUnknownMember: no alive or suspect member has that name.
	ErrUnknownMember = errors.New("swim: unknown member")
	// ErrLeft: the core has left the cluster and takes no more work.
	ErrLeft = errors.New("swim: member has left")
	// ErrQueueFull: too many broadcasts are waiting to be sent; try later.
	ErrQueueFull = errors.New("swim: broadcast queue full")
	// ErrMalformed wraps every error about a packet that could not be decoded.
	ErrMalformed = errors.New("swim: malformed packet")
)

// Outbound is a packet the caller must send as one datagram.
type Outbound struct {
	// To is the destination address.
	To netip.AddrPort
	// Bytes is the datagram's payload, valid until the next Ready.
	Bytes []byte
}

// UserMessage is an application payload that arrived for the caller.
type UserMessage struct {
	// From is the name of the member whose address sent it (never a claim
	// inside the payload). For a broadcast it is the origin the broadcast
	// names, which any member relaying it could have written: treat it as
	// a claim. Payloads from addresses that are no member are dropped.
	From string
	// Broadcast is true for a payload gossiped to every member, false for
	// one sent to this member alone.
	Broadcast bool
	Payload   []byte
}

// RTT is one round trip measured to a member.
type RTT struct {
	Member string
	RTT    time.Duration
}

// Sync is a completed state exchange: with whom and how long it took from
// our request to the last chunk of the answer.
type Sync struct {
	Addr netip.AddrPort
	Took time.Duration
}

// Pong is the outcome of a Ping: the round trip, or Lost when no ack came
// within a protocol period.
type Pong struct {
	Token uint32
	RTT   time.Duration
	Lost  bool
}

// Ready is what the core asks of its caller after an input.
type Ready struct {
	// Packets to send, in order.
	Packets []Outbound
	// Events are membership changes, in the order they happened.
	Events []Event
	// Delivered are application payloads received.
	Delivered []UserMessage
	// RTTs are the round trips measured by direct acks, to probes and
	// to Ping, in the order they came.
	RTTs []RTT
	// Pongs are the outcomes of Ping calls.
	Pongs []Pong
	// Syncs are the state exchanges this core asked for (anti-entropy
	// digests answered with state, joins, reconnections) that completed,
	// with how long each took.
	Syncs []Sync
	// StreamProbes are stream probes to run: the TCP fallback of probes
	// whose direct ping went unanswered. Run each off the caller's main
	// loop and report how it ended with StreamProbeResult.
	StreamProbes []StreamProbe
	// Wake is when Tick must be called next (the zero time: never).
	Wake time.Time
}

// StreamProbe asks the caller to check, over a reliable stream (TCP), that
// the member named Name answers at Addr: to connect, ask the member there
// whether it is Name, and report the answer with StreamProbeResult(Token).
// The answer matters only until Deadline, when the probe is judged; give
// up then.
type StreamProbe struct {
	Name     string
	Addr     netip.AddrPort
	Token    uint32
	Deadline time.Time
}

// Core is one member's protocol state machine. It is not safe for
// concurrent use: one goroutine (or one simulator) owns it.
type Core struct {
	cfg  Config
	rng  *rand.Rand
	now  time.Time
	self *member

	members map[string]*member
	nodes   []*member // every known member but self, for sampling; order is deterministic
	counts  [4]int    // verified members of nodes by state
	// candidates are the members of nodes not verified yet: heard of,
	// not heard from. They are kept out of events, member lists, N and
	// the probe round until they answer. A list of their own, so that
	// verifySome, every gossip tick, looks at them and not at every
	// member.
	candidates []*member
	byAddr     map[netip.AddrPort]*member

	probeList []*member
	probeIdx  int
	// ring holds the members of the probe schedule in name order, and
	// selfPlace counts those before us; lastPeriod is the period it last
	// gave a target for, nextTick when the next period starts, and pair
	// the early ping to the partner of that period (schedule.go).
	ring       []*member
	selfPlace  int
	lastPeriod int64
	nextTick   time.Time
	pair       pairCheck
	probe      *probeState // the probe under way, nil or &probeSlot
	probeSlot  probeState
	acks       map[uint32]ackHandler
	awaiting   [ackKinds]int // entries of acks by kind
	// verifying counts the verification pings awaited by address, so
	// that verifySome need not search acks for each candidate.
	verifying map[netip.AddrPort]int
	viv       vivaldi // our network coordinate
	// coordsHeld counts the members whose coordinate we hold.
	coordsHeld int
	verifyIdx  int // where verifySome goes on
	health     int
	lateUntil  time.Time // no health penalty for late timers before then
	// firedLate: the timer being run is late (see isLate).
	firedLate bool
	// retry is the member whose probe was inconclusive, probed again next;
	// retries counts such probes of it in a row (nextProbeTarget starts
	// it afresh with any other target).
	retry   *member
	retries int
	selfTag uint32 // nameTag of our name, bound into every ack we send

	timers  timeq.Queue[timer]
	suspGen uint64

	news      queue // protocol news, keyed by member name
	user      queue // user broadcasts
	fillCount uint64
	seen      map[broadcastID]time.Time
	seenOrder []broadcastID
	nextBcast uint32

	// Gossip rounds: lastRound is when the last one ran, gossipDue when
	// the next periodic one is, gossipEvery the health-scaled
	// GossipInterval the last periodic round set (GossipInterval before
	// the first); earlyWanted: news the input at hand queued asks for an
	// early round (wantEarlyRound); earlyUsed: the early round of this
	// interval has run or is armed.
	lastRound, gossipDue   time.Time
	gossipEvery            time.Duration
	earlyWanted, earlyUsed bool

	// epoch numbers this life among the member's lives (its start time in
	// milliseconds), carried by its keyed broadcasts.
	epoch   uint64
	keyed   keyedStore // the latest keyed broadcast of each origin and key
	seeds   []netip.AddrPort
	joining bool
	// justJoined: a seed answered since the last period; sync at once.
	justJoined bool
	joinTry    int
	joinGen    uint64
	pending    map[netip.AddrPort]*request // our state requests and digests, by address
	limits     periodLimits
	cookies    secrets
	tokens     secrets
	// viewsDiffered: the last anti-entropy round found views or keyed
	// stores that differ. grewAt is when the view last gained a member or
	// a candidate (addMember, markVerified), and syncDue when the next
	// regular anti-entropy round is due (see syncTick).
	viewsDiffered bool
	grewAt        time.Time
	syncDue       time.Time
	// viewSum is the digest's sum over every member but this one, kept
	// as members change (see digest).
	viewSum uint64
	// resyncArmed: a timerResync is pending (at most one is); lastSynced
	// is the member our last digest went to; resyncRng picks the member
	// the check goes to, and the members and times of the checks once the
	// view settles.
	resyncArmed bool
	// resynced: the check after this member's last join was armed;
	// joinedAt: when it last joined (or started).
	resynced bool
	joinedAt time.Time
	// settleDue: when the timerSettled of generation settleGen is due
	// (zero when none is pending; others pending are stale); checksSent
	// counts the checks sent since the view last grew.
	settleGen  uint64
	settleDue  time.Time
	checksSent int
	lastSynced netip.AddrPort
	resyncRng  *rand.Rand
	// nonceRng draws the nonces our state requests and digests carry.
	nonceRng   *rand.Rand
	leaving    bool
	leaveDone  bool
	conflictAt uint64 // incarnation of the last conflict reported

	out Ready
	// spare is the Ready handed out before the last, whose room out
	// reuses; arena and spareArena hold the bytes of their packets
	// (see packetBuf), and reserved is where the last packet carved from
	// arena starts, -1 once it was sent.
	spare             Ready
	arena, spareArena []byte
	reserved          int
	msgs              []wire.Message
	stats             Stats
}

// member is the core's record of one member. Every member holds one of
// every other, so a process running hundreds of members holds hundreds of
// thousands: the fields are ordered to pack tightly (176 bytes), pointers
// first, for the garbage collector scans a record only up to its last.
type member struct {
	Member
	susp *suspicion
	// net holds the member's network coordinate and round trips, nil
	// before its first direct ack.
	net *measured
	// tokenIn is the token the member gave us, echoed with the alive
	// news we send it; tokenGiven is when we last gave it one of ours
	// with alive news or in an ack (see token.go).
	tokenGiven time.Time
	tokenIn    uint64
	idx        int32 // position in Core.nodes, -1 for self
	candIdx    int32 // position in Core.candidates while not verified
	coordAge   uint8 // probes of the member, modulo 256 (see wantCoord)
	// verifyFails counts unanswered verification pings of a candidate.
	verifyFails uint8
	gone        bool
	probeIn     bool // in probeList
	inRing      bool // in ring
	// verified: the member has been heard from at its address (a packet
	// from there, or an ack that echoed our nonce). Only verified members
	// are gossip, relay and sync targets or move the health score, so a
	// member someone merely claims exists costs us little.
	verified bool
	// unspread: news of the member waits for it to be verified.
	unspread bool
	// relayOnly: a state transfer brought the member, and its news is
	// passed on only to a few (see spreadAlive); read once, when the
	// member is added or, a candidate, verified.
	relayOnly bool
}

type broadcastID struct {
	origin string
	id     uint32
}

// New returns a core for the local member self. self.Name must be non-empty
// and at most MaxNameLen bytes, self.Addr valid, self.Meta at most
// MaxMetaLen bytes. A zero self.Incarnation is replaced with now in
// milliseconds since 1970, so a restarted member outranks its previous life.
// seed fixes every random choice the core makes.
func New(now time.Time, cfg Config, self Member, seed uint64) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case self.Name == "" || len(self.Name) > MaxNameLen:
		return nil, fmt.Errorf("swim: member name %q: want 1 to %d bytes", self.Name, MaxNameLen)
	case !self.Addr.IsValid() || self.Addr.Addr().IsUnspecified():
		return nil, fmt.Errorf("swim: member address %v: want a specific IP address and port", self.Addr)
	case len(self.Meta) > MaxMetaLen:
		return nil, fmt.Errorf("swim: metadata of %d bytes: want at most %d: %w", len(self.Meta), MaxMetaLen, ErrTooLarge)
	}
	self = self.clone()
	self.Addr = netip.AddrPortFrom(self.Addr.Addr().Unmap(), self.Addr.Port())
	if self.Incarnation == 0 {
		if ms := now.UnixMilli(); ms > 0 {
			self.Incarnation = uint64(ms)
		} else {
			self.Incarnation = 1
		}
	}
	self.State = StateAlive
	self.Since = now
	c := &Core{
		reserved: -1,
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		// The re-sync check draws from a stream of its own, so that it
		// leaves every other random choice where it was: a replay or a
		// transcript shows the checks and nothing else moved.
		resyncRng: rand.New(rand.NewPCG(seed^0x7f4a7c159e3779b9, seed)),
		// So do nonces, for the same reason.
		nonceRng:  rand.New(rand.NewPCG(seed^0x2545f4914f6cdd1d, seed^0x9e3779b97f4a7c15)),
		now:       now,
		joinedAt:  now,
		members:   make(map[string]*member),
		byAddr:    make(map[netip.AddrPort]*member),
		acks:      make(map[uint32]ackHandler),
		verifying: make(map[netip.AddrPort]int),
		seen:      make(map[broadcastID]time.Time),
		pending:   make(map[netip.AddrPort]*request),
	}
	c.self = &member{Member: self, idx: -1, verified: true}
	c.selfTag = nameTag(self.Name)
	c.viv.coord = newCoordinate()
	c.members[self.Name] = c.self
	c.nextBcast = c.rng.Uint32()
	c.epoch = uint64(max(now.UnixMilli(), 1))
	c.startSecrets(&c.cookies, cookieRotation)
	c.startSecrets(&c.tokens, c.tokenRotation())
	// Stagger the periodic work so that members started together do not
	// probe, gossip and sync in lockstep.
	c.schedule(now.Add(c.jitter(cfg.ProbeInterval)), timer{kind: timerProbe})
	c.gossipDue, c.gossipEvery = now.Add(c.jitter(cfg.GossipInterval)), cfg.GossipInterval
	c.schedule(c.gossipDue, timer{kind: timerGossip})
	c.schedule(now.Add(c.jitter(cfg.SyncInterval)), timer{kind: timerSync})
	c.schedule(now.Add(c.jitter(cfg.ReconnectInterval)), timer{kind: timerReconnect})
	c.schedule(now.Add(c.reapInterval()), timer{kind: timerReap})
	return c, nil
}

// jitter returns a random duration in [0, d).
func (c *Core) jitter(d time.Duration) time.Duration { return c.jitterFrom(c.rng, d) }

// jitterFrom returns a random duration in [0, d) drawn from rng.
func (c *Core) jitterFrom(rng *rand.Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rng.Int64N(int64(d)))
}

// MaxPayload is the largest application payload that Send and Broadcast
// accept with this budget: what is left of one packet after the version
// byte and the longest message header (a broadcast with the longest origin
// name).
func MaxPayload(budget int) int {
	return budget - PayloadOverhead
}

// PayloadOverhead is what a packet spends around an application payload in
// the worst case: the version byte, then a broadcast's type byte, array
// header, the longest origin name (str8 header and 128 bytes), its id
// (uint32), the payload's bin16 header and its key (uint64, keyed
// broadcasts only).
const PayloadOverhead = 1 + 1 + 1 + 2 + MaxNameLen + 5 + 3 + wire.MaxBroadcastKeyLen

// advance moves the core's clock; time never runs backwards inside it.
func (c *Core) advance(now time.Time) {
	if now.After(c.now) {
		c.now = now
	}
}

// Ready returns everything the core wants done since the last call. Its
// slices and the packets' bytes stay valid until the next call to Ready,
// which takes their room back: copy what must outlive that. A steady
// member's packets and their lists then cost no allocation; each was a
// few before, and most of the garbage a process of many members made.
func (c *Core) Ready() Ready {
	rd := c.out
	rd.Wake = c.nextWake()
	c.out, c.spare = c.spare.emptied(), rd
	c.arena, c.spareArena = c.spareArena[:0], c.arena
	if cap(c.arena) > max(keptArena, 4*c.cfg.PacketBudget) {
		c.arena = nil
	}
	c.reserved = -1
	return rd
}

// emptied returns r with every list emptied for reuse (see recycle).
func (r Ready) emptied() Ready {
	return Ready{
		Packets:      recycle(r.Packets),
		Events:       recycle(r.Events),
		Delivered:    recycle(r.Delivered),
		RTTs:         recycle(r.RTTs),
		Pongs:        recycle(r.Pongs),
		Syncs:        recycle(r.Syncs),
		StreamProbes: recycle(r.StreamProbes),
	}
}

// recycle empties s for reuse, zeroing it so that it keeps nothing alive,
// unless it grew past keptReady items, which a burst (a state transfer
// to a joiner) needs once.
func recycle[T any](s []T) []T {
	if cap(s) > keptReady {
		return nil
	}
	clear(s)
	return s[:0]
}

const (
	// keptReady is the most items a Ready list keeps room for.
	keptReady = 64
	// keptArena is the most packet bytes an arena keeps room for: a
	// dozen packets of news, twice per core (arena and spareArena); at
	// least four packets, whatever PacketBudget is.
	keptArena = 16 << 10
)

// packetBuf returns a new packet, its header written, with room for
// PacketBudget bytes carved from the arena, so that building it allocates
// nothing; sendPacket gives back what it did not use.
func (c *Core) packetBuf() []byte {
	room := c.cfg.PacketBudget
	if cap(c.arena)-len(c.arena) < room {
		// The full arena stays with the packets carved from it; the next
		// is twice as large, up to keptArena, so that a member that sends
		// a packet or two at a time keeps a few KB, not 16.
		c.arena = make([]byte, 0, max(min(2*cap(c.arena), keptArena), 4*room))
	}
	start := len(c.arena)
	c.arena = c.arena[:start+room]
	c.reserved = start
	return wire.AppendHeader(c.arena[start : start : start+room])
}

// Tick runs every timer due at or before now. A timer run late says this
// member is the slow one (see lateTimer).
func (c *Core) Tick(now time.Time) {
	c.advance(now)
	var late time.Duration
	for at, ok := c.timers.Next(); ok && !at.After(c.now); at, ok = c.timers.Next() {
		_, t := c.timers.Pop()
		d := c.now.Sub(at)
		c.firedLate, late = c.isLate(d), max(late, d)
		c.fire(t)
	}
	c.firedLate = false
	c.lateTimer(late)
	c.earlyRound()
}

func (c *Core) fire(t timer) {
	switch t.kind {
	case timerProbe:
		c.probeTick()
	case timerProbeTimeout:
		c.probeTimeout(uint32(t.key))
	case timerRelayTimeout:
		c.relayExpired(uint32(t.key))
	case timerRelayForget:
		c.relayForget(uint32(t.key))
	case timerCheckExpire:
		c.checkExpired(uint32(t.key))
	case timerSuspicion:
		c.suspicionTimeout(t.name, t.gen)
	case timerGossip:
		c.gossipTick()
	case timerGossipEarly:
		if c.now.Before(c.gossipDue) {
			// Else the periodic round, run late in this Tick as well,
			// carries the news.
			c.gossipRound()
		}
	case timerSync:
		c.syncTick()
	case timerReconnect:
		c.reconnectTick()
	case timerJoinRetry:
		if t.gen == c.joinGen {
			c.joinRetry()
		}
	case timerReap:
		c.reap()
	case timerResync:
		c.resyncTick()
	case timerSettled:
		if t.gen == c.settleGen {
			c.settledTick()
		}
	}
}

// Step handles one packet from the address from. A malformed packet is
// counted, changes nothing, and returns an error wrapping ErrMalformed.
func (c *Core) Step(now time.Time, from netip.AddrPort, packet []byte) error {
	c.advance(now)
	c.stats.PacketsIn++
	c.stats.BytesIn += uint64(len(packet))
	msgs, err := wire.DecodePacket(packet, c.msgs[:0])
	if err != nil {
		c.stats.Malformed++
		return fmt.Errorf("%w: from %v: %w", ErrMalformed, from, err)
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	pk := c.newPacket(from, msgs)
	// A core never puts two pings, two ping-reqs or two accusations
	// needing correction in one packet, so only the first of each is
	// answered: a packet stuffed with hundreds of them must not make us
	// send hundreds of answers to an address of the sender's choosing.
	for i := range msgs {
		c.handle(&pk, &msgs[i])
	}
	clear(msgs)
	c.msgs = msgs[:0]
	c.earlyRound()
	return nil
}

// keptMessages is the most decoded messages whose room outlives a protocol
// period: Step reuses its room from packet to packet, so that a stream of
// packets packed with tiny messages allocates nothing. A full packet of
// news holds up to about 50 (560 bytes each). Past 32, append grows the
// room to 73 messages, a 40 KB size class, so that is the room to keep:
// with 64 as the bound, every core of a process running 1,024 members
// dropped that room each period and grew it again message by message,
// copying and clearing ~120 KB each time (a tenth of the process's CPU in
// growslice, memmove and memclr, and most of its garbage).
const keptMessages = 96

// packet is what the core knows of the packet being handled.
type packet struct {
	from   netip.AddrPort
	src    source
	sender *member // the member at from, if src is fromMember
	// cookie: the packet echoed a valid cookie, so its sender receives at
	// the address it sends from.
	cookie bool
	// proven: the packet, from a member, holds an ack to a ping of ours
	// to its address or echoes a token we gave it, so its news is vouched
	// for (fromProven).
	proven bool
	// trusting: the packet, from a member, gives us a token (see
	// token.go); a ping that does is a verification ping, and its ack
	// gives one back.
	trusting                   bool
	alone                      bool // the packet holds one message
	pinged, relayed, corrected bool
}

// newPacket classifies a packet's sender and checks the cookie it echoes.
func (c *Core) newPacket(from netip.AddrPort, msgs []wire.Message) packet {
	pk := packet{from: from, alone: len(msgs) == 1}
	pk.src, pk.sender = c.classify(from)
	if pk.sender != nil && !pk.sender.verified {
		c.markVerified(pk.sender)
	}
	if pk.src == fromMember {
		// Tokens are read in every packet: one given is kept whatever
		// else the packet holds.
		tokened, given := c.takeTokens(pk.sender, from, msgs)
		pk.proven = tokened || c.answersPing(from, msgs)
		pk.trusting = given
		return pk
	}
	for i := range msgs {
		if msgs[i].Type == wire.TypeCookie && c.validCookie(from.Addr(), msgs[i].Cookie.Value) {
			pk.cookie = true
			break
		}
	}
	return pk
}

func (c *Core) handle(pk *packet, m *wire.Message) {
	switch m.Type {
	case wire.TypePing:
		if !pk.pinged {
			pk.pinged = true
			c.handlePing(pk, &m.Ping)
		}
		return
	case wire.TypeAck:
		c.handleAck(pk.from, m.Ack.Nonce, m.Ack.Coord)
		return
	case wire.TypeNack:
		c.handleNack(pk.from, m.Nack.Nonce)
		return
	case wire.TypeCookie:
		// A cookie alone is one given to us; one in front of other
		// messages is an echo of ours (checked in newPacket), never to be
		// taken as given, or two members that both await each other's
		// state would trade cookies for ever.
		if pk.alone {
			c.handleCookie(pk.from, m.Cookie.Value)
		}
		return
	case wire.TypeSync:
		c.handleSync(pk, &m.Sync)
		return
	case wire.TypeDigest:
		if pk.src != fromMember {
			// A member we have not heard of yet (it joined after us, and
			// the news has not reached us) wants to compare views: it
			// gets a cookie, which it answers with a state request that
			// announces it first-hand.
			if pk.alone && !c.leaving {
				c.sendCookie(pk.from)
			}
			return
		}
	}
	if pk.src != fromMember {
		// Gossip, user messages, digests and ping-reqs come from members
		// only: from anyone else they could change membership or draw
		// answers to an address of their choosing.
		c.stats.StrangerDropped++
		return
	}
	c.handleMember(pk, m)
}

// handleMember handles the messages only members may send.
func (c *Core) handleMember(pk *packet, m *wire.Message) {
	switch m.Type {
	case wire.TypePingReq:
		if !pk.relayed {
			pk.relayed = true
			c.handlePingReq(pk.from, &m.PingReq)
		}
	case wire.TypeAlive:
		c.onAliveFrom(pk, &m.Alive)
	case wire.TypeSuspect:
		c.correctStale(pk, m.Suspect.Name, m.Suspect.Incarnation)
		c.onSuspect(m.Suspect.Name, m.Suspect.Incarnation, m.Suspect.From)
	case wire.TypeDead:
		c.correctStale(pk, m.Dead.Name, m.Dead.Incarnation)
		c.onDead(m.Dead.Name, m.Dead.Incarnation, m.Dead.From)
	case wire.TypeLeave:
		c.onLeave(m.Leave.Name, m.Leave.Incarnation, pk.sender)
	case wire.TypeUser:
		if c.leaving {
			return
		}
		c.out.Delivered = append(c.out.Delivered, UserMessage{From: pk.sender.Name, Payload: m.User.Payload})
	case wire.TypeBroadcast:
		c.handleBroadcast(&m.Broadcast)
	case wire.TypeDigest:
		c.handleDigest(pk, &m.Digest)
	case wire.TypeKeyedSums:
		c.handleKeyedSums(pk, &m.KeyedSums)
	}
}

// Join sets the seed addresses and starts joining through them: a sync
// request goes to every seed now and again with backoff until one answers.
// The seeds stay known: the core contacts those that are not alive members
// every ReconnectInterval, which heals partitions. With no seeds other than
// itself, the core forms a cluster of one that others can join. Calling Join
// again replaces the seeds (for example after discovery refreshed them).
func (c *Core) Join(now time.Time, seeds []netip.AddrPort) error {
	c.advance(now)
	if c.leaving {
		return ErrLeft
	}
	c.seeds = c.seeds[:0]
	for _, s := range seeds {
		s = netip.AddrPortFrom(s.Addr().Unmap(), s.Port())
		if !s.IsValid() || s == c.self.Addr || slices.Contains(c.seeds, s) {
			continue
		}
		c.seeds = append(c.seeds, s)
	}
	if len(c.seeds) == 0 || c.joining {
		return nil
	}
	c.joining = true
	c.joinTry = 0
	c.joinGen++
	c.joinRetry()
	return nil
}

// SetSeeds replaces the seed addresses, as discovery refreshes them, and at
// once contacts every new seed that is not the address of an alive member:
// a pod restarted at a new address, or the far side of a partition, is
// reached without waiting for the reconnect round.
func (c *Core) SetSeeds(now time.Time, seeds []netip.AddrPort) {
	c.advance(now)
	old := c.seeds
	c.seeds = nil
	for _, s := range seeds {
		s = netip.AddrPortFrom(s.Addr().Unmap(), s.Port())
		if !s.IsValid() || s == c.self.Addr || slices.Contains(c.seeds, s) {
			continue
		}
		c.seeds = append(c.seeds, s)
		if c.leaving || slices.Contains(old, s) {
			continue
		}
		if m, ok := c.byAddr[s]; !ok || m.State > StateSuspect {
			c.sendSyncRequest(s)
		}
	}
}

// Joined reports whether a member has answered a sync request since the
// last Join (a seed, or a member contacted to reconnect), or Join was never
// needed.
func (c *Core) Joined() bool { return !c.joining }

func (c *Core) joinRetry() {
	if !c.joining || c.leaving {
		return
	}
	for _, s := range c.seeds {
		c.sendSyncRequest(s)
	}
	backoff := c.cfg.JoinRetryMin << min(c.joinTry, 20)
	if backoff > c.cfg.JoinRetryMax || backoff <= 0 {
		backoff = c.cfg.JoinRetryMax
	}
	c.joinTry++
	c.schedule(c.now.Add(backoff/2+c.jitter(backoff/2)), timer{kind: timerJoinRetry, gen: c.joinGen})
}

// Leave announces that this member leaves. The core keeps answering probes
// and spreading news, so the caller should keep driving it until LeaveDone
// or a deadline, then stop.
func (c *Core) Leave(now time.Time) error {
	c.advance(now)
	if c.leaving {
		return nil
	}
	c.leaving = true
	c.joining = false
	c.self.State = StateLeft
	c.self.Since = c.now
	if c.liveCount() <= 1 {
		c.leaveDone = true
	}
	c.news.push(c.self.Name, wire.AppendLeave(nil, &wire.Leave{Name: c.self.Name, Incarnation: c.self.Incarnation}), func() {
		c.leaveDone = true
	})
	c.wantEarlyRound()
	c.earlyRound()
	return nil
}

// LeaveDone reports whether the leave announcement has been sent as often
// as any news is.
func (c *Core) LeaveDone() bool { return c.leaveDone }

// UpdateMeta replaces the local member's metadata and announces it.
func (c *Core) UpdateMeta(now time.Time, meta []byte) error {
	c.advance(now)
	if c.leaving {
		return ErrLeft
	}
	if len(meta) > MaxMetaLen {
		return fmt.Errorf("swim: metadata of %d bytes, want at most %d: %w", len(meta), MaxMetaLen, ErrTooLarge)
	}
	c.self.Meta = bytes.Clone(meta)
	c.bumpIncarnation()
	c.announceSelf()
	return nil
}

// Broadcast gossips payload to every other member, best effort; each receives it
// at most once. At most 1,024 broadcasts wait to be sent; past that it
// returns ErrQueueFull.
func (c *Core) Broadcast(now time.Time, payload []byte) error {
	return c.broadcast(now, 0, payload)
}

// BroadcastKeyed is Broadcast for a payload that supersedes the earlier
// ones of its key: it replaces the broadcast of that key this member
// queued before, if that one has not yet been sent as often as every
// broadcast is. A producer that updates the same keys faster than the
// network carries them so holds one broadcast per key, and gets
// ErrQueueFull only for keys not queued yet. The broadcast carries a
// 64-bit hash of the key, so every member that passes it on replaces
// the older payloads of the key it holds too, and the latest spreads
// however many came before it.
//
// The replacement has a broadcast id of its own: a member that delivered
// an older payload of the key delivers this one too, and a member the
// older one had not reached gets this one alone. Every member keeps the
// latest broadcast of each origin and key (4,096 in all, for three
// quarters of the de-duplication window) and delivers a keyed broadcast
// only if it is later than the one it keeps, ordered by the origin's
// epoch (its start time) and then its id: no member delivers an older
// payload of a key after a newer one, even across a restart of the
// origin. Anti-entropy compares the kept broadcasts and pushes the ones
// that differ, so every member that stays in touch ends with the latest
// payload of every key, even where gossip lost it. Two keys whose hashes
// agree (about one pair in 10^7 among a million keys) replace each other.
// The empty key coalesces nothing: it is Broadcast.
func (c *Core) BroadcastKeyed(now time.Time, key string, payload []byte) error {
	if key == "" {
		return c.broadcast(now, 0, payload)
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return c.broadcast(now, max(h.Sum64(), 1), payload) // 0 is no key
}

// broadcast queues payload under the key hash key (0 for none).
func (c *Core) broadcast(now time.Time, key uint64, payload []byte) error {
	c.advance(now)
	if c.leaving {
		return ErrLeft
	}
	if max := MaxPayload(c.cfg.PacketBudget); len(payload) > max {
		return fmt.Errorf("swim: broadcast of %d bytes, budget %d: %w", len(payload), max, ErrTooLarge)
	}
	qkey := broadcastKey(c.self.Name, key)
	queued := c.user.queued(qkey)
	if c.user.len() >= maxUserQueue && !queued {
		return fmt.Errorf("swim: %d broadcasts waiting: %w", c.user.len(), ErrQueueFull)
	}
	if queued {
		c.stats.BroadcastsReplaced++
	}
	id := broadcastID{origin: c.self.Name, id: c.nextBcast}
	c.nextBcast++
	c.markSeen(id)
	b := &wire.Broadcast{Origin: id.origin, ID: id.id, Payload: payload, Key: key}
	var msg []byte
	if key != 0 {
		b.Epoch = c.epoch
		msg = c.keyed.keep(c.now, b)
	}
	if msg == nil { // unkeyed, or the store holds ours from a life whose clock ran ahead
		msg = wire.AppendBroadcast(nil, b)
	}
	it := c.user.push(qkey, msg, nil)
	it.id, it.epoch = id.id, b.Epoch
	return nil
}

// broadcastKey is the user queue's key for broadcasts of origin with the
// key hash key: "" for none. The hash takes the last 8 bytes, so no two
// origins' keys meet.
func broadcastKey(origin string, key uint64) string {
	if key == 0 {
		return ""
	}
	return string(binary.BigEndian.AppendUint64([]byte(origin), key))
}

// Send sends payload to the member named to, in one packet, best effort.
func (c *Core) Send(now time.Time, to string, payload []byte) error {
	c.advance(now)
	if c.leaving {
		return ErrLeft
	}
	if max := MaxPayload(c.cfg.PacketBudget); len(payload) > max {
		return fmt.Errorf("swim: message of %d bytes, budget %d: %w", len(payload), max, ErrTooLarge)
	}
	m, ok := c.members[to]
	if !ok || m.gone || !m.verified || m == c.self || m.State == StateDead || m.State == StateLeft {
		return fmt.Errorf("swim: send to %q: %w", to, ErrUnknownMember)
	}
	b := wire.AppendUser(c.packetBuf(), &wire.User{Payload: payload})
	c.sendPacket(m.Addr, c.piggyback(m.Addr, b))
	return nil
}

// LocalMember returns this core's own member record.
func (c *Core) LocalMember() Member { return c.self.clone() }

// Member returns the record of the member with the given name. Members
// heard of but not heard from yet are not reported.
func (c *Core) Member(name string) (Member, bool) {
	m, ok := c.members[name]
	if !ok || !m.verified {
		return Member{}, false
	}
	return m.clone(), true
}

// Members returns a snapshot of every member known, this one included,
// sorted by name. Members heard of but not heard from yet are not
// reported.
func (c *Core) Members() []Member {
	out := make([]Member, 0, len(c.members)-len(c.candidates))
	out = append(out, c.self.clone())
	for _, m := range c.nodes {
		if m.verified {
			out = append(out, m.clone())
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// NumMembers counts the members in each state, this one included.
func (c *Core) NumMembers() (alive, suspect, dead, left int) {
	n := c.counts
	n[c.self.State]++
	return n[StateAlive], n[StateSuspect], n[StateDead], n[StateLeft]
}

// HealthScore is Lifeguard's local health multiplier minus one: 0 is
// healthy, AwarenessMaxMultiplier-1 the worst.
func (c *Core) HealthScore() int { return c.health }

// liveCount is the number of alive and suspect members, this one included:
// Lifeguard's and the retransmit limit's N.
func (c *Core) liveCount() int {
	return 1 + c.counts[StateAlive] + c.counts[StateSuspect]
}

// sendPacket queues one packet for the caller to send. The last packet
// packetBuf carved gives the arena back the room it did not use.
func (c *Core) sendPacket(to netip.AddrPort, b []byte) {
	c.stats.PacketsOut++
	c.stats.BytesOut += uint64(len(b))
	if r := c.reserved; r >= 0 && r < len(c.arena) && len(b) > 0 && &b[0] == &c.arena[r] {
		c.arena = c.arena[:r+len(b)]
		c.reserved = -1
	}
	c.out.Packets = append(c.out.Packets, Outbound{To: to, Bytes: b[:len(b):len(b)]})
}

// emit reports a membership event; candidates have none until they answer.
func (c *Core) emit(t EventType, m *member) {
	if !m.verified {
		return
	}
	c.out.Events = append(c.out.Events, Event{Type: t, Member: m.clone(), At: c.now})
}
