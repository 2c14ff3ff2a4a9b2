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
	c, _ := testCore(t, 3)
	c.Ready()
	for c.probe == nil {
		c.Tick(c.nextWake())
		c.Ready()
	}
	return c
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
		for c.probe != nil && c.probe.nonce == p.nonce { // nobody answers
			c.Tick(c.nextWake().Add(delay))
			c.Ready()
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
		for c.probe != nil && c.probe.nonce == p.nonce { // nobody answers; the timers run on time
			c.Tick(c.nextWake())
			c.Ready()
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

// A member whose delays never end still accuses: after maxInconclusive
// inconclusive probes of one member in a row, the next failure suspects
// it, so a crash is detected at most that many periods later.
func TestInconclusiveProbesBounded(t *testing.T) {
	c := probing(t)
	target := c.probe.target
	for i := 0; i <= maxInconclusive; i++ {
		require.NotNil(t, c.probe)
		require.Equal(t, target, c.probe.target, "probe %d", i)
		nonce := c.probe.nonce
		for c.probe != nil && c.probe.nonce == nonce { // nobody answers, and every timer runs late
			c.Tick(c.nextWake().Add(c.cfg.ProbeTimeout))
			c.Ready()
		}
	}
	assert.Equal(t, uint64(maxInconclusive), c.Stats().InconclusiveProbes)
	assert.Equal(t, StateSuspect, c.members[target].State, "accused after %d inconclusive probes", maxInconclusive)
}
