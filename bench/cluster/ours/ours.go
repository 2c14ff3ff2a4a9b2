// Package ours adapts this repository's runtime.Node to cluster.Impl.
// Traffic is counted by the node's own UDP and stream transports
// (runtime.Stats), and declarations come from a subscription to the node's
// events.
package ours

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// ReliableFamily is the message family of the benchmarks' SendReliable
// messages.
const ReliableFamily uint32 = 0xbe7c0007

// eventBuffer is the subscription's buffer: enough for the burst of
// joins a new member of a few thousand sees.
const eventBuffer = 4096

// Impl starts members of our library.
type Impl struct{}

// Name returns "ours".
func (Impl) Name() string { return "ours" }

// Start starts a runtime.Node with the LAN preset and the given timings.
// With a seed, it returns once the node has joined: once it holds a member
// other than itself, which it learns from the seed's answer. The
// incumbent's Join likewise returns after its exchange with the seed, so
// members of both join one at a time.
func (Impl) Start(ctx context.Context, opts cluster.Options) (cluster.Node, error) {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = opts.Name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.ProbeInterval = opts.Settings.ProbeInterval
	cfg.ProbeTimeout = opts.Settings.ProbeTimeout
	cfg.GossipInterval = opts.Settings.GossipInterval
	// A member joining a large cluster learns of every other member at
	// once; the buffer keeps the forwarder from being cut off then.
	cfg.EventBuffer = eventBuffer
	if opts.Seed != "" {
		cfg.Discovery = discovery.Static(opts.Seed)
	}
	if opts.AppState != nil {
		cfg.AppState = appState{opts.AppState}
	}
	if opts.PushPullInterval > 0 {
		cfg.PushPullInterval = opts.PushPullInterval
	}
	n, err := runtime.Start(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("ours: start %s: %w", opts.Name, err)
	}
	nd := &node{n: n, name: opts.Name, addr: n.LocalMember().Addr.String()}
	if fn := opts.OnReliable; fn != nil {
		n.Handle(ReliableFamily, func(_ runtime.Member, payload []byte) { fn(payload) })
	}
	sub := n.Subscribe()
	nd.wg.Add(1)
	go nd.forward(sub, opts.OnEvent)
	if opts.Seed != "" {
		if err := nd.waitJoined(ctx); err != nil {
			_ = nd.Crash()
			return nil, fmt.Errorf("ours: %s joins through %s: %w", opts.Name, opts.Seed, err)
		}
	}
	return nd, nil
}

// waitJoined waits until the node holds another alive member, as the
// incumbent's Join returns after its exchange with the seed. Node.Joined
// is closed by the protocol loop itself: waiting for the first joined
// event instead went through two more goroutines (the event dispatch and
// the forwarder), each a wait in a saturated process's run queue, and a
// 5 ms poll behind them. At 1,280 members (S4) all had started after 37 s
// in two trials, against 1,260 of them by the 43 s cap before.
func (nd *node) waitJoined(ctx context.Context) error {
	select {
	case <-nd.n.Joined():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type node struct {
	n    *runtime.Node
	name string
	addr string
	wg   sync.WaitGroup
}

// forward hands the node's failed and left events to fn (if set) until
// the node closes, which closes the subscription.
func (nd *node) forward(sub *runtime.Subscription, fn func(cluster.Event)) {
	defer nd.wg.Done()
	for ev := range sub.C {
		var k cluster.EventKind
		switch ev.Type {
		case runtime.EventFailed:
			k = cluster.Failed
		case runtime.EventLeft:
			k = cluster.Left
		default:
			continue
		}
		if fn != nil {
			fn(cluster.Event{Observer: nd.name, Subject: ev.Member.Name, Kind: k, At: ev.At})
		}
	}
	if fn != nil && errors.Is(sub.Err(), runtime.ErrSlowSubscriber) {
		fn(cluster.Event{Observer: nd.name, Kind: cluster.Gap, At: time.Now()})
	}
}

func (nd *node) Name() string { return nd.name }
func (nd *node) Addr() string { return nd.addr }

func (nd *node) NumMembers() int {
	s := nd.n.Stats()
	return s.Alive + s.Suspect
}

func (nd *node) ReadMembers() int { return len(nd.n.Members()) }

func (nd *node) Traffic() cluster.Traffic {
	s := nd.n.Stats()
	return cluster.Traffic{Datagrams: s.PacketsOut, UDPBytes: s.BytesOut, TCPBytes: s.Stream.BytesOut}
}

func (nd *node) SendReliable(ctx context.Context, to string, payload []byte) error {
	return nd.n.SendReliable(ctx, to, ReliableFamily, payload)
}

// appState adapts a cluster.AppState to runtime.AppState.
type appState struct{ app cluster.AppState }

func (a appState) LocalState(join bool) []byte { return a.app.LocalState(join) }

func (a appState) MergeRemoteState(_ runtime.Member, state []byte, join bool) {
	a.app.MergeRemoteState(state, join)
}

func (nd *node) Crash() error {
	err := nd.n.Close()
	nd.wg.Wait()
	return err
}

func (nd *node) Leave(ctx context.Context) error {
	err := nd.n.Leave(ctx)
	if cerr := nd.Crash(); err == nil {
		err = cerr
	}
	return err
}
