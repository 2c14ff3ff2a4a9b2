// Package kinds declares a message family with a field of every kind
// memberlist-gen supports, to test the generated codecs on all of them.
package kinds

import (
	"net/netip"
	"time"
)

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Kinds is a family whose variants cover every supported field type.
//
//memberlist:messages
type Kinds interface{ isKinds() }

// Level is a named type over a number.
type Level uint8

// Name is a named type over a string.
type Name string

// Blob is a named type over []byte.
type Blob []byte

// Names is a named slice type.
type Names []Name

// Stamp is a named type over time.Time.
type Stamp time.Time

// IP is a named type over netip.Addr.
type IP netip.Addr

// Endpoint is a named type over netip.AddrPort.
type Endpoint netip.AddrPort

// Key is a named byte array.
type Key [16]byte

// Numbers holds every number type, each at a different tag size.
//
//memberlist:tag 1
type Numbers struct {
	B   bool
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	F32 float32
	F64 float64
	By  byte
	L   Level
	D   time.Duration
	M   time.Month
}

// Texts holds strings and bytes, plain and named.
//
//memberlist:tag 300
type Texts struct {
	S  string `memberlist:"max=31"`
	S8 string `memberlist:"max=255"`
	N  Name   `memberlist:"max=40"`
	B  []byte `memberlist:"max=300"`
	BN Blob   `memberlist:"max=10"`
	K  Key
	A  [4]byte
}

// Containers holds arrays, slices and maps.
//
//memberlist:tag 65535
type Containers struct {
	Grid    [2][3]int8
	Levels  []Level            `memberlist:"max=5"`
	Words   Names              `memberlist:"max=3,elem=8"`
	Blobs   [][]byte           `memberlist:"max=2,elem=4"`
	Keys    [][16]byte         `memberlist:"max=2"`
	Fixed   [3]string          `memberlist:"elem=5"`
	Attrs   map[string]string  `memberlist:"max=3,key=6,elem=7"`
	Counts  map[uint16]int64   `memberlist:"max=4"`
	Flags   map[Name]bool      `memberlist:"max=2,key=3"`
	Parts   []Part             `memberlist:"max=2"`
	ByID    map[int32]Part     `memberlist:"max=2"`
	Squares map[int8][2]uint16 `memberlist:"max=2"`
}

// Part is a struct nested in messages, with a field left out.
type Part struct {
	Label   string `memberlist:"max=12"`
	Inner   Inner
	Scratch uint8 `memberlist:"-"`
}

// Inner is nested two levels deep.
type Inner struct {
	At  time.Time
	Ids [2]uint32
}

// Places holds times and addresses, plain and named.
//
//memberlist:tag 2
type Places struct {
	At    time.Time
	When  Stamp
	Addr  netip.Addr
	IP    IP
	Peer  netip.AddrPort
	End   Endpoint
	Times []time.Time   `memberlist:"max=2"`
	Peers map[string]IP `memberlist:"max=2,key=4"`
	Ends  [2]netip.AddrPort
}

// Empty has no fields at all.
//
//memberlist:tag 128
type Empty struct{}

// Embedded embeds a nested struct and has a blank field.
//
//memberlist:tag 3
type Embedded struct {
	Part
	_     int
	Count int16
}

func (Numbers) isKinds()    {}
func (Texts) isKinds()      {}
func (Containers) isKinds() {}
func (Places) isKinds()     {}
func (Empty) isKinds()      {}
func (Embedded) isKinds()   {}
