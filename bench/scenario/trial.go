// Package scenario runs the benchmark scenarios of docs/SCENARIOS.md
// against one cluster.Impl: a trial starts N members on loopback, joins
// them through the first, measures join convergence, steady traffic and
// false failures over a window, then crash detection, and the CPU the
// process used. It also holds the search for the largest healthy N (S4).
package scenario

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// Spec describes one trial.
type Spec struct {
	// N is the number of members.
	N int
	// Settings are the timing knobs, the same for both implementations.
	Settings cluster.Settings
	// JoinCap bounds the wait for join convergence; past it the trial goes
	// on and reports that it did not converge, or stops if
	// StopUnconverged is set.
	JoinCap time.Duration
	// JoinCapIdle extends JoinCap while the process uses less than one of
	// the machine's cores: members that are slowly repairing a missed
	// join by anti-entropy are slow, not collapsed, and get until
	// JoinCapIdle. Zero: no extension.
	JoinCapIdle time.Duration
	// StopUnconverged ends a trial that did not converge at once, without
	// a window or crashes.
	StopUnconverged bool
	// Settle is the wait between convergence and the window (2 s).
	Settle time.Duration
	// Steady is the part of the window over which traffic and the
	// reported false failures are counted (10 s).
	Steady time.Duration
	// Window is the whole window over which the trial must see no false
	// failure to be healthy (10 s for S1 to S3, 20 s for S4); at least
	// Steady.
	Window time.Duration
	// Crashes is how many members to crash one after another (3, or 0).
	Crashes int
	// CrashGap is the pause after a crash is fully detected (1 s).
	CrashGap time.Duration
	// DetectCap bounds the wait for one crash to be detected by all.
	DetectCap time.Duration
}

// Crash is the detection of one crashed member.
type Crash struct {
	// First is the time until any member declared it failed, in seconds.
	First float64
	// All is the time until every remaining member did, in seconds; the
	// time waited if Complete is false.
	All float64
	// Complete reports whether every remaining member declared it within
	// DetectCap.
	Complete bool
}

// Result is what one trial measured.
type Result struct {
	// Impl is the implementation's name.
	Impl string
	// N is the number of members.
	N int
	// Converged reports whether every member held all N within JoinCap.
	Converged bool
	// JoinSeconds is the join convergence time (JoinCap if not converged).
	JoinSeconds float64
	// BytesPerMemberSecond is the steady traffic: wire bytes sent by all
	// members over Steady, divided by N and by Steady.
	BytesPerMemberSecond float64
	// DatagramsPerMemberSecond is the UDP datagrams behind it.
	DatagramsPerMemberSecond float64
	// TCPShare is the part of that traffic carried by TCP, 0 to 1.
	TCPShare float64
	// FalseFailures counts the declarations that a running member failed
	// or left, made during Steady.
	FalseFailures int
	// WindowFalseFailures counts them over the whole Window.
	WindowFalseFailures int
	// Gaps counts members whose event stream lost events; counts of
	// false failures are then a lower bound.
	Gaps int
	// Crashes are the crash detections, in order.
	Crashes []Crash
	// CPUSeconds and WallSeconds are the process's user+sys time and the
	// wall time of the whole trial; CPUCores is their ratio.
	CPUSeconds, WallSeconds, CPUCores float64
	// SteadyCPUCores is the process's CPU use during the window, in cores.
	SteadyCPUCores float64
}

// Healthy reports whether the trial converged and saw no false failure in
// its whole window, with no events lost: S4's criterion.
func (r Result) Healthy() bool {
	return r.Converged && r.WindowFalseFailures == 0 && r.Gaps == 0
}

// ErrStart is wrapped by the error of a trial whose members could not all
// be started and joined.
var ErrStart = errors.New("scenario: start failed")

// Run runs one trial of spec against impl. The process's CPU time is part
// of the result, so nothing else should run in the process meanwhile.
func Run(ctx context.Context, impl cluster.Impl, spec Spec) (Result, error) {
	if spec.N < 2 || spec.Window < spec.Steady || spec.Steady <= 0 {
		return Result{}, fmt.Errorf("scenario: invalid spec: N = %d (want at least 2), Steady = %v, Window = %v (want 0 < Steady <= Window)", spec.N, spec.Steady, spec.Window)
	}
	res := Result{Impl: impl.Name(), N: spec.N}
	cpu0, wall0 := cpuTime(), time.Now()
	rec := NewRecorder()

	nodes := make([]cluster.Node, 0, spec.N)
	defer func() { closeAll(nodes) }()
	start := func(ctx context.Context, i int, seed string) error {
		nd, err := impl.Start(ctx, cluster.Options{
			Name:     fmt.Sprintf("node-%d", i),
			Seed:     seed,
			Settings: spec.Settings,
			OnEvent:  rec.Record,
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStart, err)
		}
		nodes = append(nodes, nd)
		return nil
	}
	if err := start(ctx, 0, ""); err != nil {
		return res, err
	}
	joinStart := time.Now()
	jc := newJoinCap(joinStart, spec)
	joinCtx, cancel := context.WithDeadline(ctx, jc.idle)
	defer cancel()
	finish := func() (Result, error) {
		res.Gaps = rec.Gaps()
		res.CPUSeconds = (cpuTime() - cpu0).Seconds()
		res.WallSeconds = time.Since(wall0).Seconds()
		res.CPUCores = res.CPUSeconds / res.WallSeconds
		return res, nil
	}
	for i := 1; i < spec.N; i++ {
		err := start(joinCtx, i, nodes[0].Addr())
		if err == nil && jc.over() {
			err = context.DeadlineExceeded
		}
		if err != nil {
			if ctx.Err() == nil && (joinCtx.Err() != nil || jc.over()) {
				// The joins alone took longer than the cap: the cluster
				// did not converge, which is a result, not a failure.
				res.JoinSeconds = time.Since(joinStart).Seconds()
				return finish()
			}
			return res, err
		}
	}
	res.Converged = waitConverged(joinCtx, nodes, jc)
	res.JoinSeconds = time.Since(joinStart).Seconds()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if !res.Converged && spec.StopUnconverged {
		return finish()
	}

	if err := sleep(ctx, spec.Settle); err != nil {
		return res, err
	}
	all := func(string) bool { return true }
	t0, cpuW0 := sumTraffic(nodes), cpuTime()
	w0 := time.Now()
	if err := sleep(ctx, spec.Steady); err != nil {
		return res, err
	}
	t1 := sumTraffic(nodes)
	ws := time.Now()
	if err := sleep(ctx, spec.Window-spec.Steady); err != nil {
		return res, err
	}
	we := time.Now()
	res.SteadyCPUCores = (cpuTime() - cpuW0).Seconds() / we.Sub(w0).Seconds()
	d := t1.Sub(t0)
	res.BytesPerMemberSecond = float64(d.Wire()) / float64(spec.N) / ws.Sub(w0).Seconds()
	res.DatagramsPerMemberSecond = float64(d.Datagrams) / float64(spec.N) / ws.Sub(w0).Seconds()
	if d.Wire() > 0 {
		res.TCPShare = float64(d.TCPBytes) / float64(d.Wire())
	}
	res.FalseFailures = rec.Declarations(w0, ws, all)
	res.WindowFalseFailures = rec.Declarations(w0, we, all)

	alive := nodes
	for k := range spec.Crashes {
		if len(alive) < 3 {
			break
		}
		victim := alive[1+k*(len(alive)-2)/spec.Crashes]
		var rest []cluster.Node
		for _, x := range alive {
			if x != victim {
				rest = append(rest, x)
			}
		}
		alive = rest
		c, err := crash(ctx, rec, victim, len(alive), spec.DetectCap)
		if err != nil {
			return res, err
		}
		res.Crashes = append(res.Crashes, c)
		if err := sleep(ctx, spec.CrashGap); err != nil {
			return res, err
		}
	}
	return finish()
}

// crash stops victim and waits until the others, of which there are
// remaining, have all declared it gone, or until limit.
func crash(ctx context.Context, rec *Recorder, victim cluster.Node, remaining int, limit time.Duration) (Crash, error) {
	t0 := time.Now()
	rec.Watch(victim.Name(), t0)
	if err := victim.Crash(); err != nil {
		return Crash{}, fmt.Errorf("scenario: crash %s: %w", victim.Name(), err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n, first, last := rec.Detections(victim.Name())
		if n >= remaining {
			return Crash{First: first.Sub(t0).Seconds(), All: last.Sub(t0).Seconds(), Complete: true}, nil
		}
		if time.Since(t0) > limit {
			c := Crash{All: time.Since(t0).Seconds()}
			if n > 0 {
				c.First = first.Sub(t0).Seconds()
			} else {
				c.First = c.All
			}
			return c, nil
		}
		select {
		case <-ctx.Done():
			return Crash{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// joinCap decides when to stop waiting for convergence: at JoinCap,
// unless the process has used less than one core over the last few
// seconds, and then at JoinCapIdle.
type joinCap struct {
	hard, idle time.Time
	samples    []cpuSample
}

type cpuSample struct {
	at  time.Time
	cpu time.Duration
}

// idleWindow is how far back the CPU use is judged.
const idleWindow = 5 * time.Second

func newJoinCap(start time.Time, s Spec) *joinCap {
	return &joinCap{hard: start.Add(s.JoinCap), idle: start.Add(max(s.JoinCap, s.JoinCapIdle))}
}

// over reports whether the wait should end now.
func (c *joinCap) over() bool {
	now := time.Now()
	c.samples = append(c.samples, cpuSample{at: now, cpu: cpuTime()})
	for len(c.samples) > 2 && now.Sub(c.samples[1].at) >= idleWindow {
		c.samples = c.samples[1:]
	}
	if now.Before(c.hard) {
		return false
	}
	if !now.Before(c.idle) {
		return true
	}
	first := c.samples[0]
	if now.Sub(first.at) < idleWindow/2 {
		return false // not enough history yet to judge
	}
	cores := float64(c.samples[len(c.samples)-1].cpu-first.cpu) / float64(now.Sub(first.at))
	return cores >= 1
}

// waitConverged waits until every member holds all of them, or the cap
// says to stop, or ctx ends. It polls from the first member not yet
// converged, so a poll costs little while the join goes on, then checks
// all of them once more.
func waitConverged(ctx context.Context, nodes []cluster.Node, jc *joinCap) bool {
	every := max(50*time.Millisecond, time.Duration(len(nodes))*100*time.Microsecond)
	tick := time.NewTicker(every)
	defer tick.Stop()
	want := len(nodes)
	next := 0
	for {
		for next < want && nodes[next].NumMembers() == want {
			next++
		}
		if next == want {
			next = 0
			for next < want && nodes[next].NumMembers() == want {
				next++
			}
			if next == want {
				return true
			}
		}
		if jc.over() {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

func sumTraffic(nodes []cluster.Node) cluster.Traffic {
	var t cluster.Traffic
	for _, n := range nodes {
		x := n.Traffic()
		t.Datagrams += x.Datagrams
		t.UDPBytes += x.UDPBytes
		t.TCPBytes += x.TCPBytes
	}
	return t
}

// closeAll stops the members still running, several at a time: the
// incumbent's Shutdown waits for its listeners, and a thousand of them one
// after another take a while.
func closeAll(nodes []cluster.Node) {
	sem := make(chan struct{}, 16)
	done := make(chan struct{})
	for _, n := range nodes {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			_ = n.Crash()
		}()
	}
	for range nodes {
		<-done
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cpuTime is the user+sys time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
