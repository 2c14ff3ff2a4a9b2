package swim_test

// Tests named after the sections of the SWIM paper (Das, Gupta, Motivala,
// 2002) and the Lifeguard paper (Dadgar, Phillips, Currey, 2017) whose rules
// they check, all in virtual time in the simulator.

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One seed gives one run: the event logs of two runs are equal byte for
// byte, and a different seed gives a different run.
func TestDeterminism(t *testing.T) {
	run := func(seed uint64) []byte {
		c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: seed,
			Link: swimtest.Link{Delay: time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.05}})
		nodes := c.AddN(30)
		c.JoinAll(nodes[0])
		c.Run(20 * time.Second)
		c.Crash(nodes[3])
		c.Partition(nodes[:10])
		c.Run(40 * time.Second)
		c.Heal()
		c.Restart(nodes[3], true)
		c.Join(nodes[3], nodes[0])
		c.Run(60 * time.Second)
		return eventLog(c)
	}
	a, b := run(7), run(7)
	require.NotEmpty(t, a, "the run reported no events")
	require.Equal(t, string(a), string(b), "same seed, different logs")
	assert.NotEqual(t, string(a), string(run(8)), "different seeds gave the same log: randomness is not reaching the run")
}

// SWIM 4.1, infection-style dissemination: 1,000 members that all join
// through one seed see each other alive within 30 simulated seconds.
func TestScaleJoinThousand(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("thousand-member simulation: make test runs it without -race")
	}
	c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 1})
	nodes := c.AddN(1000)
	c.JoinAll(nodes[0])
	ok, took := c.RunUntil(30*time.Second, func() bool { return c.AllSeeAlive(nodes) })
	worst := len(nodes)
	for _, n := range nodes {
		if a, _, _, _ := n.Core.NumMembers(); a < worst {
			worst = a
		}
	}
	require.True(t, ok, "not converged after %v: the worst view holds %d alive", took, worst)
	t.Logf("1000 members converged in %v (simulated)", took)
	assert.Zero(t, c.CountEvents(swim.EventFailed, ""), "failed events while joining")
}

// SWIM 3 and Lifeguard 4.3: a crashed member is declared failed by every
// other member within a bound that follows from the config: the first probe
// of it (expected 1.58 periods; allow 3), the period in which that probe
// fails, Lifeguard's shortest suspicion timeout (enough members confirm the
// suspicion at N=100), and a few periods for the confirmations and for the
// news to spread.
func TestSWIM3_CrashDetection(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 3, 100)
	T := cfg.ProbeInterval
	bound := 3*T + T + suspicionMin(cfg, 100) + 6*T
	for i, victim := range []*swimtest.Node{nodes[10], nodes[50], nodes[99]} {
		c.Crash(victim)
		rest := others(c.Up(), victim)
		ok, took := c.RunUntil(bound+time.Second, func() bool { return c.AllSee(rest, victim, swim.StateDead) })
		require.True(t, ok, "crash %d: not every member declared %s failed within %v", i, victim.Name, bound)
		require.LessOrEqual(t, took, bound, "crash %d: detection by all against the bound", i)
		t.Logf("crash %d: %s failed everywhere after %v (bound %v)", i, victim.Name, took, bound)
		c.Run(time.Second)
	}
	assert.Zero(t, failedAbout(c, others(nodes, nodes[10], nodes[50], nodes[99])), "failed events about running members")
}

// SWIM 4.2 and Lifeguard: with 10% loss on every link for ten simulated
// minutes, suspicions happen but are refuted: no member is declared failed.
func TestLifeguard_NoFalseFailuresUnderLoss(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	// The UDP protocol's own resilience: with the TCP fallback, streams
	// answer the probes that loss fails, and nobody is suspected at all
	// (tcpprobe_test.go).
	cfg.DisableTCPProbe = true
	c, nodes := newCluster(t, cfg, 4, 100)
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.10})
	c.Run(10 * time.Minute)
	require.Zero(t, c.CountEvents(swim.EventFailed, ""), "members declared failed under 10% loss")
	s := c.CountEvents(swim.EventSuspected, "")
	require.NotZero(t, s, "no suspicion at all under 10% loss: is loss applied?")
	t.Logf("%d suspected events, 0 failed", s)
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 2 * time.Millisecond})
	ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	assert.True(t, ok, "a minute after the loss stopped, not every view holds every member alive")
}

// Lifeguard 4.1 (local health): a member that handles its input two probe
// timeouts late raises its own health multiplier instead of getting healthy
// members declared failed.
func TestLifeguard41_SlowMember(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 5, 100)
	slow := nodes[17]
	slow.Slow = 2 * cfg.ProbeTimeout
	c.Run(10 * time.Minute)
	assert.Zero(t, failedAbout(c, others(nodes, slow)), "failed events about healthy members")
	assert.NotZero(t, slow.Core.HealthScore(), "the slow member's health score stayed 0")
	t.Logf("slow member: health %d, %d refutations, %d failed events about it",
		slow.Core.HealthScore(), slow.Core.Stats().Refutations, c.CountEvents(swim.EventFailed, slow.Name))
}

// Lifeguard's health score as back-pressure: a member whose probes time
// out gossips less often and to fewer members, so a saturated process
// sends less rather than more. Over ten minutes under a stream of news, the
// slow member sends fewer packets than any healthy one.
func TestLifeguard41_SlowMemberGossipsLess(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 5, 30)
	slow := nodes[17]
	slow.Slow = 2 * cfg.ProbeTimeout
	c.Run(time.Minute)
	before := map[*swimtest.Node]uint64{}
	for _, n := range nodes {
		before[n] = n.PacketsOut
	}
	for i := range 600 {
		// Broadcasts keep every member's queue busy.
		require.NoError(t, c.Broadcast(nodes[i%len(nodes)], []byte{byte(i)}))
		c.Run(time.Second)
	}
	least := ^uint64(0)
	for _, n := range others(nodes, slow) {
		least = min(least, n.PacketsOut-before[n])
	}
	sent := slow.PacketsOut - before[slow]
	assert.Positive(t, slow.Core.HealthScore())
	assert.Less(t, sent, least, "the slow member sent %d packets, the least of the healthy ones %d", sent, least)
	t.Logf("in 10 minutes the slow member (health %d) sent %d packets, the healthy ones at least %d", slow.Core.HealthScore(), sent, least)
}

// Leaving: a member that leaves is "left" in every view, never "failed",
// even when it stops right after the leave has spread.
func TestLeave(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 6, 50)
	leaver := nodes[20]
	require.NoError(t, c.Leave(leaver))
	ok, _ := c.RunUntil(30*time.Second, leaver.Core.LeaveDone)
	require.True(t, ok, "leave announcement not done within 30s")
	c.Crash(leaver)
	rest := others(nodes, leaver)
	ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSee(rest, leaver, swim.StateLeft) })
	require.True(t, ok, "not left in every view after %v", took)
	c.Run(2 * time.Minute)
	assert.True(t, c.AllSee(rest, leaver, swim.StateLeft), "a view changed the left member's state later")
	assert.Zero(t, c.CountEvents(swim.EventFailed, leaver.Name), "failed events about the member that left")
	assert.Equal(t, len(rest), c.CountEvents(swim.EventLeft, leaver.Name), "left events: one per other member")
}

// Partition healing: 100 members split 50/50 for two simulated minutes
// declare each other failed; after the heal every view holds all 100 alive
// again within two sync periods, with no help from the application.
func TestPartitionHeals(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 7, 100)
	a, b := nodes[:50], nodes[50:]
	c.Partition(a, b)
	c.Run(2 * time.Minute)
	require.True(t, c.AllSee(a, b[0], swim.StateDead), "the first half did not declare the second failed during the partition")
	require.True(t, c.AllSee(b, a[0], swim.StateDead), "the second half did not declare the first failed during the partition")
	c.Heal()
	syncPeriod := 3 * cfg.SyncInterval // ceil(log2(100) - 5) + 1 = 3 at N=100
	ok, took := c.RunUntil(2*syncPeriod, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "not healed within two sync periods (%v)", 2*syncPeriod)
	t.Logf("healed in %v after the partition ended", took)
}

// Restart (Kubernetes pods): a member restarted under the same name at a
// new address is alive at the new address in every view within a few probe
// periods.
func TestRestartAtNewAddress(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 8, 50)
	pod := nodes[30]
	old := pod.Addr
	c.Crash(pod)
	c.Run(2 * time.Second)
	require.NoError(t, c.Restart(pod, true))
	require.NoError(t, c.Join(pod, nodes[0]))
	bound := 5 * cfg.ProbeInterval
	ok, took := c.RunUntil(bound, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "restarted member not alive at %v in every view within %v", pod.Addr, bound)
	t.Logf("restarted member (%v -> %v) alive everywhere after %v", old, pod.Addr, took)
	c.Run(time.Minute)
	assert.Zero(t, c.CountEvents(swim.EventFailed, pod.Name), "failed events about the restarted member")
}

// Two live processes claiming one name: the older yields and reports a
// conflict instead of the two refuting each other forever.
func TestNameConflictIsReportedNotFlipped(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 9, 10)
	c.Run(time.Second)
	twin, err := c.Add(nodes[4].Name)
	require.NoError(t, err)
	require.NoError(t, c.Join(twin, nodes[0]))
	c.Run(time.Minute)
	conflicts := 0
	for _, ev := range nodes[4].Events {
		if ev.Type == swim.EventConflict {
			conflicts++
		}
	}
	require.Equal(t, 1, conflicts, "conflict events at the older claimant")
	inc := twin.Core.LocalMember().Incarnation
	for _, n := range others(nodes, nodes[4]) {
		m, _ := n.Core.Member(twin.Name)
		assert.Equal(t, twin.Addr, m.Addr, "%s's view of the name: want the newer claimant", n.Name)
		assert.Equal(t, inc, m.Incarnation, "%s's view of the name: want the newer claimant", n.Name)
	}
}
