package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// demoSize is how many nodes the demo runs.
const demoSize = 5

// demoConfig is a node on loopback with 200 ms probes, so that joining and
// failure detection show within seconds. describeTimings tells the user,
// since a cluster of their own, on the defaults, is several times slower.
func demoConfig(name string) runtime.Config {
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	return cfg
}

// describeTimings says which timings the demo shortens, against the
// defaults (DefaultLANConfig), and what that means for failure detection.
func describeTimings(out io.Writer) {
	demo, lan := demoConfig("x"), runtime.DefaultLANConfig()
	fmt.Fprintf(out, "Timings shortened for the demo, so that a failure shows within a second:\n")
	fmt.Fprintf(out, "  probe interval %v (default %v), probe timeout %v (default %v),\n", demo.ProbeInterval, lan.ProbeInterval, demo.ProbeTimeout, lan.ProbeTimeout)
	fmt.Fprintf(out, "  gossip interval %v (default %v), suspicion multiplier %d (default %d).\n", demo.GossipInterval, lan.GossipInterval, demo.SuspicionMult, lan.SuspicionMult)
	fmt.Fprintf(out, "  A crash is declared after about %.1fs here; on the defaults, about %.1fs:\n", detectionTime(demo, demoSize).Seconds(), detectionTime(lan, demoSize).Seconds())
	fmt.Fprintf(out, "  they wait longer on purpose, so that a busy machine or a lossy network\n  raises no false alarms.\n")
}

// detectionTime estimates how long a cluster of n members takes to declare
// a crashed member failed: the probe that finds it unanswered (about one
// protocol period), then the shortest suspicion timeout, which enough
// members confirming the suspicion brings it down to:
// SuspicionMult·max(1, log10 n)·ProbeInterval (see swim.Config).
func detectionTime(cfg runtime.Config, n int) time.Duration {
	suspicion := time.Duration(float64(cfg.SuspicionMult) * max(1, math.Log10(float64(n))) * float64(cfg.ProbeInterval))
	return cfg.ProbeInterval + suspicion
}

// runDemo runs five nodes in this process until ctx ends: they form a
// cluster, send each other messages, one of them stops abruptly and the
// others detect it; at the end the rest leave gracefully.
func runDemo(ctx context.Context, out io.Writer) error {
	describeTimings(out)
	begin := time.Now()
	out = &stampWriter{w: out, start: begin}
	fmt.Fprintf(out, "Starting %d nodes on loopback (Ctrl-C to leave gracefully and stop).\n", demoSize)
	nodes, stopNodes, err := startDemoNodes(ctx, out)
	defer stopNodes()
	if err != nil {
		return err
	}
	d := &demo{out: out, nodes: nodes, observer: nodes[0], begin: begin}
	sub := d.observer.Subscribe()
	defer sub.Close()
	failures, unwatch := watchFailures(nodes[1:])
	defer unwatch()

	d.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	d.table = newTable(out, d.observer.LocalMember().Name)
	d.table.print(d.observer.Members())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	d.start = time.Now()
	for {
		select {
		case <-ctx.Done():
			d.leaveAll()
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				sub = d.observer.Subscribe()
				continue
			}
			d.onEvent(ev)
		case line := <-failures:
			fmt.Fprintf(out, "%s%s\n", line, since(d.crashedAt))
		case <-tick.C:
			d.onTick(ctx)
		}
	}
}

// startDemoNodes starts demoSize nodes, each after the first joining
// through it, each with its chaos handler. The returned stop, set even on
// error so that the nodes started are cleaned up, stops the handlers, the
// last first, then closes every node.
func startDemoNodes(ctx context.Context, out io.Writer) (nodes []*runtime.Node, stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		for _, n := range nodes {
			n.Close()
		}
	}
	for i := range demoSize {
		cfg := demoConfig(fmt.Sprintf("node-%d", i+1))
		if i > 0 {
			cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		n, err := runtime.Start(ctx, cfg)
		if err != nil {
			return nodes, stop, err
		}
		nodes = append(nodes, n)
		stops = append(stops, handleChaos(n, out, cfg.Name))
	}
	return nodes, stop, nil
}

// demo is the state of a running demo, as the observer, the first node,
// sees it.
type demo struct {
	out      io.Writer
	nodes    []*runtime.Node
	observer *runtime.Node
	table    *table
	rng      *rand.Rand
	// begin is when the first node started, start when the demo began to
	// tick.
	begin, start time.Time
	allJoined    bool
	// crashed is the node stopped abruptly, once it is, at crashedAt.
	crashed   *runtime.Node
	crashedAt time.Time
	// sent counts the messages sent so far, which picks what the next is.
	sent int
}

// leaveAll makes every node still running leave gracefully.
func (d *demo) leaveAll() {
	fmt.Fprintln(d.out, "Leaving gracefully...")
	leaveCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, n := range d.nodes {
		if n != d.crashed {
			if err := n.Leave(leaveCtx); err != nil {
				fmt.Fprintf(d.out, "%s: %v\n", n.LocalMember().Name, err)
			}
		}
	}
	fmt.Fprintln(d.out, "Every node left; stopped.")
}

// onEvent reports a failure the observer detected, reprints the members
// and says once when all have joined.
func (d *demo) onEvent(ev runtime.Event) {
	if ev.Type == runtime.EventFailed {
		fmt.Fprintf(d.out, "%s detected: %s failed%s\n", d.observer.LocalMember().Name, ev.Member.Name, since(d.crashedAt))
	}
	ms := d.observer.Members()
	d.table.print(ms)
	if !d.allJoined && len(ms) == demoSize {
		d.allJoined = true
		fmt.Fprintf(d.out, "All %d nodes joined, %v after the first started.\n", demoSize, time.Since(d.begin).Round(time.Millisecond))
	}
}

// onTick sends something between live nodes and, once the cluster has run
// for 5 s, stops the last node abruptly so that the others detect it.
func (d *demo) onTick(ctx context.Context) {
	sendSomething(ctx, d.out, d.rng, alive(d.nodes, d.crashed), d.sent)
	d.sent++
	if d.crashed == nil && time.Since(d.start) > 5*time.Second {
		d.crashed = d.nodes[demoSize-1]
		d.crashedAt = time.Now()
		fmt.Fprintf(d.out, "Stopping %s abruptly (no leave)...\n", d.crashed.LocalMember().Name)
		d.crashed.Close()
	}
}

// watchFailures reports, on the returned channel, every failure each of
// nodes detects, not only the observer's; stop ends the subscriptions.
func watchFailures(nodes []*runtime.Node) (failures <-chan string, stop func()) {
	ch := make(chan string, demoSize*demoSize)
	var subs []*runtime.Subscription
	for _, n := range nodes {
		s := n.Subscribe()
		subs = append(subs, s)
		name := n.LocalMember().Name
		go func() {
			for ev := range s.C {
				if ev.Type == runtime.EventFailed {
					ch <- fmt.Sprintf("%s detected: %s failed", name, ev.Member.Name)
				}
			}
		}()
	}
	return ch, func() {
		for _, s := range subs {
			s.Close()
		}
	}
}

// sendSomething sends the demo's sent-th message from a random live node:
// a random chaos request or note, to one other node or to everyone; the
// fourth is a state dump over a stream.
func sendSomething(ctx context.Context, out io.Writer, rng *rand.Rand, live []*runtime.Node, sent int) {
	from := live[rng.IntN(len(live))]
	others := slices.DeleteFunc(slices.Clone(live), func(n *runtime.Node) bool { return n == from })
	to := ""
	if rng.IntN(3) > 0 {
		to = others[rng.IntN(len(others))].LocalMember().Name
	}
	m := randomMonkey(sent)
	if sent == 3 {
		// Once, a message larger than a datagram, over a stream, to one
		// member (streams are not broadcast).
		if to == "" {
			to = others[0].LocalMember().Name
		}
		d := stateDump(from.LocalMember().Name, 600)
		fmt.Fprintf(out, "%s -> %s: a state dump of %d entries over a stream (SendReliable)\n", from.LocalMember().Name, to, len(d.Entries))
		if err := SendStateDump(ctx, from, to, d); err != nil {
			fmt.Fprintf(out, "  send failed: %v\n", err)
		}
		return
	}
	target := to
	if target == "" {
		target = "everyone"
	}
	fmt.Fprintf(out, "%s -> %s: %s\n", from.LocalMember().Name, target, strings.TrimPrefix(fmt.Sprintf("%T%+v", m, m), "main."))
	if err := sendTo(ctx, from, to, m); err != nil {
		fmt.Fprintf(out, "  send failed: %v\n", err)
	}
}

// stateDump makes a node's (made-up) state: n entries of about 60 bytes,
// tens of KB in all, more than one datagram carries.
func stateDump(node string, n int) Dump {
	d := Dump{Entries: make([]string, n)}
	for i := range d.Entries {
		d.Entries[i] = fmt.Sprintf("%s/cache/key-%05d=%040d", node, i, i)
	}
	return d
}

// since says how long ago the demo stopped a node, if it did.
func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf(" (%.1fs after it stopped)", time.Since(t).Seconds())
}

func alive(nodes []*runtime.Node, except *runtime.Node) []*runtime.Node {
	return slices.DeleteFunc(slices.Clone(nodes), func(n *runtime.Node) bool { return n == except })
}

// stampWriter starts each write with the time since start, and indents
// the further lines of a write (a table) to match, so that the demo's
// output says when each thing happened. Writes of several goroutines
// (handlers of different nodes) come out whole.
type stampWriter struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (s *stampWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp := fmt.Sprintf("%6.2fs  ", time.Since(s.start).Seconds())
	indent := strings.Repeat(" ", len(stamp))
	var b strings.Builder
	for i, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		if i == 0 {
			b.WriteString(stamp)
		} else {
			b.WriteString(indent)
		}
		b.WriteString(line)
	}
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// table prints the member list when it changes, compactly.
type table struct {
	out  io.Writer
	as   string // whose view it is
	last string
}

func newTable(out io.Writer, as string) *table { return &table{out: out, as: as} }

func (t *table) print(ms []runtime.Member) {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "  %-8s %-21v %s\n", m.Name, m.Addr, m.State)
	}
	if b.String() == t.last {
		return
	}
	t.last = b.String()
	fmt.Fprintf(t.out, "Members (as %s sees them):\n%s", t.as, b.String())
}
