// Package hashicorp adapts hashicorp/memberlist v0.7.0, the incumbent, to
// cluster.Impl. Its own NetTransport is wrapped to count traffic, and its
// EventDelegate reports declarations: every NotifyLeave is a cluster.Gone,
// since the Node it gets does not tell a failure from a leave.
package hashicorp

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/memberlist-go/memberlist/bench/cluster"
)

// Impl starts members of hashicorp/memberlist.
type Impl struct{}

// Name returns "hashicorp".
func (Impl) Name() string { return "hashicorp" }

// Start creates a memberlist with DefaultLANConfig and the given timings on
// 127.0.0.1 and, with a seed, joins through it; the incumbent's join is a
// TCP push/pull with the seed, done before Start returns.
func (Impl) Start(ctx context.Context, opts cluster.Options) (cluster.Node, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		BindPort:  0,
		// The transport logs through a *log.Logger it does not check for nil.
		Logger: log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, fmt.Errorf("hashicorp: start %s: %w", opts.Name, err)
	}
	tr := newCountingTransport(nt)
	port := nt.GetAutoBindPort()

	cfg := memberlist.DefaultLANConfig()
	cfg.Name = opts.Name
	cfg.BindAddr = "127.0.0.1"
	cfg.BindPort = port
	cfg.AdvertiseAddr = "127.0.0.1"
	cfg.AdvertisePort = port
	cfg.ProbeInterval = opts.Settings.ProbeInterval
	cfg.ProbeTimeout = opts.Settings.ProbeTimeout
	cfg.GossipInterval = opts.Settings.GossipInterval
	cfg.Transport = tr
	cfg.LogOutput = io.Discard
	if opts.OnEvent != nil {
		cfg.Events = &events{self: opts.Name, fn: opts.OnEvent}
	}
	if opts.OnReliable != nil || opts.AppState != nil {
		cfg.Delegate = &delegate{onMsg: opts.OnReliable, app: opts.AppState}
	}
	if opts.PushPullInterval > 0 {
		cfg.PushPullInterval = opts.PushPullInterval
	}
	m, err := memberlist.Create(cfg)
	if err != nil {
		_ = tr.Shutdown()
		return nil, fmt.Errorf("hashicorp: start %s: %w", opts.Name, err)
	}
	n := &node{m: m, tr: tr, name: opts.Name, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	if opts.Seed != "" {
		if err := joinCtx(ctx, m, opts.Seed); err != nil {
			_ = m.Shutdown()
			return nil, fmt.Errorf("hashicorp: %s joins through %s: %w", opts.Name, opts.Seed, err)
		}
	}
	return n, nil
}

// joinCtx runs the incumbent's blocking Join, which has no context, and
// gives up waiting when ctx ends.
func joinCtx(ctx context.Context, m *memberlist.Memberlist, seed string) error {
	done := make(chan error, 1)
	go func() {
		_, err := m.Join([]string{seed})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type node struct {
	m    *memberlist.Memberlist
	tr   *countingTransport
	name string
	addr string
}

func (n *node) Name() string             { return n.name }
func (n *node) Addr() string             { return n.addr }
func (n *node) NumMembers() int          { return n.m.NumMembers() }
func (n *node) ReadMembers() int         { return len(n.m.Members()) }
func (n *node) Traffic() cluster.Traffic { return n.tr.traffic() }

// SendReliable is the incumbent's SendReliable to the member named to: a
// new TCP connection that carries the message and is closed once it is
// written.
func (n *node) SendReliable(ctx context.Context, to string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range n.m.Members() {
		if m.Name == to {
			return n.m.SendReliable(m, payload)
		}
	}
	return fmt.Errorf("hashicorp: SendReliable: no member %q", to)
}

// Crash shuts the memberlist down without leaving: its listeners close and
// it stops all activity, which the others see as a failure.
func (n *node) Crash() error { return n.m.Shutdown() }

func (n *node) Leave(ctx context.Context) error {
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	err := n.m.Leave(timeout)
	if serr := n.m.Shutdown(); err == nil {
		err = serr
	}
	return err
}

// events turns the incumbent's EventDelegate calls into cluster events.
type events struct {
	self string
	fn   func(cluster.Event)
}

func (e *events) NotifyJoin(*memberlist.Node)   {}
func (e *events) NotifyUpdate(*memberlist.Node) {}

// NotifyLeave reports a member declared dead or left. The incumbent passes
// the Node embedded in its internal record, whose State field stays at its
// zero value (the record's own State is another field), so the kind is
// Gone; the benchmarks count both alike.
func (e *events) NotifyLeave(n *memberlist.Node) {
	e.fn(cluster.Event{Observer: e.self, Subject: n.Name, Kind: cluster.Gone, At: time.Now()})
}

// delegate hands the incumbent's user messages and push/pull states to the
// benchmark.
type delegate struct {
	onMsg func([]byte)
	app   cluster.AppState
}

func (d *delegate) NodeMeta(int) []byte             { return nil }
func (d *delegate) GetBroadcasts(int, int) [][]byte { return nil }

func (d *delegate) NotifyMsg(b []byte) {
	if d.onMsg != nil {
		d.onMsg(b)
	}
}

func (d *delegate) LocalState(join bool) []byte {
	if d.app == nil {
		return nil
	}
	return d.app.LocalState(join)
}

func (d *delegate) MergeRemoteState(b []byte, join bool) {
	if d.app != nil {
		d.app.MergeRemoteState(b, join)
	}
}
