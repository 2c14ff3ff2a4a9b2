package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// Random puts into a view, against a map: the view stays sorted, counted,
// chunked within bounds, and every published view stays as it was.
func TestViewUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]Member{}
	v := viewFromMembers(nil, Member{}, 0)
	var published []*view
	var snapshots [][]Member
	for gen := uint64(1); gen <= 300; gen++ {
		u := viewUpdate{base: v, gen: gen}
		for range 1 + rng.IntN(8) {
			m := Member{
				Name:        fmt.Sprintf("m%04d", rng.IntN(600)),
				Addr:        netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(250))}), 7946),
				Meta:        []byte(fmt.Sprint(rng.IntN(1000))),
				Incarnation: uint64(rng.IntN(100)),
				State:       []State{StateAlive, StateSuspect, StateDead, StateLeft}[rng.IntN(4)],
			}
			u.put(m)
			want[m.Name] = m
		}
		v = u.result()
		require.NotNil(t, v)
		published = append(published, v)
		snapshots = append(snapshots, v.members())

		got := v.members()
		require.True(t, slices.IsSortedFunc(got, func(a, b Member) int { return strings.Compare(a.Name, b.Name) }), "sorted by name")
		require.Len(t, got, len(want))
		var counts [4]int
		for _, m := range got {
			w := want[m.Name]
			m.Since = w.Since // the view's own; the put did not set it
			require.Equal(t, w, m, "generation %d", gen)
			counts[stateIndex(m.State)]++
		}
		require.Equal(t, counts, v.counts)
		for _, c := range v.chunks {
			require.NotEmpty(t, c.members)
			require.Less(t, len(c.members), 2*viewChunk)
		}
	}
	// Earlier views were never written to by later updates.
	for i, pv := range published {
		if i%10 == 0 || i == len(published)-1 {
			require.Equal(t, snapshots[i], pv.members(), "view %d changed after it was published", i)
		}
	}
	require.Greater(t, len(v.chunks), 4, "the test should have split chunks")
}

// Members hands out copies: what a caller does to them reaches neither
// the view nor another caller.
func TestViewMembersAreCopies(t *testing.T) {
	v := viewFromMembers([]Member{{Name: "a", Meta: []byte("xy")}, {Name: "b", Meta: []byte("z")}}, Member{Name: "a"}, 1)
	got := v.members()
	got[0].Meta[0] = '!'
	got[0].Meta = append(got[0].Meta, 'q') // capacity is cut: a new array
	slices.Reverse(got)
	again := v.members()
	assert.Equal(t, "a", again[0].Name)
	assert.Equal(t, []byte("xy"), again[0].Meta)
	assert.Equal(t, []byte("z"), again[1].Meta)
}

// Members() stays correct while the cluster changes under it: readers on
// other goroutines (the race detector watching) always find a sorted list
// with this node in it, and whenever the loop is asked, the list it last
// published is the core's own, field for field (Incarnation aside: a
// raised incarnation with nothing else changed shows at the next rebuild).
func TestMembersFollowChanges(t *testing.T) {
	cfg := func(name string) Config {
		c := DefaultLocalConfig()
		c.Name = name
		c.BindAddr = "127.0.0.1:0"
		c.ProbeInterval = 200 * time.Millisecond
		c.ProbeTimeout = 100 * time.Millisecond
		c.GossipInterval = 50 * time.Millisecond
		c.DeadRetention = 6 * time.Second // forgotten members leave the list too
		return c
	}
	startNode := func(name string, seed *Node) *Node {
		c := cfg(name)
		if seed != nil {
			c.Discovery = discovery.Static(seed.LocalMember().Addr.String())
		}
		n, err := Start(context.Background(), c)
		require.NoError(t, err)
		t.Cleanup(func() { n.Close() })
		return n
	}
	n0 := startNode("n00", nil)

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	var stopOnce sync.Once
	stopReaders := func() {
		stopOnce.Do(func() { close(stop) })
		readers.Wait()
	}
	t.Cleanup(stopReaders) // before n0's own cleanup, which was registered first
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ms := n0.Members()
				assert.True(t, slices.IsSortedFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) }), "Members() not sorted")
				assert.True(t, slices.ContainsFunc(ms, func(m Member) bool { return m.Name == "n00" && m.State == StateAlive }), "Members() lacks this node")
				s := n0.Stats()
				assert.Positive(t, s.Alive+s.Suspect+s.Dead+s.Left, "Stats() counts no member")
				reads.Add(1)
			}
		})
	}
	// consistent asks the loop for the core's list and compares it with
	// the view the loop last published.
	consistent := func(step string) {
		t.Helper()
		var core, view []Member
		require.NoError(t, n0.do(context.Background(), func(time.Time) {
			core, view = n0.core.Members(), n0.view.Load().members()
		}))
		for i := range core {
			core[i].Incarnation = 0
		}
		for i := range view {
			view[i].Incarnation = 0
		}
		require.Equal(t, core, view, "%s: the published view differs from the core's list", step)
	}
	names := func() []string {
		var out []string
		for _, m := range n0.Members() {
			out = append(out, m.Name+"/"+m.State.String())
		}
		return out
	}
	waitUntil := func(what string, cond func([]string) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond(names()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: Members() = %v", what, names())
			}
			time.Sleep(5 * time.Millisecond)
			consistent(what)
		}
		consistent(what)
	}
	waitView := func(what string, want ...string) {
		t.Helper()
		waitUntil(what, func(got []string) bool { return slices.Equal(got, want) })
	}
	// holdsOrForgot: the member is in the state, or already forgotten
	// (on a loaded machine the state may pass before a look catches it).
	holdsOrForgot := func(name, state string) func([]string) bool {
		return func(got []string) bool {
			return slices.Contains(got, name+"/"+state) || !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, name+"/") })
		}
	}

	// Every event a subscriber gets is in Members() by then: the view is
	// published before the events.
	sub := n0.Subscribe()
	var subs sync.WaitGroup
	subs.Go(func() {
		for ev := range sub.C {
			if ev.Type != EventJoined {
				continue
			}
			assert.True(t, slices.ContainsFunc(n0.Members(), func(m Member) bool { return m.Name == ev.Member.Name }),
				"event %v for %s delivered before Members() shows it", ev.Type, ev.Member.Name)
		}
	})
	t.Cleanup(func() {
		stopReaders()
		n0.Close() // ends the subscription
		subs.Wait()
	})

	var nodes []*Node
	for i := 1; i <= 4; i++ {
		nodes = append(nodes, startNode(fmt.Sprintf("n%02d", i), n0))
	}
	waitView("joins", "n00/alive", "n01/alive", "n02/alive", "n03/alive", "n04/alive")

	require.NoError(t, nodes[0].UpdateMeta(context.Background(), []byte("v2")))
	deadline := time.Now().Add(20 * time.Second)
	for !slices.ContainsFunc(n0.Members(), func(m Member) bool { return m.Name == "n01" && string(m.Meta) == "v2" }) {
		require.True(t, time.Now().Before(deadline), "metadata update not in Members()")
		time.Sleep(5 * time.Millisecond)
		consistent("metadata")
	}
	require.NoError(t, n0.UpdateMeta(context.Background(), []byte("self")))
	assert.Equal(t, "self", string(n0.LocalMember().Meta), "LocalMember after UpdateMeta")
	consistent("own metadata")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	require.NoError(t, nodes[1].Leave(ctx))
	cancel()
	nodes[1].Close()
	waitUntil("a leave", holdsOrForgot("n02", "left"))
	nodes[2].Close() // a crash
	waitUntil("a crash", holdsOrForgot("n03", "dead"))
	waitView("both forgotten", "n00/alive", "n01/alive", "n04/alive")

	stopReaders()
	assert.Positive(t, reads.Load())
	assert.Nil(t, func() []Member { n0.Close(); return n0.Members() }(), "Members() after Close")
}

// In a steady cluster the view is not rebuilt from the core's list between
// the periodic rebuilds: the events and counts keep it, at no cost per
// packet.
func TestViewNotRebuiltWhenSteady(t *testing.T) {
	var nodes []*Node
	for i := range 3 {
		c := DefaultLocalConfig()
		c.Name = fmt.Sprintf("s%d", i)
		c.BindAddr = "127.0.0.1:0"
		c.ProbeInterval = 100 * time.Millisecond
		c.ProbeTimeout = 50 * time.Millisecond
		c.GossipInterval = 25 * time.Millisecond
		if i > 0 {
			c.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		n, err := Start(context.Background(), c)
		require.NoError(t, err)
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	n0 := nodes[0]
	require.Eventually(t, func() bool { return n0.Stats().Alive == 3 }, 20*time.Second, 10*time.Millisecond)
	require.Len(t, n0.Members(), 3) // someone reads the list: it is kept
	built := func() (at time.Time, view *view) {
		require.NoError(t, n0.do(context.Background(), func(time.Time) { at, view = n0.viewBuilt, n0.view.Load() }))
		return
	}
	at0, v0 := built()
	in0 := n0.Stats().Protocol.PacketsIn
	require.Eventually(t, func() bool { return n0.Stats().Protocol.PacketsIn >= in0+40 }, 20*time.Second, 10*time.Millisecond)
	at1, v1 := built()
	if at1.Sub(at0) < viewRefresh && time.Since(at0) < viewRefresh {
		assert.Equal(t, at0, at1, "the view was rebuilt while nothing changed")
		assert.Same(t, v0, v1, "a new view was published while nothing changed")
	}
}

// The member list is kept only while someone reads it: a node nobody
// lists publishes its counts and its own record, the first Members()
// builds the list (and it is right), and the list is dropped again after
// viewIdle without a call.
func TestMemberListKeptOnlyWhileRead(t *testing.T) {
	nodes := make([]*Node, 3)
	for i := range nodes {
		c := DefaultLocalConfig()
		c.Name = fmt.Sprintf("k%d", i)
		c.BindAddr = "127.0.0.1:0"
		if i > 0 {
			c.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		}
		n, err := Start(context.Background(), c)
		require.NoError(t, err)
		t.Cleanup(func() { n.Close() })
		nodes[i] = n
	}
	n0 := nodes[0]
	require.Eventually(t, func() bool { return n0.Stats().Alive == 3 }, 20*time.Second, 10*time.Millisecond)
	v := n0.view.Load()
	assert.False(t, v.listed, "nobody has listed the members")
	assert.Nil(t, v.chunks)
	assert.Equal(t, "k0", n0.LocalMember().Name, "the own record is published without the list")

	var names []string
	for _, m := range n0.Members() {
		names = append(names, m.Name+"/"+m.State.String())
	}
	assert.Equal(t, []string{"k0/alive", "k1/alive", "k2/alive"}, names)
	assert.True(t, n0.view.Load().listed, "listed once read")

	n0.lastListed.Store(time.Now().Add(-viewIdle).UnixNano())           // as if read viewIdle ago
	require.NoError(t, n0.do(context.Background(), func(time.Time) {})) // and the loop publishes
	assert.False(t, n0.view.Load().listed, "dropped after viewIdle without a read")
	assert.Equal(t, 3, n0.Stats().Alive, "the counts are still published")
	assert.Len(t, n0.Members(), 3)
}
