package swim

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Checks once the view settles (settledTick): a member whose view stopped
// growing compares it with a random member's, checkPeriods after the
// last growth and then at doubling intervals, settleChecks times in all.

// settledCore is a testCore of three peers whose anti-entropy rounds are a
// day apart, so that every digest it sends comes from the checks, and
// whose first series of checks (after the peers joined) is over.
func settledCore(t *testing.T) (*Core, time.Time) {
	t.Helper()
	cfg := DefaultLANConfig()
	cfg.SyncInterval = 24 * time.Hour
	c, now := testCoreWith(t, cfg, 3)
	c.resynced = true // no check after a join of its own
	for now = now.Add(10 * time.Millisecond); !c.settleDue.IsZero(); now = now.Add(10 * time.Millisecond) {
		tickAnswering(t, c, now)
	}
	require.Equal(t, settleChecks, c.checksSent)
	return c, now
}

// tickAnswering ticks c at now and answers every ping it sent to a
// verified member, as live peers do, so that its health stays at zero
// (candidates, made up, never answer); it returns the addresses its
// digests went to.
func tickAnswering(t *testing.T, c *Core, now time.Time) []netip.AddrPort {
	t.Helper()
	c.Tick(now)
	rd := c.Ready()
	for _, p := range rd.Packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		if m, ok := c.byAddr[p.To]; ok && m.verified && msgs[0].Type == wire.TypePing {
			require.NoError(t, c.Step(now, p.To, wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: msgs[0].Ping.Nonce ^ nameTag(m.Name)})))
		}
	}
	return digestsTo(t, rd)
}

// checkTimes ticks c every 10 ms from from to to, answering its pings, and
// returns when digests went out, as offsets from from.
func checkTimes(t *testing.T, c *Core, from, to time.Time) []time.Duration {
	t.Helper()
	var out []time.Duration
	for at := from; !at.After(to); at = at.Add(10 * time.Millisecond) {
		for range tickAnswering(t, c, at) {
			out = append(out, at.Sub(from))
		}
	}
	return out
}

// grow adds the verified member named name to c's view.
func grow(c *Core, name string, i int) {
	c.addMember(&wire.Alive{Name: name, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, byte(i)}), 1), Incarnation: 1}, true)
}

// requireWithin fails unless got lies in [from, from+span], give or take
// the 10 ms between ticks.
func requireWithin(t *testing.T, got, from, span time.Duration, what string) {
	t.Helper()
	to := from + span + 10*time.Millisecond
	require.True(t, got >= from && got <= to, "%s at %v, want in [%v, %v]", what, got, from, to)
}

// After the view grows, the member sends a digest checkPeriods later
// (within a period's jitter), and three more, each twice as long after the
// one before as the last gap; then none. A member that missed a join
// while its view grew (in a wave of joins) finds the hole at the first
// that reaches a member whose view differs; without the checks it waited
// for an anti-entropy round, minutes apart in a large cluster.
func TestSettledViewIsCompared(t *testing.T) {
	c, now := settledCore(t)
	settle := checkPeriods * c.cfg.ProbeInterval
	grow(c, "new", 1)
	got := checkTimes(t, c, now, now.Add(40*settle))
	require.Len(t, got, settleChecks, "digests: %v", got)
	requireWithin(t, got[0], settle, c.cfg.ProbeInterval, "the first check")
	for i := 1; i < len(got); i++ {
		requireWithin(t, got[i]-got[i-1], settle<<i, c.cfg.ProbeInterval, fmt.Sprintf("check %d after the one before", i+1))
	}
	assert.Zero(t, c.health, "health (pings answered)")
}

// A view that grows again before it has been quiet for checkPeriods
// postpones the check, and a growth in the middle of a series starts a
// new one: while members join one after another, nothing is sent.
func TestGrowthPostponesTheCheck(t *testing.T) {
	c, now := settledCore(t)
	settle := checkPeriods * c.cfg.ProbeInterval
	grow(c, "new-1", 1)
	require.Empty(t, checkTimes(t, c, now, now.Add(settle-time.Second)))
	now = now.Add(settle - time.Second + 10*time.Millisecond)
	grow(c, "new-2", 2)
	got := checkTimes(t, c, now, now.Add(settle+c.cfg.ProbeInterval))
	require.Len(t, got, 1)
	requireWithin(t, got[0], settle, c.cfg.ProbeInterval, "the check after the second growth")

	// The series' second check would come 2*settle later; a growth
	// before it restarts the count, so four more follow it.
	now = now.Add(settle + c.cfg.ProbeInterval + 10*time.Millisecond)
	grow(c, "new-3", 3)
	got = checkTimes(t, c, now, now.Add(15*settle))
	require.Len(t, got, settleChecks-1, "three checks within 15 settle periods")
	requireWithin(t, got[0], settle, c.cfg.ProbeInterval, "the first check of the new series")

	// A growth after the third check, whose timer for the fourth is
	// 8*settle away: the first check of the new series still comes a
	// settle period later, not then.
	now = now.Add(15*settle + 10*time.Millisecond)
	grow(c, "new-4", 4)
	got = checkTimes(t, c, now, now.Add(2*settle))
	require.Len(t, got, 1, "checks within two settle periods of the growth")
	requireWithin(t, got[0], settle, c.cfg.ProbeInterval, "the first check after a growth late in a series")
}

// A member short of CPU (health above zero) does not compare: each whole
// state an exchange costs kept a saturated process saturated. It checks
// checkPeriods after the check it skipped, if healthy then.
func TestSaturatedMemberWaitsToCheck(t *testing.T) {
	c, now := settledCore(t)
	settle := checkPeriods * c.cfg.ProbeInterval
	grow(c, "new", 1)
	start := now
	for ; now.Before(start.Add(settle + c.cfg.ProbeInterval)); now = now.Add(10 * time.Millisecond) {
		c.health = 1
		require.Empty(t, tickAnswering(t, c, now), "a check at %v", now.Sub(start))
	}
	c.health = 0
	got := checkTimes(t, c, now, start.Add(3*settle))
	require.NotEmpty(t, got)
	requireWithin(t, got[0]+now.Sub(start), 2*settle, 2*c.cfg.ProbeInterval, "the first check")
}

// A leaving member compares nothing.
func TestLeavingMemberDoesNotCheck(t *testing.T) {
	c, now := settledCore(t)
	grow(c, "new", 1)
	require.NoError(t, c.Leave(now))
	c.Ready()
	assert.Empty(t, checkTimes(t, c, now, now.Add(40*checkPeriods*c.cfg.ProbeInterval)))
}

// Growth a member (or, without encryption, anyone forging its address)
// can cause costs at most settleChecks digests per new name, sent to
// members we have heard from, never to the made-up address, at least
// checkPeriods apart; a flood of names draws none until it stops, as the
// checks wait for the view to settle. Each name is a candidate that never
// answers and is forgotten, as before.
func TestForgedNamesDrawFewChecks(t *testing.T) {
	c, now := settledCore(t)
	settle := checkPeriods * c.cfg.ProbeInterval
	fake := func(i int) []byte {
		return wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: fmt.Sprintf("fake-%d", i), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 3, byte(i / 250), byte(1 + i%250)}), 1), Incarnation: 1})
	}
	real := func(to netip.AddrPort) bool {
		m, ok := c.byAddr[to]
		return ok && m.verified
	}
	// A name every 100 ms for a minute: no check while they come, and
	// not a timer per name either.
	i, gen := 0, c.settleGen
	for end := now.Add(time.Minute); now.Before(end); now = now.Add(100 * time.Millisecond) {
		step(t, c, now, fake(i))
		i++
		for at := now; at.Before(now.Add(100 * time.Millisecond)); at = at.Add(10 * time.Millisecond) {
			require.Empty(t, tickAnswering(t, c, at), "a check during the flood, %d names in", i)
		}
	}
	assert.Less(t, c.settleGen-gen, uint64(time.Minute/settle+2), "timers armed for %d names", i)
	// Then names a settle period and a half apart, where one check fits
	// between two, and names 40 settle periods apart, where a whole series
	// does.
	var last time.Time
	for _, tc := range []struct {
		gap  time.Duration
		most int
	}{{settle * 3 / 2, 1}, {40 * settle, settleChecks}} {
		for range 10 {
			step(t, c, now, fake(i))
			i++
			n := 0
			for at := now; at.Before(now.Add(tc.gap)); at = at.Add(10 * time.Millisecond) {
				for _, to := range tickAnswering(t, c, at) {
					n++
					assert.True(t, real(to), "a check to %v", to)
					require.True(t, last.IsZero() || at.Sub(last) >= settle, "checks %v apart", at.Sub(last))
					last = at
				}
			}
			require.LessOrEqual(t, n, tc.most, "checks after name %d, %v apart", i, tc.gap)
			now = now.Add(tc.gap)
		}
	}
	assert.Equal(t, 4, c.counts[StateAlive], "alive members but self: z and the three peers")
}
