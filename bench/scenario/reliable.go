package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// ReliableSpec describes an S7 trial: SendReliable between two members.
type ReliableSpec struct {
	// Size is each message's payload in bytes (1 MiB).
	Size int
	// Messages are sent back to back, as an application sending in a loop
	// does, for the throughput.
	Messages int
	// Samples are sent one at a time, each after the one before it was
	// received, for the latency.
	Samples int
	// Settings are the timing knobs of both members.
	Settings cluster.Settings
	// Timeout bounds each phase.
	Timeout time.Duration
}

// ReliableResult is what an S7 trial measured.
type ReliableResult struct {
	// Impl is the implementation's name.
	Impl string
	// MBPerSecond is the throughput in 10^6 bytes of payload per second:
	// from the first send of the back-to-back phase until the receiver had
	// the last message.
	MBPerSecond float64
	// P50Ms and P99Ms are the latency of one message, from the call of
	// SendReliable until the receiver's application had it, in ms.
	P50Ms, P99Ms float64
	// CPUMsPerMessage is the process's CPU time (sender and receiver)
	// over the back-to-back phase per message, in ms.
	CPUMsPerMessage float64
	// WireBytesPerMessage is what both members sent over that phase per
	// message: the message, the acknowledgement and whatever else the
	// members sent meanwhile.
	WireBytesPerMessage float64
}

// RunReliable runs one S7 trial of impl: two members on loopback, a
// message sent once to open the way, then the throughput and the latency
// phases.
func RunReliable(ctx context.Context, impl cluster.Impl, spec ReliableSpec) (ReliableResult, error) {
	if spec.Size <= 0 || spec.Messages <= 0 || spec.Samples <= 0 || spec.Timeout <= 0 {
		return ReliableResult{}, fmt.Errorf("scenario: invalid S7 spec %+v", spec)
	}
	res := ReliableResult{Impl: impl.Name()}
	var received atomic.Int64
	arrived := make(chan time.Time, spec.Messages+spec.Samples+1)
	onMsg := func(b []byte) {
		if len(b) == spec.Size {
			received.Add(1)
			arrived <- time.Now()
		}
	}
	recv, err := impl.Start(ctx, cluster.Options{Name: "receiver", Settings: spec.Settings, OnReliable: onMsg})
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrStart, err)
	}
	nodes := []cluster.Node{recv}
	defer func() { closeAll(nodes) }()
	send, err := impl.Start(ctx, cluster.Options{Name: "sender", Seed: recv.Addr(), Settings: spec.Settings})
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrStart, err)
	}
	nodes = append(nodes, send)
	jctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	if !waitConverged(jctx, nodes, newJoinCap(time.Now(), Spec{JoinCap: spec.Timeout})) {
		return res, fmt.Errorf("scenario: S7: the two members did not converge within %v", spec.Timeout)
	}

	// Random bytes, as compressed or encrypted application data is: the
	// incumbent compresses stream messages by default.
	payload := make([]byte, spec.Size)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(payload)
	wait := func(ctx context.Context, n int64) (time.Time, error) {
		var last time.Time
		for received.Load() < n || len(arrived) > 0 {
			select {
			case last = <-arrived:
			case <-ctx.Done():
				return last, fmt.Errorf("scenario: S7: %d of %d messages received: %w", received.Load(), n, ctx.Err())
			}
		}
		return last, nil
	}
	pctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	if err := send.SendReliable(pctx, recv.Name(), payload); err != nil {
		return res, fmt.Errorf("scenario: S7: %w", err)
	}
	if _, err := wait(pctx, 1); err != nil {
		return res, err
	}

	t0, cpu0, start := sumTraffic(nodes), cpuTime(), time.Now()
	for range spec.Messages {
		if err := send.SendReliable(pctx, recv.Name(), payload); err != nil {
			return res, fmt.Errorf("scenario: S7: %w", err)
		}
	}
	last, err := wait(pctx, int64(1+spec.Messages))
	if err != nil {
		return res, err
	}
	cpu := cpuTime() - cpu0
	wire := sumTraffic(nodes).Sub(t0).Wire()
	res.MBPerSecond = float64(spec.Size*spec.Messages) / 1e6 / last.Sub(start).Seconds()
	res.CPUMsPerMessage = float64(cpu.Microseconds()) / 1e3 / float64(spec.Messages)
	res.WireBytesPerMessage = float64(wire) / float64(spec.Messages)

	lctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	lat := make([]float64, 0, spec.Samples)
	for i := range spec.Samples {
		t := time.Now()
		if err := send.SendReliable(lctx, recv.Name(), payload); err != nil {
			return res, fmt.Errorf("scenario: S7: %w", err)
		}
		at, err := wait(lctx, int64(2+spec.Messages+i))
		if err != nil {
			return res, err
		}
		lat = append(lat, float64(at.Sub(t).Microseconds())/1e3)
	}
	res.P50Ms, res.P99Ms = quantile(lat, 0.5), quantile(lat, 0.99)
	return res, nil
}

// quantile is the q-quantile of xs by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
