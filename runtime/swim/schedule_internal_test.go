package swim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ring stays the members nextProbeTarget may probe, in name order,
// through random joins, verifications, state changes and removals, and
// selfPlace where we would be in it.
func TestRingFollowsMembers(t *testing.T) {
	c, err := New(time.Unix(1_000_000, 0), DefaultLANConfig(), Member{Name: "m30x", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 5000 {
		name := fmt.Sprintf("m%02d", rng.IntN(60))
		m, known := c.members[name]
		switch {
		case !known:
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(rng.IntN(250))}), uint16(1000+step))
			c.addMember(&wire.Alive{Name: name, Addr: addr, Incarnation: 1}, rng.IntN(2) == 0)
		case !m.verified && rng.IntN(2) == 0:
			c.markVerified(m)
		case rng.IntN(8) == 0:
			c.removeMember(m)
		default:
			c.setState(m, []State{StateAlive, StateSuspect, StateDead, StateLeft}[rng.IntN(4)])
		}
		want := slices.DeleteFunc(slices.Clone(c.nodes), func(m *member) bool { return !inSchedule(m) })
		slices.SortFunc(want, func(a, b *member) int { return strings.Compare(a.Name, b.Name) })
		require.Equal(t, names(want), names(c.ring), "step %d", step)
		require.Equal(t, c.ringPlace(c.self.Name), c.selfPlace, "step %d: our place", step)
	}
}

func names(ms []*member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// While healthy a member probes by the schedule and its shuffled round
// moves only when the schedule leaves it without a partner, yet every new
// member joins the round: with members coming and going, the round is
// restarted (dropping the departed) before it doubles the ring.
func TestProbeListBoundedUnderChurn(t *testing.T) {
	c, err := New(time.Unix(1_000_000, 0), DefaultLANConfig(), Member{Name: "self", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	addr := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 7946)
	}
	for i := range 50 {
		c.addMember(&wire.Alive{Name: fmt.Sprint("m", i), Addr: addr(i), Incarnation: 1}, true)
	}
	longest := 0
	for i := 50; i < 3000; i++ {
		c.removeMember(c.nodes[0])
		c.addMember(&wire.Alive{Name: fmt.Sprint("m", i), Addr: addr(i), Incarnation: 1}, true)
		c.now = c.now.Add(c.cfg.ProbeInterval)
		require.NotNil(t, c.nextProbeTarget())
		longest = max(longest, len(c.probeList))
	}
	assert.LessOrEqual(t, longest, 2*len(c.ring)+16+1, "the shuffled round grew past twice the members")
}

// pairCore returns a core with every piece of news sent, the time of a
// probe tick 10 ms into a period, and its partner in that period.
func pairCore(t *testing.T) (*Core, *member, time.Time) {
	t.Helper()
	c, now := testCore(t, 6)
	for c.news.len() > 0 {
		c.gossipTick()
	}
	c.Ready()
	period := c.cfg.ProbeInterval
	for k := 2; ; k++ {
		tick := now.Truncate(period).Add(time.Duration(k)*period + 10*time.Millisecond)
		if m := c.partnerIn(c.periodAt(tick)); m != nil {
			c.nextTick = tick
			return c, m, tick
		}
	}
}

// pingFrom hands c a ping from m at the time at and returns the nonce of
// the ping c put in its ack, 0 if none.
func pingFrom(t *testing.T, c *Core, m *member, at time.Time) uint32 {
	t.Helper()
	require.NoError(t, c.Step(at, m.Addr, wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 8})))
	var nonce uint32
	for _, p := range c.Ready().Packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		require.Equal(t, m.Addr, p.To, "a packet to another than the pinger")
		require.Equal(t, wire.TypeAck, msgs[0].Type, "the answer starts with the ack")
		for _, msg := range msgs[1:] {
			if msg.Type == wire.TypePing {
				nonce = msg.Ping.Nonce
			}
		}
	}
	return nonce
}

// An early ping goes to the partner once a period however many pings come
// from its address, only within half a period of the tick and while no
// news waits, and its entry in the acks table expires.
func TestPairPingOncePerPeriod(t *testing.T) {
	period := DefaultLANConfig().ProbeInterval
	c, m, tick := pairCore(t)
	assert.Zero(t, pingFrom(t, c, m, tick.Add(-period*6/10)), "an early ping more than half a period before the tick")
	assert.NotZero(t, pingFrom(t, c, m, tick.Add(-period*4/10)), "no early ping in the ack")
	assert.Zero(t, pingFrom(t, c, m, tick.Add(-period*3/10)), "a second early ping in the period")
	assert.Equal(t, 1, c.awaiting[ackPair])
	c.Tick(tick.Add(period))
	assert.Zero(t, c.awaiting[ackPair], "the unanswered early ping is still awaited")

	c, m, tick = pairCore(t)
	c.news.push("x", wire.AppendAlive(nil, &wire.Alive{Name: "x", Addr: netip.MustParseAddrPort("10.0.9.1:1"), Incarnation: 1}), nil)
	assert.Zero(t, pingFrom(t, c, m, tick.Add(-period*4/10)), "an early ping while news waits")
}

// The tick counts the probe as done, sending nothing, only if the partner
// answered the early ping less than half a period before it, at the
// address it has now.
func TestPairedProbeNeedsAFreshAnswer(t *testing.T) {
	period := DefaultLANConfig().ProbeInterval
	for _, tc := range []struct {
		name   string
		late   time.Duration // how late the tick runs
		moved  bool          // the partner's address changes before the tick
		paired bool
	}{
		{name: "answered 450 ms before the tick", paired: true},
		{name: "the tick 100 ms late", late: period / 10},
		{name: "the partner moved", moved: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, m, tick := pairCore(t)
			at := tick.Add(-period * 45 / 100)
			nonce := pingFrom(t, c, m, at)
			require.NotZero(t, nonce)
			require.NoError(t, c.Step(at, m.Addr, wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: nonce ^ nameTag(m.Name)})))
			c.Ready()
			if tc.moved {
				m.Addr = netip.MustParseAddrPort("10.9.9.9:1")
			}
			c.advance(tick.Add(tc.late))
			c.probeTick()
			pinged := false
			for _, p := range c.Ready().Packets {
				msgs, err := wire.DecodePacket(p.Bytes, nil)
				require.NoError(t, err)
				pinged = pinged || (p.To == m.Addr && msgs[0].Type == wire.TypePing)
			}
			assert.Equal(t, tc.paired, !pinged, "the tick pinged the partner")
			assert.Equal(t, tc.paired, c.stats.PairedProbes == 1, "paired probes")
		})
	}
}
