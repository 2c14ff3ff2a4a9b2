package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tinylib/msgp/msgp"
)

func TestRoundTrip(t *testing.T) {
	bigPayload := bytes.Repeat([]byte{0xab}, 70_000) // bin32
	tests := []struct {
		name string
		msgs []Message
	}{
		{"ping/empty target", []Message{{Type: TypePing}}},
		{"ping/max", []Message{{Type: TypePing, Ping: Ping{Nonce: math.MaxUint32}}}},
		{"ack/zero", []Message{{Type: TypeAck}}},
		{"ack/max", []Message{{Type: TypeAck, Ack: Ack{Nonce: math.MaxUint32}}}},
		{"nack", []Message{{Type: TypeNack, Nack: Nack{Nonce: 300}}}},
		{"pingreq/v4", []Message{{Type: TypePingReq, PingReq: PingReq{Nonce: 1, Target: "b", Addr: v4()}}}},
		{"pingreq/v6 max name", []Message{{Type: TypePingReq, PingReq: PingReq{Nonce: 128, Target: maxName(), Addr: v6()}}}},
		{"alive/nil meta max incarnation", []Message{{Type: TypeAlive, Alive: Alive{
			Name: maxName(), Addr: v4(), Incarnation: math.MaxUint64}}}},
		{"alive/empty meta", []Message{{Type: TypeAlive, Alive: Alive{
			Name: "a", Addr: v6(), Meta: []byte{}, Incarnation: 1}}}},
		{"alive/max meta", []Message{{Type: TypeAlive, Alive: Alive{
			Name: "a", Addr: v6(), Meta: bytes.Repeat([]byte{0xff}, MaxMetaLen)}}}},
		{"alive/unspecified port 0", []Message{{Type: TypeAlive, Alive: Alive{
			Name: "a", Addr: netip.AddrPortFrom(netip.IPv4Unspecified(), 0)}}}},
		{"suspect", []Message{{Type: TypeSuspect, Suspect: Suspect{Name: "a", Incarnation: 127, From: maxName()}}}},
		{"suspect/max incarnation", []Message{{Type: TypeSuspect, Suspect: Suspect{Name: maxName(), Incarnation: math.MaxUint64, From: "b"}}}},
		{"dead", []Message{{Type: TypeDead, Dead: Dead{Name: "a", Incarnation: 128, From: "b"}}}},
		{"dead/max incarnation", []Message{{Type: TypeDead, Dead: Dead{Name: maxName(), Incarnation: math.MaxUint64, From: maxName()}}}},
		{"leave", []Message{{Type: TypeLeave, Leave: Leave{Name: "a", Incarnation: math.MaxUint32 + 1}}}},
		{"sync/no records", []Message{{Type: TypeSync, Sync: Sync{From: "a"}}}},
		{"sync/empty records", []Message{{Type: TypeSync, Sync: Sync{Flags: SyncReply, From: "a", Records: []Record{}}}}},
		{"sync/one record", []Message{{Type: TypeSync, Sync: Sync{Flags: SyncWantReply, From: "a", Records: records(1)}}}},
		{"sync/15 records", []Message{{Type: TypeSync, Sync: Sync{From: "a", Records: records(15)}}}},
		{"sync/16 records", []Message{{Type: TypeSync, Sync: Sync{From: "a", Records: records(16)}}}},
		{"sync/many records", []Message{{Type: TypeSync, Sync: Sync{Flags: 0xff, From: maxName(), Records: records(300)}}}},
		{"sync/edge record", []Message{{Type: TypeSync, Sync: Sync{From: "a", Records: []Record{{
			Name: maxName(), Addr: v6(), Meta: bytes.Repeat([]byte{1}, MaxMetaLen),
			Incarnation: math.MaxUint64, State: StateLeft}}}}}},
		{"user/empty payload", []Message{{Type: TypeUser, User: User{}}}},
		{"user/large payload", []Message{{Type: TypeUser, User: User{Payload: bigPayload}}}},
		{"broadcast", []Message{{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: math.MaxUint32, Payload: bigPayload[:300]}}}},
		{"digest", []Message{{Type: TypeDigest, Digest: Digest{From: maxName(), Digest: math.MaxUint64}}}},
		{"cookie/max", []Message{{Type: TypeCookie, Cookie: Cookie{Value: bytes.Repeat([]byte{0xff}, MaxCookieLen)}}}},
		{"broadcast/empty payload", []Message{{Type: TypeBroadcast, Broadcast: Broadcast{Origin: maxName(), Payload: []byte{}}}}},
		{"broadcast/keyed", []Message{{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: 7, Payload: []byte("v"), Key: math.MaxUint64}}}},
		{"broadcast/epoch", []Message{{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: 7, Payload: []byte("v"), Key: 3, Epoch: math.MaxUint64}}}},
		{"digest/keyed", []Message{{Type: TypeDigest, Digest: Digest{From: "a", Digest: 2, KeyedSum: 1}}}},
		{"digest/nonce", []Message{{Type: TypeDigest, Digest: Digest{From: "a", Digest: 2, Nonce: math.MaxUint64}}}},
		{"digest/keyed nonce", []Message{{Type: TypeDigest, Digest: Digest{From: "a", Digest: 2, KeyedSum: 3, Nonce: 1}}}},
		{"sync/nonce", []Message{{Type: TypeSync, Sync: Sync{Flags: SyncReply, From: "a", Nonce: 0x80, Records: records(3)}}}},
		{"keyedsums", []Message{{Type: TypeKeyedSums, KeyedSums: KeyedSums{From: maxName(), Flags: 0xff, Sums: keyedSums()}}}},
		{"broadcast/small key", []Message{{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "a", ID: 7, Key: 1}}}},
		{"one of each", oneOfEach()},
		{"one of each twice", append(oneOfEach(), oneOfEach()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := packet(t, tt.msgs...)
			got, err := DecodePacket(pkt, nil)
			require.NoError(t, err, "DecodePacket")
			assert.Equal(t, normalized(tt.msgs), normalized(got), "round trip")
		})
	}
}

func TestDecodeAppendsToDst(t *testing.T) {
	prior := []Message{{Type: TypeAck, Ack: Ack{Nonce: 41}}, {Type: TypeNack, Nack: Nack{Nonce: 42}}}
	dst := append(make([]Message, 0, 16), prior...)
	want := oneOfEach()
	got, err := DecodePacket(packet(t, want...), dst)
	require.NoError(t, err)
	require.Len(t, got, len(prior)+len(want))
	assert.Equal(t, normalized(prior), normalized(got[:2]), "what dst held")
	assert.Equal(t, normalized(want), normalized(got[2:]), "the decoded messages, after what dst held")
}

func TestDecodeAllOrNothing(t *testing.T) {
	prior := []Message{{Type: TypeAck, Ack: Ack{Nonce: 41}}}
	dst := append(make([]Message, 0, 16), prior...)
	// Several good messages, then one bad one: nothing may survive.
	bad := oneOfEach()
	bad[len(bad)-1].Cookie.Value = make([]byte, MaxCookieLen+1)
	got, err := DecodePacket(packet(t, bad...), dst)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, normalized(prior), normalized(got), "dst changed")
	// The caller's backing array must not keep half a decode alive.
	spare := got[len(prior):cap(got)]
	assert.Equal(t, make([]Message, len(spare)), normalized(spare), "dst past the result not zeroed")
}

// TestDecodeCopies checks that results do not alias the input, which the
// caller reuses for the next packet.
// TestDecodeAllOrNothingRealloc covers the error path after append has moved
// dst to a new array: the caller's own array must come back as it was, its
// spare capacity cleared.
func TestDecodeAllOrNothingRealloc(t *testing.T) {
	backing := make([]Message, 2)
	backing[0] = Message{Type: TypeAck, Ack: Ack{Nonce: 41}}
	bad := oneOfEach()
	bad[len(bad)-1].Cookie.Value = make([]byte, MaxCookieLen+1)
	got, err := DecodePacket(packet(t, bad...), backing[:1])
	require.ErrorIs(t, err, ErrMalformed)
	require.Len(t, got, 1, "want the caller's slice back")
	assert.Same(t, &backing[0], &got[0], "want the caller's slice back")
	assert.Equal(t, uint32(41), got[0].Ack.Nonce)
	assert.Equal(t, []Message{{}}, normalized(backing[1:]), "spare capacity not cleared")

	// A nil dst stays nil.
	got, err = DecodePacket(packet(t, bad...), nil)
	assert.Error(t, err)
	assert.Nil(t, got)
}

func TestDecodeCopies(t *testing.T) {
	want := oneOfEach()
	pkt := packet(t, want...)
	got, err := DecodePacket(pkt, nil)
	require.NoError(t, err)
	for i := range pkt {
		pkt[i] = 0xa5
	}
	assert.Equal(t, normalized(want), normalized(got), "decoded messages changed with the input")
}

func TestAddrCanonical(t *testing.T) {
	tests := []struct {
		name   string
		in     netip.AddrPort
		want   netip.AddrPort
		encLen int // encoded address bytes
	}{
		{"v4", v4(), v4(), 6},
		{"v6", v6(), v6(), 18},
		{"v4 mapped in v6 is unmapped", netip.MustParseAddrPort("[::ffff:10.0.0.1]:80"), netip.MustParseAddrPort("10.0.0.1:80"), 6},
		{"zone is dropped", netip.MustParseAddrPort("[fe80::1%eth0]:80"), netip.MustParseAddrPort("[fe80::1]:80"), 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := appendAddr(nil, tt.in)
			require.Len(t, enc, 2+tt.encLen, "encoded as % x, want bin8 of %d bytes", enc, tt.encLen)
			assert.Equal(t, []byte{0xc4, byte(tt.encLen)}, enc[:2], "bin8 header of %d bytes", tt.encLen)
			got, err := DecodePacket(packet(t, Message{Type: TypeAlive, Alive: Alive{Name: "a", Addr: tt.in}}), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got[0].Alive.Addr)
		})
	}

	// A sender that does not unmap must still yield the canonical address.
	mapped := netip.MustParseAddr("::ffff:192.0.2.7").As16()
	raw := []byte{byte(TypeAlive)}
	raw = msgp.AppendArrayHeader(raw, 4)
	raw = msgp.AppendString(raw, "a")
	raw = msgp.AppendBytes(raw, append(mapped[:], 0x1f, 0x90))
	raw = msgp.AppendBytes(raw, nil)
	raw = msgp.AppendUint64(raw, 1)
	got, err := DecodePacket(rawPacket(raw), nil)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddrPort("192.0.2.7:8080"), got[0].Alive.Addr)
}

// TestInvalidAddrNotDecodable checks that an invalid address, which the
// encoders cannot refuse, yields a packet receivers reject rather than some
// real-looking address.
func TestInvalidAddrNotDecodable(t *testing.T) {
	msgs := []Message{
		{Type: TypeAlive, Alive: Alive{Name: "a"}},
		{Type: TypePingReq, PingReq: PingReq{Target: "a"}},
		{Type: TypeSync, Sync: Sync{From: "a", Records: []Record{{Name: "a"}}}},
	}
	for _, m := range msgs {
		_, err := DecodePacket(packet(t, m), nil)
		if assert.ErrorIs(t, err, ErrMalformed, "%v with zero address", m.Type) {
			assert.ErrorContains(t, err, ".addr", "%v with zero address", m.Type)
		}
	}
}

// TestPrefixes cuts a multi-message packet everywhere. The format has no
// packet-level count or length (a datagram arrives whole or not at all), so a
// cut exactly between two messages is a valid shorter packet; every other cut
// leaves a message short and must be rejected.
func TestPrefixes(t *testing.T) {
	msgs := oneOfEach()
	pkt := AppendHeader(nil)
	ends := map[int]int{} // packet length -> messages it holds
	for i := range msgs {
		pkt = appendMessage(t, pkt, &msgs[i])
		ends[len(pkt)] = i + 1
	}
	for k := 0; k < len(pkt); k++ {
		// A fresh copy, so that reading past the cut cannot find the rest.
		in := bytes.Clone(pkt[:k])
		got, err := DecodePacket(in, nil)
		switch n, boundary := ends[k]; {
		case k <= 1:
			require.ErrorIs(t, err, ErrEmpty, "prefix %d", k)
		case boundary:
			require.NoError(t, err, "prefix %d (message boundary)", k)
			require.Equal(t, normalized(msgs[:n]), normalized(got), "prefix %d: want the first %d messages", k, n)
		default:
			require.ErrorIs(t, err, ErrMalformed, "prefix %d", k)
			require.Nil(t, got, "prefix %d: messages with the error", k)
		}
	}
}

// Raw builders for inputs the encoders never produce.
func arr(n uint32) []byte    { return msgp.AppendArrayHeader(nil, n) }
func str(s string) []byte    { return msgp.AppendString(nil, s) }
func bin(b []byte) []byte    { return msgp.AppendBytes(nil, b) }
func uint_(u uint64) []byte  { return msgp.AppendUint64(nil, u) }
func binN(n int) []byte      { return bin(make([]byte, n)) }
func cat(p ...[]byte) []byte { return bytes.Join(p, nil) }

func msg(t Type, parts ...[]byte) []byte { return cat(append([][]byte{{byte(t)}}, parts...)...) }

// alive builds an alive message with one part replaced.
func rawAlive(name, addr, meta, inc []byte) []byte {
	return msg(TypeAlive, arr(4), name, addr, meta, inc)
}

func rawSync(recs ...[]byte) []byte {
	return msg(TypeSync, arr(3), uint_(0), str("a"), arr(uint32(len(recs))), cat(recs...))
}

func rawRecord(name, addr, meta, inc, state []byte) []byte {
	return cat(arr(5), name, addr, meta, inc, state)
}

func TestMalformed(t *testing.T) {
	long := strings.Repeat("x", MaxNameLen+1)
	okAddr := appendAddr(nil, v4())
	okRecord := func() (name, addr, meta, inc, state []byte) {
		return str("r"), okAddr, bin(nil), uint_(1), uint_(0)
	}
	ack := msg(TypeAck, arr(1), uint_(1))
	tests := []struct {
		name  string
		in    []byte
		want  error
		where string // expected in the error text
	}{
		{"nil input", nil, ErrEmpty, ""},
		{"header only", []byte{Version}, ErrEmpty, ""},
		{"version 0", append([]byte{0}, ack...), ErrVersion, ""},
		{"version 3", append([]byte{3}, ack...), ErrVersion, ""},
		{"version 255", []byte{255}, ErrVersion, ""},
		{"type 0", rawPacket([]byte{0, 0x91, 0}), ErrUnknownType, ""},
		{"type 16", rawPacket([]byte{16, 0x91, 0}), ErrUnknownType, ""},
		{"type 255", rawPacket([]byte{255}), ErrUnknownType, ""},
		{"unknown type after a good message", rawPacket(ack, []byte{16, 0x91, 0}), ErrUnknownType, ""},
		{"lone type byte after a good message", rawPacket(ack, []byte{byte(TypeAck)}), ErrMalformed, "ack"},
		{"message not an array", rawPacket(msg(TypeAck, uint_(1))), ErrMalformed, "ack"},
		{"message as a map", rawPacket(msg(TypeAck, msgp.AppendMapHeader(nil, 1), uint_(1), uint_(1))), ErrMalformed, "ack"},

		{"ping nonce as float", rawPacket(msg(TypePing, arr(1), msgp.AppendFloat64(nil, 1))), ErrMalformed, "ping.nonce"},
		{"ping nonce negative", rawPacket(msg(TypePing, arr(1), msgp.AppendInt64(nil, -1))), ErrMalformed, "ping.nonce"},
		{"ping nonce past 32 bits", rawPacket(msg(TypePing, arr(1), msgp.AppendUint64(nil, 1<<32))), ErrMalformed, "ping.nonce"},
		{"ping with a target", rawPacket(msg(TypePing, arr(2), msgp.AppendUint32(nil, 1), str("a"))), ErrMalformed, "ping"},
		{"ack nonce as string", rawPacket(msg(TypeAck, arr(1), str("1"))), ErrMalformed, "ack.nonce"},
		{"nack nonce as nil", rawPacket(msg(TypeNack, arr(1), msgp.AppendNil(nil))), ErrMalformed, "nack.nonce"},
		{"cookie too long", rawPacket(msg(TypeCookie, arr(1), bin(make([]byte, MaxCookieLen+1)))), ErrMalformed, "cookie.value"},
		{"cookie as string", rawPacket(msg(TypeCookie, arr(1), str("c"))), ErrMalformed, "cookie.value"},
		{"token of one field", rawPacket(msg(TypeToken, arr(1), []byte{1})), ErrMalformed, "token"},
		{"token echo as string", rawPacket(msg(TypeToken, arr(2), []byte{1}, str("c"))), ErrMalformed, "token.echoed"},
		{"pingreq target empty", rawPacket(msg(TypePingReq, arr(3), uint_(1), str(""), okAddr)), ErrMalformed, "pingreq.target"},
		{"pingreq addr 4 bytes", rawPacket(msg(TypePingReq, arr(3), uint_(1), str("a"), binN(4))), ErrMalformed, "pingreq.addr"},

		{"alive name empty", rawPacket(rawAlive(str(""), okAddr, bin(nil), uint_(1))), ErrMalformed, "alive.name"},
		{"alive name too long", rawPacket(rawAlive(str(long), okAddr, bin(nil), uint_(1))), ErrMalformed, "alive.name"},
		{"alive name as nil", rawPacket(rawAlive(msgp.AppendNil(nil), okAddr, bin(nil), uint_(1))), ErrMalformed, "alive.name"},
		{"alive addr empty", rawPacket(rawAlive(str("a"), binN(0), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr 5 bytes", rawPacket(rawAlive(str("a"), binN(5), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr 7 bytes", rawPacket(rawAlive(str("a"), binN(7), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr 16 bytes", rawPacket(rawAlive(str("a"), binN(16), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr 17 bytes", rawPacket(rawAlive(str("a"), binN(17), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr 19 bytes", rawPacket(rawAlive(str("a"), binN(19), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive addr as string", rawPacket(rawAlive(str("a"), str("10.0.0.1:80"), bin(nil), uint_(1))), ErrMalformed, "alive.addr"},
		{"alive meta too long", rawPacket(rawAlive(str("a"), okAddr, binN(MaxMetaLen+1), uint_(1))), ErrMalformed, "alive.meta"},
		{"alive meta as string", rawPacket(rawAlive(str("a"), okAddr, str("m"), uint_(1))), ErrMalformed, "alive.meta"},
		{"alive incarnation negative", rawPacket(rawAlive(str("a"), okAddr, bin(nil), msgp.AppendInt64(nil, -1))), ErrMalformed, "alive.incarnation"},
		{"alive incarnation float", rawPacket(rawAlive(str("a"), okAddr, bin(nil), msgp.AppendFloat64(nil, 1))), ErrMalformed, "alive.incarnation"},

		{"suspect name empty", rawPacket(msg(TypeSuspect, arr(3), str(""), uint_(1), str("b"))), ErrMalformed, "suspect.name"},
		{"suspect from too long", rawPacket(msg(TypeSuspect, arr(3), str("a"), uint_(1), str(long))), ErrMalformed, "suspect.from"},
		{"dead name too long", rawPacket(msg(TypeDead, arr(3), str(long), uint_(1), str("b"))), ErrMalformed, "dead.name"},
		{"dead from empty", rawPacket(msg(TypeDead, arr(3), str("a"), uint_(1), str(""))), ErrMalformed, "dead.from"},
		{"leave name empty", rawPacket(msg(TypeLeave, arr(2), str(""), uint_(1))), ErrMalformed, "leave.name"},

		{"sync flags overflow", rawPacket(msg(TypeSync, arr(3), uint_(256), str("a"), arr(0))), ErrMalformed, "sync.flags"},
		{"sync from empty", rawPacket(msg(TypeSync, arr(3), uint_(0), str(""), arr(0))), ErrMalformed, "sync.from"},
		{"sync records as map", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), msgp.AppendMapHeader(nil, 0))), ErrMalformed, "sync.records"},
		{"sync record count above records", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), arr(2), rawRecord(okRecord()))), ErrMalformed, "sync.record"},
		{"sync record count far above input", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), arr(1000), rawRecord(okRecord()))), ErrMalformed, "(record 1)"},
		{"record name empty", rawPacket(rawSync(rawRecord(str(""), okAddr, bin(nil), uint_(1), uint_(0)))), ErrMalformed, "sync.record.name"},
		{"record name too long", rawPacket(rawSync(rawRecord(str(long), okAddr, bin(nil), uint_(1), uint_(0)))), ErrMalformed, "sync.record.name"},
		{"record addr 0 bytes", rawPacket(rawSync(rawRecord(str("r"), binN(0), bin(nil), uint_(1), uint_(0)))), ErrMalformed, "sync.record.addr"},
		{"record addr 20 bytes", rawPacket(rawSync(rawRecord(str("r"), binN(20), bin(nil), uint_(1), uint_(0)))), ErrMalformed, "sync.record.addr"},
		{"record meta too long", rawPacket(rawSync(rawRecord(str("r"), okAddr, binN(MaxMetaLen+1), uint_(1), uint_(0)))), ErrMalformed, "sync.record.meta"},
		{"record state 4", rawPacket(rawSync(rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(4)))), ErrMalformed, "sync.record.state"},
		{"record state 255", rawPacket(rawSync(rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(255)))), ErrMalformed, "sync.record.state"},
		{"record state 256", rawPacket(rawSync(rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(256)))), ErrMalformed, "sync.record.state"},
		{"bad second record", rawPacket(rawSync(rawRecord(okRecord()), rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(9)))), ErrMalformed, "(record 1)"},

		{"user with a sender field", rawPacket(msg(TypeUser, arr(2), str("a"), bin(nil))), ErrMalformed, "user"},
		{"user payload as string", rawPacket(msg(TypeUser, arr(1), str("p"))), ErrMalformed, "user.payload"},
		{"broadcast origin too long", rawPacket(msg(TypeBroadcast, arr(3), str(long), uint_(1), bin(nil))), ErrMalformed, "broadcast.origin"},
		{"broadcast id overflow", rawPacket(msg(TypeBroadcast, arr(3), str("a"), uint_(math.MaxUint32+1), bin(nil))), ErrMalformed, "broadcast.id"},
		{"broadcast of 6 fields", rawPacket(msg(TypeBroadcast, arr(6), str("a"), uint_(1), bin(nil), uint_(1), uint_(1), uint_(1))), ErrMalformed, "broadcast"},
		{"broadcast of zero epoch", rawPacket(msg(TypeBroadcast, arr(5), str("a"), uint_(1), bin(nil), uint_(1), uint_(0))), ErrMalformed, "broadcast.epoch"},
		{"digest of zero keyed sum", rawPacket(msg(TypeDigest, arr(3), str("a"), uint_(1), uint_(0))), ErrMalformed, "digest.keyedsum"},
		{"keyedsums of 31 sums", rawPacket(msg(TypeKeyedSums, arr(3), str("a"), uint_(0), arr(31))), ErrMalformed, "keyedsums.sums"},
		{"broadcast of 2 fields", rawPacket(msg(TypeBroadcast, arr(2), str("a"), uint_(1))), ErrMalformed, "broadcast"},
		{"broadcast zero key", rawPacket(msg(TypeBroadcast, arr(4), str("a"), uint_(1), bin(nil), uint_(0))), ErrMalformed, "broadcast.key"},
		{"broadcast key as string", rawPacket(msg(TypeBroadcast, arr(4), str("a"), uint_(1), bin(nil), str("k"))), ErrMalformed, "broadcast.key"},
		{"broadcast key missing", rawPacket(msg(TypeBroadcast, arr(4), str("a"), uint_(1), bin(nil))), ErrMalformed, "broadcast.key"},
	}
	sentinels := []error{ErrVersion, ErrEmpty, ErrUnknownType, ErrMalformed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []Message{{Type: TypeAck}}
			got, err := DecodePacket(tt.in, dst)
			require.ErrorIs(t, err, tt.want)
			for _, s := range sentinels {
				if s != tt.want {
					assert.NotErrorIs(t, err, s, "the error also matches %v", s)
				}
			}
			assert.True(t, strings.HasPrefix(err.Error(), "wire: "), "err = %q, want it to start with \"wire: \"", err)
			assert.ErrorContains(t, err, tt.where)
			assert.Len(t, got, 1, "dst after an error")
		})
	}
}

func TestWrongArrayCount(t *testing.T) {
	for _, m := range oneOfEach() {
		t.Run(m.Type.String(), func(t *testing.T) {
			enc := appendMessage(t, nil, &m)
			n := enc[1] & 0x0f // every message is a fixarray
			require.Equal(t, byte(0x90), enc[1]&0xf0, "message header %#x is not a fixarray", enc[1])

			// An ack's coordinate is optional: one element fewer is an
			// ack without one, followed by garbage.
			if m.Type != TypeAck || len(m.Ack.Coord) == 0 {
				fewer := bytes.Clone(enc)
				fewer[1] = 0x90 | (n - 1)
				_, err := DecodePacket(rawPacket(fewer), nil)
				assertMalformedAt(t, err, "wire: "+m.Type.String()+": ", "one element too few")
			}

			more := append(bytes.Clone(enc), 0x00)
			more[1] = 0x90 | (n + 1)
			_, err := DecodePacket(rawPacket(more), nil)
			assertMalformedAt(t, err, "wire: "+m.Type.String(), "one element too many")

			// The right count in a wider header is valid msgp and accepted.
			wide := cat([]byte{enc[0], 0xdc, 0, n}, enc[2:])
			got, err := DecodePacket(rawPacket(wide), nil)
			if assert.NoError(t, err, "array16 header") {
				assert.Equal(t, normalized([]Message{m}), normalized(got), "array16 header")
			}
		})
	}

	t.Run("record", func(t *testing.T) {
		rec := records(1)[0]
		for _, n := range []byte{4, 6} {
			enc := AppendRecord(nil, &rec)
			enc[0] = 0x90 | n
			if n > 5 {
				enc = append(enc, 0)
			}
			_, err := DecodePacket(rawPacket(AppendSyncStart(nil, 0, "a", 1, 0), enc), nil)
			if assert.ErrorIs(t, err, ErrMalformed, "record of %d elements", n) {
				assert.ErrorContains(t, err, "sync.record: ", "record of %d elements", n)
			}
		}
	})
}

// assertMalformedAt checks that err is ErrMalformed and that its text
// starts with prefix, which names the message that failed.
func assertMalformedAt(t *testing.T, err error, prefix, what string) {
	t.Helper()
	if assert.ErrorIs(t, err, ErrMalformed, what) {
		assert.True(t, strings.HasPrefix(err.Error(), prefix), "%s: err = %q, want it to start with %q", what, err, prefix)
	}
}

// TestHugeLengthPrefixes feeds headers claiming ~4 GiB in a few bytes of
// input: they must fail fast, allocating nothing in proportion to the claim.
func TestHugeLengthPrefixes(t *testing.T) {
	str32 := []byte{0xdb, 0xff, 0xff, 0xff, 0xf0, 'a', 'b'}
	bin32 := []byte{0xc6, 0xff, 0xff, 0xff, 0xf0, 1, 2}
	array32 := []byte{0xdd, 0xff, 0xff, 0xff, 0xff}
	okAddr := appendAddr(nil, v4())
	tests := []struct {
		name string
		in   []byte
	}{
		{"str32 name", rawPacket(msg(TypeAlive, arr(4), str32))},
		{"str32 ping target", rawPacket(msg(TypePing, arr(2), uint_(1), str32))},
		{"str32 sync from", rawPacket(msg(TypeSync, arr(3), uint_(0), str32))},
		{"bin32 meta", rawPacket(msg(TypeAlive, arr(4), str("a"), okAddr, bin32))},
		{"bin32 addr", rawPacket(msg(TypeAlive, arr(4), str("a"), bin32))},
		{"bin32 user payload", rawPacket(msg(TypeUser, arr(1), bin32))},
		{"bin32 broadcast payload", rawPacket(msg(TypeBroadcast, arr(3), str("a"), uint_(1), bin32))},
		{"array32 records", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), array32, rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(0))))},
		{"array16 records", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), arr(math.MaxUint16), rawRecord(str("r"), okAddr, bin(nil), uint_(1), uint_(0))))},
		{"array32 message", rawPacket(msg(TypeAlive, array32, str("a")))},
		{"array32 record", rawPacket(msg(TypeSync, arr(3), uint_(0), str("a"), arr(1), array32, bytes.Repeat([]byte{0}, 20)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePacket(tt.in, nil)
			require.ErrorIs(t, err, ErrMalformed)
			// A Message, a record or two and the error cost a few
			// allocations; a buffer sized by the claim would be one more, so
			// the bytes are bounded too, far below the claimed 4 GiB and far
			// above what tests running beside this one could add to the
			// process-wide count in the meantime.
			allocs := testing.AllocsPerRun(100, func() { _, _ = DecodePacket(tt.in, nil) })
			assert.LessOrEqual(t, allocs, 16.0, "allocations per decode")
			const runs = 100
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				_, _ = DecodePacket(tt.in, nil)
			}
			runtime.ReadMemStats(&after)
			assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/runs, uint64(1<<20), "bytes allocated per decode of %d bytes", len(tt.in))
		})
	}
}

// TestAllocationBoundedByInput decodes the densest valid packets, where the
// most decoded state comes from the fewest input bytes, and bounds the
// allocations each decode makes by its input. testing.AllocsPerRun counts
// this goroutine's work with GOMAXPROCS at 1, so tests running beside it do
// not count (process-wide MemStats did, and flaked).
func TestAllocationBoundedByInput(t *testing.T) {
	const budget = 1400
	acks := AppendHeader(nil)
	for len(acks)+3 <= budget {
		acks = AppendAck(acks, &Ack{})
	}
	minRec := Record{Name: "r", Addr: v4()}
	n := (budget - SyncStartSize("a", 0xffff, 0)) / RecordSize(&minRec)
	syncs := AppendSyncStart(AppendHeader(nil), 0, "a", n, 0)
	for range n {
		syncs = AppendRecord(syncs, &minRec)
	}
	require.Equal(t, minRecordSize, RecordSize(&minRec), "RecordSize(smallest record) against minRecordSize")

	nAcks := (len(acks) - 1) / 3
	tests := []struct {
		name  string
		in    []byte
		dst   []Message
		limit float64 // allocations per decode
	}{
		// Without a reused dst, append grows the slice by doubling: a
		// logarithmic number of allocations, never one per message.
		{"acks, nil dst", acks, nil, float64(bits.Len(uint(nAcks)) + 2)},
		{"acks, reused dst", acks, make([]Message, 0, nAcks), 0},
		// A record costs at most its name (one-byte names are interned by
		// the runtime) plus the records slice and the sender's name.
		{"sync, reused dst", syncs, make([]Message, 0, 1), float64(n + 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePacket(tt.in, tt.dst)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(50, func() {
				_, _ = DecodePacket(tt.in, tt.dst[:0])
			})
			t.Logf("%d input bytes: %.0f allocations per decode (limit %.0f)", len(tt.in), allocs, tt.limit)
			assert.LessOrEqual(t, allocs, tt.limit, "allocations per decode of %d input bytes", len(tt.in))
		})
	}
}

func TestEncodeAllocs(t *testing.T) {
	msgs := oneOfEach()
	mapped := Alive{Name: "a", Addr: netip.MustParseAddrPort("[::ffff:10.0.0.1]:80")}
	invalid := Record{Name: "a"}
	buf := make([]byte, 0, 64<<10)
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendHeader(buf[:0])
		b = AppendPing(b, &msgs[0].Ping)
		b = AppendAck(b, &msgs[1].Ack)
		b = AppendNack(b, &msgs[2].Nack)
		b = AppendPingReq(b, &msgs[3].PingReq)
		b = AppendAlive(b, &msgs[4].Alive)
		b = AppendAlive(b, &mapped)
		b = AppendSuspect(b, &msgs[5].Suspect)
		b = AppendDead(b, &msgs[6].Dead)
		b = AppendLeave(b, &msgs[7].Leave)
		b = AppendSync(b, &msgs[8].Sync)
		b = AppendSyncStart(b, 0, "a", 1, 0)
		b = AppendRecord(b, &invalid)
		b = AppendUser(b, &msgs[9].User)
		b = AppendBroadcast(b, &msgs[10].Broadcast)
		buf = b
	})
	assert.Zero(t, allocs, "encoders allocated into a buffer with room")
}

// TestSizes checks RecordSize and SyncStartSize against what the encoders
// append, across every msgp size-class boundary they depend on.
func TestSizes(t *testing.T) {
	strLens := []int{1, 31, 32, MaxNameLen, 255, 256, 65535, 65536}
	metaLens := []int{0, 1, 255, 256, MaxMetaLen, 65535, 65536}
	incs := []uint64{0, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	addrs := []netip.AddrPort{v4(), v6(), netip.MustParseAddrPort("[::ffff:1.2.3.4]:5"), {}}
	for _, nl := range strLens {
		name := strings.Repeat("n", nl)
		for _, ml := range metaLens {
			meta := make([]byte, ml)
			for _, inc := range incs {
				for _, addr := range addrs {
					for st := StateAlive; st <= StateLeft; st++ {
						r := Record{Name: name, Addr: addr, Meta: meta, Incarnation: inc, State: st}
						require.Equal(t, len(AppendRecord(nil, &r)), RecordSize(&r),
							"RecordSize(name %d, meta %d, inc %d, addr %v) against the bytes appended", nl, ml, inc, addr)
					}
				}
			}
		}
	}

	counts := []int{0, 1, 15, 16, 65535, 65536}
	for _, fl := range append([]int{0}, strLens...) {
		from := strings.Repeat("f", fl)
		for _, c := range counts {
			for flags := range uint8(SyncWantReply | SyncReply | SyncLast + 1) {
				for _, nonce := range []uint64{0, 1, 0x7f, 0x80, 1 << 32, math.MaxUint64} {
					require.Equal(t, len(AppendSyncStart(nil, flags, from, c, nonce)), SyncStartSize(from, c, nonce),
						"SyncStartSize(from %d, count %d, nonce %#x) against the bytes appended (flags %#x)", fl, c, nonce, flags)
				}
			}
		}
	}
}

// TestPackSyncToBudget uses the size functions the way a sender does: fill
// one packet with as many records as fit, then start the next.
func TestPackSyncToBudget(t *testing.T) {
	const budget = 1400
	recs := records(200)
	var decoded []Record
	for rest := recs; len(rest) > 0; {
		n, size := 0, SyncStartSize("me", 0, 0)
		for n < len(rest) {
			grown := size - SyncStartSize("me", n, 0) + SyncStartSize("me", n+1, 0) + RecordSize(&rest[n])
			if 1+grown > budget {
				break
			}
			n, size = n+1, grown
		}
		require.NotZero(t, n, "record does not fit an empty packet")
		pkt := AppendSyncStart(AppendHeader(make([]byte, 0, budget)), 0, "me", n, 0)
		for i := range n {
			pkt = AppendRecord(pkt, &rest[i])
		}
		require.Len(t, pkt, 1+size, "packet against its predicted size")
		require.LessOrEqual(t, len(pkt), budget, "packet against the budget")
		msgs, err := DecodePacket(pkt, nil)
		require.NoError(t, err)
		decoded = append(decoded, msgs[0].Sync.Records...)
		rest = rest[n:]
	}
	want := Message{Type: TypeSync, Sync: Sync{From: "me", Records: recs}}
	got := Message{Type: TypeSync, Sync: Sync{From: "me", Records: decoded}}
	assert.Equal(t, normalize(want), normalize(got), "records changed across packets")
}

func TestTypeString(t *testing.T) {
	seen := map[string]bool{}
	for _, ty := range allTypes() {
		s := ty.String()
		assert.NotEmpty(t, s, "Type(%d).String()", uint8(ty))
		assert.False(t, strings.HasPrefix(s, "Type("), "Type(%d).String() = %q: no name", uint8(ty), s)
		assert.False(t, seen[s], "Type(%d).String() = %q: a second type of that name", uint8(ty), s)
		seen[s] = true
	}
	for _, ty := range []Type{0, 200} {
		assert.Equal(t, fmt.Sprintf("Type(%d)", uint8(ty)), ty.String())
	}
}

// TestMutations corrupts valid packets at random; decoding must never panic,
// must honour all-or-nothing, and whatever it accepts must survive a round
// trip.
func TestMutations(t *testing.T) {
	base := packet(t, append(oneOfEach(), Message{Type: TypeSync, Sync: Sync{From: "z", Records: records(20)}})...)
	interesting := []byte{0x00, 0x7f, 0x80, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc4, 0xc6, 0xcc, 0xcf, 0xd9, 0xdb, 0xdc, 0xdd, 0xff}
	rng := rand.New(rand.NewPCG(0x5eed, 0xc0ffee))
	prior := []Message{{Type: TypeAck}}
	var accepted int
	for i := range 20_000 {
		in := bytes.Clone(base)
		switch rng.IntN(4) {
		case 0: // a few bit flips
			for range 1 + rng.IntN(4) {
				in[rng.IntN(len(in))] ^= 1 << rng.IntN(8)
			}
		case 1: // an msgp marker where it does not belong
			in[rng.IntN(len(in))] = interesting[rng.IntN(len(interesting))]
		case 2: // a cut plus a flip
			in = in[:rng.IntN(len(in))]
			if len(in) > 0 {
				in[rng.IntN(len(in))] ^= 1 << rng.IntN(8)
			}
		case 3: // a random byte anywhere, in the header region most often
			in[rng.IntN(min(len(in), 40))] = byte(rng.Uint32())
		}
		got, err := DecodePacket(in, append(make([]Message, 0, 4), prior...))
		if err != nil {
			require.Len(t, got, len(prior), "mutation %d: messages returned with error %v", i, err)
			requireSentinel(t, err, fmt.Sprintf("mutation %d", i))
			continue
		}
		accepted++
		checkReencode(t, in, got[len(prior):])
	}
	t.Logf("%d of 20000 mutations still decoded", accepted)
}

// checkReencode re-encodes decoded messages and decodes them again: the
// result must be equal and canonical encoding must not be longer than the
// input it came from.
func checkReencode(t testing.TB, in []byte, msgs []Message) {
	t.Helper()
	re := AppendHeader(nil)
	for i := range msgs {
		re = appendMessage(t, re, &msgs[i])
	}
	again, err := DecodePacket(re, nil)
	require.NoError(t, err, "re-encoded packet does not decode\ninput % x\nre-encoded % x", in, re)
	require.Equal(t, normalized(msgs), normalized(again), "re-encoded packet decodes differently")
	require.LessOrEqual(t, len(re), len(in), "canonical encoding longer than the input")
	re2 := AppendHeader(nil)
	for i := range again {
		re2 = appendMessage(t, re2, &again[i])
	}
	require.Equal(t, re, re2, "encoding not stable")
}

// requireSentinel fails unless err matches one of the package's sentinel
// errors; what says which input it came from.
func requireSentinel(t testing.TB, err error, what string) {
	t.Helper()
	is := func(s error) bool { return errors.Is(err, s) }
	require.True(t, slices.ContainsFunc([]error{ErrMalformed, ErrUnknownType, ErrVersion, ErrEmpty}, is),
		"%s: error %v matches no sentinel", what, err)
}
