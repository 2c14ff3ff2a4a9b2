// Package sim measures how our protocol scales with the number of members
// (S6), in the simulator of runtime/swim/swimtest: thousands of protocol
// cores over a simulated network in virtual time, at the LAN preset. It
// reports join convergence and crash detection in protocol periods, the
// steady traffic per member, and what the simulation cost in wall time.
package sim

import (
	"fmt"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// Result is one simulated cluster's figures.
type Result struct {
	// N is the number of members.
	N int
	// Seed fixed every random choice of the run.
	Seed uint64
	// JoinPeriods is the time from the joins (all members join through one
	// seed at once) until every member holds every other alive, in
	// protocol periods.
	JoinPeriods float64
	// Converged reports whether that happened within the limit.
	Converged bool
	// LatePeriods is, once the cluster is steady, the time from one more
	// member's join until every member holds it alive and it holds every
	// member: how fast one join spreads.
	LatePeriods float64
	// LateConverged reports whether that happened within the limit.
	LateConverged bool
	// FirstPeriods and AllPeriods are the time from a crash until the first
	// member, and until every member, declared the crashed one failed; if
	// not Detected, the time waited.
	FirstPeriods, AllPeriods float64
	// Detected reports whether every member did within the limit.
	Detected bool
	// BytesPerMemberPeriod is the steady traffic after convergence, IPv4
	// and UDP headers included.
	BytesPerMemberPeriod float64
	// FalseFailures counts failure events about members that were running,
	// over the whole run.
	FalseFailures int
	// VirtualSeconds is the simulated time the run covered, and
	// WallSeconds what it cost.
	VirtualSeconds, WallSeconds float64
}

// Options bound one simulated run.
type Options struct {
	// N is the number of members.
	N int
	// Seed fixes the run.
	Seed uint64
	// Drain is the virtual time after convergence before traffic is
	// measured, for the news of the joins to die out.
	Drain time.Duration
	// Steady is the virtual time over which steady traffic is measured.
	Steady time.Duration
	// Limit bounds each wait (convergence, detection) in virtual time.
	Limit time.Duration
}

// Run simulates one cluster at the LAN preset: every member joins through
// member 0 at once; once all see all and o.Drain has passed, traffic is
// measured over o.Steady; then one more member joins, and once all see it,
// one member crashes and detection is timed.
func Run(o Options) (Result, error) {
	if o.N < 3 {
		return Result{}, fmt.Errorf("sim: N = %d; want at least 3", o.N)
	}
	cfg := swim.DefaultLANConfig()
	period := cfg.ProbeInterval
	wall := time.Now()
	res := Result{N: o.N, Seed: o.Seed}
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: o.Seed})
	nodes := c.AddN(o.N)
	if err := c.JoinAll(nodes[0]); err != nil {
		return res, err
	}
	ok, took := c.RunUntil(o.Limit, func() bool { return c.AllSeeAlive(nodes) })
	res.Converged = ok
	res.JoinPeriods = float64(took) / float64(period)

	c.Run(o.Drain)
	before := c.BytesOut()
	c.Run(o.Steady)
	res.BytesPerMemberPeriod = float64(c.BytesOut()-before) / float64(o.N) / (float64(o.Steady) / float64(period))

	late, err := c.Add("late")
	if err != nil {
		return res, err
	}
	if err := c.Join(late, nodes[0]); err != nil {
		return res, err
	}
	nodes = append(nodes, late)
	ok, took = c.RunUntil(o.Limit, func() bool { return c.AllSeeAlive(nodes) })
	res.LateConverged = ok
	res.LatePeriods = float64(took) / float64(period)

	victim := nodes[o.N/2]
	c.Crash(victim)
	start := c.Elapsed()
	first := time.Duration(-1)
	c.OnEvent = func(_ *swimtest.Node, ev swim.Event) {
		if ev.Type == swim.EventFailed && ev.Member.Name == victim.Name && first < 0 {
			first = c.Elapsed() - start
		}
	}
	ok, all := c.RunUntil(o.Limit, func() bool { return c.AllSee(c.Up(), victim, swim.StateDead) })
	res.Detected = ok
	res.AllPeriods = float64(all) / float64(period)
	if first >= 0 {
		res.FirstPeriods = float64(first) / float64(period)
	} else {
		res.FirstPeriods = res.AllPeriods // nobody detected it: the time waited
	}
	for _, n := range c.Nodes() {
		for _, ev := range n.Events {
			if ev.Type == swim.EventFailed && ev.Member.Name != victim.Name {
				res.FalseFailures++
			}
		}
	}
	res.VirtualSeconds = c.Elapsed().Seconds()
	res.WallSeconds = time.Since(wall).Seconds()
	return res, nil
}
