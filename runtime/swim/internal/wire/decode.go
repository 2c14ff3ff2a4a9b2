package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// Errors returned by [DecodePacket], always wrapped with context; test for
// them with errors.Is.
var (
	// ErrVersion reports a packet whose version byte this package does not
	// speak.
	ErrVersion = errors.New("unknown version")
	// ErrEmpty reports a packet holding no message, not even a version byte.
	ErrEmpty = errors.New("no message")
	// ErrUnknownType reports a message type byte this package does not know.
	// Nothing after it can be decoded, since message lengths are implicit.
	ErrUnknownType = errors.New("unknown message type")
	// ErrMalformed reports any other defect: truncation, a wrong msgp type or
	// array length, or a field out of bounds.
	ErrMalformed = errors.New("malformed message")
)

// String returns the message type's name as used in errors, or "Type(n)" for
// an unknown n.
func (t Type) String() string {
	switch t {
	case TypePing:
		return "ping"
	case TypeAck:
		return "ack"
	case TypeNack:
		return "nack"
	case TypePingReq:
		return "pingreq"
	case TypeAlive:
		return "alive"
	case TypeSuspect:
		return "suspect"
	case TypeDead:
		return "dead"
	case TypeLeave:
		return "leave"
	case TypeSync:
		return "sync"
	case TypeUser:
		return "user"
	case TypeBroadcast:
		return "broadcast"
	case TypeDigest:
		return "digest"
	case TypeCookie:
		return "cookie"
	case TypeKeyedSums:
		return "keyedsums"
	case TypeToken:
		return "token"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// minRecordSize is the smallest encoded Record: fixarray, a one-byte name
// with its fixstr header, a bin8 IPv4 address, an empty bin8 meta and two
// fixints. Bounding a claimed record count by it keeps a forged count from
// costing more than the input it arrived in.
const minRecordSize = 1 + 2 + 2 + addr4Len + 2 + 1 + 1

// DecodePacket decodes the packet b, appending its messages to dst, and
// returns the extended slice.
//
// Decoding is all or nothing: on error it returns dst as it was (any spare
// capacity it wrote into zeroed again) and an error matching one of
// [ErrVersion], [ErrEmpty], [ErrUnknownType] or [ErrMalformed]. The results
// share no memory with b, so b may be reused at once.
//
// Allocation grows with len(b), never with what the length prefixes in b
// claim. A Message is a few hundred bytes, so a receiver should reuse dst:
// with enough capacity in dst, decoding allocates only the strings, byte
// slices and records of the messages.
//
// Empty Meta, Payload and Records decode as nil, and IPv4-mapped IPv6
// addresses as IPv4, so that one message decodes to one value however its
// sender encoded it.
func DecodePacket(b []byte, dst []Message) ([]Message, error) {
	if len(b) == 0 {
		return dst, fmt.Errorf("wire: %w: empty packet", ErrEmpty)
	}
	if b[0] != Version {
		return dst, fmt.Errorf("wire: %w %d (want %d)", ErrVersion, b[0], Version)
	}
	if len(b) == 1 {
		return dst, fmt.Errorf("wire: %w: packet holds only its header", ErrEmpty)
	}
	orig, n := dst, len(dst)
	r := reader{b: b[1:]}
	for len(r.b) > 0 && r.err == nil {
		dst = append(dst, Message{})
		r.message(&dst[len(dst)-1])
	}
	if r.err != nil {
		// Zero what was written into the caller's backing array (all of its
		// spare capacity if append moved on to a new one), so that it keeps
		// no half-decoded message alive.
		clear(orig[n:min(len(dst), cap(orig))])
		return orig, r.err
	}
	return dst, nil
}

// reader decodes from b, stopping at the first error: once err is set every
// method returns zero values, so decoders read all fields unconditionally and
// check err once.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(where string, cause error) {
	r.err = fmt.Errorf("wire: %s: %w: %v", where, ErrMalformed, cause)
	r.b = nil
}

func (r *reader) failf(where, format string, args ...any) {
	r.fail(where, fmt.Errorf(format, args...))
}

func (r *reader) message(m *Message) {
	t := Type(r.b[0])
	r.b = r.b[1:]
	m.Type = t
	switch t {
	case TypePing:
		r.arrayHeader("ping", 1)
		m.Ping.Nonce = r.uint32("ping.nonce")
	case TypeAck:
		// An ack has its nonce, and a coordinate now and then.
		n := r.arrayHeaderOf("ack", 1, 2)
		m.Ack.Nonce = r.uint32("ack.nonce")
		if n == 2 {
			m.Ack.Coord = r.bytes("ack.coord", MaxCoordLen)
		}
	case TypeNack:
		r.arrayHeader("nack", 1)
		m.Nack.Nonce = r.uint32("nack.nonce")
	case TypePingReq:
		r.arrayHeader("pingreq", 3)
		m.PingReq.Nonce = r.uint32("pingreq.nonce")
		m.PingReq.Target = r.name("pingreq.target")
		m.PingReq.Addr = r.addr("pingreq.addr")
	case TypeAlive:
		r.arrayHeader("alive", 4)
		m.Alive.Name = r.name("alive.name")
		m.Alive.Addr = r.addr("alive.addr")
		m.Alive.Meta = r.bytes("alive.meta", MaxMetaLen)
		m.Alive.Incarnation = r.uint64("alive.incarnation")
	case TypeSuspect:
		r.arrayHeader("suspect", 3)
		m.Suspect.Name = r.name("suspect.name")
		m.Suspect.Incarnation = r.uint64("suspect.incarnation")
		m.Suspect.From = r.name("suspect.from")
	case TypeDead:
		r.arrayHeader("dead", 3)
		m.Dead.Name = r.name("dead.name")
		m.Dead.Incarnation = r.uint64("dead.incarnation")
		m.Dead.From = r.name("dead.from")
	case TypeLeave:
		r.arrayHeader("leave", 2)
		m.Leave.Name = r.name("leave.name")
		m.Leave.Incarnation = r.uint64("leave.incarnation")
	case TypeSync:
		r.sync(&m.Sync)
	case TypeUser:
		r.arrayHeader("user", 1)
		// Payloads need no bound of their own: they cannot outgrow the packet.
		m.User.Payload = r.bytes("user.payload", -1)
	case TypeBroadcast:
		r.broadcast(&m.Broadcast)
	case TypeDigest:
		n := r.arrayHeaderOf("digest", 2, 4)
		m.Digest.From = r.name("digest.from")
		m.Digest.Digest = r.uint64("digest.digest")
		switch n {
		case 3:
			m.Digest.KeyedSum = r.nonZero("digest.keyedsum")
		case 4: // the nonce follows the sum, which may then be zero
			m.Digest.KeyedSum = r.uint64("digest.keyedsum")
			m.Digest.Nonce = r.nonZero("digest.nonce")
		}
	case TypeKeyedSums:
		r.keyedSums(&m.KeyedSums)
	case TypeCookie:
		r.arrayHeader("cookie", 1)
		m.Cookie.Value = r.bytes("cookie.value", MaxCookieLen)
	case TypeToken:
		r.arrayHeader("token", 2)
		m.Token.Given = r.uint64("token.given")
		m.Token.Echoed = r.uint64("token.echoed")
	default:
		r.err = fmt.Errorf("wire: %w %d", ErrUnknownType, byte(t))
		r.b = nil
	}
}

func (r *reader) broadcast(m *Broadcast) {
	n := r.arrayHeaderOf("broadcast", 3, 5)
	m.Origin = r.name("broadcast.origin")
	m.ID = r.uint32("broadcast.id")
	m.Payload = r.bytes("broadcast.payload", -1)
	// Zero key and epoch are written as no field at all, so that one
	// broadcast has one encoding.
	if n >= 4 {
		m.Key = r.nonZero("broadcast.key")
	}
	if n == 5 {
		m.Epoch = r.nonZero("broadcast.epoch")
	}
}

// keyedSums reads exactly KeyedBuckets sums: the count is checked before
// anything is allocated for them.
func (r *reader) keyedSums(m *KeyedSums) {
	r.arrayHeader("keyedsums", 3)
	m.From = r.name("keyedsums.from")
	m.Flags = r.uint8("keyedsums.flags")
	r.arrayHeader("keyedsums.sums", KeyedBuckets)
	if r.err != nil {
		return
	}
	m.Sums = make([]uint64, KeyedBuckets)
	for i := range m.Sums {
		m.Sums[i] = r.uint64("keyedsums.sums")
	}
}

// nonZero reads an optional uint64 field that is written only when
// non-zero.
func (r *reader) nonZero(where string) uint64 {
	v := r.uint64(where)
	if r.err == nil && v == 0 {
		r.failf(where, "zero in an optional field")
	}
	return v
}

func (r *reader) sync(s *Sync) {
	n := r.arrayHeaderOf("sync", 3, 4)
	s.Flags = r.uint8("sync.flags")
	s.From = r.name("sync.from")
	if n == 4 {
		s.Nonce = r.nonZero("sync.nonce")
	}
	if r.err != nil {
		return
	}
	count, rest, err := msgp.ReadArrayHeaderBytes(r.b)
	if err != nil {
		r.fail("sync.records", err)
		return
	}
	r.b = rest
	if count == 0 {
		return
	}
	// The count is the sender's word, the input length is not: presize by
	// what the input can hold, so that a forged count costs nothing. Valid
	// records never outgrow this capacity.
	s.Records = make([]Record, 0, min(uint64(count), uint64(len(r.b)/minRecordSize)))
	for i := range count {
		s.Records = append(s.Records, Record{})
		r.record(&s.Records[i])
		if r.err != nil {
			r.err = fmt.Errorf("%w (record %d)", r.err, i)
			return
		}
	}
}

func (r *reader) record(rec *Record) {
	r.arrayHeader("sync.record", 5)
	rec.Name = r.name("sync.record.name")
	rec.Addr = r.addr("sync.record.addr")
	rec.Meta = r.bytes("sync.record.meta", MaxMetaLen)
	rec.Incarnation = r.uint64("sync.record.incarnation")
	st := r.uint8("sync.record.state")
	if r.err == nil && State(st) > StateLeft {
		r.failf("sync.record.state", "unknown state %d", st)
		return
	}
	rec.State = State(st)
}

// arrayHeader insists on exactly n elements: with no field names on the wire
// a longer array could only be misread, never skipped safely.
func (r *reader) arrayHeader(where string, n uint32) {
	if r.err != nil {
		return
	}
	sz, rest, err := msgp.ReadArrayHeaderBytes(r.b)
	if err != nil {
		r.fail(where, err)
		return
	}
	if sz != n {
		r.failf(where, "array of %d elements, want %d", sz, n)
		return
	}
	r.b = rest
}

// arrayHeaderOf accepts from lo to hi elements, for a message whose last
// fields are optional, and returns the count.
func (r *reader) arrayHeaderOf(where string, lo, hi uint32) uint32 {
	if r.err != nil {
		return 0
	}
	sz, rest, err := msgp.ReadArrayHeaderBytes(r.b)
	if err != nil {
		r.fail(where, err)
		return 0
	}
	if sz < lo || sz > hi {
		r.failf(where, "array of %d elements, want %d to %d", sz, lo, hi)
		return 0
	}
	r.b = rest
	return sz
}

func (r *reader) uint64(where string) uint64 {
	if r.err != nil {
		return 0
	}
	v, rest, err := msgp.ReadUint64Bytes(r.b)
	if err != nil {
		r.fail(where, err)
		return 0
	}
	r.b = rest
	return v
}

func (r *reader) uint32(where string) uint32 {
	if r.err != nil {
		return 0
	}
	v, rest, err := msgp.ReadUint32Bytes(r.b)
	if err != nil {
		r.fail(where, err)
		return 0
	}
	r.b = rest
	return v
}

func (r *reader) uint8(where string) uint8 {
	if r.err != nil {
		return 0
	}
	v, rest, err := msgp.ReadUint8Bytes(r.b)
	if err != nil {
		r.fail(where, err)
		return 0
	}
	r.b = rest
	return v
}

// name reads a member name, which must be non-empty: an empty name would
// make every nameless message refer to one phantom member.
func (r *reader) name(where string) string {
	return r.str(where, 1, MaxNameLen)
}

// str reads a string of minLen to maxLen bytes. The bound is checked on the
// zero-copy view, before the copy that detaches the result from the input.
func (r *reader) str(where string, minLen, maxLen int) string {
	if r.err != nil {
		return ""
	}
	// msgp.ReadStringZC turns a str32 length into an int, which a 32-bit
	// platform sees as negative past 2 GiB, slipping by its bounds check
	// into a slice panic; catch the lie first.
	if len(r.b) >= 5 && r.b[0] == 0xdb && uint64(binary.BigEndian.Uint32(r.b[1:5])) > uint64(len(r.b)-5) {
		r.fail(where, msgp.ErrShortBytes)
		return ""
	}
	v, rest, err := msgp.ReadStringZC(r.b)
	if err != nil {
		r.fail(where, err)
		return ""
	}
	if len(v) < minLen || len(v) > maxLen {
		r.failf(where, "length %d outside [%d, %d]", len(v), minLen, maxLen)
		return ""
	}
	r.b = rest
	return string(v)
}

// binView returns the content of a bin without copying it. It reads only the
// header through msgp and slices by hand since the header's uint32 length
// compares safely with the input length on every platform.
func (r *reader) binView(where string) []byte {
	if r.err != nil {
		return nil
	}
	sz, rest, err := msgp.ReadBytesHeader(r.b)
	if err != nil {
		r.fail(where, err)
		return nil
	}
	if uint64(sz) > uint64(len(rest)) {
		r.failf(where, "bin of %d bytes, only %d left", sz, len(rest))
		return nil
	}
	r.b = rest[sz:]
	return rest[:sz]
}

// bytes reads a bin of at most maxLen bytes (no limit if negative) and
// returns a copy, nil if empty.
func (r *reader) bytes(where string, maxLen int) []byte {
	v := r.binView(where)
	if r.err != nil {
		return nil
	}
	if maxLen >= 0 && len(v) > maxLen {
		r.failf(where, "length %d exceeds %d", len(v), maxLen)
		return nil
	}
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

func (r *reader) addr(where string) netip.AddrPort {
	v := r.binView(where)
	if r.err != nil {
		return netip.AddrPort{}
	}
	var a netip.Addr
	switch len(v) {
	case addr4Len:
		a = netip.AddrFrom4([4]byte(v[:4]))
	case addr6Len:
		// Unmapped as the encoder does, so a sender that skipped that step
		// still yields the one canonical address.
		a = netip.AddrFrom16([16]byte(v[:16])).Unmap()
	default:
		r.failf(where, "address of %d bytes, want %d or %d", len(v), addr4Len, addr6Len)
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(v[len(v)-2:]))
}
