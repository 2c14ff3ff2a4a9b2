// Package wire holds the SWIM protocol's messages and their bounded
// MessagePack encoding (tinylib/msgp, array form: no field names on the wire).
//
// A packet is one version byte followed by one or more messages; each message
// is one type byte followed by a msgp array holding the message's fields in
// declaration order. Decoding allocates in proportion to the input's length,
// never to what its length prefixes claim, and returns an error, never
// panics, on malformed input.
//
// These encoders and decoders are written by hand, not by
// cmd/memberlist-gen, which writes those of the application's messages,
// for four reasons. Packets are compound: the core appends a probe and as
// much gossip as fits into one buffer, message after message, and the
// encoders never fail, where generated code encodes one message per
// payload and reports fields over their bounds. A sync message's record
// count is bounded by bytes, not by a declared maximum: the sender writes
// the count with [AppendSyncStart] and then as many records as
// [SyncStartSize] and [RecordSize] say fit in the packet budget. Generated
// code needs package runtime (it registers its family there, checks
// runtime.MaxMessageSize and wraps a Node's sends and handlers), and
// runtime imports runtime/swim, which imports this package: the import
// would be a cycle, and a codec-only mode of the generator would still
// leave the other reasons. And some fields are optional, left off the
// array when empty: the Ack's Coord, on one ack in several, the
// Broadcast's Key and Epoch, on keyed broadcasts only, the Digest's
// KeyedSum, only where keyed broadcasts are held, and the nonce of a
// Digest or Sync, only on a joiner's requests and their answers, so the
// commonest messages stay as short as they were, while a generated struct
// always writes all its fields. What the two share is the size arithmetic of msgp, in
// internal/msgpsize.
package wire

import "net/netip"

// Version is the protocol version carried in the first byte of every packet.
//
// Version 2 binds acks to their probe with a random nonce, carries
// return-routability cookies and drops the sender claim from user messages.
const Version byte = 2

// Bounds on variable-length fields. Decoders reject anything larger before
// allocating for it.
const (
	// MaxNameLen bounds a member name, in bytes.
	MaxNameLen = 128
	// MaxMetaLen bounds a member's metadata, in bytes.
	MaxMetaLen = 1024
	// MaxCookieLen bounds a return-routability cookie, in bytes.
	MaxCookieLen = 32
)

// Type identifies a message kind on the wire.
type Type uint8

// The message types. Values are part of the wire format: never renumber.
const (
	TypePing      Type = 1
	TypeAck       Type = 2
	TypeNack      Type = 3
	TypePingReq   Type = 4
	TypeAlive     Type = 5
	TypeSuspect   Type = 6
	TypeDead      Type = 7
	TypeLeave     Type = 8
	TypeSync      Type = 9
	TypeUser      Type = 10
	TypeBroadcast Type = 11
	TypeDigest    Type = 12
	TypeCookie    Type = 13
	TypeKeyedSums Type = 14
	TypeToken     Type = 15
)

// State is a member's state as carried in sync records.
type State uint8

// Member states on the wire. Values are part of the wire format.
const (
	StateAlive   State = 0
	StateSuspect State = 1
	StateDead    State = 2
	StateLeft    State = 3
)

// Ping asks the member at the destination address to answer with an Ack.
//
// Nonce is a random number the sender chose for this ping alone. The Ack
// carries Nonce XOR the 32-bit tag of the answering member's name (see
// the swim package), so an ack counts only for this ping and only from the
// member meant: it cannot be replayed from a recording, forged blind
// without guessing among 2^32 values per ping, nor given by another
// member that has since taken the address. Binding the name into the
// answer instead of sending it saves the ping its target name.
type Ping struct {
	Nonce uint32
}

// Ack answers a Ping or, relayed, a PingReq: the ping's Nonce XOR the tag
// of the pinged member's name. Coord, on one ack in several, carries the
// sender's network coordinate (see the swim package); empty otherwise, and
// then not on the wire.
type Ack struct {
	Nonce uint32
	Coord []byte
}

// MaxCoordLen bounds an ack's coordinate, in bytes.
const MaxCoordLen = 64

// Nack tells a PingReq's sender that the relay's own ping timed out; it
// echoes the PingReq's Nonce.
type Nack struct {
	Nonce uint32
}

// PingReq asks the receiver to ping Target at Addr and report back with an
// Ack (Nonce XOR Target's tag) or a Nack (Nonce).
type PingReq struct {
	Nonce  uint32
	Target string
	Addr   netip.AddrPort
}

// Alive announces a member at an incarnation, with its address and metadata.
type Alive struct {
	Name        string
	Addr        netip.AddrPort
	Meta        []byte
	Incarnation uint64
}

// Suspect accuses a member at an incarnation; From names the accuser.
type Suspect struct {
	Name        string
	Incarnation uint64
	From        string
}

// Dead declares a member failed at an incarnation; From names the accuser.
type Dead struct {
	Name        string
	Incarnation uint64
	From        string
}

// Leave announces that a member left gracefully at an incarnation.
type Leave struct {
	Name        string
	Incarnation uint64
}

// Sync flags.
const (
	// SyncWantReply asks the receiver to answer with its own state.
	SyncWantReply uint8 = 1 << 0
	// SyncReply marks chunks sent in answer to a SyncWantReply.
	SyncReply uint8 = 1 << 1
	// SyncLast marks the final chunk of one state transfer.
	SyncLast uint8 = 1 << 2
)

// Record is one member's full state inside a Sync.
type Record struct {
	Name        string
	Addr        netip.AddrPort
	Meta        []byte
	Incarnation uint64
	State       State
}

// Sync carries a chunk of the sender's member state (anti-entropy and join).
//
// Nonce, unless zero, ties the chunk to a request: a state request carries
// the requester's nonce, and every chunk of the answer to it (or to a
// Digest carrying one) echoes it, so the requester can tell its own
// answer from a chunk forged from the answerer's address. It is written as
// a third field, before the records, only when non-zero.
type Sync struct {
	Flags   uint8
	From    string
	Nonce   uint64
	Records []Record
}

// User carries an application payload sent to one member. It names no
// sender: the receiver takes the member whose address sent the packet, so a
// payload cannot claim to come from anyone else.
type User struct {
	Payload []byte
}

// Broadcast carries an application payload gossiped to every member; Origin
// and ID identify it so receivers deliver it once.
type Broadcast struct {
	Origin  string
	ID      uint32
	Payload []byte
	// Key, unless zero, is a hash of what the payload is about, chosen by
	// the origin: a broadcast of the same origin and key with a later ID
	// replaces this one in the queue of every member that passes them on
	// (see swim.Core.BroadcastKeyed). A keyed broadcast carries it as a
	// fourth field, at most MaxBroadcastKeyLen bytes; an unkeyed one has
	// three fields, as before keys existed.
	Key uint64
	// Epoch, on keyed broadcasts, numbers the origin's lives (its start
	// time in milliseconds): of two broadcasts of one origin and key, the
	// one of the later epoch, then of the later ID, is the newer, even
	// across a restart that began the IDs anew. It travels as a fifth
	// field, after Key; a keyed broadcast without it (from a member that
	// predates epochs) has epoch zero, older than any.
	Epoch uint64
}

// MaxBroadcastKeyLen is the most bytes a Broadcast's Key and Epoch add to
// it.
const MaxBroadcastKeyLen = 18

// Digest summarises the sender's view of the live members, so that an
// anti-entropy round between two members that agree costs one small packet;
// a receiver whose own digest differs starts a full Sync.
//
// KeyedSum summarises the sender's store of keyed broadcasts (the latest
// of each origin and key; see swim.Core.BroadcastKeyed): a receiver whose
// own sum differs answers with its KeyedSums. It is a third field, left
// off when zero (no keyed broadcast held), so a digest without keyed
// broadcasts is as it was before.
//
// Nonce, unless zero, is echoed by every chunk of the Sync sent in answer
// (see [Sync]). It is a fourth field; KeyedSum is written, zero or not,
// whenever it is.
type Digest struct {
	From     string
	Digest   uint64
	KeyedSum uint64
	Nonce    uint64
}

// KeyedBuckets is how many sums a KeyedSums carries.
const KeyedBuckets = 32

// KeyedSums flags.
const (
	// KeyedReply marks sums sent in answer to KeyedSums: the receiver
	// pushes its differing broadcasts and answers no further.
	KeyedReply uint8 = 1 << 0
)

// KeyedSums carries the sender's keyed-broadcast store summed in
// KeyedBuckets buckets by origin and key, so that the receiver can push
// the broadcasts of the buckets that differ. Sums has exactly
// KeyedBuckets entries.
type KeyedSums struct {
	From  string
	Flags uint8
	Sums  []uint64
}

// Cookie is a return-routability token (as DNS cookies and QUIC's Retry).
// A member asked for its full state by an address that is not a member
// answers with a Cookie alone, a few bytes; the requester sends its request
// again with the Cookie in front of it, which proves that it receives at
// the address it sends from, and only then gets the state. A spoofed
// request therefore draws nothing larger than itself.
type Cookie struct {
	Value []byte
}

// Token lets a member show, without keys, that a packet comes from its own
// address. A member hands each member it sends alive news to a token
// (Given): a keyed hash of that member's address under a secret of the
// giver's. The member puts it back (Echoed) in front of the alive news it
// sends the giver, who believes that news without a verification ping per
// new member: an off-path sender never saw the token. Zero means absent;
// one message may give one token and echo another.
type Token struct {
	Given, Echoed uint64
}

// Message is one decoded message; only the field named like Type is set.
type Message struct {
	Type      Type
	Ping      Ping
	Ack       Ack
	Nack      Nack
	PingReq   PingReq
	Alive     Alive
	Suspect   Suspect
	Dead      Dead
	Leave     Leave
	Sync      Sync
	User      User
	Broadcast Broadcast
	Digest    Digest
	Cookie    Cookie
	KeyedSums KeyedSums
	Token     Token
}
