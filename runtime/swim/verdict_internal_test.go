package swim

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/require"
)

// inRounds returns the packets that begin with news, not with a probe or
// an answer (gossip rounds' and corrections of stale news), among packets,
// that hold a message for which match is true.
func inRounds(t *testing.T, packets []Outbound, match func(*wire.Message) bool) []Outbound {
	t.Helper()
	var out []Outbound
	for _, p := range packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
		switch msgs[0].Type {
		case wire.TypeAlive, wire.TypeSuspect, wire.TypeDead, wire.TypeLeave:
		default:
			continue
		}
		for i := range msgs {
			if match(&msgs[i]) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// deadNews matches the news that name is dead.
func deadNews(name string) func(*wire.Message) bool {
	return func(m *wire.Message) bool { return m.Type == wire.TypeDead && m.Dead.Name == name }
}

// leaveNews matches the news that name left.
func leaveNews(name string) func(*wire.Message) bool {
	return func(m *wire.Message) bool { return m.Type == wire.TypeLeave && m.Leave.Name == name }
}

// quietCore is a testCore of five peers (and z, which told it of them), all
// alive, 0.6 gossip intervals after its last periodic round.
func quietCore(t *testing.T) (*Core, time.Time) {
	t.Helper()
	return quietCoreAt(t, 0.6)
}

// quietCoreAt is quietCore at frac gossip intervals after the last round.
func quietCoreAt(t *testing.T, frac float64) (*Core, time.Time) {
	t.Helper()
	c, _ := testCore(t, 5)
	for c.lastRound.IsZero() {
		c.Tick(c.nextWake())
		c.Ready()
	}
	now := c.lastRound.Add(time.Duration(frac * float64(c.cfg.GossipInterval)))
	c.Tick(now)
	c.Ready()
	require.Zero(t, c.health)
	require.True(t, c.gossipDue.After(now))
	return c, now
}

// News that a member is dead or gone, this member's leave and a
// refutation go out at once in a gossip round of their own, once the input
// that brought them is handled. Without early rounds, the spread of a
// crash's verdict from the first member to the last was 70 ms on average
// at 32 members with 50 ms rounds, against 29 ms with them.
func TestVerdictsGossipedAtOnce(t *testing.T) {
	cases := []struct {
		name    string
		verdict func(c *Core, now time.Time)
		news    func(c *Core) func(*wire.Message) bool
	}{
		{"dead", func(c *Core, now time.Time) {
			step(t, c, now, wire.AppendDead(wire.AppendHeader(nil), &wire.Dead{Name: "b", Incarnation: 1, From: "z"}))
		}, func(*Core) func(*wire.Message) bool { return deadNews("b") }},
		{"left", func(c *Core, now time.Time) {
			step(t, c, now, wire.AppendLeave(wire.AppendHeader(nil), &wire.Leave{Name: "b", Incarnation: 1}))
		}, func(*Core) func(*wire.Message) bool { return leaveNews("b") }},
		{"our leave", func(c *Core, now time.Time) {
			require.NoError(t, c.Leave(now))
		}, func(*Core) func(*wire.Message) bool { return leaveNews("a") }},
		{"refutation", func(c *Core, now time.Time) {
			step(t, c, now, wire.AppendSuspect(wire.AppendHeader(nil), &wire.Suspect{Name: "a", Incarnation: c.self.Incarnation, From: "z"}))
		}, func(c *Core) func(*wire.Message) bool {
			inc := c.self.Incarnation // raised by the refutation
			return func(m *wire.Message) bool {
				return m.Type == wire.TypeAlive && m.Alive.Name == "a" && m.Alive.Incarnation == inc
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, now := quietCore(t)
			tc.verdict(c, now)
			sent := inRounds(t, c.Ready().Packets, tc.news(c))
			fanout := max(1, c.cfg.GossipNodes-c.health)
			require.Len(t, sent, fanout, "the news did not go out at once to %d members", fanout)
		})
	}
}

// Verdicts that come in one packet share one early round, sent after the
// answer to the packet.
func TestVerdictsInOnePacketShareARound(t *testing.T) {
	c, now := quietCore(t)
	p := wire.AppendDead(wire.AppendHeader(nil), &wire.Dead{Name: "b", Incarnation: 1, From: "z"})
	p = wire.AppendDead(p, &wire.Dead{Name: "c", Incarnation: 1, From: "z"})
	p = wire.AppendPing(p, &wire.Ping{Nonce: 7})
	step(t, c, now, p)
	packets := c.Ready().Packets
	both := inRounds(t, packets, deadNews("b"))
	require.Len(t, both, c.cfg.GossipNodes)
	for _, p := range both {
		require.NotEmpty(t, inRounds(t, []Outbound{p}, deadNews("c")), "a round without c's verdict")
	}
	msgs, err := wire.DecodePacket(packets[0].Bytes, nil)
	require.NoError(t, err)
	require.Equal(t, wire.TypeAck, msgs[0].Type, "the answer did not go first")
}

// roundTimes runs c until until, timer by timer, and returns when it sent
// gossip-round packets.
func roundTimes(t *testing.T, c *Core, until time.Time) []time.Time {
	t.Helper()
	var at []time.Time
	for next := c.nextWake(); !next.After(until); next = c.nextWake() {
		c.Tick(next)
		if len(inRounds(t, c.Ready().Packets, func(*wire.Message) bool { return true })) > 0 {
			at = append(at, next)
		}
	}
	return at
}

// kill gives c the verdict that name is dead, as a packet or timer would
// (an input ends with earlyRound), and returns the round packets of the
// moment that carry it.
func kill(t *testing.T, c *Core, name string) []Outbound {
	t.Helper()
	c.onDead(name, 1, "z")
	c.earlyRound()
	return inRounds(t, c.Ready().Packets, deadNews(name))
}

// An early round comes at least half a GossipInterval after the last round
// and only before the next periodic one: at most one between two periodic
// rounds, whatever the news, so that rounds at most double. The next
// interval has an early round of its own.
func TestEarlyRoundOnePerInterval(t *testing.T) {
	c, now := quietCore(t)
	require.NotEmpty(t, kill(t, c, "b"), "no early round")
	c.Tick(now.Add(time.Millisecond))
	require.Empty(t, kill(t, c, "c"), "a second early round in one interval")
	p1 := c.gossipDue
	p2 := p1.Add(c.cfg.GossipInterval)
	// News is left to send; only the periodic rounds send it.
	require.Equal(t, []time.Time{p1, p2}, roundTimes(t, c, p2))
	c.Tick(p2.Add(c.cfg.GossipInterval * 6 / 10))
	c.Ready()
	require.NotEmpty(t, kill(t, c, "d"), "no early round in the next interval")
}

// Just after a round, the early round waits for half an interval; a second
// verdict meanwhile rides on it.
func TestEarlyRoundHalfAnIntervalAfterTheLast(t *testing.T) {
	c, now := quietCoreAt(t, 0.1)
	at := c.lastRound.Add(c.cfg.GossipInterval / 2)
	require.Empty(t, kill(t, c, "d"), "an early round %v after the last", now.Sub(c.lastRound))
	c.Tick(now.Add(time.Millisecond))
	require.Empty(t, kill(t, c, "e"))
	require.Equal(t, []time.Time{at}, roundTimes(t, c, c.gossipDue.Add(-time.Nanosecond)))
}

// However many verdicts come while the early round is armed, it is one
// round of GossipNodes packets.
func TestEarlyRoundOneForManyVerdicts(t *testing.T) {
	c, now := quietCoreAt(t, 0.1)
	at := c.lastRound.Add(c.cfg.GossipInterval / 2)
	for i, name := range []string{"b", "c", "d", "e", "f"} {
		c.Tick(now.Add(time.Duration(i) * time.Millisecond))
		kill(t, c, name)
	}
	c.Tick(at)
	require.Len(t, inRounds(t, c.Ready().Packets, deadNews("f")), c.cfg.GossipNodes, "not one round of GossipNodes packets")
}

// Before the first periodic round, too, there is one early round.
func TestEarlyRoundBeforeTheFirstPeriodicRound(t *testing.T) {
	c, _ := testCore(t, 5)
	c.Ready()
	require.True(t, c.lastRound.IsZero())
	require.NotEmpty(t, kill(t, c, "b"), "no early round")
	c.Tick(c.gossipDue.Add(-time.Nanosecond))
	require.Empty(t, kill(t, c, "c"), "a second early round before the first periodic one")
}

// A Tick that runs late past the armed early round and the periodic one
// runs the periodic one alone.
func TestEarlyRoundTickPastBoth(t *testing.T) {
	c, _ := quietCoreAt(t, 0.1)
	kill(t, c, "d")
	c.Tick(c.gossipDue)
	require.Len(t, inRounds(t, c.Ready().Packets, deadNews("d")), c.cfg.GossipNodes, "two rounds back to back")
}

// A packet handled when the periodic round is due but its timer has not
// run: that round, run next, carries the verdict, and no early round goes
// just before it.
func TestEarlyRoundPeriodicRoundOverdue(t *testing.T) {
	c, _ := quietCore(t)
	late := c.gossipDue.Add(time.Millisecond)
	step(t, c, late, wire.AppendDead(wire.AppendHeader(nil), &wire.Dead{Name: "f", Incarnation: 1, From: "z"}))
	sent := inRounds(t, c.Ready().Packets, deadNews("f"))
	c.Tick(late)
	sent = append(sent, inRounds(t, c.Ready().Packets, deadNews("f"))...)
	require.Len(t, sent, c.cfg.GossipNodes, "two rounds back to back")
}
