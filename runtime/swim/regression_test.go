package swim

import (
	"fmt"
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gossiper is the address step sends from: member "z" of every testCore.
var gossiper = netip.MustParseAddrPort("10.0.0.99:1")

// testCore is a core "a" at 10.0.0.1:1 that has learnt k peers b, c, ...
// from member "z" at gossiper, which it has heard from.
func testCore(t *testing.T, k int) (*Core, time.Time) {
	t.Helper()
	return testCoreWith(t, DefaultLANConfig(), k)
}

// testCoreWith is testCore with the configuration cfg.
func testCoreWith(t *testing.T, cfg Config, k int) (*Core, time.Time) {
	t.Helper()
	now := time.Unix(1_000_000, 0)
	c, err := New(now, cfg, Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	c.addMember(&wire.Alive{Name: "z", Addr: gossiper, Incarnation: 1}, true)
	names := map[netip.AddrPort]string{}
	for i := range k {
		name := string(rune('b' + i))
		addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i)}), 1)
		names[addr] = name
		step(t, c, now, wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: name, Addr: addr, Incarnation: 1}))
	}
	// Each peer answers the ping that verifies it, sent here at once
	// rather than a period later (verifySome).
	for name := range maps.Values(names) {
		c.verify(c.members[name])
	}
	for _, p := range c.Ready().Packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		if name, ok := names[p.To]; ok && err == nil && msgs[0].Type == wire.TypePing {
			ack := wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: msgs[0].Ping.Nonce ^ nameTag(name)})
			require.NoError(t, c.Step(now, p.To, ack))
		}
	}
	c.Ready()
	for name := range maps.Values(names) {
		_, ok := c.Member(name)
		require.True(t, ok, "peer %s not verified", name)
	}
	return c, now
}

func step(t *testing.T, c *Core, now time.Time, p []byte) {
	t.Helper()
	require.NoError(t, c.Step(now, gossiper, p))
}

func eventTypes(rd Ready) []EventType {
	var out []EventType
	for _, ev := range rd.Events {
		out = append(out, ev.Type)
	}
	return out
}

// Lifeguard 4.2: a relay's nack must reach the requester before it judges
// the probe, or every nack counts as missing.
func TestLifeguard42_NackArrivesInTime(t *testing.T) {
	for name, cfg := range map[string]Config{"lan": DefaultLANConfig(), "wan": DefaultWANConfig(), "local": DefaultLocalConfig()} {
		c := &Core{cfg: cfg}
		// Requester: ping-req at ProbeTimeout, judged at ProbeInterval.
		sent, judged := cfg.ProbeTimeout, cfg.ProbeInterval
		assert.Less(t, sent+c.relayTimeout(), judged-10*time.Millisecond,
			"%s: when a relay nacks, against when the probe is judged (%v) less 10ms for the trip back", name, judged)
	}
}

// A broadcast too large for this member's packets is delivered but not
// queued, so it cannot block the broadcasts behind it.
func TestOversizedRelayedBroadcastIsNotQueued(t *testing.T) {
	c, now := testCore(t, 2)
	for i := range 16 {
		step(t, c, now, wire.AppendBroadcast(wire.AppendHeader(nil), &wire.Broadcast{Origin: "b", ID: uint32(i), Payload: make([]byte, 1295)}))
	}
	require.Len(t, c.Ready().Delivered, 16)
	assert.Zero(t, c.user.len(), "broadcasts queued")
	assert.EqualValues(t, 16, c.Stats().BroadcastsDropped, "broadcasts dropped")
}

// The user queue is bounded: Broadcast says so instead of growing.
func TestBroadcastQueueBounded(t *testing.T) {
	c, now := testCore(t, 1)
	var err error
	for i := 0; err == nil && i < 2*maxUserQueue; i++ {
		err = c.Broadcast(now, fmt.Appendf(nil, "%d", i))
	}
	assert.ErrorIs(t, err, ErrQueueFull)
	assert.Equal(t, maxUserQueue, c.user.len(), "broadcasts queued")
}

// After yielding its name to a newer claimant, a member does not take the
// name back by refuting accusations meant for the claimant.
func TestConflictYieldsForGood(t *testing.T) {
	c, now := testCore(t, 1)
	mine := c.self.Incarnation
	other := netip.MustParseAddrPort("10.0.0.50:1")
	step(t, c, now, wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: "a", Addr: other, Incarnation: mine + 10}))
	// The claim is checked first: a process at other answers to our name.
	answerCheck(t, c, now, other, "a")
	require.Equal(t, []EventType{EventConflict}, eventTypes(c.Ready()))
	step(t, c, now, wire.AppendSuspect(wire.AppendHeader(nil), &wire.Suspect{Name: "a", Incarnation: mine + 10, From: "b"}))
	require.Equal(t, mine, c.self.Incarnation, "refuted the claimant's suspicion")
	// A newer accusation, beyond the claimant's incarnation, is about us.
	step(t, c, now, wire.AppendSuspect(wire.AppendHeader(nil), &wire.Suspect{Name: "a", Incarnation: mine + 11, From: "b"}))
	assert.Equal(t, mine+12, c.self.Incarnation, "did not refute a newer accusation")
}

// SWIM 4.2 precedence: a higher incarnation always wins, and an event is
// reported only when the state changes.
func TestSWIM42_PrecedenceAndEvents(t *testing.T) {
	c, now := testCore(t, 1)
	send := func(p []byte) []EventType { step(t, c, now, p); return eventTypes(c.Ready()) }
	h := wire.AppendHeader
	for _, tc := range []struct {
		name  string
		p     []byte
		want  []EventType
		state State
		inc   uint64
	}{
		{"dead@1", wire.AppendDead(h(nil), &wire.Dead{Name: "b", Incarnation: 1, From: "a"}), []EventType{EventFailed}, StateDead, 1},
		{"dead@2 while dead", wire.AppendDead(h(nil), &wire.Dead{Name: "b", Incarnation: 2, From: "a"}), nil, StateDead, 2},
		{"suspect@2 is weaker", wire.AppendSuspect(h(nil), &wire.Suspect{Name: "b", Incarnation: 2, From: "a"}), nil, StateDead, 2},
		{"leave@2 is stronger", wire.AppendLeave(h(nil), &wire.Leave{Name: "b", Incarnation: 2}), []EventType{EventLeft}, StateLeft, 2},
		{"leave@3 while left", wire.AppendLeave(h(nil), &wire.Leave{Name: "b", Incarnation: 3}), nil, StateLeft, 3},
		{"dead@3 is weaker than left@3", wire.AppendDead(h(nil), &wire.Dead{Name: "b", Incarnation: 3, From: "a"}), nil, StateLeft, 3},
		{"suspect@9 is newer", wire.AppendSuspect(h(nil), &wire.Suspect{Name: "b", Incarnation: 9, From: "c"}), []EventType{EventSuspected}, StateSuspect, 9},
		{"alive@9 cannot refute at 9", wire.AppendAlive(h(nil), &wire.Alive{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.2:1"), Incarnation: 9}), nil, StateSuspect, 9},
		{"alive@10 refutes", wire.AppendAlive(h(nil), &wire.Alive{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.2:1"), Incarnation: 10}), []EventType{EventUpdated}, StateAlive, 10},
		{"dead@4 is stale", wire.AppendDead(h(nil), &wire.Dead{Name: "b", Incarnation: 4, From: "a"}), nil, StateAlive, 10},
	} {
		got := send(tc.p)
		m, _ := c.Member("b")
		require.Equal(t, tc.want, got, "%s: events", tc.name)
		require.Equal(t, tc.state, m.State, "%s: state", tc.name)
		require.Equal(t, tc.inc, m.Incarnation, "%s: incarnation", tc.name)
	}
}

// A second Join does not leave the first one's retry timer running a
// second chain of attempts.
func TestJoinRetryHasOneChain(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	cfg := DefaultLANConfig()
	cfg.ReconnectInterval = time.Hour // count join attempts alone
	c, err := New(now, cfg, Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	seed := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.9:1")}
	require.NoError(t, c.Join(now, seed))
	c.joining = false // as if a seed had answered
	require.NoError(t, c.Join(now, seed))
	c.Ready()
	requests := 0
	for at := now; at.Before(now.Add(time.Minute)); at = at.Add(10 * time.Millisecond) {
		c.Tick(at)
		for _, p := range c.Ready().Packets {
			if p.To == seed[0] {
				requests++
			}
		}
	}
	// Backoff from 1s, doubling, each wait at least half of it: 1 + at
	// most 7 retries in a minute for one chain, twice that for two.
	assert.LessOrEqual(t, requests, 8, "join requests in a minute: more means more than one retry chain")
}

// answerCheck finds the address check the core sent to addr and answers it
// from there, as the member named name.
func answerCheck(t *testing.T, c *Core, now time.Time, addr netip.AddrPort, name string) {
	t.Helper()
	for _, p := range c.Ready().Packets {
		if p.To != addr {
			continue
		}
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		if err != nil || msgs[0].Type != wire.TypePing {
			continue
		}
		ack := wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: msgs[0].Ping.Nonce ^ nameTag(name)})
		require.NoError(t, c.Step(now, addr, ack))
		return
	}
	t.Fatalf("no ping to %v checking the claim", addr)
}

// A flood of tiny sync requests from a stranger's address (possibly
// spoofed) draws a cookie each, never more bytes than the request; with the
// cookie echoed, our whole state goes to one IP at most
// strangerAnswersPerIP times per protocol period, whatever source ports
// ask.
func TestStateAnswersRateLimited(t *testing.T) {
	c, now := testCore(t, 20)
	victim := netip.MustParseAddrPort("192.0.2.7:1")
	req := wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: wire.SyncWantReply | wire.SyncLast, From: "x",
		Records: []wire.Record{{Name: "x", Addr: victim, Incarnation: 1}}})
	sent := func() (n, largest int) {
		for _, p := range c.Ready().Packets {
			if p.To.Addr() == victim.Addr() {
				n += len(p.Bytes)
				largest = max(largest, len(p.Bytes))
			}
		}
		return n, largest
	}
	for range 100 {
		require.NoError(t, c.Step(now, victim, req))
	}
	total, largest := sent()
	require.EqualValues(t, 100, c.Stats().CookiesSent, "cookies for 100 requests")
	require.LessOrEqual(t, largest, len(req), "largest answer against the request")
	require.LessOrEqual(t, total, 100*len(req), "bytes in all against the 100 requests")
	echoed := append(wire.AppendCookie(wire.AppendHeader(nil), &wire.Cookie{Value: c.newCookie(victim.Addr())}), req[1:]...)
	for port := range uint16(100) {
		require.NoError(t, c.Step(now, netip.AddrPortFrom(victim.Addr(), 1+port), echoed))
	}
	first, _ := sent()
	require.NotZero(t, first, "no state answer to an echoed cookie")
	require.EqualValues(t, 100-strangerAnswersPerIP, c.Stats().StateAnswersLimited, "answers limited: want %d answered", strangerAnswersPerIP)
	later := now.Add(c.cfg.ProbeInterval)
	c.Tick(later)
	c.Ready()
	require.NoError(t, c.Step(later, netip.AddrPortFrom(victim.Addr(), 500), echoed))
	n, _ := sent()
	assert.NotZero(t, n, "no answer a protocol period later")
}

// A packet stuffed with pings or ping-reqs gets one answer, not one each.
func TestOnePingAndOnePingReqPerPacket(t *testing.T) {
	c, now := testCore(t, 2)
	p := wire.AppendHeader(nil)
	for i := range 100 {
		p = wire.AppendPing(p, &wire.Ping{Nonce: uint32(i)})
		p = wire.AppendPingReq(p, &wire.PingReq{Nonce: uint32(i), Target: "b", Addr: netip.MustParseAddrPort("10.0.0.2:1")})
	}
	step(t, c, now, p)
	assert.Len(t, c.Ready().Packets, 2, "packets sent for one packet of 100 pings and 100 ping-reqs: one ack, one relayed ping")
}

// Lifeguard 4.2: a suspicion learnt from other members' states names no
// accuser; however many send it, it is no independent confirmation and
// the suspicion keeps its longest timeout.
func TestSyncedSuspicionIsNoConfirmation(t *testing.T) {
	c, now := testCore(t, 3)
	for _, sender := range []string{"z", "c", "d"} {
		from := gossiper
		if m, ok := c.Member(sender); ok {
			from = m.Addr
		}
		p := wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{From: sender, Records: []wire.Record{{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.2:1"), Incarnation: 1, State: wire.StateSuspect}}})
		require.NoError(t, c.Step(now, from, p))
	}
	m := c.members["b"]
	require.Equal(t, StateSuspect, m.State)
	assert.Equal(t, m.susp.max, m.susp.timeout(), "synced suspicions shortened the timeout")
}

// Lifeguard 4.3, buddy system: the accusation a prober sends a suspect
// comes before the ping, so the suspect's refutation rides on its ack.
func TestBuddyRefutationRidesTheAck(t *testing.T) {
	c, now := testCore(t, 1)
	mine := c.self.Incarnation
	p := wire.AppendSuspect(wire.AppendHeader(nil), &wire.Suspect{Name: "a", Incarnation: mine, From: "z"})
	p = wire.AppendPing(p, &wire.Ping{Nonce: 7})
	step(t, c, now, p)
	var refuted bool
	for _, out := range c.Ready().Packets {
		msgs, err := wire.DecodePacket(out.Bytes, nil)
		require.NoError(t, err)
		if out.To != gossiper || msgs[0].Type != wire.TypeAck {
			continue
		}
		for _, m := range msgs[1:] {
			refuted = refuted || (m.Type == wire.TypeAlive && m.Alive.Name == "a" && m.Alive.Incarnation > mine)
		}
	}
	assert.True(t, refuted, "the ack to the buddy carries no refutation")
}

// Lifeguard 4.2: a relay's nack counts once, however often the datagram
// is duplicated: a duplicate must not hide a missing nack from another
// relay.
func TestDuplicateNackCountsOnce(t *testing.T) {
	c, now := testCore(t, 3)
	c.cfg.IndirectChecks = 2
	c.Tick(now.Add(c.cfg.ProbeInterval))
	require.NotNil(t, c.probe)
	c.Tick(now.Add(c.cfg.ProbeInterval + c.cfg.ProbeTimeout))
	p := c.probe
	require.Len(t, p.relays, 2)
	nack := wire.AppendNack(wire.AppendHeader(nil), &wire.Nack{Nonce: p.nonce})
	for range 2 {
		require.NoError(t, c.Step(now, p.relays[0], nack))
	}
	before := c.health
	c.finishProbe()
	assert.Equal(t, before+1, c.health, "one relay nacked twice, the other not at all: the health score must rise by one")
}

// A relay that is leaving nacks a ping-req at once rather than staying
// silent, which the requester would take for its own slowness.
func TestLeavingRelayNacks(t *testing.T) {
	c, now := testCore(t, 2)
	require.NoError(t, c.Leave(now))
	c.Ready()
	step(t, c, now, wire.AppendPingReq(wire.AppendHeader(nil), &wire.PingReq{Nonce: 9, Target: "b", Addr: netip.MustParseAddrPort("10.0.0.2:1")}))
	var nacked bool
	for _, out := range c.Ready().Packets {
		msgs, err := wire.DecodePacket(out.Bytes, nil)
		require.NoError(t, err)
		nacked = nacked || (out.To == gossiper && msgs[0].Type == wire.TypeNack && msgs[0].Nack.Nonce == 9)
	}
	assert.True(t, nacked)
}
