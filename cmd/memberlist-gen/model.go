package main

import (
	"go/token"
	"go/types"

	"github.com/memberlist-go/memberlist/internal/msgpsize"
)

// The model is what the analysis makes of a package and what the emitter
// turns into code: families, their variants, the structs to encode, and for
// every field the shape of its encoding and its largest size.

// A family is one interface marked //memberlist:messages.
type family struct {
	obj        *types.TypeName
	name       string
	id         uint32
	idExplicit bool
	stream     bool       // //memberlist:messages stream: sent over SendReliable, never broadcast
	out        string     // the output file, beside the file declaring the interface
	build      string     // that file's build constraint, for the output too
	variants   []*variant // by tag
	maxSize    int        // largest encoding of any variant, tag included
	largest    *variant
	structs    []*structModel // emitted in this family's part of the file: its variants, then nested structs first reached from them
}

// fullName is the family's package path and name, as the runtime
// registers it: "example.com/app/msgs.Command".
func (f *family) fullName() string { return f.obj.Pkg().Path() + "." + f.name }

// A variant is one struct type of a family, with its tag.
type variant struct {
	st  *structModel
	tag int
	pos token.Pos // of the tag directive
}

// size is the variant's largest encoding with its tag.
func (v *variant) size() int { return msgpsize.Uint(uint64(v.tag)) + v.st.size }

// A structModel is a struct type of the package that gets MarshalMsg and
// UnmarshalMsg: a variant or a struct nested in one.
type structModel struct {
	obj    *types.TypeName
	name   string
	qual   string // package name and type name, as errors show it
	gt     *types.Struct
	fields []*fieldModel
	size   int
	state  int // analysis: 0 new, 1 in progress (a cycle if met again), 2 done
	ok     bool
	owner  *family // the family whose part of the output holds the methods
	// key is the field tagged memberlist:"key", if any: broadcasts of the
	// variant with the same value replace each other.
	key *fieldModel
}

// A fieldModel is one encoded field.
type fieldModel struct {
	name string
	pos  token.Pos
	t    *typeModel
}

// kind is the shape of a field's encoding.
type kind int

const (
	kBool kind = iota
	kInt
	kUint
	kFloat
	kString
	kBytes     // []byte: MessagePack bin
	kByteArray // [N]byte: bin of exactly N bytes
	kArray
	kSlice
	kMap
	kStruct
	kTime
	kAddr
	kAddrPort
)

// A typeModel describes how a value of one Go type is encoded.
type typeModel struct {
	kind   kind
	goType types.Type // as declared, possibly a named type
	// basic is the predeclared type msgp reads and writes for bool and
	// number kinds (int16, float32, ...); named is set when goType is
	// another type over it (or over time.Time, netip.Addr, ...), which
	// the code converts.
	basic *types.Basic
	named bool
	// bound limits a string's or []byte's length, or a slice's or map's
	// element count; boundName is the tag option that set it.
	bound     int
	boundName string
	length    int // arrays
	elem, key *typeModel
	st        *structModel
	size      int // largest encoding
}
