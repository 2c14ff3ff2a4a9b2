package swim

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/require"
)

// carrying returns the packets that hold a message for which match is
// true.
func carrying(t *testing.T, packets []Outbound, match func(*wire.Message) bool) []Outbound {
	t.Helper()
	var out []Outbound
	for _, p := range packets {
		msgs, err := wire.DecodePacket(p.Bytes, nil)
		require.NoError(t, err)
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

// quietCore is a testCore of five peers, alive, half a gossip interval
// after its last round.
func quietCore(t *testing.T) (*Core, time.Time) {
	t.Helper()
	c, _ := testCore(t, 5)
	for c.lastRound.IsZero() {
		c.Tick(c.nextWake())
		c.Ready()
	}
	require.Zero(t, c.health)
	now := c.lastRound.Add(c.cfg.GossipInterval / 2)
	c.Tick(now)
	c.Ready()
	return c, now
}

// News that a member is dead or gone, and a refutation, go out at once in
// a gossip round of their own: waiting for the next round, at every hop,
// delayed the last member's verdict on a crash by 70 ms on average at 32
// members with 50 ms rounds (29 ms since).
func TestVerdictsGossipedAtOnce(t *testing.T) {
	cases := []struct {
		name    string
		verdict func(c *Core)
		news    func(*wire.Message) bool
	}{
		{"dead", func(c *Core) { c.onDead("b", 1, "a") }, deadNews("b")},
		{"left", func(c *Core) { c.onLeave("b", 1, nil) }, func(m *wire.Message) bool {
			return m.Type == wire.TypeLeave && m.Leave.Name == "b"
		}},
		{"refutation", func(c *Core) { c.accused(c.self.Incarnation) }, func(m *wire.Message) bool {
			return m.Type == wire.TypeAlive && m.Alive.Name == "a" && m.Alive.Incarnation > 1
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := quietCore(t)
			tc.verdict(c)
			sent := carrying(t, c.Ready().Packets, tc.news)
			require.Len(t, sent, c.cfg.GossipNodes, "the news did not go out at once to GossipNodes members")
		})
	}
}

// A verdict that follows a round by less than half an interval waits for
// that half: early rounds at most double the rate of rounds, however much
// news comes in.
func TestVerdictRoundsHalfAnIntervalApart(t *testing.T) {
	c, now := quietCore(t)
	c.onDead("b", 1, "a")
	require.NotEmpty(t, carrying(t, c.Ready().Packets, deadNews("b")))
	half := c.cfg.GossipInterval / 2
	for i, name := range []string{"c", "d", "e"} {
		now = now.Add(time.Millisecond)
		c.Tick(now)
		c.onDead(name, 1, "a")
		require.Empty(t, carrying(t, c.Ready().Packets, deadNews(name)), "verdict %d went out %v after the last round", i+2, now.Sub(c.lastRound))
	}
	at := c.lastRound.Add(half)
	c.Tick(at.Add(-time.Nanosecond))
	require.Empty(t, carrying(t, c.Ready().Packets, deadNews("c")), "the early round ran before half an interval")
	c.Tick(at)
	rd := c.Ready()
	for _, name := range []string{"c", "d", "e"} {
		require.NotEmpty(t, carrying(t, rd.Packets, deadNews(name)), "%s's verdict not sent half an interval after the last round", name)
	}
}
