package swim

import (
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A member whose own timers run late is short of CPU: it raises its health
// score, once a probe interval however late they run, and not for a delay
// within a tenth of ProbeTimeout.
func TestLateTimersRaiseHealth(t *testing.T) {
	cfg := DefaultLANConfig()
	// Alone, so that no unanswered probe moves the score.
	c, err := New(time.Unix(1_000_000, 0), cfg, Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	for range 40 { // on time, every timer run when due
		c.Tick(c.nextWake())
		c.Ready()
	}
	assert.Zero(t, c.HealthScore(), "timers run on time")
	c.Tick(c.nextWake().Add(cfg.ProbeTimeout / 10))
	assert.Zero(t, c.HealthScore(), "a timer late by a tenth of ProbeTimeout")

	late := c.nextWake()
	c.Tick(late.Add(cfg.ProbeTimeout / 2))
	assert.Equal(t, 1, c.HealthScore(), "a timer late by half ProbeTimeout")
	c.Tick(c.nextWake().Add(cfg.ProbeTimeout / 2))
	assert.Equal(t, 1, c.HealthScore(), "again within the same probe interval")
	// The next penalty waits for a probe interval, stretched by the score.
	c.advance(late.Add(cfg.ProbeTimeout/2 + c.scaled(cfg.ProbeInterval)))
	c.Tick(c.nextWake().Add(cfg.ProbeTimeout))
	assert.Equal(t, 2, c.HealthScore(), "late again a probe interval later")
	assert.Equal(t, uint64(2), c.Stats().LateTimers)
}

// Differing views bring the next anti-entropy round forward, but not while
// the health score says this member is short of CPU.
func TestDifferingViewsResyncSoonOnlyWhenHealthy(t *testing.T) {
	for _, health := range []int{0, 1} {
		c, now := testCore(t, 3)
		syncTimer(c)
		c.health = health
		c.viewsDiffered = true
		c.syncTick()
		next := syncTimer(c)
		if health == 0 {
			assert.LessOrEqual(t, next.Sub(now), 6*c.cfg.ProbeInterval, "healthy: checks again within a few periods")
		} else {
			assert.GreaterOrEqual(t, next.Sub(now), c.syncInterval(), "unhealthy: a whole sync interval")
		}
		assert.False(t, c.viewsDiffered)
	}
}

// syncTimer pops every pending timer and returns when the anti-entropy
// round is next due.
func syncTimer(c *Core) time.Time {
	var next time.Time
	for c.timers.Len() > 0 {
		at, tm := c.timers.Pop()
		if tm.kind == timerSync {
			next = at
		}
	}
	return next
}

// A round brought forward by views that differ waits while the view still
// grows (members joining one after another: news in flight, not a miss),
// comes once it has not grown for settlePeriods, and never delays the
// regular round.
func TestRoundBroughtForwardWaitsForTheViewToSettle(t *testing.T) {
	c, now := testCore(t, 3)
	period := c.cfg.ProbeInterval
	syncTimer(c)
	c.Ready()
	c.viewsDiffered = true
	c.syncTick()
	require.Len(t, sentOfType(t, c.Ready(), wire.TypeDigest), 1, "the regular round")
	soon := syncTimer(c)
	require.LessOrEqual(t, soon.Sub(now), (settlePeriods+1)*period, "brought forward")

	// The answer differed again, and the view grew a period ago.
	c.advance(soon)
	c.viewsDiffered = true
	c.grewAt = soon.Add(-period)
	c.syncTick()
	assert.Empty(t, sentOfType(t, c.Ready(), wire.TypeDigest), "no round while the view grows")
	later := syncTimer(c)
	assert.False(t, later.Before(c.grewAt.Add(settlePeriods*period)), "waits for settlePeriods without growth")
	assert.False(t, later.After(c.grewAt.Add((settlePeriods+1)*period)), "and no longer")
	assert.True(t, c.viewsDiffered, "still to be checked")

	c.advance(later)
	c.syncTick()
	assert.Len(t, sentOfType(t, c.Ready(), wire.TypeDigest), 1, "the view settled: the round comes")

	// Growing without end does not hold back the regular round: the wait
	// ends at it, and it comes.
	syncTimer(c)
	c.advance(c.syncDue.Add(-period))
	c.viewsDiffered = true
	c.grewAt = c.now
	c.syncTick()
	assert.Empty(t, sentOfType(t, c.Ready(), wire.TypeDigest), "no round while the view grows")
	assert.Equal(t, c.syncDue, syncTimer(c), "the wait ends at the regular round")
	c.advance(c.syncDue)
	c.viewsDiffered = true
	c.grewAt = c.now
	c.syncTick()
	assert.Len(t, sentOfType(t, c.Ready(), wire.TypeDigest), 1, "the regular round comes while the view grows")
}

// probing returns a core of four members with its first probe under way.
func probing(t *testing.T) *Core {
	t.Helper()
	return probingWith(t, DefaultLANConfig())
}

// probingWith is probing with the configuration cfg.
func probingWith(t *testing.T, cfg Config) *Core {
	t.Helper()
	c, _ := testCoreWith(t, cfg, 3)
	c.Ready()
	for c.probe == nil {
		c.Tick(c.nextWake())
		c.Ready()
	}
	return c
}

// pingReqs returns the ping-reqs among packets.
func pingReqs(t *testing.T, packets []Outbound) []Outbound {
	t.Helper()
	var reqs []Outbound
	for _, p := range packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		if msgs[0].Type == wire.TypePingReq {
			reqs = append(reqs, p)
		}
	}
	return reqs
}

// nackRelays answers each of the ping-reqs reqs with a nack from the relay
// it went to, as a relay does that could not reach the target either.
func nackRelays(t *testing.T, c *Core, reqs []Outbound) {
	t.Helper()
	for _, p := range reqs {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		nack := wire.AppendNack(wire.AppendHeader(nil), &wire.Nack{Nonce: msgs[0].PingReq.Nonce})
		require.NoError(t, c.Step(c.now, p.To, nack))
	}
}

// A probe whose timers ran late accuses nobody: this member was short of
// CPU while it waited, and the ack may sit unread in its socket. The same
// member is probed again the next period; on time, the failure accuses.
func TestLateProbeAccusesNobody(t *testing.T) {
	for _, late := range []bool{false, true} {
		c := probing(t)
		p := *c.probe // the record is reused for the next probe
		delay := time.Duration(0)
		if late {
			delay = c.cfg.ProbeTimeout
		}
		for c.probe != nil && c.probe.nonce == p.nonce { // the target does not answer; the relays nack
			c.Tick(c.nextWake().Add(delay))
			nackRelays(t, c, pingReqs(t, c.Ready().Packets))
		}
		target := c.members[p.target]
		if late {
			assert.Equal(t, StateAlive, target.State, "late: no accusation")
			assert.Equal(t, uint64(1), c.Stats().InconclusiveProbes)
			assert.Zero(t, c.Stats().Suspicions)
			require.NotNil(t, c.probe)
			assert.Equal(t, p.target, c.probe.target, "late: the same member probed again")
		} else {
			assert.Equal(t, StateSuspect, target.State, "on time: accused")
			assert.Zero(t, c.Stats().InconclusiveProbes)
		}
	}
}

// Packets that reach the core late say what late timers say: the process
// is short of CPU. A probe under way while they do accuses nobody, and
// the health score goes up (LateTimers); a delay within a tenth of ProbeTimeout
// changes nothing.
func TestLateInputMakesProbeInconclusive(t *testing.T) {
	for _, late := range []bool{false, true} {
		c := probing(t)
		p := *c.probe // the record is reused for the next probe
		delay := c.cfg.ProbeTimeout / 10
		if late {
			delay += time.Millisecond
		}
		c.InputDelay(c.now, delay)
		for c.probe != nil && c.probe.nonce == p.nonce { // the target does not answer, the relays nack; the timers run on time
			c.Tick(c.nextWake())
			nackRelays(t, c, pingReqs(t, c.Ready().Packets))
		}
		target := c.members[p.target]
		if late {
			assert.Equal(t, StateAlive, target.State, "late: no accusation")
			assert.Equal(t, uint64(1), c.Stats().InconclusiveProbes)
			assert.Equal(t, uint64(1), c.Stats().LateTimers, "late: the health score raised")
		} else {
			assert.Equal(t, StateSuspect, target.State, "on time: accused")
			assert.Zero(t, c.Stats().InconclusiveProbes)
			assert.Zero(t, c.Stats().LateTimers)
		}
	}
}

// A member whose delays never end, or whose relays never answer, still
// accuses: after maxInconclusive inconclusive probes of one member in a
// row, the next failure suspects it, so a crash is detected at most that
// many periods later.
func TestInconclusiveProbesBounded(t *testing.T) {
	for _, late := range []bool{true, false} {
		c := probing(t)
		target := c.probe.target
		for i := 0; i <= maxInconclusive; i++ {
			require.NotNil(t, c.probe)
			require.Equal(t, target, c.probe.target, "late %v, probe %d", late, i)
			nonce := c.probe.nonce
			for c.probe != nil && c.probe.nonce == nonce {
				if late { // every timer runs late; the relays nack
					c.Tick(c.nextWake().Add(c.cfg.ProbeTimeout))
					nackRelays(t, c, pingReqs(t, c.Ready().Packets))
				} else { // on time, but nobody answers, relays included
					c.Tick(c.nextWake())
					c.Ready()
				}
			}
		}
		assert.Equal(t, uint64(maxInconclusive), c.Stats().InconclusiveProbes, "late %v", late)
		assert.Equal(t, StateSuspect, c.members[target].State, "late %v: accused after %d inconclusive probes", late, maxInconclusive)
	}
}

// A probe that none of its relays answered, not even with the nack a
// relay sends when the target does not answer it either, accuses nobody:
// our ping-reqs or their answers were lost, or the relays are as short of
// CPU as we may be. It accuses as before when one relay nacks, when it
// asked no relays (IndirectChecks 0), and when the relays could not have
// nacked in time (ProbeTimeout four fifths of ProbeInterval).
func TestSilentRelaysMakeProbeInconclusive(t *testing.T) {
	tight := DefaultLANConfig()
	tight.ProbeTimeout = tight.ProbeInterval * 4 / 5
	none := DefaultLANConfig()
	none.IndirectChecks = 0
	for _, tc := range []struct {
		name         string
		cfg          Config
		nacks        int
		inconclusive bool
	}{
		{"silent relays", DefaultLANConfig(), 0, true},
		{"one relay nacked", DefaultLANConfig(), 1, false},
		{"no relays", none, 0, false},
		{"no time to nack", tight, 0, false},
	} {
		c := probingWith(t, tc.cfg)
		p := *c.probe // the record is reused for the next probe
		asked := 0
		for c.probe != nil && c.probe.nonce == p.nonce { // on time; the target does not answer
			c.Tick(c.nextWake())
			reqs := pingReqs(t, c.Ready().Packets)
			asked += len(reqs)
			nackRelays(t, c, reqs[:min(tc.nacks, len(reqs))])
		}
		require.Equal(t, tc.cfg.IndirectChecks > 0, asked > 0, "%s: relays asked", tc.name)
		target := c.members[p.target]
		if tc.inconclusive {
			assert.Equal(t, StateAlive, target.State, "%s: no accusation", tc.name)
			assert.Equal(t, uint64(1), c.Stats().InconclusiveProbes, tc.name)
			require.NotNil(t, c.probe)
			assert.Equal(t, p.target, c.probe.target, "%s: the same member probed again", tc.name)
		} else {
			assert.Equal(t, StateSuspect, target.State, "%s: accused", tc.name)
			assert.Zero(t, c.Stats().InconclusiveProbes, tc.name)
		}
	}
}
