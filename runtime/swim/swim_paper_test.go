package swim_test

// Tests named after the sections of the SWIM paper (Das, Gupta, Motivala,
// 2002) and the Lifeguard paper (Dadgar, Phillips, Currey, 2017) whose rules
// they check, all in virtual time in the simulator.

import (
	"bytes"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
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
	if len(a) == 0 {
		t.Fatal("the run reported no events")
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("same seed, different logs (%d and %d bytes)", len(a), len(b))
	}
	if bytes.Equal(a, run(8)) {
		t.Fatal("different seeds gave the same log: randomness is not reaching the run")
	}
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
	if !ok {
		worst := len(nodes)
		for _, n := range nodes {
			if a, _, _, _ := n.Core.NumMembers(); a < worst {
				worst = a
			}
		}
		t.Fatalf("not converged after %v: the worst view holds %d alive", took, worst)
	}
	t.Logf("1000 members converged in %v (simulated)", took)
	if f := c.CountEvents(swim.EventFailed, ""); f != 0 {
		t.Fatalf("%d failed events while joining", f)
	}
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
		if !ok {
			t.Fatalf("crash %d: not every member declared %s failed within %v", i, victim.Name, bound)
		}
		if took > bound {
			t.Fatalf("crash %d: detection by all took %v, bound %v", i, took, bound)
		}
		t.Logf("crash %d: %s failed everywhere after %v (bound %v)", i, victim.Name, took, bound)
		c.Run(time.Second)
	}
	if f := failedAbout(c, others(nodes, nodes[10], nodes[50], nodes[99])); f != 0 {
		t.Fatalf("%d failed events about running members", f)
	}
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
	if f := c.CountEvents(swim.EventFailed, ""); f != 0 {
		t.Fatalf("%d members declared failed under 10%% loss, want 0", f)
	}
	s := c.CountEvents(swim.EventSuspected, "")
	if s == 0 {
		t.Fatal("no suspicion at all under 10% loss: is loss applied?")
	}
	t.Logf("%d suspected events, 0 failed", s)
	c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 2 * time.Millisecond})
	if ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) }); !ok {
		t.Fatal("a minute after the loss stopped, not every view holds every member alive")
	}
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
	if f := failedAbout(c, others(nodes, slow)); f != 0 {
		t.Fatalf("%d failed events about healthy members", f)
	}
	if h := slow.Core.HealthScore(); h == 0 {
		t.Fatal("the slow member's health score stayed 0")
	}
	t.Logf("slow member: health %d, %d refutations, %d failed events about it",
		slow.Core.HealthScore(), slow.Core.Stats().Refutations, c.CountEvents(swim.EventFailed, slow.Name))
}

// Leaving: a member that leaves is "left" in every view, never "failed",
// even when it stops right after the leave has spread.
func TestLeave(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 6, 50)
	leaver := nodes[20]
	c.Leave(leaver)
	ok, _ := c.RunUntil(30*time.Second, leaver.Core.LeaveDone)
	if !ok {
		t.Fatal("leave announcement not done within 30s")
	}
	c.Crash(leaver)
	rest := others(nodes, leaver)
	if ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSee(rest, leaver, swim.StateLeft) }); !ok {
		t.Fatalf("not left in every view after %v", took)
	}
	c.Run(2 * time.Minute)
	if !c.AllSee(rest, leaver, swim.StateLeft) {
		t.Fatal("a view changed the left member's state later")
	}
	if f := c.CountEvents(swim.EventFailed, leaver.Name); f != 0 {
		t.Fatalf("%d failed events about the member that left", f)
	}
	if l := c.CountEvents(swim.EventLeft, leaver.Name); l != len(rest) {
		t.Fatalf("%d left events, want one per other member (%d)", l, len(rest))
	}
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
	if !c.AllSee(a, b[0], swim.StateDead) || !c.AllSee(b, a[0], swim.StateDead) {
		t.Fatal("the halves did not declare each other failed during the partition")
	}
	c.Heal()
	syncPeriod := 3 * cfg.SyncInterval // ceil(log2(100) - 5) + 1 = 3 at N=100
	ok, took := c.RunUntil(2*syncPeriod, func() bool { return c.AllSeeAlive(nodes) })
	if !ok {
		t.Fatalf("not healed within two sync periods (%v)", 2*syncPeriod)
	}
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
	c.Restart(pod, true)
	c.Join(pod, nodes[0])
	bound := 5 * cfg.ProbeInterval
	ok, took := c.RunUntil(bound, func() bool { return c.AllSeeAlive(nodes) })
	if !ok {
		t.Fatalf("restarted member not alive at %v in every view within %v", pod.Addr, bound)
	}
	t.Logf("restarted member (%v -> %v) alive everywhere after %v", old, pod.Addr, took)
	c.Run(time.Minute)
	if f := c.CountEvents(swim.EventFailed, pod.Name); f != 0 {
		t.Fatalf("%d failed events about the restarted member", f)
	}
}

// Two live processes claiming one name: the older yields and reports a
// conflict instead of the two refuting each other forever.
func TestNameConflictIsReportedNotFlipped(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 9, 10)
	c.Run(time.Second)
	twin := c.Add(nodes[4].Name)
	c.Join(twin, nodes[0])
	c.Run(time.Minute)
	conflicts := 0
	for _, ev := range nodes[4].Events {
		if ev.Type == swim.EventConflict {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Fatalf("%d conflict events at the older claimant, want 1", conflicts)
	}
	inc := twin.Core.LocalMember().Incarnation
	for _, n := range others(nodes, nodes[4]) {
		m, _ := n.Core.Member(twin.Name)
		if m.Addr != twin.Addr || m.Incarnation != inc {
			t.Fatalf("%s holds %v inc %d, want the newer claimant %v inc %d", n.Name, m.Addr, m.Incarnation, twin.Addr, inc)
		}
	}
}
