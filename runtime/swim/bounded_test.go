package swim_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bounded work per packet: no packet, however crafted, makes a core
// allocate more than a fixed multiple of its size, or work in proportion to
// a length it claims rather than to the bytes it has. Each crafted packet
// fills the core's budget, the most a datagram brings it.

// allocMultiple and allocConstant bound what one packet may make a core
// allocate, in steady state: allocMultiple bytes per byte of packet, plus
// allocConstant for any packet (the error of a malformed one, a message
// decoded before the decoder gave up). The largest share of the multiple
// is a core's answers (one ack per ping, one relayed ping per ping-req:
// some 120 to 600 bytes of outgoing packet for each 4- to 13-byte
// message); it depends on the packet's length, never on what it claims.
const (
	allocMultiple = 64
	allocConstant = 1024
)

// firstPacketBound bounds the allocation of the first packet of many small
// messages at a fresh core: DecodePacket decodes into a slice of Messages
// (some 440 bytes each) that the core keeps and reuses, so a packet of 400
// acks grows it once, by doubling. The bound follows from the largest
// datagram (at most one message per 3 bytes), not from anything a packet
// claims.
const firstPacketBound = 1 << 20

// fill appends messages made by add to a packet until the next would pass
// the core's budget.
func fill(add func(b []byte, i int) []byte) []byte {
	b := wire.AppendHeader(nil)
	for i := 0; ; i++ {
		next := add(append([]byte(nil), b...), i)
		if len(next) > swim.DefaultPacketBudget {
			return b
		}
		b = next
	}
}

// craftedPackets returns packets built to cost a receiver as much as
// possible, each with whether the core must refuse it as malformed.
func craftedPackets() []struct {
	name      string
	p         []byte
	malformed bool
} {
	peer := netip.MustParseAddrPort("10.0.0.9:7946")
	record := func(i int) *wire.Record {
		return &wire.Record{Name: fmt.Sprintf("m%d", i), Addr: peer, Incarnation: 1}
	}
	syncOf := func(count uint32, records int) []byte {
		b := wire.AppendHeader(nil)
		b = wire.AppendSyncStart(b, 0, "b", int(count), 0)
		for i := range records {
			b = wire.AppendRecord(b, record(i))
		}
		return b
	}
	recordsThatFit := 0
	for len(syncOf(^uint32(0), recordsThatFit+1)) <= swim.DefaultPacketBudget {
		recordsThatFit++
	}
	// Length prefixes that claim far more than the packet holds: str32,
	// bin32 and array32 headers saying 4 GiB or 4 billion elements.
	str32 := append(wire.AppendHeader(nil), byte(wire.TypePing), 0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a')
	bin32 := wire.AppendHeader(nil)
	bin32 = append(bin32, byte(wire.TypeUser), 0x92, 0xa1, 'b', 0xc6)
	bin32 = binary.BigEndian.AppendUint32(bin32, 0xffffffff)
	bin32 = append(bin32, make([]byte, 1000)...)
	array32 := append(wire.AppendHeader(nil), byte(wire.TypeAlive), 0xdd, 0xff, 0xff, 0xff, 0xff)

	return []struct {
		name      string
		p         []byte
		malformed bool
	}{
		{"str32 claiming 4 GiB", str32, true},
		{"bin32 claiming 4 GiB", bin32, true},
		{"array32 claiming 4 billion fields", array32, true},
		{"sync claiming 4 billion records, holding none", syncOf(^uint32(0), 0), true},
		{"sync claiming 4 billion records, holding a packetful", syncOf(^uint32(0), recordsThatFit), true},
		{"sync of a packetful of new members", syncOf(uint32(recordsThatFit), recordsThatFit), false},
		{"acks", fill(func(b []byte, i int) []byte { return wire.AppendAck(b, &wire.Ack{Nonce: uint32(i)}) }), false},
		{"nacks", fill(func(b []byte, i int) []byte { return wire.AppendNack(b, &wire.Nack{Nonce: uint32(i)}) }), false},
		{"pings", fill(func(b []byte, i int) []byte { return wire.AppendPing(b, &wire.Ping{Nonce: uint32(i)}) }), false},
		{"ping-reqs", fill(func(b []byte, i int) []byte {
			return wire.AppendPingReq(b, &wire.PingReq{Nonce: uint32(i), Target: "x", Addr: peer})
		}), false},
		{"digests", fill(func(b []byte, i int) []byte { return wire.AppendDigest(b, &wire.Digest{From: "b", Digest: uint64(i)}) }), false},
		{"suspicions of unknown members", fill(func(b []byte, i int) []byte {
			return wire.AppendSuspect(b, &wire.Suspect{Name: fmt.Sprint(i), Incarnation: 1, From: "b"})
		}), false},
		{"broadcasts", fill(func(b []byte, i int) []byte {
			return wire.AppendBroadcast(b, &wire.Broadcast{Origin: "b", ID: uint32(i), Payload: []byte{1}})
		}), false},
		{"one packet of many new members", fill(func(b []byte, i int) []byte {
			return wire.AppendAlive(b, &wire.Alive{Name: fmt.Sprint(i), Addr: peer, Incarnation: 1})
		}), false},
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestBoundedWorkPerPacket(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	from := netip.MustParseAddrPort("10.0.0.2:7946")
	newCore := func() *swim.Core {
		c, err := swim.New(now, swim.DefaultLANConfig(), swim.Member{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946")}, 1)
		require.NoError(t, err)
		for i, name := range []string{"b", "c", "d"} {
			alive := &wire.Alive{Name: name, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i)}), 7946), Incarnation: 1}
			require.NoError(t, c.Step(now, from, wire.AppendAlive(wire.AppendHeader(nil), alive)))
		}
		c.Ready()
		return c
	}
	for _, tc := range craftedPackets() {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.p), swim.DefaultPacketBudget, "crafted packet larger than a datagram brings")
			c := newCore()
			members := len(c.Members())
			var err error
			var rd swim.Ready
			first := allocated(func() { err = c.Step(now, from, tc.p); rd = c.Ready() })
			if tc.malformed {
				require.ErrorIs(t, err, swim.ErrMalformed)
				assert.Len(t, c.Members(), members, "a malformed packet changed membership")
				assert.Empty(t, rd.Packets, "a malformed packet drew packets")
				assert.Empty(t, rd.Events, "a malformed packet made events")
			} else {
				require.NotErrorIs(t, err, swim.ErrMalformed)
			}
			assert.LessOrEqual(t, first, uint64(firstPacketBound), "bytes the first packet allocated")

			// Steady state: fresh copies of the packet, as a flood would
			// send them, on the same core.
			const runs = 20
			var total uint64
			for range runs {
				p := append([]byte(nil), tc.p...)
				total += allocated(func() { _ = c.Step(now, from, p); c.Ready() })
			}
			per := total / runs
			t.Logf("%d bytes: first %d bytes allocated, then %d per packet (%.1fx its size); %d packets out",
				len(tc.p), first, per, float64(per)/float64(len(tc.p)), len(rd.Packets))
			assert.LessOrEqual(t, per, uint64(allocMultiple*len(tc.p)+allocConstant),
				"bytes allocated per %d-byte packet, against %dx its size + %d", len(tc.p), allocMultiple, allocConstant)
		})
	}
}
