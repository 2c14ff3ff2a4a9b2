package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/memberlist-go/memberlist/bench/scenario"
	"github.com/memberlist-go/memberlist/bench/sim"
)

// Row is one figure of the table: ours, theirs and their ratio.
type Row struct {
	// Section groups rows: "S1 N=32", "S5", ...
	Section string
	// Figure names what is measured, with its unit.
	Figure string
	// Ours and Theirs are the medians with their spread.
	Ours, Theirs Spread
	// Prec is the number of decimals to print.
	Prec int
	// Note qualifies the row, e.g. runs that did not converge.
	Note string
}

// Ratio is ours over theirs; NaN when either is missing or theirs is 0.
func (r Row) Ratio() float64 {
	if r.Ours.N == 0 || r.Theirs.N == 0 || r.Theirs.Median == 0 {
		return math.NaN()
	}
	return r.Ours.Median / r.Theirs.Median
}

// crashMedians is, per run, the median of its crashes' first or all
// detection times.
func crashMedians(rs []scenario.Result, all bool) []float64 {
	var out []float64
	for _, r := range rs {
		var xs []float64
		for _, c := range r.Crashes {
			if all {
				xs = append(xs, c.All)
			} else {
				xs = append(xs, c.First)
			}
		}
		if len(xs) > 0 {
			out = append(out, spreadOf(xs).Median)
		}
	}
	return out
}

func field(rs []scenario.Result, f func(scenario.Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// scenarioNote says what went wrong in an implementation's runs.
func scenarioNote(impl string, rs []scenario.Result) string {
	var notes []string
	for i, r := range rs {
		if !r.Converged {
			notes = append(notes, fmt.Sprintf("%s run %d did not converge in %.0f s", impl, i+1, r.JoinSeconds))
		}
		undetected := 0
		for _, c := range r.Crashes {
			if !c.Complete {
				undetected++
			}
		}
		if undetected > 0 {
			notes = append(notes, fmt.Sprintf("%s run %d: %d crash(es) not detected by all within the cap", impl, i+1, undetected))
		}
		if r.Gaps > 0 {
			notes = append(notes, fmt.Sprintf("%s run %d lost events at %d members", impl, i+1, r.Gaps))
		}
	}
	return strings.Join(notes, "; ")
}

// ScenarioRows are the table rows of S1 to S3.
func ScenarioRows(d *Data) []Row {
	var rows []Row
	for _, sc := range d.Scenarios {
		sec := fmt.Sprintf("%s N=%d (%v/%v/%v)", sc.ID, sc.Spec.N, sc.Spec.Settings.ProbeInterval, sc.Spec.Settings.ProbeTimeout, sc.Spec.Settings.GossipInterval)
		o, t := sc.Runs[Ours], sc.Runs[Theirs]
		add := func(fig string, prec int, f func([]scenario.Result) []float64) {
			rows = append(rows, Row{Section: sec, Figure: fig, Ours: spreadOf(f(o)), Theirs: spreadOf(f(t)), Prec: prec})
		}
		add("join convergence (s)", 2, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.JoinSeconds })
		})
		add("steady traffic (bytes/member/s)", 0, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.BytesPerMemberSecond })
		})
		add("steady datagrams (per member per s)", 1, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.DatagramsPerMemberSecond })
		})
		add("TCP share of steady traffic (%)", 1, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return 100 * r.TCPShare })
		})
		add("false failures (in 10 s)", 0, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return float64(r.FalseFailures) })
		})
		add("crash detection, first (s)", 2, func(rs []scenario.Result) []float64 { return crashMedians(rs, false) })
		add("crash detection, all (s)", 2, func(rs []scenario.Result) []float64 { return crashMedians(rs, true) })
		add("CPU (cores, whole run)", 3, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.CPUCores })
		})
		add("CPU (cores, steady window)", 3, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.SteadyCPUCores })
		})
		add("CPU per datagram sent and received (µs, steady window)", 1, func(rs []scenario.Result) []float64 {
			return field(rs, func(r scenario.Result) float64 { return r.CPUPerDatagram })
		})
		var notes []string
		for _, impl := range []string{Ours, Theirs} {
			if n := scenarioNote(impl, sc.Runs[impl]); n != "" {
				notes = append(notes, n)
			}
		}
		rows[len(rows)-1].Note = strings.Join(notes, "; ")
	}
	return rows
}

// SearchRow is S4's row: the largest healthy N.
func SearchRow(d *Data) Row {
	one := func(impl string) Spread {
		s, ok := d.Search[impl]
		if !ok || s.Largest == 0 {
			return spreadOf(nil)
		}
		x := float64(s.Largest)
		return Spread{Median: x, Min: x, Max: x, N: 1}
	}
	r := Row{Section: "S4", Figure: "largest N with zero false failures in 20 s", Ours: one(Ours), Theirs: one(Theirs)}
	var notes []string
	for _, impl := range []string{Ours, Theirs} {
		if s, ok := d.Search[impl]; ok {
			notes = append(notes, impl+": "+searchBracket(s))
		}
	}
	r.Note = strings.Join(notes, "; ")
	return r
}

func searchBracket(s scenario.SearchResult) string {
	b := fmt.Sprintf("healthy at %d", s.Largest)
	if s.SmallestUnhealthy > 0 {
		b += fmt.Sprintf(", not at %d", s.SmallestUnhealthy)
	} else {
		b += ", no unhealthy N found"
	}
	if s.Capped {
		b += " (time cap reached)"
	}
	return b
}

// codecSpread is the spread of one figure of the codec benchmark.
func codecSpread(d *Data, impl, op string, f func(Bench) float64) Spread {
	var xs []float64
	for _, b := range d.Codec {
		if b.Impl == impl && b.Op == op {
			xs = append(xs, f(b))
		}
	}
	return spreadOf(xs)
}

// CodecRows are S5's rows.
func CodecRows(d *Data) []Row {
	var rows []Row
	for _, op := range []string{"encode+decode", "encode", "decode"} {
		rows = append(rows, Row{Section: "S5 codec", Figure: op + " (ns/op)", Prec: 0,
			Ours:   codecSpread(d, Ours, op, func(b Bench) float64 { return b.NsPerOp }),
			Theirs: codecSpread(d, Theirs, op, func(b Bench) float64 { return b.NsPerOp })})
		rows = append(rows, Row{Section: "S5 codec", Figure: op + " (allocs/op)", Prec: 0,
			Ours:   codecSpread(d, Ours, op, func(b Bench) float64 { return b.AllocsPerOp }),
			Theirs: codecSpread(d, Theirs, op, func(b Bench) float64 { return b.AllocsPerOp })})
	}
	rows = append(rows, Row{Section: "S5 codec", Figure: "encoded size (bytes)", Prec: 0,
		Ours:   codecSpread(d, Ours, "encode+decode", func(b Bench) float64 { return b.WireBytes }),
		Theirs: codecSpread(d, Theirs, "encode+decode", func(b Bench) float64 { return b.WireBytes })})
	return rows
}

// SimPoint is S6's figures at one N, over the seeds run.
type SimPoint struct {
	N                                   int
	Join, Late, First, All, Bytes, Wall Spread
	// Runs is the number of seeds; Failures the runs that did not
	// converge or detect within the limit.
	Runs, Failures int
	// FalseFailures is their total.
	FalseFailures int
}

// SimPoints groups S6's runs by N, in increasing N.
func SimPoints(rs []sim.Result) []SimPoint {
	byN := map[int][]sim.Result{}
	for _, r := range rs {
		byN[r.N] = append(byN[r.N], r)
	}
	var ns []int
	for n := range byN {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	var out []SimPoint
	for _, n := range ns {
		g := byN[n]
		f := func(fn func(sim.Result) float64) Spread {
			xs := make([]float64, len(g))
			for i, r := range g {
				xs[i] = fn(r)
			}
			return spreadOf(xs)
		}
		p := SimPoint{
			N:     n,
			Join:  f(func(r sim.Result) float64 { return r.JoinPeriods }),
			Late:  f(func(r sim.Result) float64 { return r.LatePeriods }),
			First: f(func(r sim.Result) float64 { return r.FirstPeriods }),
			All:   f(func(r sim.Result) float64 { return r.AllPeriods }),
			Bytes: f(func(r sim.Result) float64 { return r.BytesPerMemberPeriod }),
			Wall:  f(func(r sim.Result) float64 { return r.WallSeconds }),
			Runs:  len(g),
		}
		for _, r := range g {
			if !r.Converged || !r.LateConverged || !r.Detected {
				p.Failures++
			}
			p.FalseFailures += r.FalseFailures
		}
		out = append(out, p)
	}
	return out
}

// SimFit fits one S6 figure's medians against log N.
func SimFit(ps []SimPoint, f func(SimPoint) Spread) LogFit {
	var ns, ys []float64
	for _, p := range ps {
		if s := f(p); s.N > 0 && s.Median > 0 {
			ns = append(ns, float64(p.N))
			ys = append(ys, s.Median)
		}
	}
	return fitLog(ns, ys)
}

// growsLikeLog reports whether a figure grew from the smallest to the
// largest N by no more than log N did (10% allowed for noise), and the two
// growth factors.
func growsLikeLog(ps []SimPoint, f func(SimPoint) Spread) (ok bool, grew, logGrew float64) {
	if len(ps) < 2 {
		return false, math.NaN(), math.NaN()
	}
	lo, hi := ps[0], ps[len(ps)-1]
	grew = f(hi).Median / f(lo).Median
	logGrew = math.Log(float64(hi.N)) / math.Log(float64(lo.N))
	return grew <= 1.1*logGrew, grew, logGrew
}

// Collapsed reports whether a trial that ran its window saw a false
// failure in it. A trial whose members were slow to converge but then saw
// none is not collapsed: its join was slow (see the scenario notes).
func Collapsed(r scenario.Result) bool { return r.FalseFailures > 0 || r.WindowFalseFailures > 0 }

// SweepPoint is one N of the curves against N for one implementation.
type SweepPoint struct {
	N int
	// Healthy are the trials at this N that saw no false failure in their
	// window; Collapsed those that did; Unmeasured those that stopped
	// before it, as S4's trials do when a saturated cluster has not
	// converged.
	Healthy, Collapsed []scenario.Result
	Unmeasured         int
}

// Bytes is the median steady traffic of the healthy trials.
func (p SweepPoint) Bytes() Spread {
	return spreadOf(field(p.Healthy, func(r scenario.Result) float64 { return r.BytesPerMemberSecond }))
}

// HasCollapse reports whether any trial at this N collapsed.
func (p SweepPoint) HasCollapse() bool { return len(p.Collapsed) > 0 || p.Unmeasured > 0 }

// Sweep gathers, for one implementation, every trial at the sweep's N
// (S1 to S3's runs at S4's timings, S4's probes, the extra trials), and
// cuts the curve after the first N where a trial collapsed.
func Sweep(d *Data, impl string) []SweepPoint {
	byN := map[int][]scenario.Result{}
	for _, sc := range d.Scenarios {
		if sc.Spec.Settings == d.SearchSpec.Settings {
			byN[sc.Spec.N] = append(byN[sc.Spec.N], sc.Runs[impl]...)
		}
	}
	for _, p := range d.Search[impl].Probes {
		if p.Err == "" {
			byN[p.N] = append(byN[p.N], p.Result)
		}
	}
	for _, r := range d.Extra {
		if r.Impl == impl {
			byN[r.N] = append(byN[r.N], r)
		}
	}
	var out []SweepPoint
	for _, n := range d.SweepNs {
		rs := byN[n]
		if len(rs) == 0 {
			continue
		}
		p := SweepPoint{N: n}
		for _, r := range rs {
			switch {
			case r.BytesPerMemberSecond == 0:
				p.Unmeasured++
			case Collapsed(r):
				p.Collapsed = append(p.Collapsed, r)
			default:
				p.Healthy = append(p.Healthy, r)
			}
		}
		out = append(out, p)
		if p.HasCollapse() {
			break
		}
	}
	return out
}
