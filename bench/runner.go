package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/bench/report"
	"github.com/memberlist-go/memberlist/bench/scenario"
	"github.com/memberlist-go/memberlist/bench/sim"
)

// runner carries out a plan and collects what it measured.
type runner struct {
	plan       plan
	parts      map[string]bool
	profileDir string
	start      time.Time
	trials     int
	d          report.Data
}

// logf reports progress on stderr, with the time since the start.
func (r *runner) logf(format string, args ...any) {
	el := time.Since(r.start).Round(time.Second)
	fmt.Fprintf(os.Stderr, "[%3d:%02d] %s\n", int(el.Minutes()), int(el.Seconds())%60, fmt.Sprintf(format, args...))
}

func (r *runner) run(ctx context.Context) (*report.Data, error) {
	p := r.plan
	r.d = report.Data{
		Machine:    machine(),
		Started:    r.start,
		Repeats:    p.repeats,
		Search:     map[string]scenario.SearchResult{},
		SearchSpec: p.searchSpec,
		SearchCap:  p.searchCap,
		SweepNs:    p.sweep,
	}
	steps := []struct {
		part string
		fn   func(context.Context) error
	}{
		{"s5", r.codec},
		{"s1", func(ctx context.Context) error { return r.scenario(ctx, p.scenarios[0]) }},
		{"s2", func(ctx context.Context) error { return r.scenario(ctx, p.scenarios[1]) }},
		{"s3", r.s3WithSim},
		{"s6", func(ctx context.Context) error {
			if r.parts["s3"] {
				return nil // ran beside S3
			}
			return r.simulate(ctx)
		}},
		{"s7", r.reliable},
		{"s8", r.pushPull},
		{"s4", r.search},
		{"s4", r.sweepExtras},
	}
	for _, s := range steps {
		if !r.parts[s.part] {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
	}
	r.d.Seconds = time.Since(r.start).Seconds()
	r.logf("done")
	return &r.d, nil
}

// remaining is the time left in the budget; a day without one.
func (r *runner) remaining() time.Duration {
	if r.plan.budget == 0 {
		return 24 * time.Hour
	}
	return r.plan.budget - time.Since(r.start)
}

// trial runs one trial of impl in a child process; a failure to run is
// recorded and returned.
func (r *runner) trial(ctx context.Context, impl, label string, spec scenario.Spec) (scenario.Result, error) {
	r.trials++
	req := trialRequest{Impl: impl, Spec: spec}
	if r.profileDir != "" && impl == report.Ours {
		if err := os.MkdirAll(r.profileDir, 0o755); err != nil {
			return scenario.Result{}, fmt.Errorf("bench: %w", err)
		}
		req.CPUProfile = filepath.Join(r.profileDir, fmt.Sprintf("%s-%s-N%d-%d.pprof", impl, label, spec.N, r.trials))
	}
	res, err := runTrial(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return res, errInterrupted
		}
		r.d.Errors = append(r.d.Errors, fmt.Sprintf("%s %s N=%d: %v", label, impl, spec.N, err))
		r.logf("%s %s N=%d: FAILED: %v", label, impl, spec.N, err)
		return res, err
	}
	var crashes []string
	for _, c := range res.Crashes {
		s := fmt.Sprintf("%.2f/%.2f", c.First, c.All)
		if !c.Complete {
			s += "(incomplete)"
		}
		crashes = append(crashes, s)
	}
	r.logf("%s %-9s N=%-4d join %.2fs conv=%v  %5.0f B/member/s  false failures %d (window %d)  crashes first/all %s  cpu %.3f cores (steady %.3f)",
		label, impl, spec.N, res.JoinSeconds, res.Converged, res.BytesPerMemberSecond, res.FalseFailures, res.WindowFalseFailures,
		strings.Join(crashes, " "), res.CPUCores, res.SteadyCPUCores)
	return res, nil
}

// scenario runs S1, S2 or S3: the implementations take turns, run after
// run, so that a change in the machine's load touches both alike.
func (r *runner) scenario(ctx context.Context, s namedSpec) error {
	sc := report.Scenario{ID: s.id, Spec: s.spec, Runs: map[string][]scenario.Result{}}
	for i := range r.plan.repeats {
		for _, impl := range []string{report.Ours, report.Theirs} {
			res, err := r.trial(ctx, impl, fmt.Sprintf("%s run %d", s.id, i+1), s.spec)
			if err == errInterrupted {
				return err
			}
			if err == nil {
				sc.Runs[impl] = append(sc.Runs[impl], res)
			}
		}
	}
	r.d.Scenarios = append(r.d.Scenarios, sc)
	return nil
}

// s3WithSim runs S3 and, beside it in this process, S6. At S3's 1 s
// probes both implementations' trials use a few percent of one core, so
// the simulator can have the other: this saves S6's minutes within the
// budget, and both implementations' trials run beside it alike.
func (r *runner) s3WithSim(ctx context.Context) error {
	if !r.parts["s6"] {
		return r.scenario(ctx, r.plan.scenarios[2])
	}
	simErr := make(chan error, 1)
	var sims []sim.Result
	var skipped []string
	go func() {
		var err error
		sims, skipped, err = r.runSims(ctx)
		simErr <- err
	}()
	err := r.scenario(ctx, r.plan.scenarios[2])
	if serr := <-simErr; err == nil {
		err = serr
	}
	r.d.Sim, r.d.Skipped = append(r.d.Sim, sims...), append(r.d.Skipped, skipped...)
	return err
}

// reliable runs S7, the implementations taking turns as in scenario.
func (r *runner) reliable(ctx context.Context) error {
	spec := r.plan.reliable
	sc := &report.ReliableScenario{Spec: spec, Runs: map[string][]scenario.ReliableResult{}}
	r.d.Reliable = sc
	for i := range r.plan.reliableRepeats {
		for _, impl := range []string{report.Ours, report.Theirs} {
			var res scenario.ReliableResult
			err := r.child(ctx, trialRequest{Impl: impl, Reliable: &spec}, fmt.Sprintf("S7 run %d", i+1), &res)
			if err == errInterrupted {
				return err
			}
			if err != nil {
				continue
			}
			sc.Runs[impl] = append(sc.Runs[impl], res)
			r.logf("S7 run %d %-9s %6.1f MB/s  latency p50 %.1f ms p99 %.1f ms  cpu %.2f ms/message  %.0f wire bytes/message",
				i+1, impl, res.MBPerSecond, res.P50Ms, res.P99Ms, res.CPUMsPerMessage, res.WireBytesPerMessage)
		}
	}
	return nil
}

// pushPull runs S8, the implementations taking turns.
func (r *runner) pushPull(ctx context.Context) error {
	spec := r.plan.pushPull
	sc := &report.PushPullScenario{Spec: spec, Runs: map[string][]scenario.PushPullResult{}}
	r.d.PushPull = sc
	for i := range r.plan.pushPullRepeats {
		for _, impl := range []string{report.Ours, report.Theirs} {
			var res scenario.PushPullResult
			err := r.child(ctx, trialRequest{Impl: impl, PushPull: &spec}, fmt.Sprintf("S8 run %d N=%d", i+1, spec.N), &res)
			if err == errInterrupted {
				return err
			}
			if err != nil {
				continue
			}
			sc.Runs[impl] = append(sc.Runs[impl], res)
			r.logf("S8 run %d %-9s N=%d join %.1fs  %.0f exchanges (%.1f/s)  %.0f bytes/exchange  cpu %.1f ms/exchange (%.2f cores)  false failures %d",
				i+1, impl, res.N, res.JoinSeconds, res.Exchanges, res.ExchangesPerSecond, res.BytesPerExchange, res.CPUMsPerExchange, res.CPUCores, res.FalseFailures)
		}
	}
	return nil
}

// child runs an S7 or S8 trial in a child process; a failure to run is
// recorded and returned.
func (r *runner) child(ctx context.Context, req trialRequest, label string, res any) error {
	r.trials++
	err := runChildProcess(ctx, req, label, res)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		r.d.Errors = append(r.d.Errors, fmt.Sprintf("%s %s: %v", label, req.Impl, err))
		r.logf("%s %s: FAILED: %v", label, req.Impl, err)
	}
	return err
}

// simulate runs S6 alone.
func (r *runner) simulate(ctx context.Context) error {
	sims, skipped, err := r.runSims(ctx)
	r.d.Sim, r.d.Skipped = append(r.d.Sim, sims...), append(r.d.Skipped, skipped...)
	return err
}

// search runs S4 for each implementation, the incumbent first.
func (r *runner) search(ctx context.Context) error {
	for i, impl := range []string{report.Theirs, report.Ours} {
		s := r.plan.search
		if impl == report.Ours && r.plan.oursStart > 0 {
			s.Start = r.plan.oursStart
		}
		// The two searches share what is left, less a minute for the
		// extra trials of the curves.
		capped := min(r.plan.searchCap, (r.remaining()-time.Minute)/time.Duration(2-i))
		s.Deadline = time.Now().Add(capped)
		s.Cost = probeCost
		r.d.SearchCap = max(r.d.SearchCap, capped)
		r.logf("S4 %s: searching from N=%d, cap %v", impl, s.Start, capped.Round(time.Second))
		res := scenario.FindLargest(ctx, s, func(ctx context.Context, n int) (scenario.Result, error) {
			// A scenario's run at this N and these timings that saw false
			// failures already settles it, without another trial.
			if bad, ok := r.knownCollapse(impl, n); ok {
				r.logf("S4 %-9s N=%-4d unhealthy: %s run had %d false failures", impl, n, bad.id, bad.res.FalseFailures)
				return bad.res, nil
			}
			spec := probeSpec(n)
			spec.Settings = r.plan.searchSpec.Settings
			return r.trial(ctx, impl, "S4", spec)
		})
		if ctx.Err() != nil {
			return errInterrupted
		}
		r.d.Search[impl] = res
		r.logf("S4 %s: largest healthy N %d, smallest unhealthy %d, capped %v", impl, res.Largest, res.SmallestUnhealthy, res.Capped)
	}
	return nil
}

type knownRun struct {
	id  string
	res scenario.Result
}

// knownCollapse returns a run of S1 to S3 at n members and S4's timings
// that saw false failures, if there was one.
func (r *runner) knownCollapse(impl string, n int) (knownRun, bool) {
	for _, sc := range r.d.Scenarios {
		if sc.Spec.N != n || sc.Spec.Settings != r.plan.searchSpec.Settings {
			continue
		}
		for _, res := range sc.Runs[impl] {
			if report.Collapsed(res) {
				return knownRun{id: sc.ID, res: res}, true
			}
		}
	}
	return knownRun{}, false
}

// sweepExtras runs a trial at each N of the curves that no scenario or
// search trial covered, up to where each implementation collapsed.
func (r *runner) sweepExtras(ctx context.Context) error {
	for _, impl := range []string{report.Ours, report.Theirs} {
		have := map[int]bool{}
		for _, p := range report.Sweep(&r.d, impl) {
			have[p.N] = true
		}
		limit := r.d.Search[impl].SmallestUnhealthy
		for _, n := range r.plan.sweep {
			if have[n] || (limit > 0 && n > limit) {
				continue
			}
			if probeWorst(n) > r.remaining() {
				r.d.Skipped = append(r.d.Skipped, fmt.Sprintf("the %s trial at N=%d for the curves against N", impl, n))
				continue
			}
			spec := probeSpec(n)
			res, err := r.trial(ctx, impl, "sweep", spec)
			if err == errInterrupted {
				return err
			}
			if err == nil {
				r.d.Extra = append(r.d.Extra, res)
				if !res.Healthy() {
					break
				}
			}
		}
	}
	return nil
}

// codec runs S5 with go test -bench and parses its lines.
func (r *runner) codec(ctx context.Context) error {
	r.logf("S5: go test -bench S5 -count %d", r.plan.benchCount)
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "test", "-run", "^$", "-bench", "^BenchmarkS5$", "-benchmem",
		"-count", strconv.Itoa(r.plan.benchCount), "github.com/memberlist-go/memberlist/bench/codec")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		msg := fmt.Sprintf("S5: go test -bench: %v: %s%s", err, out, stderr.Bytes())
		r.d.Errors = append(r.d.Errors, msg)
		r.logf("%s", msg)
		return nil
	}
	r.d.Codec = parseBench(out)
	for _, b := range r.d.Codec {
		if b.Op == "encode+decode" {
			r.logf("S5 %-9s encode+decode %6.0f ns/op %3.0f allocs/op", b.Impl, b.NsPerOp, b.AllocsPerOp)
		}
	}
	return nil
}

// parseBench reads the BenchmarkS5/IMPL/OP lines of go test -bench.
func parseBench(out []byte) []report.Bench {
	var bs []report.Bench
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkS5/") {
			continue
		}
		name := f[0][:strings.LastIndex(f[0], "-")] // drop -GOMAXPROCS
		parts := strings.Split(name, "/")
		if len(parts) != 3 {
			continue
		}
		b := report.Bench{Impl: parts[1], Op: parts[2]}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			case "wire-bytes":
				b.WireBytes = v
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// runSims runs S6 in this process: the simulator needs no process of its
// own, as it reports virtual time, and its wall time is itself a figure.
// It touches nothing of the runner but the log, so that it can run beside
// S3.
func (r *runner) runSims(ctx context.Context) ([]sim.Result, []string, error) {
	start := time.Now()
	var out []sim.Result
	var skipped []string
	var lastN int
	var lastWall float64
	for _, n := range r.plan.simNs {
		// The simulation's cost grows with about N²: every join's news
		// reaches every member.
		if lastN > 0 && r.plan.simAllowance > 0 {
			est := time.Duration(lastWall * math.Pow(float64(n)/float64(lastN), 2) * float64(time.Second))
			if left := r.plan.simAllowance - time.Since(start); est > left {
				skipped = append(skipped, fmt.Sprintf("S6 at N=%d: estimated %v of simulation, %v were left of S6's %v",
					n, est.Round(time.Second), left.Round(time.Second), r.plan.simAllowance))
				r.logf("S6 N=%d skipped: estimated %v", n, est.Round(time.Second))
				continue
			}
		}
		for seed := range r.plan.simSeeds(n) {
			if ctx.Err() != nil {
				return out, skipped, errInterrupted
			}
			o := sim.Options{N: n, Seed: uint64(seed + 1), Drain: time.Minute, Steady: time.Minute, Limit: 5 * time.Minute}
			if n <= 1000 {
				// Over ten simulated minutes in all, which at N=1000 is
				// runtime/swim's benchmark of the simulator's cost.
				o.Steady = 9 * time.Minute
			}
			res, err := sim.Run(o)
			if err != nil {
				return out, skipped, err
			}
			runtime.GC()
			lastN, lastWall = n, res.WallSeconds
			out = append(out, res)
			r.logf("S6 N=%-5d seed %d: join %.1f, one join %.1f, crash first %.1f all %.1f periods, %.0f B/member/period, %d false failures; %.1f s for %.0f simulated s",
				n, res.Seed, res.JoinPeriods, res.LatePeriods, res.FirstPeriods, res.AllPeriods, res.BytesPerMemberPeriod, res.FalseFailures, res.WallSeconds, res.VirtualSeconds)
		}
	}
	return out, skipped, nil
}

// machine describes this machine and the commit measured.
func machine() report.Machine {
	m := report.Machine{
		Cores:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		CPU:       "unknown",
		Commit:    "unknown",
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", Linux " + strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			m.Commit += " with uncommitted changes"
		}
	}
	return m
}
