package swim

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/require"
)

// FuzzStep feeds arbitrary packets to a core that knows a few members. It
// must never panic; a packet from an address that is no member must never
// change membership; a packet it rejects must leave membership as it was;
// and whatever it accepts must keep the core's own member alive and the
// digest's running sum in step with the view.
func FuzzStep(f *testing.F) {
	peer := netip.MustParseAddrPort("10.0.0.2:7946")
	h := wire.AppendHeader
	f.Add(wire.AppendPing(h(nil), &wire.Ping{Nonce: 1}))
	f.Add(wire.AppendAck(h(nil), &wire.Ack{Nonce: 1 ^ nameTag("b")}))
	f.Add(wire.AppendAck(h(nil), &wire.Ack{Nonce: 1 ^ nameTag("b"), Coord: appendCoord(nil, newCoordinate())}))
	f.Add(wire.AppendNack(h(nil), &wire.Nack{Nonce: 7}))
	f.Add(wire.AppendAlive(h(nil), &wire.Alive{Name: "c", Addr: peer, Incarnation: 9}))
	f.Add(wire.AppendAlive(h(nil), &wire.Alive{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.9:1"), Incarnation: 1 << 63}))
	f.Add(wire.AppendSuspect(h(nil), &wire.Suspect{Name: "a", Incarnation: 1 << 40, From: "b"}))
	f.Add(wire.AppendDead(h(nil), &wire.Dead{Name: "b", Incarnation: 5, From: "b"}))
	f.Add(wire.AppendSync(h(nil), &wire.Sync{Flags: wire.SyncWantReply, From: "b", Records: []wire.Record{{Name: "d", Addr: peer, Incarnation: 3}}}))
	f.Add(append(wire.AppendCookie(h(nil), &wire.Cookie{Value: make([]byte, 16)}),
		wire.AppendSync(nil, &wire.Sync{Flags: wire.SyncWantReply | wire.SyncLast, From: "e", Records: []wire.Record{{Name: "e", Addr: peer, Incarnation: 3}}})...))
	f.Add(wire.AppendPingReq(h(nil), &wire.PingReq{Nonce: 2, Target: "b", Addr: peer}))
	f.Add(wire.AppendUser(h(nil), &wire.User{Payload: []byte("hi")}))
	f.Fuzz(func(t *testing.T, packet []byte) {
		now := time.Unix(1_000_000, 0)
		c, err := New(now, DefaultLANConfig(), Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946")}, 1)
		require.NoError(t, err)
		c.addMember(&wire.Alive{Name: "b", Addr: peer, Incarnation: 5}, true)
		before := c.Members()
		_ = c.Step(now, netip.MustParseAddrPort("192.0.2.1:7946"), packet)
		after := c.Members()
		require.True(t, slices.EqualFunc(before, after, sameMember), "a stranger's packet changed membership: %+v -> %+v", before, after)
		if err := c.Step(now, peer, packet); err != nil {
			after := c.Members()
			require.True(t, slices.EqualFunc(before, after, sameMember), "a rejected packet (%v) changed membership: %+v -> %+v", err, before, after)
			return
		}
		c.Tick(now.Add(time.Minute))
		require.Equal(t, StateAlive, c.LocalMember().State, "the local member after a packet")
		require.NoError(t, DigestDrift(c))
		_ = c.Ready()
	})
}

func sameMember(a, b Member) bool {
	return a.Name == b.Name && a.Addr == b.Addr && a.Incarnation == b.Incarnation && a.State == b.State && string(a.Meta) == string(b.Meta)
}
