package report

import (
	"fmt"
	"math"
)

// Verdict says whether a goal was met.
type Verdict int

// The verdicts.
const (
	// Unmeasured: this run did not measure the goal's figure.
	Unmeasured Verdict = iota
	// Met: the figure meets the target.
	Met
	// Missed: it does not.
	Missed
)

// String returns "met", "MISSED" or "not measured".
func (v Verdict) String() string {
	switch v {
	case Met:
		return "met"
	case Missed:
		return "MISSED"
	}
	return "not measured"
}

// Goal is one target of docs/SCENARIOS.md or the issues, with what
// this run measured.
type Goal struct {
	// ID keys the note on what limits a missed goal.
	ID string
	// Name and Target say what is asked.
	Name, Target string
	// Measured is the figure, in words.
	Measured string
	Verdict  Verdict
}

func verdict(measured bool, ok bool) Verdict {
	switch {
	case !measured:
		return Unmeasured
	case ok:
		return Met
	}
	return Missed
}

// findRow returns the row of a scenario's figure.
func findRow(rows []Row, sectionPrefix, figure string) (Row, bool) {
	for _, r := range rows {
		if len(r.Section) >= len(sectionPrefix) && r.Section[:len(sectionPrefix)] == sectionPrefix && r.Figure == figure {
			return r, true
		}
	}
	return Row{}, false
}

// ratioGoal checks ours/theirs against a bound.
func ratioGoal(id, name string, rows []Row, sec, fig string, bound float64) Goal {
	g := Goal{ID: id, Name: name, Target: fmt.Sprintf("ours/theirs at most %.1fx", bound)}
	r, ok := findRow(rows, sec, fig)
	ratio := r.Ratio()
	if ok && !math.IsNaN(ratio) {
		g.Measured = fmt.Sprintf("%.3fx (%s vs %s)", ratio, fmtNum(r.Ours.Median, r.Prec), fmtNum(r.Theirs.Median, r.Prec))
	}
	g.Verdict = verdict(ok && !math.IsNaN(ratio), ratio <= bound)
	return g
}

// Goals evaluates every goal against d.
func Goals(d *Data) []Goal {
	rows := ScenarioRows(d)
	var gs []Goal
	gs = append(gs,
		ratioGoal("s1-bytes", "S1 steady traffic", rows, "S1", "steady traffic (bytes/member/s)", 0.6),
		ratioGoal("s1-detect", "S1 crash detection, all", rows, "S1", "crash detection, all (s)", 1.0),
		ratioGoal("s1-cpu", "S1 CPU", rows, "S1", "CPU (cores, whole run)", 0.5),
		ratioGoal("s3-bytes", "S3 steady traffic at the LAN preset (runtime/swim's BenchmarkSteadyBytes goal)", rows, "S3", "steady traffic (bytes/member/s)", 0.6),
		falseFailuresGoal(d),
		scaleGoal(d),
		codecGoal(d),
	)
	gs = append(gs, simGrowthGoals(d)...)
	gs = append(gs, simCostGoal(d))
	gs = append(gs, streamGoals(d)...)
	gs = append(gs, durationGoal(d))
	return gs
}

// falseFailuresGoal checks that S2 saw no false failures of ours.
func falseFailuresGoal(d *Data) Goal {
	g := Goal{ID: "s2-false", Name: "S2 false failures (ours)", Target: "zero in every run"}
	for _, sc := range d.Scenarios {
		if sc.ID != "S2" {
			continue
		}
		total, worst := 0, 0
		for _, r := range sc.Runs[Ours] {
			total += r.FalseFailures
			worst = max(worst, r.FalseFailures)
		}
		theirs := 0
		for _, r := range sc.Runs[Theirs] {
			theirs += r.FalseFailures
		}
		g.Measured = fmt.Sprintf("%d in %d runs (the incumbent: %d in %d runs)", total, len(sc.Runs[Ours]), theirs, len(sc.Runs[Theirs]))
		g.Verdict = verdict(len(sc.Runs[Ours]) > 0, total == 0)
	}
	return g
}

// scaleGoal checks S4's largest healthy N against the incumbent's.
func scaleGoal(d *Data) Goal {
	g := Goal{ID: "s4-scale", Name: "S4 largest N with zero false failures", Target: "at least 10x the incumbent's"}
	if o, t := d.Search[Ours], d.Search[Theirs]; o.Largest > 0 && t.Largest > 0 {
		ratio := float64(o.Largest) / float64(t.Largest)
		g.Measured = fmt.Sprintf("%.1fx (%d vs %d)", ratio, o.Largest, t.Largest)
		ok := ratio >= 10
		if !ok && o.SmallestUnhealthy == 0 {
			// The search stopped before finding ours' limit.
			g.Measured += ", ours' limit not reached"
			g.Verdict = Unmeasured
		} else {
			g.Verdict = verdict(true, ok)
		}
	}
	return g
}

// codecGoal checks S5's codec speed against the incumbent's and ours'
// allocations on encode.
func codecGoal(d *Data) Goal {
	g := Goal{ID: "s5-codec", Name: "S5 codec", Target: "at least 10x faster encode+decode, zero allocations on encode"}
	o := codecSpread(d, Ours, "encode+decode", func(b Bench) float64 { return b.NsPerOp })
	t := codecSpread(d, Theirs, "encode+decode", func(b Bench) float64 { return b.NsPerOp })
	enc := codecSpread(d, Ours, "encode", func(b Bench) float64 { return b.AllocsPerOp })
	if o.N > 0 && t.N > 0 && enc.N > 0 {
		g.Measured = fmt.Sprintf("%.1fx faster (%.0f vs %.0f ns/op), %.0f allocations on encode", t.Median/o.Median, o.Median, t.Median, enc.Max)
		g.Verdict = verdict(true, t.Median/o.Median >= 10 && enc.Max == 0)
	}
	return g
}

// simGrowthGoals checks that S6's simulated join, late join and crash
// dissemination grow no faster than log N.
func simGrowthGoals(d *Data) []Goal {
	ps := SimPoints(d.Sim)
	var gs []Goal
	for _, s := range []struct {
		id, name string
		fig      func(SimPoint) Spread
	}{
		{"s6-join", "S6 join convergence (every member joins through one seed at once)", func(p SimPoint) Spread { return p.Join }},
		{"s6-late", "S6 one join's spread into a steady cluster", func(p SimPoint) Spread { return p.Late }},
		{"s6-crash", "S6 crash dissemination (detection by all)", func(p SimPoint) Spread { return p.All }},
	} {
		g := Goal{ID: s.id, Name: s.name, Target: "grows no faster than log N"}
		if len(ps) >= 2 {
			ok, grew, logGrew := growsLikeLog(ps, s.fig)
			fit := SimFit(ps, s.fig)
			g.Measured = fmt.Sprintf("%.1f → %.1f periods from N=%d to %d: grew %.2fx, log N %.2fx; fit %.2f + %.2f·log10 N (R² %.2f), power law N^%.2f",
				s.fig(ps[0]).Median, s.fig(ps[len(ps)-1]).Median, ps[0].N, ps[len(ps)-1].N, grew, logGrew, fit.A, fit.B, fit.R2, fit.Exponent)
			g.Verdict = verdict(true, ok)
		}
		gs = append(gs, g)
	}
	return gs
}

// simCostGoal checks the wall time of simulating 1,000 members for ten
// minutes.
func simCostGoal(d *Data) Goal {
	g := Goal{ID: "s6-cost", Name: "S6 cost of simulating 1,000 members for 10 minutes (runtime/swim's benchmark goal)", Target: "under 60 s of wall time on 2 cores"}
	for _, r := range d.Sim {
		if r.N == 1000 && r.VirtualSeconds >= 600 {
			g.Measured = fmt.Sprintf("%.1f s for %.0f simulated seconds (join, steady, one more join, a crash)", r.WallSeconds, r.VirtualSeconds)
			g.Verdict = verdict(true, r.WallSeconds < 60)
			break
		}
	}
	return g
}

// durationGoal checks the wall time of a full make bench; a quick run
// does not measure it.
func durationGoal(d *Data) Goal {
	g := Goal{ID: "duration", Name: "make bench on this machine", Target: "under 20 minutes"}
	if !d.Quick && d.Seconds > 0 {
		g.Measured = fmt.Sprintf("%.1f minutes", d.Seconds/60)
		g.Verdict = verdict(true, d.Seconds < 20*60)
	}
	return g
}

// fmtNum prints x with prec decimals, or "—" for NaN.
func fmtNum(x float64, prec int) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, x)
}
