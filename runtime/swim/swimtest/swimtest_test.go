package swimtest_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newCluster(t *testing.T, n int, trace *strings.Builder) (*swimtest.Cluster, []*swimtest.Node) {
	t.Helper()
	opts := swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 1}
	if trace != nil {
		opts.Trace = trace
	}
	c := swimtest.New(opts)
	return c, c.AddN(n)
}

// joinAll joins nodes through the first and waits until every one sees
// every other alive.
func joinAll(t *testing.T, c *swimtest.Cluster, nodes []*swimtest.Node) {
	t.Helper()
	require.NoError(t, c.JoinAll(nodes[0]))
	ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "%d members did not converge within %v", len(nodes), took)
}

func TestJoinConverges(t *testing.T) {
	c, nodes := newCluster(t, 5, nil)
	require.NoError(t, c.JoinAll(nodes[0]))
	ok, took := c.RunUntil(30*time.Second, func() bool { return c.AllSeeAlive(nodes) })
	require.True(t, ok, "five members converge")
	assert.Less(t, took, 10*time.Second)
	assert.Equal(t, 4, c.CountEvents(swim.EventJoined, "node-0"), "every other member reports node-0 joined once")
	assert.Positive(t, c.BytesOut())
}

func TestSeedReproducesARun(t *testing.T) {
	run := func() string {
		var trace strings.Builder
		c, nodes := newCluster(t, 4, &trace)
		c.SetDefaultLink(swimtest.Link{Delay: time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.1})
		require.NoError(t, c.JoinAll(nodes[0]))
		c.Run(5 * time.Second)
		c.Crash(nodes[2])
		c.Run(20 * time.Second)
		return trace.String()
	}
	first := run()
	assert.Equal(t, first, run())
	assert.Contains(t, first, "(lost)", "the lossy link lost something")
	assert.Contains(t, first, "(receiver down)")
	assert.Contains(t, first, "event failed node-2@")
}

func TestTraceNamesEveryPacket(t *testing.T) {
	var trace strings.Builder
	c, nodes := newCluster(t, 2, &trace)
	require.NoError(t, c.Join(nodes[1], nodes[0]))
	c.Run(3 * time.Second)
	lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
	require.NotEmpty(t, lines)
	assert.Regexp(t, `^0s node-1 -> node-0: sync want-reply,last from=node-1 nonce=[0-9a-f]{8} \[node-1@10\.0\.0\.2:7946 inc=\d+ alive\]$`, lines[0])
	assert.Equal(t, int(nodes[0].PacketsOut+nodes[1].PacketsOut), strings.Count(trace.String(), " -> "), "one line per packet sent")
	assert.Contains(t, trace.String(), "node-0: event joined node-1@10.0.0.2:7946")
}

func TestPartitionAndBlock(t *testing.T) {
	var trace strings.Builder
	c, nodes := newCluster(t, 3, &trace)
	joinAll(t, c, nodes)

	c.Partition(nodes[:1])
	c.Run(3 * time.Second)
	assert.Contains(t, trace.String(), "(partitioned)")
	c.Heal()
	c.Block(nodes[1], nodes[2])
	trace.Reset()
	c.Run(3 * time.Second)
	assert.Contains(t, trace.String(), "node-1 -> node-2: ")
	assert.Contains(t, trace.String(), "(blocked)")
	assert.NotRegexp(t, `node-2 -> node-1: .*\(blocked\)`, trace.String(), "one direction only")
	c.Unblock(nodes[1], nodes[2])
	trace.Reset()
	c.Run(3 * time.Second)
	assert.NotContains(t, trace.String(), "(blocked)")
}

func TestInjectReachesOnlyRunningMembers(t *testing.T) {
	var trace strings.Builder
	c, nodes := newCluster(t, 1, &trace)
	stranger := netip.MustParseAddrPort("192.0.2.1:7946")
	err := c.Inject(nodes[0], stranger, []byte{0xff})
	require.Error(t, err, "a packet of an unknown version")
	assert.Contains(t, trace.String(), "192.0.2.1:7946 => node-0: undecodable 1B")
	c.Crash(nodes[0])
	assert.NoError(t, c.Inject(nodes[0], stranger, []byte{0xff}), "a crashed member receives nothing")
}

func TestCaptureRecordsWhatWasSent(t *testing.T) {
	c, nodes := newCluster(t, 2, nil)
	stop := c.Capture()
	require.NoError(t, c.Join(nodes[1], nodes[0]))
	c.Run(2 * time.Second)
	got := stop()
	require.NotEmpty(t, got)
	assert.Equal(t, nodes[1].Addr, got[0].From)
	assert.Equal(t, nodes[0].Addr, got[0].To)
	assert.Equal(t, int(nodes[0].PacketsOut+nodes[1].PacketsOut), len(got))
	c.Run(2 * time.Second)
	assert.Len(t, got, len(stop()), "stopped: nothing more is recorded")
}

func TestMisuseReturnsErrors(t *testing.T) {
	c, nodes := newCluster(t, 3, nil)
	_, foreign := newCluster(t, 1, nil)

	_, err := c.Add("")
	assert.Error(t, err, "an empty name")
	assert.ErrorIs(t, c.Join(nodes[1], foreign[0]), swimtest.ErrForeign)
	assert.ErrorIs(t, c.Join(foreign[0], nodes[0]), swimtest.ErrForeign)

	require.NoError(t, c.Leave(nodes[2]))
	assert.ErrorIs(t, c.Leave(nodes[2]), swimtest.ErrLeft, "leave twice")
	assert.ErrorIs(t, c.Join(nodes[2], nodes[0]), swim.ErrLeft, "join after leaving")
	assert.ErrorIs(t, c.Broadcast(nodes[2], []byte("x")), swim.ErrLeft)

	c.Crash(nodes[1])
	assert.ErrorIs(t, c.Join(nodes[1], nodes[0]), swimtest.ErrDown, "join of a crashed member")
	assert.ErrorIs(t, c.Leave(nodes[1]), swimtest.ErrDown)
	assert.ErrorIs(t, c.Send(nodes[1], "node-0", []byte("x")), swimtest.ErrDown)
	assert.ErrorIs(t, c.Broadcast(nodes[1], []byte("x")), swimtest.ErrDown)
	assert.ErrorIs(t, c.Pause(nodes[1]), swimtest.ErrDown)
	assert.ErrorIs(t, c.Resume(nodes[1]), swimtest.ErrNotPaused, "a crashed member comes back only by Restart")
	assert.ErrorIs(t, c.Resume(nodes[0]), swimtest.ErrNotPaused)
	assert.ErrorIs(t, c.Send(nodes[0], "nobody", []byte("x")), swim.ErrUnknownMember)

	require.NoError(t, c.Restart(nodes[1], true))
	assert.NoError(t, c.Join(nodes[1], nodes[0]), "restarted, it may join again")
	require.NoError(t, c.Restart(nodes[2], false))
	assert.NoError(t, c.Leave(nodes[2]), "a reboot may leave again")
	assert.ErrorIs(t, c.Restart(foreign[0], false), swimtest.ErrForeign)
}

func TestPauseKeepsStateAndResumeFiresTimers(t *testing.T) {
	c, nodes := newCluster(t, 3, nil)
	joinAll(t, c, nodes)
	require.NoError(t, c.Pause(nodes[2]))
	assert.ErrorIs(t, c.Pause(nodes[2]), swimtest.ErrDown, "pause twice")
	sent := nodes[2].PacketsOut
	c.Run(2 * time.Second)
	assert.Equal(t, sent, nodes[2].PacketsOut, "a paused member sends nothing")
	require.NoError(t, c.Resume(nodes[2]))
	c.Run(10 * time.Millisecond)
	assert.Greater(t, nodes[2].PacketsOut, sent, "overdue timers fire at once")
	ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	assert.True(t, ok, "it is alive to all again")
}

func TestRestartAtNewAddressAndClockBehind(t *testing.T) {
	c, nodes := newCluster(t, 3, nil)
	joinAll(t, c, nodes)
	inc := nodes[2].Core.LocalMember().Incarnation
	old := nodes[2].Addr
	c.Crash(nodes[2])
	nodes[2].ClockBehind = time.Hour
	require.NoError(t, c.Restart(nodes[2], true))
	assert.NotEqual(t, old, nodes[2].Addr)
	assert.Less(t, nodes[2].Core.LocalMember().Incarnation, inc, "the clock behind gives a lower first incarnation")
	require.NoError(t, c.Join(nodes[2], nodes[0]))
	ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
	assert.True(t, ok, "the others take the new address")
}

func TestSendAndBroadcastDeliver(t *testing.T) {
	var got []string
	c, nodes := newCluster(t, 3, nil)
	c.OnDeliver = func(n *swimtest.Node, m swim.UserMessage) { got = append(got, n.Name+" "+m.String()) }
	joinAll(t, c, nodes)
	require.NoError(t, c.Send(nodes[0], "node-1", []byte("direct")))
	require.NoError(t, c.Broadcast(nodes[2], []byte("all")))
	c.Run(5 * time.Second)
	assert.ElementsMatch(t, []string{
		`node-1 user from=node-0 6B "direct"`,
		`node-0 broadcast from=node-2 3B "all"`,
		`node-1 broadcast from=node-2 3B "all"`,
	}, got)
	assert.Len(t, nodes[1].Delivered, 2)
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{swimtest.ErrDown, swimtest.ErrLeft, swimtest.ErrNotPaused, swimtest.ErrForeign}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b))
		}
	}
}
