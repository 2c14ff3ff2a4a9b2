package swim

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fairness rule of the package doc: however much protocol news is
// queued, a user broadcast of the largest size goes out within four packets,
// and protocol news still gets the first claim on three packets of four.
func TestFairnessUserBroadcastWithinFourPackets(t *testing.T) {
	now := time.Unix(1000, 0)
	c, err := New(now, DefaultLANConfig(), Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946")}, 1)
	require.NoError(t, err)
	for i := range 5000 {
		name := fmt.Sprintf("member-%04d", i)
		c.news.push(name, wire.AppendAlive(nil, &wire.Alive{Name: name, Addr: netip.MustParseAddrPort("10.0.0.2:7946"), Incarnation: 1}), nil)
	}
	payload := bytes.Repeat([]byte{'u'}, MaxPayload(c.cfg.PacketBudget))
	require.NoError(t, c.Broadcast(now, payload))
	// News rides only on packets to members.
	peerAddr := c.addMember(&wire.Alive{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.3:7946"), Incarnation: 1}, true).Addr
	userPackets, protocolFirst := 0, 0
	for range 8 {
		p := c.piggyback(peerAddr, wire.AppendHeader(nil))
		require.LessOrEqual(t, len(p), c.cfg.PacketBudget, "packet size against the budget")
		if bytes.Contains(p, payload) {
			userPackets++
		} else if len(p) > c.cfg.PacketBudget-64 {
			protocolFirst++
		}
	}
	assert.Equal(t, 2, userPackets, "packets of 8 that carried the broadcast (one in four)")
	assert.Equal(t, 6, protocolFirst, "packets of 8 that protocol news filled")
}
