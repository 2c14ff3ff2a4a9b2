package wire

import (
	"encoding/binary"
	"net/netip"

	"github.com/tinylib/msgp/msgp"

	"github.com/memberlist-go/memberlist/internal/msgpsize"
)

// Encoders append to b and never fail: callers hold only values they built
// or decoded, so validation belongs to the decoder. They allocate only when b
// lacks capacity, so a sender can reuse one packet buffer for ever.

// AppendHeader appends the packet header (the Version byte). Every packet
// starts with one header followed by at least one message.
func AppendHeader(b []byte) []byte {
	return append(b, Version)
}

// AppendPing appends m as a ping message.
func AppendPing(b []byte, m *Ping) []byte {
	b = append(b, byte(TypePing))
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendUint32(b, m.Nonce)
}

// AppendAck appends m as an ack message.
func AppendAck(b []byte, m *Ack) []byte {
	b = append(b, byte(TypeAck))
	if len(m.Coord) == 0 {
		b = msgp.AppendArrayHeader(b, 1)
		return msgp.AppendUint32(b, m.Nonce)
	}
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendUint32(b, m.Nonce)
	return msgp.AppendBytes(b, m.Coord)
}

// AppendNack appends m as a nack message.
func AppendNack(b []byte, m *Nack) []byte {
	b = append(b, byte(TypeNack))
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendUint32(b, m.Nonce)
}

// AppendPingReq appends m as a ping-req message. m.Addr must be valid; an
// invalid one is written so that receivers reject the packet (see
// [AppendRecord]).
func AppendPingReq(b []byte, m *PingReq) []byte {
	b = append(b, byte(TypePingReq))
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendUint32(b, m.Nonce)
	b = msgp.AppendString(b, m.Target)
	return appendAddr(b, m.Addr)
}

// AppendAlive appends m as an alive message. m.Addr must be valid; an
// invalid one is written so that receivers reject the packet (see
// [AppendRecord]).
func AppendAlive(b []byte, m *Alive) []byte {
	b = append(b, byte(TypeAlive))
	b = msgp.AppendArrayHeader(b, 4)
	b = msgp.AppendString(b, m.Name)
	b = appendAddr(b, m.Addr)
	b = msgp.AppendBytes(b, m.Meta)
	return msgp.AppendUint64(b, m.Incarnation)
}

// AppendSuspect appends m as a suspect message.
func AppendSuspect(b []byte, m *Suspect) []byte {
	b = append(b, byte(TypeSuspect))
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendString(b, m.Name)
	b = msgp.AppendUint64(b, m.Incarnation)
	return msgp.AppendString(b, m.From)
}

// AppendDead appends m as a dead message.
func AppendDead(b []byte, m *Dead) []byte {
	b = append(b, byte(TypeDead))
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendString(b, m.Name)
	b = msgp.AppendUint64(b, m.Incarnation)
	return msgp.AppendString(b, m.From)
}

// AppendLeave appends m as a leave message.
func AppendLeave(b []byte, m *Leave) []byte {
	b = append(b, byte(TypeLeave))
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendString(b, m.Name)
	return msgp.AppendUint64(b, m.Incarnation)
}

// AppendSyncStart appends the start of a sync message that will hold count
// records; the caller must then append exactly count records with
// [AppendRecord], or the packet will not decode. Splitting the message this
// way lets a sender fill a packet up to its size budget with
// [SyncStartSize] and [RecordSize] without building a Sync value first.
// count must be between 0 and math.MaxUint32. A non-zero nonce goes in
// as a field of its own, before the records (see [Sync]).
func AppendSyncStart(b []byte, flags uint8, from string, count int, nonce uint64) []byte {
	b = append(b, byte(TypeSync))
	if nonce == 0 {
		b = msgp.AppendArrayHeader(b, 3)
	} else {
		b = msgp.AppendArrayHeader(b, 4)
	}
	b = msgp.AppendUint8(b, flags)
	b = msgp.AppendString(b, from)
	if nonce != 0 {
		b = msgp.AppendUint64(b, nonce)
	}
	return msgp.AppendArrayHeader(b, uint32(count))
}

// AppendRecord appends r as one record of a sync message started with
// [AppendSyncStart].
//
// r.Addr must be valid. An invalid address (the zero AddrPort) is written as
// an empty bin rather than as some real-looking address, so that receivers
// reject the packet instead of learning a bogus one. A zone on an IPv6
// address is not carried.
func AppendRecord(b []byte, r *Record) []byte {
	b = msgp.AppendArrayHeader(b, 5)
	b = msgp.AppendString(b, r.Name)
	b = appendAddr(b, r.Addr)
	b = msgp.AppendBytes(b, r.Meta)
	b = msgp.AppendUint64(b, r.Incarnation)
	return msgp.AppendUint8(b, uint8(r.State))
}

// AppendSync appends m as a sync message, all records included. Use
// [AppendSyncStart] and [AppendRecord] to split records across packets.
func AppendSync(b []byte, m *Sync) []byte {
	b = AppendSyncStart(b, m.Flags, m.From, len(m.Records), m.Nonce)
	for i := range m.Records {
		b = AppendRecord(b, &m.Records[i])
	}
	return b
}

// AppendUser appends m as a user message.
func AppendUser(b []byte, m *User) []byte {
	b = append(b, byte(TypeUser))
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendBytes(b, m.Payload)
}

// AppendBroadcast appends m as a broadcast message.
func AppendBroadcast(b []byte, m *Broadcast) []byte {
	b = append(b, byte(TypeBroadcast))
	switch {
	case m.Key == 0:
		b = msgp.AppendArrayHeader(b, 3)
	case m.Epoch == 0:
		b = msgp.AppendArrayHeader(b, 4)
	default:
		b = msgp.AppendArrayHeader(b, 5)
	}
	b = msgp.AppendString(b, m.Origin)
	b = msgp.AppendUint32(b, m.ID)
	b = msgp.AppendBytes(b, m.Payload)
	if m.Key != 0 {
		b = msgp.AppendUint64(b, m.Key)
		if m.Epoch != 0 {
			b = msgp.AppendUint64(b, m.Epoch)
		}
	}
	return b
}

// AppendDigest appends m as a digest message.
func AppendDigest(b []byte, m *Digest) []byte {
	b = append(b, byte(TypeDigest))
	switch {
	case m.Nonce != 0:
		b = msgp.AppendArrayHeader(b, 4)
	case m.KeyedSum != 0:
		b = msgp.AppendArrayHeader(b, 3)
	default:
		b = msgp.AppendArrayHeader(b, 2)
	}
	b = msgp.AppendString(b, m.From)
	b = msgp.AppendUint64(b, m.Digest)
	if m.KeyedSum != 0 || m.Nonce != 0 {
		b = msgp.AppendUint64(b, m.KeyedSum)
	}
	if m.Nonce != 0 {
		b = msgp.AppendUint64(b, m.Nonce)
	}
	return b
}

// AppendKeyedSums appends m as a keyed-sums message. m.Sums should hold
// KeyedBuckets sums; the decoder rejects any other count.
func AppendKeyedSums(b []byte, m *KeyedSums) []byte {
	b = append(b, byte(TypeKeyedSums))
	b = msgp.AppendArrayHeader(b, 3)
	b = msgp.AppendString(b, m.From)
	b = msgp.AppendUint8(b, m.Flags)
	b = msgp.AppendArrayHeader(b, uint32(len(m.Sums)))
	for _, s := range m.Sums {
		b = msgp.AppendUint64(b, s)
	}
	return b
}

// AppendCookie appends m as a cookie message.
func AppendCookie(b []byte, m *Cookie) []byte {
	b = append(b, byte(TypeCookie))
	b = msgp.AppendArrayHeader(b, 1)
	return msgp.AppendBytes(b, m.Value)
}

// AppendToken appends m as a token message.
func AppendToken(b []byte, m *Token) []byte {
	b = append(b, byte(TypeToken))
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendUint64(b, m.Given)
	return msgp.AppendUint64(b, m.Echoed)
}

// RecordSize returns the exact number of bytes [AppendRecord] appends for r.
// It and [SyncStartSize] add up msgpsize's sizes, which its tests hold to
// msgp's at every size-class boundary; TestSizes here checks the sums.
func RecordSize(r *Record) int {
	return msgpsize.ArrayHeader(5) +
		msgpsize.Str(len(r.Name)) +
		addrSize(r.Addr) +
		msgpsize.Bin(len(r.Meta)) +
		msgpsize.Uint(r.Incarnation) +
		msgpsize.Uint(uint64(r.State))
}

// SyncStartSize returns the exact number of bytes [AppendSyncStart] appends
// for from, count and nonce, provided flags uses only the defined Sync*
// bits (any flags below 0x80). Flags from 0x80 up take one byte more; none
// is defined, and taking flags here would only make every caller pass
// them.
func SyncStartSize(from string, count int, nonce uint64) int {
	n := 1 + // type
		msgpsize.ArrayHeader(3) +
		1 + // flags as a positive fixint
		msgpsize.Str(len(from)) +
		msgpsize.ArrayHeader(count)
	if nonce != 0 {
		n += msgpsize.Uint(nonce)
	}
	return n
}

// Encoded address lengths: address bytes plus a big-endian port.
const (
	addr4Len = 4 + 2
	addr6Len = 16 + 2
)

// appendAddr unmaps IPv4-mapped IPv6 addresses so that one endpoint has one
// encoding, whichever way the sender's socket reported it.
func appendAddr(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	switch {
	case a.Is4():
		b = msgp.AppendBytesHeader(b, addr4Len)
		a4 := a.As4()
		b = append(b, a4[:]...)
	case a.Is6():
		b = msgp.AppendBytesHeader(b, addr6Len)
		a16 := a.As16()
		b = append(b, a16[:]...)
	default:
		return msgp.AppendBytesHeader(b, 0)
	}
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

func addrSize(ap netip.AddrPort) int {
	a := ap.Addr().Unmap()
	switch {
	case a.Is4():
		return msgpsize.Bin(addr4Len)
	case a.Is6():
		return msgpsize.Bin(addr6Len)
	default:
		return msgpsize.Bin(0)
	}
}
