// Package clustertest checks that a cluster.Impl behaves as the benchmarks
// assume, with real members on loopback: they join and converge, count
// traffic, and a crash and a leave are declared as such by the others.
package clustertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/bench/cluster"
)

// fast are timings that keep the test short.
var fast = cluster.Settings{
	ProbeInterval:  100 * time.Millisecond,
	ProbeTimeout:   50 * time.Millisecond,
	GossipInterval: 25 * time.Millisecond,
}

// deadline bounds every wait; it is generous because the machine is shared.
const deadline = 30 * time.Second

type log struct {
	mu  sync.Mutex
	evs []cluster.Event
}

func (l *log) record(ev cluster.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

// count counts the events about subject of any of the given kinds.
func (l *log) count(subject string, kinds ...cluster.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.evs {
		if ev.Subject == subject && slices.Contains(kinds, ev.Kind) {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Run checks impl with five members: join and convergence, traffic counted
// at the transport, a crash declared failed by every other member, a leave
// declared left, and no declaration about members that kept running. A
// library that cannot tell the two apart may report Gone for either.
func Run(t *testing.T, impl cluster.Impl) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*deadline)
	defer cancel()
	var l log
	var nodes []cluster.Node
	t.Cleanup(func() {
		for _, n := range nodes {
			_ = n.Crash()
		}
	})
	const n = 5
	for i := range n {
		opts := cluster.Options{Name: fmt.Sprintf("m-%d", i), Settings: fast, OnEvent: l.record}
		if i > 0 {
			opts.Seed = nodes[0].Addr()
		}
		nd, err := impl.Start(ctx, opts)
		if err != nil {
			t.Fatalf("start %s: %v", opts.Name, err)
		}
		if nd.Name() != opts.Name {
			t.Fatalf("Name() = %q, want %q", nd.Name(), opts.Name)
		}
		nodes = append(nodes, nd)
	}
	waitFor(t, "convergence", func() bool {
		for _, nd := range nodes {
			if nd.NumMembers() != n {
				return false
			}
		}
		return true
	})
	// Every member probes others once a period, so each soon has sent
	// datagrams.
	waitFor(t, "every member's datagrams counted", func() bool {
		for _, nd := range nodes {
			if tr := nd.Traffic(); tr.Datagrams == 0 || tr.UDPBytes <= tr.Datagrams {
				return false
			}
		}
		return true
	})
	for _, nd := range nodes {
		tr := nd.Traffic()
		if got, want := tr.Wire(), tr.UDPBytes+cluster.HeaderBytes*tr.Datagrams+tr.TCPBytes; got != want {
			t.Errorf("%s: Wire() = %d, want %d", nd.Name(), got, want)
		}
	}
	before := nodes[1].Traffic()
	waitFor(t, "traffic grows", func() bool { return nodes[1].Traffic().Datagrams > before.Datagrams })

	victim := nodes[4]
	if err := victim.Crash(); err != nil {
		t.Fatalf("crash: %v", err)
	}
	waitFor(t, "crash declared failed by the 4 others", func() bool { return l.count(victim.Name(), cluster.Failed, cluster.Gone) >= n-1 })
	if got := l.count(victim.Name(), cluster.Left); got != 0 {
		t.Errorf("the crashed member was declared left %d times", got)
	}
	waitFor(t, "others drop the crashed member", func() bool {
		for _, nd := range nodes[:4] {
			if nd.NumMembers() != n-1 {
				return false
			}
		}
		return true
	})

	leaver := nodes[3]
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
	defer lcancel()
	if err := leaver.Leave(lctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	waitFor(t, "leave declared left by the 3 others", func() bool { return l.count(leaver.Name(), cluster.Left, cluster.Gone) >= n-2 })
	if got := l.count(leaver.Name(), cluster.Failed); got != 0 {
		t.Errorf("the member that left was declared failed %d times", got)
	}
	for _, nd := range nodes[:3] {
		if got := l.count(nd.Name(), cluster.Failed, cluster.Left, cluster.Gone); got != 0 {
			t.Errorf("running member %s declared gone %d times", nd.Name(), got)
		}
	}
}
