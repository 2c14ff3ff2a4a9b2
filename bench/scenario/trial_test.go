package scenario

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// fake is an in-memory cluster.Impl: members see each other at once, send
// one 100-byte datagram every 10 ms, and a crash is declared failed by
// every running member after detectAfter.
type fake struct {
	mu          sync.Mutex
	nodes       []*fakeNode
	detectAfter time.Duration
	// falseAt, if set, makes member 1 declare member 2 failed this long
	// after member 2 starts.
	falseAt time.Duration
	wg      sync.WaitGroup
	// reads counts ReadMembers calls, and when they came.
	reads               int
	firstRead, lastRead time.Time
}

type fakeNode struct {
	f       *fake
	name    string
	started time.Time
	onEvent func(cluster.Event)
	crashed bool
}

func (f *fake) Name() string { return "fake" }

func (f *fake) Start(_ context.Context, o cluster.Options) (cluster.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := &fakeNode{f: f, name: o.Name, started: time.Now(), onEvent: o.OnEvent}
	f.nodes = append(f.nodes, n)
	if f.falseAt > 0 && len(f.nodes) == 3 {
		accuser, accused := f.nodes[1], n.name
		f.wg.Add(1)
		time.AfterFunc(f.falseAt, func() {
			defer f.wg.Done()
			accuser.onEvent(cluster.Event{Observer: accuser.name, Subject: accused, Kind: cluster.Failed, At: time.Now()})
		})
	}
	return n, nil
}

func (n *fakeNode) Name() string { return n.name }
func (n *fakeNode) Addr() string { return "fake:" + n.name }

func (n *fakeNode) NumMembers() int {
	n.f.mu.Lock()
	defer n.f.mu.Unlock()
	c := 0
	for _, x := range n.f.nodes {
		if !x.crashed {
			c++
		}
	}
	return c
}

func (n *fakeNode) ReadMembers() int {
	n.f.mu.Lock()
	if n.f.reads == 0 {
		n.f.firstRead = time.Now()
	}
	n.f.reads++
	n.f.lastRead = time.Now()
	n.f.mu.Unlock()
	return n.NumMembers()
}

func (n *fakeNode) Traffic() cluster.Traffic {
	d := uint64(time.Since(n.started) / (10 * time.Millisecond))
	return cluster.Traffic{Datagrams: d, UDPBytes: 100 * d}
}

func (n *fakeNode) Crash() error {
	f := n.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.crashed {
		return nil
	}
	n.crashed = true
	for _, x := range f.nodes {
		if x.crashed {
			continue
		}
		f.wg.Add(1)
		time.AfterFunc(f.detectAfter, func() {
			defer f.wg.Done()
			x.onEvent(cluster.Event{Observer: x.name, Subject: n.name, Kind: cluster.Failed, At: time.Now()})
		})
	}
	return nil
}

func (n *fakeNode) Leave(context.Context) error { return n.Crash() }

func (n *fakeNode) SendReliable(context.Context, string, []byte) error {
	return errors.New("fake: no streams")
}

func shortSpec() Spec {
	return Spec{
		N:         6,
		JoinCap:   time.Second,
		Settle:    10 * time.Millisecond,
		Steady:    300 * time.Millisecond,
		Window:    400 * time.Millisecond,
		Crashes:   3,
		CrashGap:  10 * time.Millisecond,
		DetectCap: time.Second,
	}
}

func TestRun(t *testing.T) {
	f := &fake{detectAfter: 50 * time.Millisecond}
	r, err := Run(context.Background(), f, shortSpec())
	f.wg.Wait()
	require.NoError(t, err)
	assert.True(t, r.Converged, "converged")
	assert.Equal(t, "fake", r.Impl)
	assert.Equal(t, 6, r.N)
	// 100 datagrams a second of 100 bytes plus 28 of headers.
	want := 100.0 * 128
	assert.InDelta(t, want, r.BytesPerMemberSecond, want*0.15, "steady traffic, bytes/member/s")
	assert.Zero(t, r.FalseFailures, "false failures")
	assert.Zero(t, r.WindowFalseFailures, "false failures in the window")
	assert.True(t, r.Healthy(), "healthy")
	require.Len(t, r.Crashes, 3, "crashes")
	for i, c := range r.Crashes {
		assert.True(t, c.Complete && c.All >= 0.04 && c.All <= 0.5 && c.First <= c.All,
			"crash %d: %+v, want complete after about 0.05 s", i, c)
	}
	assert.GreaterOrEqual(t, r.CPUCores, 0.0, "CPU cores")
	assert.GreaterOrEqual(t, r.WallSeconds, 0.4, "wall seconds")
	assert.Zero(t, f.reads, "member lists read without ReadEvery")
	// CPU per datagram: the window's cores over the datagrams sent a second.
	assert.InDelta(t, r.SteadyCPUCores*1e6, r.CPUPerDatagram*r.DatagramsPerMemberSecond*6, 1e-6, "CPU per datagram (µs)")
}

// With ReadEvery, every member's list is read that often during the
// window, and only then.
func TestRunReadsMemberLists(t *testing.T) {
	f := &fake{detectAfter: 50 * time.Millisecond}
	spec := shortSpec()
	spec.ReadEvery = 20 * time.Millisecond
	start := time.Now()
	_, err := Run(context.Background(), f, spec)
	f.wg.Wait()
	require.NoError(t, err)
	// 400 ms of window at one round of 6 reads per 20 ms.
	assert.InDelta(t, 6*400/20, f.reads, 6*400/20*0.4, "reads")
	assert.GreaterOrEqual(t, f.firstRead.Sub(start), spec.Settle, "reads before the window")
	assert.Less(t, f.lastRead.Sub(f.firstRead), spec.Window, "reads after the window")
}

// A declaration about a running member during the window is a false
// failure; one after the steady part counts only for the whole window.
func TestRunCountsFalseFailures(t *testing.T) {
	for _, c := range []struct {
		at            time.Duration
		steady, whole int
	}{
		{150 * time.Millisecond, 1, 1},
		{360 * time.Millisecond, 0, 1},
	} {
		f := &fake{detectAfter: 10 * time.Millisecond, falseAt: c.at}
		spec := shortSpec()
		spec.Crashes = 0
		r, err := Run(context.Background(), f, spec)
		f.wg.Wait()
		require.NoError(t, err)
		assert.Equal(t, c.steady, r.FalseFailures, "accusation at %v: false failures in the steady part", c.at)
		assert.Equal(t, c.whole, r.WindowFalseFailures, "accusation at %v: false failures in the window", c.at)
		assert.False(t, r.Healthy(), "accusation at %v: healthy", c.at)
	}
}

// A crash nobody detects is reported incomplete after the cap.
func TestRunUndetectedCrash(t *testing.T) {
	f := &fake{detectAfter: time.Hour}
	spec := shortSpec()
	spec.Crashes = 1
	spec.DetectCap = 100 * time.Millisecond
	r, err := Run(context.Background(), f, spec)
	require.NoError(t, err)
	require.Len(t, r.Crashes, 1, "crashes")
	assert.False(t, r.Crashes[0].Complete, "crash complete; want incomplete after the cap")
	assert.GreaterOrEqual(t, r.Crashes[0].All, 0.1, "seconds until the crash gave up; want the cap")
}

func TestRunRejectsBadSpec(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(*Spec)
	}{
		{"window shorter than steady part", func(s *Spec) { s.Window = s.Steady / 2 }},
		{"N = 1", func(s *Spec) { s.N = 1 }},
	} {
		spec := shortSpec()
		c.spoil(&spec)
		_, err := Run(context.Background(), &fake{}, spec)
		assert.Error(t, err, c.name)
	}
}

// A member that fails to start fails the trial with ErrStart.
func TestRunStartError(t *testing.T) {
	_, err := Run(context.Background(), failing{}, shortSpec())
	assert.ErrorIs(t, err, ErrStart)
}

type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Start(context.Context, cluster.Options) (cluster.Node, error) {
	return nil, errors.New("no socket")
}

// partial is a fake whose members never hold the last one.
type partial struct{ fake }

func (p *partial) Start(ctx context.Context, o cluster.Options) (cluster.Node, error) {
	n, err := p.fake.Start(ctx, o)
	return partialNode{n.(*fakeNode)}, err
}

type partialNode struct{ *fakeNode }

func (n partialNode) NumMembers() int { return n.fakeNode.NumMembers() - 1 }

// A cluster that does not converge is waited for until JoinCap, or, while
// the process is idle, until JoinCapIdle; with StopUnconverged the trial
// ends there.
func TestRunJoinCaps(t *testing.T) {
	spec := shortSpec()
	spec.JoinCap = 200 * time.Millisecond
	spec.StopUnconverged = true
	r, err := Run(context.Background(), &partial{}, spec)
	require.NoError(t, err)
	assert.False(t, r.Converged, "no extension: converged")
	assert.GreaterOrEqual(t, r.JoinSeconds, 0.2, "no extension: seconds to join")
	assert.LessOrEqual(t, r.JoinSeconds, 2.0, "no extension: seconds to join")
	assert.Zero(t, r.BytesPerMemberSecond, "no extension: bytes/member/s")
	spec.JoinCapIdle = 3 * time.Second
	r, err = Run(context.Background(), &partial{}, spec)
	require.NoError(t, err)
	assert.False(t, r.Converged, "idle extension: converged")
	assert.GreaterOrEqual(t, r.JoinSeconds, 2.9, "idle extension: seconds to join; want about 3")
	assert.LessOrEqual(t, r.JoinSeconds, 5.0, "idle extension: seconds to join; want about 3")
}
