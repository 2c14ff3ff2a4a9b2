package wire

import (
	"net/netip"
	"strings"
	"testing"
)

// appendMessage encodes m through the per-type encoder its Type selects; the
// tests use it to re-encode whatever DecodePacket returns.
func appendMessage(t testing.TB, b []byte, m *Message) []byte {
	t.Helper()
	switch m.Type {
	case TypePing:
		return AppendPing(b, &m.Ping)
	case TypeAck:
		return AppendAck(b, &m.Ack)
	case TypeNack:
		return AppendNack(b, &m.Nack)
	case TypePingReq:
		return AppendPingReq(b, &m.PingReq)
	case TypeAlive:
		return AppendAlive(b, &m.Alive)
	case TypeSuspect:
		return AppendSuspect(b, &m.Suspect)
	case TypeDead:
		return AppendDead(b, &m.Dead)
	case TypeLeave:
		return AppendLeave(b, &m.Leave)
	case TypeSync:
		return AppendSync(b, &m.Sync)
	case TypeUser:
		return AppendUser(b, &m.User)
	case TypeBroadcast:
		return AppendBroadcast(b, &m.Broadcast)
	case TypeDigest:
		return AppendDigest(b, &m.Digest)
	case TypeCookie:
		return AppendCookie(b, &m.Cookie)
	case TypeKeyedSums:
		return AppendKeyedSums(b, &m.KeyedSums)
	case TypeToken:
		return AppendToken(b, &m.Token)
	}
	t.Fatalf("appendMessage: unknown type %v", m.Type)
	return nil
}

// packet encodes msgs as one packet.
func packet(t testing.TB, msgs ...Message) []byte {
	t.Helper()
	b := AppendHeader(nil)
	for i := range msgs {
		b = appendMessage(t, b, &msgs[i])
	}
	return b
}

// rawPacket joins a header and raw message bytes, for inputs the encoders
// would never produce.
func rawPacket(msgs ...[]byte) []byte {
	b := AppendHeader(nil)
	for _, m := range msgs {
		b = append(b, m...)
	}
	return b
}

// normalize maps empty slices to nil, the form DecodePacket returns, so that
// messages built by hand compare equal to decoded ones.
func normalize(m Message) Message {
	nilIfEmpty := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		return b
	}
	m.Alive.Meta = nilIfEmpty(m.Alive.Meta)
	m.User.Payload = nilIfEmpty(m.User.Payload)
	m.Broadcast.Payload = nilIfEmpty(m.Broadcast.Payload)
	if len(m.Sync.Records) == 0 {
		m.Sync.Records = nil
	} else {
		recs := make([]Record, len(m.Sync.Records))
		for i, r := range m.Sync.Records {
			r.Meta = nilIfEmpty(r.Meta)
			recs[i] = r
		}
		m.Sync.Records = recs
	}
	return m
}

// normalized returns msgs normalized, nil for none, so that assert.Equal
// compares decoded messages with hand-built ones and shows a diff.
func normalized(msgs []Message) []Message {
	if len(msgs) == 0 {
		return nil
	}
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = normalize(m)
	}
	return out
}

func maxName() string { return strings.Repeat("n", MaxNameLen) }

func v4() netip.AddrPort { return netip.MustParseAddrPort("10.1.2.3:7946") }

func v6() netip.AddrPort { return netip.MustParseAddrPort("[2001:db8::1]:65535") }

// records returns n distinct records cycling through states and address
// families.
func records(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		addr := v4()
		if i%2 == 1 {
			addr = v6()
		}
		var meta []byte
		if i%3 != 0 {
			meta = []byte(strings.Repeat("m", i))
		}
		recs[i] = Record{
			Name:        "member-" + strings.Repeat("x", i%40),
			Addr:        addr,
			Meta:        meta,
			Incarnation: uint64(i) * 1_000_003,
			State:       State(i % 4),
		}
	}
	return recs
}

// oneOfEach returns one representative message per type, in type order;
// the corpus seeds and several tests are built from it.
func oneOfEach() []Message {
	return []Message{
		{Type: TypePing, Ping: Ping{Nonce: 1}},
		{Type: TypeAck, Ack: Ack{Nonce: 2}},
		{Type: TypeAck, Ack: Ack{Nonce: 3, Coord: []byte("0123456789012345678901")}},
		{Type: TypeNack, Nack: Nack{Nonce: 3}},
		{Type: TypePingReq, PingReq: PingReq{Nonce: 4, Target: "node-c", Addr: v4()}},
		{Type: TypeAlive, Alive: Alive{Name: "node-a", Addr: v6(), Meta: []byte("role=db"), Incarnation: 5}},
		{Type: TypeSuspect, Suspect: Suspect{Name: "node-c", Incarnation: 6, From: "node-a"}},
		{Type: TypeDead, Dead: Dead{Name: "node-c", Incarnation: 7, From: "node-a"}},
		{Type: TypeLeave, Leave: Leave{Name: "node-a", Incarnation: 8}},
		{Type: TypeSync, Sync: Sync{Flags: SyncWantReply | SyncLast, From: "node-a", Records: records(3)}},
		{Type: TypeUser, User: User{Payload: []byte("hello")}},
		{Type: TypeBroadcast, Broadcast: Broadcast{Origin: "node-a", ID: 9, Payload: []byte("news")}},
		{Type: TypeDigest, Digest: Digest{From: "node-a", Digest: 0x0123456789abcdef}},
		{Type: TypeKeyedSums, KeyedSums: KeyedSums{From: "node-a", Flags: KeyedReply, Sums: keyedSums()}},
		{Type: TypeToken, Token: Token{Given: 0x0123456789abcdef, Echoed: 0xfedcba9876543210}},
		// The cookie stays last: the all-or-nothing tests spoil it.
		{Type: TypeCookie, Cookie: Cookie{Value: []byte("0123456789abcdef")}},
	}
}

// allTypes lists every defined message type.
func allTypes() []Type {
	return []Type{TypePing, TypeAck, TypeNack, TypePingReq, TypeAlive, TypeSuspect,
		TypeDead, TypeLeave, TypeSync, TypeUser, TypeBroadcast, TypeDigest, TypeCookie, TypeKeyedSums, TypeToken}
}

// keyedSums returns KeyedBuckets sums, a few of them zero, some needing
// every byte of a uint64.
func keyedSums() []uint64 {
	s := make([]uint64, KeyedBuckets)
	for i := range s {
		if i%5 != 0 {
			s[i] = uint64(i) * 0x9e3779b97f4a7c15
		}
	}
	return s
}
