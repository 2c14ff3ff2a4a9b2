package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// PushPullSpec describes an S8 trial: N members exchanging application
// states of StateSize bytes every Interval.
type PushPullSpec struct {
	// N is the number of members (32).
	N int
	// StateSize is each member's state in bytes (1 MiB).
	StateSize int
	// Interval is both libraries' PushPullInterval.
	Interval time.Duration
	// Settings are the timing knobs.
	Settings cluster.Settings
	// JoinCap bounds the wait for join convergence.
	JoinCap time.Duration
	// Settle is the wait between convergence and the window: the joins'
	// exchanges are not measured.
	Settle time.Duration
	// Window is the measured window.
	Window time.Duration
}

// PushPullResult is what an S8 trial measured.
type PushPullResult struct {
	// Impl is the implementation's name.
	Impl string
	// N is the number of members.
	N int
	// JoinSeconds is the join convergence time.
	JoinSeconds float64
	// Exchanges counts the exchanges in the window: the states merged by
	// all members, halved, since an exchange merges one on each side.
	Exchanges float64
	// ExchangesPerSecond is their rate in the whole cluster.
	ExchangesPerSecond float64
	// BytesPerExchange is what all members sent in the window (UDP and
	// TCP, the probes and gossip that went on meanwhile included) per
	// exchange.
	BytesPerExchange float64
	// CPUMsPerExchange is the process's CPU time in the window per
	// exchange, in ms.
	CPUMsPerExchange float64
	// CPUCores is the process's CPU use in the window.
	CPUCores float64
	// FalseFailures counts the members declared failed or left during
	// the window; all are running.
	FalseFailures int
}

// countingState is a member's state: random bytes of its own, sent as is,
// and a count of the states it merged.
type countingState struct {
	local  []byte
	merges *atomic.Int64
	size   int
}

func (s *countingState) LocalState(bool) []byte { return s.local }

func (s *countingState) MergeRemoteState(b []byte, _ bool) {
	if len(b) == s.size {
		s.merges.Add(1)
	}
}

// RunPushPull runs one S8 trial of impl: N members with a state each join
// through the first; once they converged and settled, a window counts the
// exchanges, the bytes sent and the CPU used.
func RunPushPull(ctx context.Context, impl cluster.Impl, spec PushPullSpec) (PushPullResult, error) {
	if spec.N < 2 || spec.StateSize <= 0 || spec.Interval <= 0 || spec.Window <= 0 {
		return PushPullResult{}, fmt.Errorf("scenario: invalid S8 spec %+v", spec)
	}
	res := PushPullResult{Impl: impl.Name(), N: spec.N}
	rec := NewRecorder()
	var merges atomic.Int64
	rng := rand.NewChaCha8([32]byte{8})
	nodes := make([]cluster.Node, 0, spec.N)
	defer func() { closeAll(nodes) }()
	jctx, cancel := context.WithTimeout(ctx, spec.JoinCap)
	defer cancel()
	joinStart := time.Now()
	for i := range spec.N {
		// Random bytes, as compressed or encrypted application data is:
		// the incumbent compresses its push/pull by default.
		st := &countingState{local: make([]byte, spec.StateSize), merges: &merges, size: spec.StateSize}
		_, _ = rng.Read(st.local)
		opts := cluster.Options{
			Name:             fmt.Sprintf("node-%d", i),
			Settings:         spec.Settings,
			OnEvent:          rec.Record,
			AppState:         st,
			PushPullInterval: spec.Interval,
		}
		if i > 0 {
			opts.Seed = nodes[0].Addr()
		}
		nd, err := impl.Start(jctx, opts)
		if err != nil {
			return res, fmt.Errorf("%w: %w", ErrStart, err)
		}
		nodes = append(nodes, nd)
	}
	if !waitConverged(jctx, nodes, newJoinCap(joinStart, Spec{JoinCap: spec.JoinCap})) {
		return res, fmt.Errorf("scenario: S8: %d members did not converge within %v", spec.N, spec.JoinCap)
	}
	res.JoinSeconds = time.Since(joinStart).Seconds()
	if err := sleep(ctx, spec.Settle); err != nil {
		return res, err
	}
	t0, cpu0, m0, w0 := sumTraffic(nodes), cpuTime(), merges.Load(), time.Now()
	if err := sleep(ctx, spec.Window); err != nil {
		return res, err
	}
	t1, cpu1, m1, w1 := sumTraffic(nodes), cpuTime(), merges.Load(), time.Now()
	secs := w1.Sub(w0).Seconds()
	res.Exchanges = float64(m1-m0) / 2
	res.ExchangesPerSecond = res.Exchanges / secs
	res.CPUCores = (cpu1 - cpu0).Seconds() / secs
	if res.Exchanges > 0 {
		res.BytesPerExchange = float64(t1.Sub(t0).Wire()) / res.Exchanges
		res.CPUMsPerExchange = float64((cpu1 - cpu0).Microseconds()) / 1e3 / res.Exchanges
	}
	res.FalseFailures = rec.Declarations(w0, w1, func(string) bool { return true })
	return res, nil
}
