package swim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Replays. Encryption stops anyone without the key from forging packets,
// but not from recording the cluster's packets and sending them again,
// later, to any member. The transport drops copies it has seen lately
// (runtime/udp/frame.Replays); older ones reach the protocol, and these
// tests show that its incarnation rules (SWIM 4.2) make them harmless: old
// news never replaces newer news, so a replay cannot bring back a member
// that failed or left, nor roll a member back to an older state, in any
// view that remembers the newer news.

// replay hands every captured packet, in the order it was first sent, to
// every running member of to, from its original source address: what an
// eavesdropper with a recording can do. It returns how many it injected.
func replay(c *swimtest.Cluster, packets []swimtest.Packet, to []*swimtest.Node) int {
	n := 0
	for _, p := range packets {
		for _, node := range to {
			if node.Up {
				_ = c.Inject(node, p.From, p.Data) // a replay decodes; errors would be for garbage
				n++
			}
		}
	}
	return n
}

// snapshot is each running member's view: viewer name, member name, record.
type snapshot map[string]map[string]swim.Member

func takeSnapshot(nodes []*swimtest.Node) snapshot {
	s := snapshot{}
	for _, n := range nodes {
		if !n.Up {
			continue
		}
		s[n.Name] = map[string]swim.Member{}
		for _, m := range n.Core.Members() {
			s[n.Name][m.Name] = m
		}
	}
	return s
}

// checkNoRollback fails unless every record in after is at least as new as
// the same viewer's record of the same member in before: a higher
// incarnation, or the same one and a state at least as strong (alive <
// suspect < dead < left), with the same address and metadata if nothing
// changed.
func checkNoRollback(t *testing.T, before, after snapshot) {
	t.Helper()
	for viewer, ms := range before {
		for name, b := range ms {
			a, ok := after[viewer][name]
			if !ok {
				continue // forgotten after DeadRetention
			}
			if !assert.GreaterOrEqual(t, a.Incarnation, b.Incarnation, "%s's view of %s went back in incarnation", viewer, name) ||
				a.Incarnation != b.Incarnation {
				continue
			}
			assert.GreaterOrEqual(t, a.State, b.State, "%s's view of %s went back in state at incarnation %d", viewer, name, a.Incarnation)
			assert.Equal(t, b.Addr, a.Addr, "%s's view of %s changed address at incarnation %d", viewer, name, a.Incarnation)
			assert.Equal(t, string(b.Meta), string(a.Meta), "%s's view of %s changed metadata at incarnation %d", viewer, name, a.Incarnation)
		}
	}
}

// describeEvents renders events as "type about member (incarnation N)",
// so that an assertion that there are none shows what there was.
func describeEvents(events []swim.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, fmt.Sprintf("%v about %s (incarnation %d)", ev.Type, ev.Member.Name, ev.Member.Incarnation))
	}
	return out
}

// eventsSince returns the events members reported after mark, the number
// of events each had then.
func eventsSince(nodes []*swimtest.Node, mark map[*swimtest.Node]int) []swim.Event {
	var out []swim.Event
	for _, n := range nodes {
		out = append(out, n.Events[mark[n]:]...)
	}
	return out
}

// sentBy returns the packets n sent before at.
func sentBy(packets []swimtest.Packet, n *swimtest.Node, at time.Time) []swimtest.Packet {
	var out []swimtest.Packet
	for _, p := range packets {
		if p.From == n.Addr && p.At.Before(at) {
			out = append(out, p)
		}
	}
	return out
}

func markEvents(nodes []*swimtest.Node) map[*swimtest.Node]int {
	m := map[*swimtest.Node]int{}
	for _, n := range nodes {
		m[n] = len(n.Events)
	}
	return m
}

// capturedCluster starts n members with everything they send recorded
// from the first join on, and waits until they agree.
func capturedCluster(t *testing.T, cfg swim.Config, seed uint64, n int) (*swimtest.Cluster, []*swimtest.Node, func() []swimtest.Packet) {
	t.Helper()
	c := swimtest.New(swimtest.Options{Config: cfg, Seed: seed})
	nodes := c.AddN(n)
	stop := c.Capture()
	require.NoError(t, c.JoinAll(nodes[0]))
	ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "%d members did not converge within %v", n, took)
	return c, nodes, stop
}

// A member that departed stays departed: replaying everything it and the
// others sent while it was a member (its join, its announcements, its acks
// and sync requests) changes nothing, whether it left (and stays left) or
// crashed (and stays failed).
func TestReplay_DepartedMemberStaysDeparted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		seed   uint64
		member int           // index of the member that departs
		within time.Duration // for every other member to see it so
		state  swim.State
		depart func(c *swimtest.Cluster, n *swimtest.Node) error
	}{
		{"left", 1, 4, 30 * time.Second, swim.StateLeft, func(c *swimtest.Cluster, n *swimtest.Node) error { return c.Leave(n) }},
		{"failed", 2, 3, time.Minute, swim.StateDead, func(c *swimtest.Cluster, n *swimtest.Node) error { c.Crash(n); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes, stop := capturedCluster(t, swim.DefaultLANConfig(), tc.seed, 5)
			c.Run(20 * time.Second)
			gone := nodes[tc.member]
			rest := others(nodes, gone)
			require.NoError(t, tc.depart(c, gone))
			ok, _ := c.RunUntil(tc.within, func() bool { return c.AllSee(rest, gone, tc.state) })
			require.True(t, ok, "not every member sees %s %v", gone.Name, tc.state)
			if gone.Up {
				c.Crash(gone) // the member that left stops too
			}
			packets := stop()
			before, mark := takeSnapshot(rest), markEvents(rest)

			n := replay(c, packets, rest)
			c.Run(30 * time.Second)

			t.Logf("replayed %d packets (%d captured)", n, len(packets))
			assert.True(t, c.AllSee(rest, gone, tc.state), "a replay brought the member back")
			assert.Empty(t, describeEvents(eventsSince(rest, mark)), "events after the replay")
			checkNoRollback(t, before, takeSnapshot(rest))
		})
	}
}

// No rollback: a member's old metadata, and a suspicion it has refuted,
// replayed after the fact, change no view and raise no alarm.
func TestReplay_NoRollback(t *testing.T) {
	c, nodes, stop := capturedCluster(t, swim.DefaultLANConfig(), 3, 5)
	c.Run(10 * time.Second)

	// node-1 announces new metadata: a newer incarnation.
	changer := nodes[1]
	require.NoError(t, changer.Core.UpdateMeta(c.Now(), []byte("v2")))
	// node-2 is cut off long enough to be suspected, then refutes.
	suspect := nodes[2]
	for _, n := range nodes {
		if n != suspect {
			c.Block(n, suspect)
			c.Block(suspect, n)
		}
	}
	ok, _ := c.RunUntil(time.Minute, func() bool {
		return c.AllSee(others(nodes, suspect), suspect, swim.StateSuspect, swim.StateDead)
	})
	require.True(t, ok, "the cut-off member was not suspected")
	for _, n := range nodes {
		c.Unblock(n, suspect)
		c.Unblock(suspect, n)
	}
	converged := func() bool {
		if !c.AllSeeAlive(nodes) {
			return false
		}
		for _, n := range nodes {
			if m, _ := n.Core.Member(changer.Name); string(m.Meta) != "v2" {
				return false
			}
		}
		return true
	}
	ok, _ = c.RunUntil(time.Minute, converged)
	require.True(t, ok, "the cluster did not settle on the new metadata and the refutation")
	packets := stop()
	before, mark := takeSnapshot(nodes), markEvents(nodes)

	n := replay(c, packets, nodes)
	c.Run(30 * time.Second)

	t.Logf("replayed %d packets (%d captured)", n, len(packets))
	assert.True(t, converged(), "after the replay the views no longer hold everyone alive with the new metadata")
	assert.Empty(t, describeEvents(eventsSince(nodes, mark)), "events after the replay")
	checkNoRollback(t, before, takeSnapshot(nodes))
}

// A view that does not remember a departed member (one that joined after
// it left, or forgot it after DeadRetention) does not take a replay of the
// departed member's own old packets for news: they come from an address
// that is no member of that view, and only members may gossip. (Before
// admission control, such a replay made a ghost that anti-entropy had to
// correct.)
func TestReplay_ForgetfulViewSeesNoGhost(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes, stop := capturedCluster(t, cfg, 4, 5)
	c.Run(10 * time.Second)
	leaver := nodes[4]
	leftAt := c.Now()
	require.NoError(t, c.Leave(leaver))
	ok, _ := c.RunUntil(30*time.Second, func() bool { return c.AllSee(nodes[:4], leaver, swim.StateLeft) })
	require.True(t, ok, "the leave did not reach everyone")
	c.Crash(leaver)
	packets := stop()

	// A newcomer joins after the leave: sync does not carry members that
	// are gone to a view that never knew them.
	newcomer, err := c.Add("newcomer")
	require.NoError(t, err)
	require.NoError(t, c.Join(newcomer, nodes[0]))
	live := append(append([]*swimtest.Node{}, nodes[:4]...), newcomer)
	ok, _ = c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(live) })
	require.True(t, ok, "the newcomer did not join")
	_, known := newcomer.Core.Member(leaver.Name)
	require.False(t, known, "the newcomer knows the departed member before any replay; the premise fails")
	remember, mark := takeSnapshot(nodes[:4]), markEvents(live)

	// The departed member's own packets from before it left, replayed to
	// the newcomer only.
	own := sentBy(packets, leaver, leftAt)
	require.NotZero(t, replay(c, own, []*swimtest.Node{newcomer}), "nothing replayed; the premise fails")
	ghost, known := newcomer.Core.Member(leaver.Name)
	require.False(t, known, "the newcomer holds the departed member as %v after a replay", ghost.State)
	c.Run(30 * time.Second)
	assert.True(t, c.AllSeeAlive(live), "a running member is no longer alive everywhere")
	checkNoRollback(t, remember, takeSnapshot(nodes[:4]))
	assert.Empty(t, describeEvents(eventsSince(live, mark)), "events after the replay")
}

// Once every member has forgotten a departed member (DeadRetention), its
// address is no member's: a replay of its old packets is a stranger's
// gossip, dropped everywhere. (Before admission control, the ghost spread
// and had to be declared failed again.)
func TestReplay_AfterRetentionNoGhost(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	cfg.DeadRetention = time.Minute
	c, nodes, stop := capturedCluster(t, cfg, 5, 5)
	c.Run(10 * time.Second)
	leaver, rest := nodes[4], nodes[:4]
	leftAt := c.Now()
	require.NoError(t, c.Leave(leaver))
	ok, _ := c.RunUntil(30*time.Second, func() bool { return c.AllSee(rest, leaver, swim.StateLeft) })
	require.True(t, ok, "the leave did not reach everyone")
	c.Crash(leaver)
	packets := stop()
	forgotten := func() bool {
		for _, n := range rest {
			if _, ok := n.Core.Member(leaver.Name); ok {
				return false
			}
		}
		return true
	}
	ok, _ = c.RunUntil(3*cfg.DeadRetention, forgotten)
	require.True(t, ok, "the departed member was not forgotten")
	mark := markEvents(rest)

	own := sentBy(packets, leaver, leftAt)
	require.NotZero(t, replay(c, own, rest[:1]))
	c.Run(2 * time.Minute)
	for _, n := range rest {
		_, known := n.Core.Member(leaver.Name)
		assert.False(t, known, "%s took the replay of a forgotten member's packets for news", n.Name)
	}
	assert.Empty(t, describeEvents(eventsSince(rest, mark)), "events after the replay")
	assert.True(t, c.AllSeeAlive(rest), "a running member is no longer alive everywhere")
}
