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
	"sync"
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
	// ReadEvery, unless zero, is how often every member's list is read
	// (Node.ReadMembers) during the window, as an application would; the
	// reads' cost is part of the window's CPU.
	ReadEvery time.Duration
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
	// Started is how many members had started (each joining through the
	// first) when the joins ended: N, unless the cap cut them short.
	Started int
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
	// CPUPerDatagram is the window's CPU over the datagrams sent in the
	// steady part of it, in microseconds: each datagram is also received,
	// so it is the cost of one sent and received, everything else
	// (timers, member list reads) shared out among them.
	CPUPerDatagram float64
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
	tr := &trial{impl: impl, spec: spec, res: Result{Impl: impl.Name(), N: spec.N}}
	tr.cpu0, tr.wall0 = cpuTime(), time.Now()
	tr.rec = NewRecorder()
	tr.nodes = make([]cluster.Node, 0, spec.N)
	defer func() { closeAll(tr.nodes) }()

	over, err := tr.joinAll(ctx)
	if err != nil {
		return tr.res, err
	}
	if over {
		return tr.finish()
	}
	if err := tr.measureSteady(ctx); err != nil {
		return tr.res, err
	}
	if err := tr.crashSome(ctx); err != nil {
		return tr.res, err
	}
	return tr.finish()
}

// trial is the state of one Run: its members, what they declared, and the
// result so far.
type trial struct {
	impl cluster.Impl
	spec Spec
	rec  *Recorder
	// nodes are the members started so far, to close at the end.
	nodes []cluster.Node
	res   Result
	// cpu0 and wall0 are the process CPU time and the wall clock at the
	// start, for the whole run's figures.
	cpu0  time.Duration
	wall0 time.Time
}

// startMember starts member i, joining through seed unless it is empty.
func (tr *trial) startMember(ctx context.Context, i int, seed string) error {
	nd, err := tr.impl.Start(ctx, cluster.Options{
		Name:     fmt.Sprintf("node-%d", i),
		Seed:     seed,
		Settings: tr.spec.Settings,
		OnEvent:  tr.rec.Record,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	tr.nodes = append(tr.nodes, nd)
	return nil
}

// joinAll starts every member, each after the first joining through it,
// and waits for convergence within the join cap. It reports over when the
// trial should stop there: the joins outlasted the cap, or the cluster did
// not converge and spec.StopUnconverged.
func (tr *trial) joinAll(ctx context.Context) (over bool, err error) {
	if err := tr.startMember(ctx, 0, ""); err != nil {
		return false, err
	}
	joinStart := time.Now()
	jc := newJoinCap(joinStart, tr.spec)
	joinCtx, cancel := context.WithDeadline(ctx, jc.idle)
	defer cancel()
	for i := 1; i < tr.spec.N; i++ {
		err := tr.startMember(joinCtx, i, tr.nodes[0].Addr())
		if err == nil && jc.over() {
			err = context.DeadlineExceeded
		}
		if err != nil {
			if ctx.Err() == nil && (joinCtx.Err() != nil || jc.over()) {
				// The joins alone took longer than the cap: the cluster
				// did not converge, which is a result, not a failure.
				tr.res.JoinSeconds = time.Since(joinStart).Seconds()
				tr.res.Started = len(tr.nodes)
				return true, nil
			}
			return false, err
		}
	}
	tr.res.Started = len(tr.nodes)
	tr.res.Converged = waitConverged(joinCtx, tr.nodes, jc)
	tr.res.JoinSeconds = time.Since(joinStart).Seconds()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return !tr.res.Converged && tr.spec.StopUnconverged, nil
}

// measureSteady waits spec.Settle, then measures traffic over spec.Steady
// and CPU and false failures over spec.Window.
func (tr *trial) measureSteady(ctx context.Context) error {
	spec := tr.spec
	if err := sleep(ctx, spec.Settle); err != nil {
		return err
	}
	all := func(string) bool { return true }
	stopReads := readMembers(tr.nodes, spec.ReadEvery)
	defer stopReads()
	t0, cpuW0 := sumTraffic(tr.nodes), cpuTime()
	w0 := time.Now()
	if err := sleep(ctx, spec.Steady); err != nil {
		return err
	}
	t1 := sumTraffic(tr.nodes)
	ws := time.Now()
	if err := sleep(ctx, spec.Window-spec.Steady); err != nil {
		return err
	}
	we := time.Now()
	cpuW1 := cpuTime()
	stopReads()
	res := &tr.res
	res.SteadyCPUCores = (cpuW1 - cpuW0).Seconds() / we.Sub(w0).Seconds()
	d := t1.Sub(t0)
	res.BytesPerMemberSecond = float64(d.Wire()) / float64(spec.N) / ws.Sub(w0).Seconds()
	res.DatagramsPerMemberSecond = float64(d.Datagrams) / float64(spec.N) / ws.Sub(w0).Seconds()
	if perSecond := res.DatagramsPerMemberSecond * float64(spec.N); perSecond > 0 {
		res.CPUPerDatagram = res.SteadyCPUCores / perSecond * 1e6
	}
	if d.Wire() > 0 {
		res.TCPShare = float64(d.TCPBytes) / float64(d.Wire())
	}
	res.FalseFailures = tr.rec.Declarations(w0, ws, all)
	res.WindowFalseFailures = tr.rec.Declarations(w0, we, all)
	return nil
}

// crashSome crashes spec.Crashes members one after another, spread over
// the members other than the seed, and records how each was detected.
func (tr *trial) crashSome(ctx context.Context) error {
	alive := tr.nodes
	for k := range tr.spec.Crashes {
		if len(alive) < 3 {
			break
		}
		victim := alive[1+k*(len(alive)-2)/tr.spec.Crashes]
		var rest []cluster.Node
		for _, x := range alive {
			if x != victim {
				rest = append(rest, x)
			}
		}
		alive = rest
		c, err := crash(ctx, tr.rec, victim, len(alive), tr.spec.DetectCap)
		if err != nil {
			return err
		}
		tr.res.Crashes = append(tr.res.Crashes, c)
		if err := sleep(ctx, tr.spec.CrashGap); err != nil {
			return err
		}
	}
	return nil
}

// finish sets the whole run's figures and returns the result.
func (tr *trial) finish() (Result, error) {
	res := &tr.res
	res.Gaps = tr.rec.Gaps()
	res.CPUSeconds = (cpuTime() - tr.cpu0).Seconds()
	res.WallSeconds = time.Since(tr.wall0).Seconds()
	res.CPUCores = res.CPUSeconds / res.WallSeconds
	return tr.res, nil
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

// readMembers reads every member's list every d until the returned stop
// is called (more than once is fine); zero d reads nothing.
func readMembers(nodes []cluster.Node, d time.Duration) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				for _, n := range nodes {
					n.ReadMembers()
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
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
