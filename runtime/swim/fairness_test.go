package swim

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// The fairness rule of the package doc: however much protocol news is
// queued, a user broadcast of the largest size goes out within four packets,
// and protocol news still gets the first claim on three packets of four.
func TestFairnessUserBroadcastWithinFourPackets(t *testing.T) {
	now := time.Unix(1000, 0)
	c, err := New(now, DefaultLANConfig(), Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		name := fmt.Sprintf("member-%04d", i)
		c.news.push(name, wire.AppendAlive(nil, &wire.Alive{Name: name, Addr: netip.MustParseAddrPort("10.0.0.2:7946"), Incarnation: 1}), nil)
	}
	payload := bytes.Repeat([]byte{'u'}, MaxPayload(c.cfg.PacketBudget))
	if err := c.Broadcast(now, payload); err != nil {
		t.Fatal(err)
	}
	// News rides only on packets to members.
	peerAddr := c.addMember(&wire.Alive{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.3:7946"), Incarnation: 1}, true).Addr
	userPackets, protocolFirst := 0, 0
	for range 8 {
		p := c.piggyback(peerAddr, wire.AppendHeader(nil))
		if len(p) > c.cfg.PacketBudget {
			t.Fatalf("packet of %d bytes exceeds the budget %d", len(p), c.cfg.PacketBudget)
		}
		if bytes.Contains(p, payload) {
			userPackets++
		} else if len(p) > c.cfg.PacketBudget-64 {
			protocolFirst++
		}
	}
	if userPackets != 2 {
		t.Fatalf("the broadcast went out in %d of 8 packets, want 2 (one in four)", userPackets)
	}
	if protocolFirst != 6 {
		t.Fatalf("protocol news filled %d of 8 packets, want 6", protocolFirst)
	}
}
