package main

import (
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
	"github.com/memberlist-go/memberlist/bench/scenario"
)

// plan is what one run measures and how long each part may take.
type plan struct {
	// repeats is how often S1 to S3 run for each implementation.
	repeats int
	// scenarios are S1 to S3.
	scenarios []namedSpec
	// search bounds S4 for each implementation; searchCap is its time.
	search scenario.Search
	// oursStart, if set, is where our search starts doubling instead of
	// search.Start.
	oursStart int
	searchCap time.Duration
	// searchSpec is an S4 trial, N aside.
	searchSpec scenario.Spec
	// sweep are the N of the curves against N.
	sweep []int
	// simNs and simSeeds are S6's cluster sizes and seeds per size.
	simNs    []int
	simSeeds func(n int) int
	// benchCount is go test -count for S5.
	benchCount int
	// budget is the time the whole run should take; the search's caps
	// give way to it. Zero: no budget.
	budget time.Duration
	// reliable is an S7 trial and reliableRepeats how often it runs for
	// each implementation; pushPull and pushPullRepeats are S8's.
	reliable        scenario.ReliableSpec
	reliableRepeats int
	pushPull        scenario.PushPullSpec
	pushPullRepeats int
	// simAllowance bounds S6: a cluster size whose estimated cost would
	// take S6 past it is left out. Zero: no bound.
	simAllowance time.Duration
}

type namedSpec struct {
	id   string
	spec scenario.Spec
}

var (
	// fast are S1, S2 and S4's timings.
	fast = cluster.Settings{ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, GossipInterval: 50 * time.Millisecond}
	// lan are the LAN preset's, S3's.
	lan = cluster.Settings{ProbeInterval: time.Second, ProbeTimeout: 500 * time.Millisecond, GossipInterval: 200 * time.Millisecond}
)

// trialSpec is a scenario trial as docs/SCENARIOS.md sets it up: 2 s
// after convergence a 10 s window, then three crashes a second apart.
func trialSpec(n int, s cluster.Settings) scenario.Spec {
	return scenario.Spec{
		N:         n,
		Settings:  s,
		JoinCap:   45 * time.Second,
		Settle:    2 * time.Second,
		Steady:    10 * time.Second,
		Window:    10 * time.Second,
		Crashes:   3,
		CrashGap:  time.Second,
		DetectCap: max(20*time.Second, 30*s.ProbeInterval),
		// An application reads the member list; both libraries pay for
		// it in the window's CPU (ours from a snapshot, the incumbent
		// under its lock).
		ReadEvery: 100 * time.Millisecond,
	}
}

// probeSpec is an S4 trial: a 20 s window and no crashes. A cluster that
// has not converged in 30 s (more for thousands of members, which take
// that long to start) while using a core or more has collapsed, and the
// trial stops there; one that uses less may be repairing a missed join by
// anti-entropy (every 30 s and more, scaled with N, in both libraries) and
// gets up to 60 s, all the budget allows.
func probeSpec(n int) scenario.Spec {
	s := trialSpec(n, fast)
	s.Window = 20 * time.Second
	s.Crashes = 0
	s.JoinCap = 30*time.Second + time.Duration(n)*10*time.Millisecond
	s.JoinCapIdle = time.Minute
	s.StopUnconverged = true
	// Every list read every 100 ms is N² records a second in one process:
	// at thousands of members the reads, not the protocol, would be
	// measured.
	s.ReadEvery = 0
	return s
}

// probeCost is the longest an S4 trial of n members takes when it
// collapses or converges in time, start and teardown included; a slow but
// idle join can take up to probeWorst.
func probeCost(n int) time.Duration {
	s := probeSpec(n)
	return s.JoinCap + s.Settle + s.Window + 15*time.Second
}

// probeWorst is the longest an S4 trial of n members can take.
func probeWorst(n int) time.Duration {
	s := probeSpec(n)
	return max(s.JoinCap, s.JoinCapIdle) + s.Settle + s.Window + 15*time.Second
}

// reliableSpec is an S7 trial: 1 MiB messages between two members at the
// LAN preset, messages sent back to back for the throughput, then samples
// one at a time for the latency. About 5 s a trial for the incumbent on
// 2 cores, less for ours.
func reliableSpec(messages, samples int) scenario.ReliableSpec {
	return scenario.ReliableSpec{Size: 1 << 20, Messages: messages, Samples: samples, Settings: lan, Timeout: time.Minute}
}

// pushPullSpec is an S8 trial: 32 members at the LAN preset, each with a
// state of 1 MiB, exchanging every 10 s; a 20 s window (two intervals)
// starts 3 s after convergence, once the joins' exchanges are over. At
// 2 s the incumbent's exchanges (LZW on 2 MiB each) saturated 2 cores and
// its joins did not finish in 45 s. About 35 s a trial.
func pushPullSpec() scenario.PushPullSpec {
	return scenario.PushPullSpec{
		N:         32,
		StateSize: 1 << 20,
		Interval:  10 * time.Second,
		Settings:  lan,
		JoinCap:   45 * time.Second,
		Settle:    3 * time.Second,
		Window:    20 * time.Second,
	}
}

// pushPullCost is the longest an S8 trial takes, start and teardown aside.
func pushPullCost(s scenario.PushPullSpec) time.Duration {
	return s.JoinCap + s.Settle + s.Window
}

func fullPlan() plan {
	return plan{
		repeats: 3,
		scenarios: []namedSpec{
			{"S1", trialSpec(32, fast)},
			{"S2", trialSpec(128, fast)},
			{"S3", trialSpec(128, lan)},
		},
		search: scenario.Search{Start: 64, Limit: 8192, Precision: 0.25},
		// Ours has been healthy at 512 in every run since issue 12 was
		// filed, and S2 runs it at 128 with these timings; the doublings
		// below cost the search the minute that a trial of 1,024 or more
		// takes, which it lacked (a 512 that fails still halves down).
		oursStart:  512,
		searchCap:  5 * time.Minute,
		searchSpec: probeSpec(0),
		sweep:      []int{32, 64, 96, 128, 256, 512, 1024},
		simNs:      []int{100, 300, 1000, 3000, 10000},
		simSeeds: func(n int) int {
			if n <= 1000 {
				return 3
			}
			return 1
		},
		benchCount: 5,
		// S7 and S8 run before S4, whose search gives their minute or
		// three back to the budget: 2 runs of each per implementation,
		// about 40 s for S7 and 140 s for S8 in all.
		reliable:        reliableSpec(32, 100),
		reliableRepeats: 2,
		pushPull:        pushPullSpec(),
		pushPullRepeats: 2,
		budget:          19 * time.Minute,
		simAllowance:    5 * time.Minute,
	}
}

// quickPlan is for development: one run each, small clusters, short caps.
func quickPlan() plan {
	p := fullPlan()
	p.repeats = 1
	p.scenarios = []namedSpec{
		{"S1", trialSpec(32, fast)},
		{"S2", trialSpec(64, fast)},
		{"S3", trialSpec(32, lan)},
	}
	p.search = scenario.Search{Start: 64, Limit: 128, Precision: 0.25}
	p.oursStart = 0
	p.searchCap = time.Minute
	p.sweep = []int{32, 64, 128}
	p.simNs = []int{100, 300}
	p.simSeeds = func(int) int { return 1 }
	p.benchCount = 1
	p.reliable = reliableSpec(16, 30)
	p.reliableRepeats = 1
	p.pushPullRepeats = 1
	p.budget = 0
	p.simAllowance = 0
	return p
}
