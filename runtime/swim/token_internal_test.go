package swim

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// News in a packet that echoes the token this core gave the sender's
// address is believed without pings; an echo of no token, of another
// address's, or of one two rotations old (a recording replayed) brings
// candidates only.
func TestTokenProvesNews(t *testing.T) {
	other := netip.MustParseAddrPort("10.0.0.98:1")
	cases := []struct {
		name    string
		echo    func(c *Core) uint64
		wait    time.Duration // before the packet arrives
		members int
	}{
		{name: "our token", echo: func(c *Core) uint64 { return tokenFor(c.tokens.cur, gossiper) }, members: 22},
		{name: "a rotation old", echo: func(c *Core) uint64 { return tokenFor(c.tokens.cur, gossiper) }, wait: time.Minute + time.Second, members: 22},
		{name: "two rotations old", echo: func(c *Core) uint64 { return tokenFor(c.tokens.cur, gossiper) }, wait: 2*time.Minute + time.Second, members: 2},
		{name: "made up", echo: func(*Core) uint64 { return 0x5eed }, members: 2},
		{name: "another address's", echo: func(c *Core) uint64 { return tokenFor(c.tokens.cur, other) }, members: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, now := testCore(t, 0)
			echo := tc.echo(c)
			for at := now; at.Before(now.Add(tc.wait)); at = at.Add(time.Second) {
				c.Tick(at)
				// z stays a member: it answers every ping.
				for _, p := range c.Ready().Packets {
					answer(t, c, at, p)
				}
			}
			now = now.Add(tc.wait)
			b := wire.AppendToken(wire.AppendHeader(nil), &wire.Token{Echoed: echo})
			step(t, c, now, aliveRecords(b, 0, 20))
			assert.Len(t, c.Members(), tc.members)
			assert.Empty(t, pingsTo(t, c.Ready()), "verification pings")
		})
	}
}

// answer answers p if it is a ping to z, from z.
func answer(t *testing.T, c *Core, now time.Time, p Outbound) {
	t.Helper()
	if p.To != gossiper {
		return
	}
	msgs, err := wire.DecodePacket(p.Bytes, nil)
	require.NoError(t, err)
	for _, m := range msgs {
		if m.Type == wire.TypePing {
			step(t, c, now, wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: m.Ping.Nonce ^ nameTag("z")}))
		}
	}
}

// tokensIn returns the token messages of the packets in rd bound for to.
func tokensIn(t *testing.T, rd Ready, to netip.AddrPort) []wire.Token {
	t.Helper()
	var out []wire.Token
	for _, s := range sentOfType(t, rd, wire.TypeToken) {
		if s.to == to {
			out = append(out, s.msg.Token)
		}
	}
	return out
}

// A packet that carries alive news gives its member a token once a
// rotation and echoes the one the member gave us; with no alive news
// waiting, packets carry no token.
func TestTokensRideWithAliveNews(t *testing.T) {
	c, now := testCore(t, 0)
	c.Ready()
	step(t, c, now, wire.AppendToken(wire.AppendHeader(nil), &wire.Token{Given: 77}))
	z := c.members["z"]
	require.EqualValues(t, 77, z.tokenIn, "the token z gave")

	c.queueAlive(c.self)
	c.gossipTick()
	got := tokensIn(t, c.Ready(), gossiper)
	require.Len(t, got, 1)
	assert.Equal(t, wire.Token{Given: tokenFor(c.tokens.cur, gossiper), Echoed: 77}, got[0])

	c.gossipTick()
	got = tokensIn(t, c.Ready(), gossiper)
	require.Len(t, got, 1)
	assert.Equal(t, wire.Token{Echoed: 77}, got[0], "given once a rotation")

	for c.news.len() > 0 {
		c.gossipTick()
	}
	c.Ready()
	_, err := c.Ping(now, "z")
	require.NoError(t, err)
	assert.Empty(t, tokensIn(t, c.Ready(), gossiper), "no alive news waiting")
}

// Tokens go after the news and only where room is left, so a broadcast of
// the largest size from a member of the longest name still gets a packet
// of its own while joins are news.
func TestLargestBroadcastPassesTokens(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	self := Member{Name: strings.Repeat("a", MaxNameLen), Addr: netip.MustParseAddrPort("10.0.0.1:1")}
	c, err := New(now, DefaultLANConfig(), self, 1)
	require.NoError(t, err)
	for i := range 6 {
		name, addr := stateMember(i)
		m := c.addMember(&wire.Alive{Name: name, Addr: addr, Incarnation: 1}, true)
		m.tokenIn = 1 << 63 // a token to echo: the longest token message
		c.queueAlive(m)
	}
	require.NoError(t, c.BroadcastKeyed(now, "k", make([]byte, MaxPayload(c.cfg.PacketBudget))))
	sent := false
	for i := range 8 {
		// Joins keep coming: alive news always waits.
		name, _ := stateMember(i % 6)
		c.queueAlive(c.members[name])
		c.gossipTick()
		for _, p := range c.Ready().Packets {
			require.LessOrEqual(t, len(p.Bytes), c.cfg.PacketBudget)
			msgs, err := wire.DecodePacket(p.Bytes, nil)
			require.NoError(t, err)
			for _, m := range msgs {
				sent = sent || m.Type == wire.TypeBroadcast
			}
		}
	}
	assert.True(t, sent, "the largest broadcast went out")
}

// A verification ping gives the candidate a token, and a member's ping
// that gives us one (a verification ping) gets an ack that gives one
// back: a member that joins is pinged by most others, and from then on
// each believes the other's news of further joins without pinging each
// (in the simulator, 512 members joining 8 ms apart sent 68,911
// verification pings before and 45,470 after). A probe's ping gives none
// and its ack stays bare.
func TestVerificationPingsTradeTokens(t *testing.T) {
	c, now := testCore(t, 0)
	c.Ready()
	y := netip.MustParseAddrPort("10.0.0.50:1")
	step(t, c, now, wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: "y", Addr: y, Incarnation: 1}))
	require.False(t, c.members["y"].verified, "y is a candidate")
	c.verifySome()
	got := tokensIn(t, c.Ready(), y)
	require.Len(t, got, 1, "the verification ping carries a token")
	assert.Equal(t, wire.Token{Given: tokenFor(c.tokens.cur, y)}, got[0])

	ping := wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 8})
	step(t, c, now, ping)
	assert.Empty(t, tokensIn(t, c.Ready(), gossiper), "the ack to a bare ping")

	step(t, c, now, wire.AppendToken(ping, &wire.Token{Given: 55}))
	rd := c.Ready()
	require.Len(t, sentOfType(t, rd, wire.TypeAck), 1)
	got = tokensIn(t, rd, gossiper)
	require.Len(t, got, 1, "the ack to a ping that gave a token")
	assert.Equal(t, wire.Token{Given: tokenFor(c.tokens.cur, gossiper), Echoed: 55}, got[0])
}
