package swim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// TCP fallback probe (issue 11 item 5).

const tcpProbeMembers = 8

// dropUDPTo loses every datagram sent to target, as a drop rule on the
// input hook of its host would; block uses Block instead of a lossy link.
func dropUDPTo(c *swimtest.Cluster, nodes []*swimtest.Node, target *swimtest.Node, block bool) {
	for _, n := range others(nodes, target) {
		if block {
			c.Block(n, target)
		} else {
			c.SetLink(n, target, swimtest.Link{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 1})
		}
	}
}

// setStreams says whether streams between target and every other member
// work, both ways.
func setStreams(c *swimtest.Cluster, nodes []*swimtest.Node, target *swimtest.Node, up bool) {
	for _, n := range others(nodes, target) {
		c.SetStream(n, target, up)
		c.SetStream(target, n, up)
	}
}

// streamProbeAcks sums Stats.StreamProbeAcks over ns.
func streamProbeAcks(ns []*swimtest.Node) uint64 {
	var sum uint64
	for _, n := range ns {
		sum += n.Core.Stats().StreamProbeAcks
	}
	return sum
}

// failureBound is how long every member may take to declare a member
// failed that nothing reaches: its first probe by each (allow three
// periods), the period in which it fails, the longest suspicion timeout
// (too few members may confirm it in a small cluster to shorten it), and a
// few periods for the news to spread.
func failureBound(cfg swim.Config, n int) time.Duration {
	T := cfg.ProbeInterval
	return 3*T + T + time.Duration(cfg.SuspicionMaxTimeoutMult)*suspicionMin(cfg, n) + 6*T
}

// UDP to one member is lost while TCP reaches it: the stream probes keep
// it alive in every view for minutes, and they are counted.
func TestTCPProbe_UDPLostTCPFine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block bool
	}{{"loss", false}, {"block", true}} {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := newCluster(t, swim.DefaultLANConfig(), 11, tcpProbeMembers)
			target := nodes[3]
			rest := others(nodes, target)
			dropUDPTo(c, nodes, target, tc.block)
			setStreams(c, nodes, target, true)

			var acks []uint64
			for range 4 {
				c.Run(30 * time.Second)
				acks = append(acks, streamProbeAcks(rest))
			}
			t.Logf("stream probe acks every 30s: %v; suspected %d times", acks, c.CountEvents(swim.EventSuspected, target.Name))
			assert.Zero(t, c.CountEvents(swim.EventFailed, target.Name), "the member UDP does not reach was declared failed")
			assert.True(t, c.AllSee(rest, target, swim.StateAlive), "not every member holds it alive")
			for i := 1; i < len(acks); i++ {
				assert.Greater(t, acks[i], acks[i-1], "the fallback counter stopped rising")
			}
			// The member itself hears no ack over UDP either: its own
			// probes are answered over streams, so it suspects nobody.
			assert.Zero(t, failedAbout(c, rest), "a member was declared failed")
			assert.Positive(t, target.Core.Stats().StreamProbeAcks, "the cut-off member's own probes were not saved by streams")
		})
	}
}

// With UDP and TCP both lost, the member is declared failed within the
// usual bound; with the fallback turned off, UDP loss alone does it. Both
// show that the test above can fail.
func TestTCPProbe_BothDownFails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		streams bool
		disable bool
	}{{"both down", false, false}, {"fallback off", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := swim.DefaultLANConfig()
			cfg.DisableTCPProbe = tc.disable
			c, nodes := newCluster(t, cfg, 12, tcpProbeMembers)
			target := nodes[5]
			rest := others(nodes, target)
			dropUDPTo(c, nodes, target, false)
			setStreams(c, nodes, target, tc.streams)
			bound := failureBound(cfg, tcpProbeMembers)
			ok, took := c.RunUntil(bound+time.Second, func() bool { return c.AllSee(rest, target, swim.StateDead) })
			require.True(t, ok, "not declared failed everywhere within %v", bound)
			assert.LessOrEqual(t, took, bound)
			assert.Zero(t, streamProbeAcks(rest))
			t.Logf("declared failed everywhere after %v (bound %v)", took, bound)
		})
	}
}

// A stream probe's result counts for its own probe only: a success
// reported once the probe has been judged, or under a token the core
// never handed out, keeps nobody alive and counts nothing.
func TestTCPProbe_LateResultIgnored(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	c, nodes := newCluster(t, cfg, 13, tcpProbeMembers)
	target := nodes[2]
	rest := others(nodes, target)
	var old []swim.StreamProbe
	var prober []*swimtest.Node
	c.OnStreamProbe = func(n *swimtest.Node, p swim.StreamProbe) {
		old = append(old, p)
		prober = append(prober, n)
	}
	dropUDPTo(c, nodes, target, false)
	setStreams(c, nodes, target, false)
	bound := failureBound(cfg, tcpProbeMembers)
	ok, _ := c.RunUntil(bound+time.Second, func() bool {
		// Every result of a judged probe comes again, as a success.
		for i, p := range old {
			if !c.Now().Before(p.Deadline) {
				prober[i].Core.StreamProbeResult(c.Now(), p.Token, true)
				prober[i].Core.StreamProbeResult(c.Now(), p.Token^1, true)
			}
		}
		return c.AllSee(rest, target, swim.StateDead)
	})
	require.NotEmpty(t, old, "no stream probe was asked for")
	require.True(t, ok, "late stream probe results kept the member alive")
	assert.Zero(t, streamProbeAcks(rest))
	for _, n := range rest {
		s := n.Core.Stats()
		assert.GreaterOrEqual(t, s.StreamProbes, s.StreamProbesFailed)
	}
}

// Stream probes go to members whose direct ping went unanswered only: in a
// healthy cluster none is asked for.
func TestTCPProbe_NoneWhenUDPWorks(t *testing.T) {
	c, nodes := newCluster(t, swim.DefaultLANConfig(), 14, tcpProbeMembers)
	c.Run(time.Minute)
	for _, n := range nodes {
		assert.Zero(t, n.Core.Stats().StreamProbes, n.Name)
		assert.Zero(t, n.StreamProbes, n.Name)
	}
}
