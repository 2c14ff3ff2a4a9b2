// Package clustertest checks that a cluster.Impl behaves as the benchmarks
// assume, with real members on loopback: they join and converge, count
// traffic, and a crash and a leave are declared as such by the others.
package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
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
	const n = 5
	nodes := startMembers(ctx, t, impl, &l, n)
	waitFor(t, "convergence", func() bool { return allHaveMembers(nodes, n) })
	checkTrafficCounted(t, nodes)
	checkCrashDeclaredFailed(t, &l, nodes, n)
	checkLeaveDeclaredLeft(ctx, t, &l, nodes, n)
}

// startMembers starts n members, every one after the first joining through
// the first, and crashes them all when t ends, even if a start fails.
func startMembers(ctx context.Context, t *testing.T, impl cluster.Impl, l *log, n int) []cluster.Node {
	var nodes []cluster.Node
	t.Cleanup(func() {
		for _, nd := range nodes {
			_ = nd.Crash()
		}
	})
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
	return nodes
}

// allHaveMembers reports whether every one of nodes counts n members.
func allHaveMembers(nodes []cluster.Node, n int) bool {
	for _, nd := range nodes {
		if nd.NumMembers() != n {
			return false
		}
	}
	return true
}

// checkTrafficCounted checks that every member counts its datagrams, that
// Wire adds the headers to the payload bytes, and that the counts grow.
func checkTrafficCounted(t *testing.T, nodes []cluster.Node) {
	t.Helper()
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
}

// checkCrashDeclaredFailed crashes the fifth member and checks that the
// four others declare it failed, never left, and drop it.
func checkCrashDeclaredFailed(t *testing.T, l *log, nodes []cluster.Node, n int) {
	t.Helper()
	victim := nodes[4]
	if err := victim.Crash(); err != nil {
		t.Fatalf("crash: %v", err)
	}
	waitFor(t, "crash declared failed by the 4 others", func() bool { return l.count(victim.Name(), cluster.Failed, cluster.Gone) >= n-1 })
	if got := l.count(victim.Name(), cluster.Left); got != 0 {
		t.Errorf("the crashed member was declared left %d times", got)
	}
	waitFor(t, "others drop the crashed member", func() bool { return allHaveMembers(nodes[:4], n-1) })
}

// checkLeaveDeclaredLeft makes the fourth member leave and checks that the
// three others declare it left, never failed, and that nothing is declared
// about the members still running.
func checkLeaveDeclaredLeft(ctx context.Context, t *testing.T, l *log, nodes []cluster.Node, n int) {
	t.Helper()
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

// staticState is an AppState that sends a fixed state and records what it
// merged.
type staticState struct {
	local []byte
	mu    sync.Mutex
	got   [][]byte
}

func (s *staticState) LocalState(bool) []byte { return s.local }

func (s *staticState) MergeRemoteState(b []byte, _ bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, bytes.Clone(b))
}

// merged reports whether s has merged want.
func (s *staticState) merged(want []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.got {
		if bytes.Equal(g, want) {
			return true
		}
	}
	return false
}

// RunStreams checks impl's streams with two members: a SendReliable of
// 256 KiB reaches the other's OnReliable intact, their AppStates are
// exchanged both ways, and the TCP bytes are counted.
func RunStreams(t *testing.T, impl cluster.Impl) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*deadline)
	defer cancel()
	var nodes []cluster.Node
	t.Cleanup(func() {
		for _, n := range nodes {
			_ = n.Crash()
		}
	})
	received := make(chan []byte, 1)
	states := make([]*staticState, 2)
	for i := range 2 {
		states[i] = &staticState{local: bytes.Repeat([]byte{byte('a' + i)}, 64<<10)}
		opts := cluster.Options{Name: fmt.Sprintf("m-%d", i), Settings: fast, AppState: states[i], PushPullInterval: 500 * time.Millisecond}
		if i == 0 {
			opts.OnReliable = func(b []byte) { received <- bytes.Clone(b) }
		} else {
			opts.Seed = nodes[0].Addr()
		}
		nd, err := impl.Start(ctx, opts)
		if err != nil {
			t.Fatalf("start %s: %v", opts.Name, err)
		}
		nodes = append(nodes, nd)
	}
	waitFor(t, "convergence", func() bool { return nodes[0].NumMembers() == 2 && nodes[1].NumMembers() == 2 })
	waitFor(t, "states exchanged both ways", func() bool {
		return states[0].merged(states[1].local) && states[1].merged(states[0].local)
	})

	// Random bytes: the incumbent compresses stream messages by default.
	payload := make([]byte, 256<<10)
	rng := rand.NewChaCha8([32]byte{7})
	_, _ = rng.Read(payload)
	before := nodes[1].Traffic()
	if err := nodes[1].SendReliable(ctx, "m-0", payload); err != nil {
		t.Fatalf("SendReliable: %v", err)
	}
	select {
	case got := <-received:
		if !bytes.Equal(got, payload) {
			t.Fatalf("received %d bytes, not the %d sent", len(got), len(payload))
		}
	case <-time.After(deadline):
		t.Fatalf("SendReliable's message not received within %v", deadline)
	}
	if d := nodes[1].Traffic().Sub(before); d.TCPBytes < uint64(len(payload))/2 {
		t.Errorf("the sender's TCP bytes grew by %d for a %d-byte message", d.TCPBytes, len(payload))
	}
	if err := nodes[1].SendReliable(ctx, "nobody", payload); err == nil {
		t.Error("SendReliable to an unknown member: no error")
	}
}
