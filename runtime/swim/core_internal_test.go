package swim

import (
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The room Step decodes into outlives a protocol period once a packet of
// many messages grew it: dropped each period, every core of a process
// running a thousand members grew it again, message by message, and that
// was a tenth of the process's CPU.
func TestDecodeRoomKeptAcrossPeriods(t *testing.T) {
	c, err := New(time.Unix(1_000_000, 0), DefaultLANConfig(), Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:1")}, 1)
	require.NoError(t, err)
	b := wire.AppendHeader(nil)
	for i := range 50 { // answers to nothing of ours: counted, not acted on
		b = wire.AppendNack(b, &wire.Nack{Nonce: uint32(i)})
	}
	from := netip.MustParseAddrPort("10.0.0.2:1")
	require.NoError(t, c.Step(c.now, from, b))
	room := cap(c.msgs)
	require.GreaterOrEqual(t, room, 50)
	for range 3 { // three protocol periods
		c.Tick(c.now.Add(c.cfg.ProbeInterval))
		c.Ready()
	}
	assert.Equal(t, room, cap(c.msgs), "the room was dropped")
	allocs := testing.AllocsPerRun(10, func() {
		require.NoError(t, c.Step(c.now, from, b))
	})
	assert.Zero(t, allocs, "decoding into the kept room allocated")
}

// Answering a ping in a steady cluster allocates nothing: the ack is
// carved from the core's arena and handed out in a Ready whose lists are
// reused, so a member's own packets make no garbage (they were a few
// allocations each, most of what a process of a thousand members
// collected).
func TestSteadyAnswerAllocatesNothing(t *testing.T) {
	c, now := testCore(t, 3)
	for c.news.len() > 0 { // no news left to piggyback
		c.gossipTick()
	}
	c.Ready()
	c.Ready()
	ping := wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 8})
	var rd Ready
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.Step(now, gossiper, ping); err != nil {
			panic(err)
		}
		rd = c.Ready()
	})
	require.Len(t, rd.Packets, 1)
	want := wire.AppendAck(wire.AppendHeader(nil), &wire.Ack{Nonce: 8 ^ c.selfTag})
	assert.Equal(t, want, rd.Packets[0].Bytes)
	assert.Zero(t, allocs)
}
