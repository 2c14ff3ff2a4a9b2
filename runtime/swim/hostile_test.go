package swim_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hostile network (see SECURITY.md). Each test plays an attack that
// worked before acks carried nonces and admission was checked: an attacker
// that holds no key, at an address that is no member, or forging the
// source address of a member, or replaying packets it recorded. None may
// blind the failure detector, grow a view past its bounds, draw answers
// larger than what it sent to an address that is no member, or change
// membership.

// attacker is an address that is no member of any test cluster.
var attacker = netip.MustParseAddrPort("192.0.2.66:7946")

// runUnderAttack runs the cluster for up to d, calling attack every
// interval, until done holds; it reports whether done held and when.
func runUnderAttack(c *swimtest.Cluster, d, every time.Duration, attack func(), done func() bool) (bool, time.Duration) {
	start := c.Now()
	for c.Now().Sub(start) < d {
		attack()
		if ok, _ := c.RunUntil(every, done); ok {
			return true, c.Now().Sub(start)
		}
	}
	return false, c.Now().Sub(start)
}

// crashBound is how long detection may take at n members: that of
// TestSWIM3_CrashDetection.
func crashBound(cfg swim.Config, n int) time.Duration {
	T := cfg.ProbeInterval
	return 3*T + T + suspicionMin(cfg, n) + 6*T
}

// ackSpray is one datagram of 128 acks: every nonce below 128 (all the
// sequence numbers there used to be) and random ones.
func ackSpray(rng *rand.Rand) []byte {
	b := wire.AppendHeader(nil)
	for i := range 128 {
		nonce := uint32(i)
		if i%2 == 1 {
			nonce = rng.Uint32()
		}
		b = wire.AppendAck(b, &wire.Ack{Nonce: nonce})
	}
	return b
}

// Before nonces, ten 390-byte datagrams a second of acks for every sequence
// number kept a crashed member from ever being declared failed. Now a
// spray from anywhere, the crashed member's own address included, changes
// nothing: detection stays within its bound and every forged ack is
// counted.
func TestHostile_AckSprayCannotBlindDetection(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 21, 10)
	victim := nodes[9]
	c.Crash(victim)
	rest := others(nodes, victim)
	rng := rand.New(rand.NewPCG(1, 2))
	spray := func() {
		for _, n := range rest {
			for _, from := range []netip.AddrPort{attacker, victim.Addr} {
				_ = c.Inject(n, from, ackSpray(rng))
			}
		}
	}
	bound := crashBound(cfg, 10)
	ok, took := runUnderAttack(c, bound, 100*time.Millisecond, spray, func() bool { return c.AllSee(rest, victim, swim.StateDead) })
	require.True(t, ok, "under an ack spray, the crash was not detected by all within %v", bound)
	var rejected uint64
	for _, n := range rest {
		rejected += n.Core.Stats().AcksRejected
	}
	assert.Positive(t, rejected)
	assert.Zero(t, failedAbout(c, rest))
	t.Logf("crash detected by all in %v under an ack spray (bound %v); %d forged acks rejected", took, bound, rejected)
}

// Before nonces, acks recorded while the victim was healthy and replayed
// in rotation (from the addresses they came from) were all accepted, and a
// crash was never detected, encryption or not. A recorded ack answers a
// ping that is over; it matches no fresh nonce.
func TestHostile_ReplayedAcksCannotBlindDetection(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 22, 10)
	victim := nodes[9]
	rest := others(nodes, victim)
	stop := c.Capture()
	c.Run(60 * time.Second)
	var acks []swimtest.Packet
	for _, p := range stop() {
		msgs, err := wire.DecodePacket(p.Data, nil)
		require.NoError(t, err)
		if slices.ContainsFunc(msgs, func(m wire.Message) bool { return m.Type == wire.TypeAck }) {
			acks = append(acks, p)
		}
	}
	require.NotEmpty(t, acks)
	c.Crash(victim)
	next := 0
	replay := func() {
		for range 50 {
			p := acks[next%len(acks)]
			next++
			for _, n := range rest {
				_ = c.Inject(n, p.From, p.Data)
			}
		}
	}
	bound := crashBound(cfg, 10)
	ok, took := runUnderAttack(c, bound, 100*time.Millisecond, replay, func() bool { return c.AllSee(rest, victim, swim.StateDead) })
	require.True(t, ok, "with %d recorded acks replayed, the crash was not detected by all within %v", len(acks), bound)
	assert.Zero(t, failedAbout(c, rest))
	t.Logf("crash detected by all in %v with %d recorded acks replayed in rotation (bound %v)", took, len(acks), bound)
}

// fakeSync is a sync of n records about names never seen, from, with the
// given flags, addressed at the attacker's IP.
func fakeSync(prefix string, first, n int, flags uint8) []byte {
	recs := make([]wire.Record, n)
	for i := range recs {
		recs[i] = wire.Record{
			Name:        fmt.Sprintf("%s-%06d", prefix, first+i),
			Addr:        netip.AddrPortFrom(attacker.Addr(), uint16(10000+(first+i)%50000)),
			Incarnation: 1,
		}
	}
	return wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: flags, From: recs[0].Name, Records: recs})
}

// Before admission control, 2,000 datagrams of sync records made 138,001
// members, every health score reached its maximum, a crash went undetected
// for 300 s and a metadata change reached 3 of 9 members. Now a stranger's
// records are refused outright; records forged from a member's address
// (possible without encryption) are budgeted per period and capped by
// MaxMembers; the fakes never answer, so they are no gossip target and move
// no health score.
func TestHostile_FakeMembersCannotFillTheTable(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	cfg.MaxMembers = 2000
	c, nodes := newCluster(t, cfg, 23, 10)
	target, forged := nodes[0], nodes[1]

	// From a stranger: nothing, however much.
	for i := range 2000 {
		_ = c.Inject(target, attacker, fakeSync("stranger", i*40, 40, wire.SyncLast))
		_ = c.Inject(target, attacker, fakeSync("stranger", i*40, 40, wire.SyncWantReply|wire.SyncLast))
	}
	require.Len(t, target.Core.Members(), 10, "a stranger's records were admitted")
	assert.GreaterOrEqual(t, target.Core.Stats().StrangerDropped, uint64(2000))

	// Forged from a member's address, two datagrams a second for a minute,
	// while a real member crashes and another changes its metadata.
	victim, changer := nodes[9], nodes[5]
	rest := others(nodes, victim)
	sent := 0
	flood := func() {
		for range 2 {
			_ = c.Inject(target, forged.Addr, fakeSync("forged", sent*40, 40, wire.SyncLast))
			sent++
		}
	}
	c.Crash(victim)
	require.NoError(t, changer.Core.UpdateMeta(c.Now(), []byte("v2")))
	bound := crashBound(cfg, 10)
	metaEverywhere := func() bool {
		for _, n := range others(rest, changer) {
			if m, _ := n.Core.Member(changer.Name); string(m.Meta) != "v2" {
				return false
			}
		}
		return true
	}
	ok, took := runUnderAttack(c, bound, time.Second, flood, func() bool {
		return c.AllSee(rest, victim, swim.StateDead) && metaEverywhere()
	})
	if !ok {
		for _, n := range rest {
			m, _ := n.Core.Member(victim.Name)
			mc, _ := n.Core.Member(changer.Name)
			t.Logf("%s: victim %v, changer meta %q, %d members, health %d, stats %+v", n.Name, m.State, mc.Meta, len(n.Core.Members()), n.Core.HealthScore(), n.Core.Stats())
		}
	}
	require.True(t, ok, "under a flood of fake members the crash or the metadata change did not reach every member within %v", bound)
	runUnderAttack(c, time.Minute, time.Second, flood, func() bool { return false })
	for _, n := range rest {
		assert.LessOrEqual(t, len(n.Core.Members()), cfg.MaxMembers, "%s holds more than MaxMembers", n.Name)
		assert.LessOrEqual(t, n.Core.HealthScore(), 1, "%s's health score moved for members that never answered", n.Name)
	}
	assert.Zero(t, failedAbout(c, rest))
	t.Logf("%d forged datagrams of 40 records: crash and metadata change everywhere in %v; the target holds %d members (cap %d), refused %d",
		sent, took, len(target.Core.Members()), cfg.MaxMembers, target.Core.Stats().MembersRefused)
}

// Before, an alive at incarnation+1 from anyone moved a member's address
// to the attacker within 400 ms, and one at 2^64-1 froze its metadata for
// good. Now a new address is believed only once it answers a ping for the
// name (the attacker's does not), and an incarnation past 2^62 is refused
// unless the member itself sends it.
func TestHostile_ForgedAliveMovesNothing(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 24, 10)
	victim, gossip := nodes[3], nodes[1]
	real := victim.Core.LocalMember()
	for _, inc := range []uint64{real.Incarnation + 1, math.MaxUint64} {
		forged := wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: victim.Name, Addr: attacker, Meta: []byte("evil"), Incarnation: inc})
		for _, n := range others(nodes, victim) {
			_ = c.Inject(n, gossip.Addr, forged) // forged as gossip from a member
			_ = c.Inject(n, attacker, forged)    // and first-hand from a stranger
		}
	}
	c.Run(5 * time.Second)
	for _, n := range others(nodes, victim) {
		m, _ := n.Core.Member(victim.Name)
		assert.Equal(t, real.Addr, m.Addr, "%s moved %s to %v", n.Name, victim.Name, m.Addr)
		assert.Less(t, m.Incarnation, uint64(1)<<62, "%s holds %s at a forged incarnation", n.Name, victim.Name)
	}
	require.NoError(t, victim.Core.UpdateMeta(c.Now(), []byte("v2")))
	ok, _ := c.RunUntil(10*time.Second, func() bool {
		for _, n := range others(nodes, victim) {
			if m, _ := n.Core.Member(victim.Name); string(m.Meta) != "v2" {
				return false
			}
		}
		return true
	})
	assert.True(t, ok, "a metadata change after the forgeries did not reach everyone")
	assert.Zero(t, failedAbout(c, nodes))
}

// A user message names no sender: From is the member whose address sent
// it, and a stranger's is dropped.
func TestHostile_UserMessagesFromTheSendingAddress(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 25, 3)
	msg := wire.AppendUser(wire.AppendHeader(nil), &wire.User{Payload: []byte("hi")})
	require.NoError(t, c.Inject(nodes[0], attacker, msg))
	require.NoError(t, c.Inject(nodes[0], nodes[2].Addr, msg))
	require.Len(t, nodes[0].Delivered, 1)
	assert.Equal(t, nodes[2].Name, nodes[0].Delivered[0].From)
	assert.Positive(t, nodes[0].Core.Stats().StrangerDropped)
}

// frameOverhead is what the transport adds to every datagram without
// encryption (version and flags byte, CRC32C), on top of the IP and UDP
// headers.
const frameOverhead = 1 + 4

// TestHostile_AmplificationTable sends every request a stranger can send
// to a member of a 100-member cluster with 1 KB of metadata each, while the
// member has news queued, and measures what goes back to any address that
// is no member: at most 2x the request, headers included (28 bytes of IP
// and UDP plus the transport's framing, on both sides).
func TestHostile_AmplificationTable(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: 26})
	nodes := c.AddN(100)
	for _, n := range nodes {
		require.NoError(t, n.Core.UpdateMeta(c.Now(), bytes.Repeat([]byte{'m'}, swim.MaxMetaLen)))
	}
	c.JoinAll(nodes[0])
	ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok)
	target := nodes[7]
	member := func(a netip.AddrPort) bool {
		return slices.ContainsFunc(nodes, func(n *swimtest.Node) bool { return n.Addr == a })
	}
	peer := nodes[8]
	h := wire.AppendHeader
	requests := []struct {
		name string
		p    []byte
	}{
		{"ping", wire.AppendPing(h(nil), &wire.Ping{Nonce: 1})},
		{"ping-req", wire.AppendPingReq(h(nil), &wire.PingReq{Nonce: 3, Target: peer.Name, Addr: peer.Addr})},
		{"sync request", fakeSync("x", 0, 1, wire.SyncWantReply|wire.SyncLast)},
		{"sync request, forged cookie", append(wire.AppendCookie(h(nil), &wire.Cookie{Value: make([]byte, 16)}), fakeSync("x", 0, 1, wire.SyncWantReply|wire.SyncLast)[1:]...)},
		{"sync push", fakeSync("x", 0, 1, wire.SyncLast)},
		{"digest", wire.AppendDigest(h(nil), &wire.Digest{From: "x", Digest: 42})},
		{"stale suspect x82", repeat(82, func(b []byte) []byte {
			return wire.AppendSuspect(b, &wire.Suspect{Name: peer.Name, Incarnation: 1, From: "x"})
		})},
		{"stale dead x82", repeat(82, func(b []byte) []byte {
			return wire.AppendDead(b, &wire.Dead{Name: peer.Name, Incarnation: 1, From: "x"})
		})},
		{"alive", wire.AppendAlive(h(nil), &wire.Alive{Name: "x", Addr: attacker, Incarnation: 1})},
		{"leave", wire.AppendLeave(h(nil), &wire.Leave{Name: peer.Name, Incarnation: 1})},
		{"user", wire.AppendUser(h(nil), &wire.User{Payload: []byte("hi")})},
		{"broadcast", wire.AppendBroadcast(h(nil), &wire.Broadcast{Origin: "x", ID: 1, Payload: []byte("hi")})},
		{"ack", wire.AppendAck(h(nil), &wire.Ack{Nonce: 4})},
		{"nack", wire.AppendNack(h(nil), &wire.Nack{Nonce: 5})},
		{"cookie", wire.AppendCookie(h(nil), &wire.Cookie{Value: make([]byte, 16)})},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n| request | bytes in | bytes out | ratio |\n|---|---|---|---|\n")
	worst := 0.0
	for i, r := range requests {
		// News queued at the target, which would ride on any answer to a
		// member; each request from a fresh source port and period.
		require.NoError(t, target.Core.UpdateMeta(c.Now(), bytes.Repeat([]byte{byte('a' + i)}, swim.MaxMetaLen)))
		c.Run(cfg.ProbeInterval)
		from := netip.AddrPortFrom(attacker.Addr(), uint16(20000+i))
		stop := c.Capture()
		_ = c.Inject(target, from, r.p)
		c.Run(2 * cfg.ProbeInterval)
		out := 0
		for _, p := range stop() {
			if p.From == target.Addr && !member(p.To) {
				out += len(p.Data) + frameOverhead + swimtest.HeaderBytes
			}
		}
		in := len(r.p) + frameOverhead + swimtest.HeaderBytes
		ratio := float64(out) / float64(in)
		worst = max(worst, ratio)
		fmt.Fprintf(&table, "| %s | %d | %d | %.2f |\n", r.name, in, out, ratio)
		assert.LessOrEqual(t, ratio, 2.0, "%s: %d bytes in, %d out", r.name, in, out)
	}
	t.Logf("amplification at 100 members with 1 KB metadata (worst %.2f):%s", worst, table.String())
}

func repeat(n int, add func([]byte) []byte) []byte {
	b := wire.AppendHeader(nil)
	for range n {
		b = add(b)
	}
	return b
}

// One address, one live member: a made-up name at a live member's address
// (one datagram, forgeable without keys) is refused, and the live member
// keeps its place: before, the fake took over the address, spread to every
// view, and the real member's packets were a stranger's from then on.
func TestHostile_FakeNameAtALiveMembersAddress(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 27, 10)
	victim, target := nodes[2], nodes[0]
	fake := wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: "fake", Addr: victim.Addr, Incarnation: 1})
	require.NoError(t, c.Inject(target, nodes[1].Addr, fake))
	c.Run(30 * time.Second)
	for _, n := range nodes {
		_, known := n.Core.Member("fake")
		assert.False(t, known, "%s holds the fake member", n.Name)
	}
	require.NoError(t, c.Send(victim, target.Name, []byte("still here")))
	c.Run(time.Second)
	require.NotEmpty(t, target.Delivered)
	assert.Equal(t, victim.Name, target.Delivered[len(target.Delivered)-1].From)
	assert.Zero(t, failedAbout(c, nodes))
}

// A ping from the address of a member held dead gets a bare ack, however
// much news is queued: before, a 37-byte ping drew 1,094 bytes (30x).
func TestHostile_NoNewsForADeadMembersAddress(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 28, 10)
	dead, target := nodes[9], nodes[0]
	c.Crash(dead)
	ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSee(nodes[:9], dead, swim.StateDead) })
	require.True(t, ok)
	require.NoError(t, target.Core.UpdateMeta(c.Now(), bytes.Repeat([]byte{'m'}, swim.MaxMetaLen)))
	stop := c.Capture()
	ping := wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 1 << 20})
	require.NoError(t, c.Inject(target, dead.Addr, ping))
	out := 0
	for _, p := range stop() {
		if p.From == target.Addr && p.To == dead.Addr {
			out += len(p.Data)
		}
	}
	assert.LessOrEqual(t, out+frameOverhead+swimtest.HeaderBytes, 2*(len(ping)+frameOverhead+swimtest.HeaderBytes))
}

// Forged verdicts, one datagram each from a member's address (which needs
// no key to forge in a cluster without encryption), would each make the
// member run a gossip round at once: that member, alive at a new
// incarnation and dead at it, for 148 of 150 members in 150 ms; and the
// member itself suspect, which it refutes, 500 times a second for 2 s. An
// early round comes at least half an interval after the last and before
// the next periodic one, so the flood at most doubles the member's rounds.
func TestHostile_ForgedVerdictsAtMostDoubleGossipRounds(t *testing.T) {
	cfg := fastTimings()
	const window = 2 * time.Second
	for _, tc := range []struct {
		name   string
		accuse bool
	}{{"verdicts", false}, {"verdicts and accusations", true}} {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := newCluster(t, cfg, 41, 150)
			c.Run(5 * time.Second)
			target := nodes[5]
			events, refuted := len(target.Events), target.Core.Stats().Refutations
			inc := target.Core.LocalMember().Incarnation + 1000
			stop := c.Capture()
			for i := range int(window / time.Millisecond) {
				inc++
				h := wire.AppendHeader(nil)
				var forged []byte
				from := nodes[1].Addr // never forged dead below
				switch v := nodes[i%len(nodes)]; {
				case tc.accuse && i%2 == 1:
					forged = wire.AppendSuspect(h, &wire.Suspect{Name: target.Name, Incarnation: inc, From: "x"})
				case i < len(nodes) && v != target && i != 1:
					forged = wire.AppendAlive(h, &wire.Alive{Name: v.Name, Addr: v.Addr, Incarnation: inc})
					forged = wire.AppendDead(forged, &wire.Dead{Name: v.Name, Incarnation: inc, From: "x"})
					from = v.Addr
				}
				if forged != nil {
					require.NoError(t, c.Inject(target, from, forged))
				}
				c.Run(time.Millisecond)
			}
			rounds, packets := map[time.Time]bool{}, 0
			for _, p := range stop() {
				if p.From == target.Addr && startsWithNews(t, p.Data) {
					rounds[p.At] = true
					packets++
				}
			}
			verdicts := 0
			for _, ev := range target.Events[events:] {
				if ev.Type == swim.EventFailed {
					verdicts++
				}
			}
			refutations := target.Core.Stats().Refutations - refuted
			periodic := int(window / cfg.GossipInterval)
			t.Logf("%d verdicts and %d refutations forced in %v; %d gossip rounds, %d datagrams (%d periodic rounds at full health)", verdicts, refutations, window, len(rounds), packets, periodic)
			require.Greater(t, verdicts+int(refutations), 120, "the attack forced too few verdicts to test the bound")
			assert.LessOrEqual(t, len(rounds), 2*periodic+2, "rounds more than doubled")
			assert.LessOrEqual(t, packets, (2*periodic+2)*cfg.GossipNodes, "rounds more than doubled")
		})
	}
}

// startsWithNews reports whether a packet begins with news, not with a
// probe or an answer: a gossip round's, or a correction of stale news.
func startsWithNews(t *testing.T, p []byte) bool {
	t.Helper()
	msgs, err := wire.DecodePacket(p, nil)
	require.NoError(t, err)
	switch msgs[0].Type {
	case wire.TypeAlive, wire.TypeSuspect, wire.TypeDead, wire.TypeLeave:
		return true
	}
	return false
}
