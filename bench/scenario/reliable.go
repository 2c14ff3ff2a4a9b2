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
	r := &reliableRun{spec: spec, arrived: make(chan time.Time, spec.Messages+spec.Samples+1)}
	defer func() { closeAll(r.nodes) }()
	if err := r.startPair(ctx, impl); err != nil {
		return res, err
	}

	// Random bytes, as compressed or encrypted application data is: the
	// incumbent compresses stream messages by default.
	r.payload = make([]byte, spec.Size)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(r.payload)
	pctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	if err := r.openWay(pctx); err != nil {
		return res, err
	}
	if err := r.measureThroughput(pctx, &res); err != nil {
		return res, err
	}
	lctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	lat, err := r.measureLatency(lctx)
	if err != nil {
		return res, err
	}
	res.P50Ms, res.P99Ms = quantile(lat, 0.5), quantile(lat, 0.99)
	return res, nil
}

// reliableRun is the state of one S7 trial: its two members, the payload,
// and what the receiver's application has had so far.
type reliableRun struct {
	spec       ReliableSpec
	recv, send cluster.Node
	// nodes are the members started so far, to close at the end.
	nodes   []cluster.Node
	payload []byte
	// received counts the payloads the receiver's application had, and
	// arrived gets the time each did.
	received atomic.Int64
	arrived  chan time.Time
}

// onMsg counts a payload the receiver's application had; other messages
// are not the trial's.
func (r *reliableRun) onMsg(b []byte) {
	if len(b) == r.spec.Size {
		r.received.Add(1)
		r.arrived <- time.Now()
	}
}

// startPair starts the receiver and the sender, which joins through it,
// and waits until both hold both.
func (r *reliableRun) startPair(ctx context.Context, impl cluster.Impl) error {
	recv, err := impl.Start(ctx, cluster.Options{Name: "receiver", Settings: r.spec.Settings, OnReliable: r.onMsg})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	r.recv, r.nodes = recv, []cluster.Node{recv}
	send, err := impl.Start(ctx, cluster.Options{Name: "sender", Seed: recv.Addr(), Settings: r.spec.Settings})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	r.send, r.nodes = send, append(r.nodes, send)
	jctx, cancel := context.WithTimeout(ctx, r.spec.Timeout)
	defer cancel()
	if !waitConverged(jctx, r.nodes, newJoinCap(time.Now(), Spec{JoinCap: r.spec.Timeout})) {
		return fmt.Errorf("scenario: S7: the two members did not converge within %v", r.spec.Timeout)
	}
	return nil
}

// wait waits until the receiver's application has had n payloads and
// drains arrived, returning the time the last one drained arrived.
func (r *reliableRun) wait(ctx context.Context, n int64) (time.Time, error) {
	var last time.Time
	for r.received.Load() < n || len(r.arrived) > 0 {
		select {
		case last = <-r.arrived:
		case <-ctx.Done():
			return last, fmt.Errorf("scenario: S7: %d of %d messages received: %w", r.received.Load(), n, ctx.Err())
		}
	}
	return last, nil
}

// openWay sends one message and waits for it, so that neither phase
// measures the first connection.
func (r *reliableRun) openWay(ctx context.Context) error {
	if err := r.send.SendReliable(ctx, r.recv.Name(), r.payload); err != nil {
		return fmt.Errorf("scenario: S7: %w", err)
	}
	_, err := r.wait(ctx, 1)
	return err
}

// measureThroughput sends spec.Messages back to back and sets res's
// throughput, CPU and wire bytes per message.
func (r *reliableRun) measureThroughput(ctx context.Context, res *ReliableResult) error {
	t0, cpu0, start := sumTraffic(r.nodes), cpuTime(), time.Now()
	for range r.spec.Messages {
		if err := r.send.SendReliable(ctx, r.recv.Name(), r.payload); err != nil {
			return fmt.Errorf("scenario: S7: %w", err)
		}
	}
	last, err := r.wait(ctx, int64(1+r.spec.Messages))
	if err != nil {
		return err
	}
	cpu := cpuTime() - cpu0
	wire := sumTraffic(r.nodes).Sub(t0).Wire()
	res.MBPerSecond = float64(r.spec.Size*r.spec.Messages) / 1e6 / last.Sub(start).Seconds()
	res.CPUMsPerMessage = float64(cpu.Microseconds()) / 1e3 / float64(r.spec.Messages)
	res.WireBytesPerMessage = float64(wire) / float64(r.spec.Messages)
	return nil
}

// measureLatency sends spec.Samples messages one at a time, each after the
// last arrived, and returns each one's latency in ms.
func (r *reliableRun) measureLatency(ctx context.Context) ([]float64, error) {
	lat := make([]float64, 0, r.spec.Samples)
	for i := range r.spec.Samples {
		t := time.Now()
		if err := r.send.SendReliable(ctx, r.recv.Name(), r.payload); err != nil {
			return nil, fmt.Errorf("scenario: S7: %w", err)
		}
		at, err := r.wait(ctx, int64(2+r.spec.Messages+i))
		if err != nil {
			return nil, err
		}
		lat = append(lat, float64(at.Sub(t).Microseconds())/1e3)
	}
	return lat, nil
}

// quantile is the q-quantile of xs by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
