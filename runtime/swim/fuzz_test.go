package swim

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// FuzzStep feeds arbitrary packets to a core that knows a few members. It
// must never panic; a packet it rejects must leave membership as it was;
// and whatever it accepts must keep the core's own member alive.
func FuzzStep(f *testing.F) {
	peer := netip.MustParseAddrPort("10.0.0.2:7946")
	f.Add(wire.AppendPing(wire.AppendHeader(nil), &wire.Ping{Nonce: 1, Target: "a"}))
	f.Add(wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: "c", Addr: peer, Incarnation: 9}))
	f.Add(wire.AppendSuspect(wire.AppendHeader(nil), &wire.Suspect{Name: "a", Incarnation: 1 << 40, From: "b"}))
	f.Add(wire.AppendDead(wire.AppendHeader(nil), &wire.Dead{Name: "b", Incarnation: 5, From: "b"}))
	f.Add(wire.AppendSync(wire.AppendHeader(nil), &wire.Sync{Flags: wire.SyncWantReply, From: "b", Records: []wire.Record{{Name: "d", Addr: peer, Incarnation: 3}}}))
	f.Add(wire.AppendPingReq(wire.AppendHeader(nil), &wire.PingReq{Nonce: 2, Target: "b", Addr: peer}))
	f.Fuzz(func(t *testing.T, packet []byte) {
		now := time.Unix(1_000_000, 0)
		c, err := New(now, DefaultLANConfig(), Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946")}, 1)
		if err != nil {
			t.Fatal(err)
		}
		seed := wire.AppendAlive(wire.AppendHeader(nil), &wire.Alive{Name: "b", Addr: peer, Incarnation: 5})
		if err := c.Step(now, peer, seed); err != nil {
			t.Fatal(err)
		}
		before := c.Members()
		if err := c.Step(now, peer, packet); err != nil {
			if after := c.Members(); !slices.EqualFunc(before, after, sameMember) {
				t.Fatalf("a rejected packet changed membership: %+v -> %+v", before, after)
			}
			return
		}
		c.Tick(now.Add(time.Minute))
		if self := c.LocalMember(); self.State != StateAlive {
			t.Fatalf("the local member is %v after a packet", self.State)
		}
		_ = c.Ready()
	})
}

func sameMember(a, b Member) bool {
	return a.Name == b.Name && a.Addr == b.Addr && a.Incarnation == b.Incarnation && a.State == b.State && string(a.Meta) == string(b.Meta)
}
