package swim_test

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fixes from a rule-by-rule review against the SWIM and Lifeguard papers
// (issue 17). Each test reproduces a case that failed before its fix.

// Lifeguard 4.2: a relay that has nacked keeps waiting for the ack until
// the requester's window is over and forwards a late one. Before, the relay
// dropped it, and a target whose acks take longer than the relay's nack
// timer (here 1.8 s against 1.6 s with the WAN preset), probed through
// relays because one link to it is cut, was suspected again and again
// although its acks reached the relays in time.
func TestLifeguard42_RelayForwardsALateAck(t *testing.T) {
	cfg := swim.DefaultWANConfig()
	c, nodes := newCluster(t, cfg, 31, 10)
	target, cutOff := nodes[9], nodes[0]
	for _, n := range others(nodes, target) {
		c.SetLink(target, n, swimtest.Link{Delay: 1800 * time.Millisecond})
	}
	c.Block(cutOff, target)
	c.Run(5 * time.Minute)
	assert.Zero(t, c.CountEvents(swim.EventSuspected, target.Name), "the slow target was suspected")
	assert.Zero(t, failedAbout(c, nodes))
}

// SWIM 4.2 without synchronised clocks: a member restarted at a new
// address on a host whose clock is behind starts below its old record's
// incarnation. It checks the old address, finds nobody answering to its
// name there, refutes above the old record and tells the member that gave
// it the record. Before, it took the old record for a live twin and stayed
// out of the cluster until the record was forgotten (5 min 32 s).
func TestSWIM42_RestartWithAClockBehind(t *testing.T) {
	for _, behind := range []time.Duration{30 * time.Second, 5 * time.Minute, time.Hour} {
		t.Run(behind.String(), func(t *testing.T) {
			cfg := swim.DefaultLANConfig()
			c, nodes := newCluster(t, cfg, 32, 10)
			pod := nodes[5]
			c.Crash(pod)
			c.Run(time.Second)
			pod.ClockBehind = behind
			c.Restart(pod, true)
			c.Join(pod, nodes[0])
			ok, took := c.RunUntil(2*time.Second, func() bool {
				for _, n := range nodes {
					if m, ok := n.Core.Member(pod.Name); !ok || m.Addr != pod.Addr || m.State != swim.StateAlive {
						return false
					}
				}
				return true
			})
			require.True(t, ok, "restarted member with a clock %v behind not alive at %v everywhere within 2s", behind, pod.Addr)
			t.Logf("clock %v behind: alive at the new address everywhere after %v", behind, took)
			for _, ev := range pod.Events {
				assert.NotEqual(t, swim.EventConflict, ev.Type, "the restarted member reported a conflict with its own stale record")
			}
		})
	}
}

// A member paused (SIGSTOP, a paused VM) for longer than DeadRetention
// thaws holding members everyone else has forgotten. Its records of them
// reach the others as members heard of, not heard from: they are checked
// with a ping, which nobody answers, and forgotten without an event.
// Before, every view reported the long-gone member joined and then failed.
func TestPausedMemberDoesNotResurrectTheForgotten(t *testing.T) {
	cfg := swim.DefaultLANConfig()
	cfg.DeadRetention = time.Minute
	c, nodes := newCluster(t, cfg, 33, 8)
	paused, gone := nodes[7], nodes[6]
	rest := nodes[:6]
	c.Pause(paused)
	c.Leave(gone)
	c.Run(10 * time.Second)
	c.Crash(gone)
	c.Run(3 * cfg.DeadRetention)
	for _, n := range rest {
		_, known := n.Core.Member(gone.Name)
		require.False(t, known, "%s still remembers the departed member", n.Name)
	}
	mark := markEvents(rest)
	c.Resume(paused)
	ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(append(append([]*swimtest.Node{}, rest...), paused)) })
	require.True(t, ok, "the thawed member did not rejoin")
	c.Run(time.Minute)
	for _, ev := range eventsSince(rest, mark) {
		assert.NotEqual(t, gone.Name, ev.Member.Name, "event about the forgotten member after the thaw: %v at %v", ev.Type, ev.At)
	}
	t.Logf("the thawed member rejoined after %v; no view heard of the forgotten member again", took)
}
