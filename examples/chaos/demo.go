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
	var nodes []*runtime.Node
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	for i := range demoSize {
		cfg := demoConfig(fmt.Sprintf("node-%d", i+1))
		if i > 0 {
			cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		n, err := runtime.Start(ctx, cfg)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		stop := handleChaos(n, out, cfg.Name)
		defer stop()
	}
	observer := nodes[0]
	sub := observer.Subscribe()
	defer sub.Close()
	failures, unwatch := watchFailures(nodes[1:])
	defer unwatch()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	table := newTable(out, observer.LocalMember().Name)
	table.print(observer.Members())
	allJoined := false
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	var crashed *runtime.Node
	var crashedAt time.Time
	sent := 0
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "Leaving gracefully...")
			leaveCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for _, n := range nodes {
				if n != crashed {
					if err := n.Leave(leaveCtx); err != nil {
						fmt.Fprintf(out, "%s: %v\n", n.LocalMember().Name, err)
					}
				}
			}
			fmt.Fprintln(out, "Every node left; stopped.")
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				sub = observer.Subscribe()
				continue
			}
			if ev.Type == runtime.EventFailed {
				fmt.Fprintf(out, "%s detected: %s failed%s\n", observer.LocalMember().Name, ev.Member.Name, since(crashedAt))
			}
			ms := observer.Members()
			table.print(ms)
			if !allJoined && len(ms) == demoSize {
				allJoined = true
				fmt.Fprintf(out, "All %d nodes joined, %v after the first started.\n", demoSize, time.Since(begin).Round(time.Millisecond))
			}
		case line := <-failures:
			fmt.Fprintf(out, "%s%s\n", line, since(crashedAt))
		case <-tick.C:
			sendSomething(ctx, out, rng, alive(nodes, crashed), sent)
			sent++
			if crashed == nil && time.Since(start) > 5*time.Second {
				crashed = nodes[demoSize-1]
				crashedAt = time.Now()
				fmt.Fprintf(out, "Stopping %s abruptly (no leave)...\n", crashed.LocalMember().Name)
				crashed.Close()
			}
		}
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
