// Package numbers writes tags, bounds and ids in every way but plain
// decimal, and gets the smaller things wrong that have exact messages.
package numbers

// Msg is the family.
//
//memberlist:messages id=0x1F
type Msg interface {
	isMsg()
	Kind() string
}

// Octal has an id with a leading zero.
//
// want-next "family id \"010\" of Octal is not a uint32: \"010\" has a leading zero"
//
//memberlist:messages id=010
type Octal interface{ isOctal() }

// Under has an id with an underscore.
//
// want-next "family id \"1_000\" of Under is not a uint32: \"1_000\" is not a decimal number"
//
//memberlist:messages id=1_000
type Under interface{ isUnder() }

// Hex has a tag in hex.
//
// want-next "tag \"0x10\" of Hex is no tag: \"0x10\" is not a decimal number"
//
//memberlist:tag 0x10
type Hex struct{}

// Plus has a tag with a sign.
//
// want-next "tag \"+8\" of Plus is no tag: \"+8\" is not a decimal number"
//
//memberlist:tag +8
type Plus struct{}

// Zeros has a tag with a leading zero.
//
// want-next "tag \"008\" of Zeros is no tag: \"008\" has a leading zero"
//
//memberlist:tag 008
type Zeros struct{}

// Bounds has bounds written wrong.
//
//memberlist:tag 1
type Bounds struct {
	A string   `memberlist:"max=+8"`                   // want "field Bounds.A: bad max in its memberlist tag: \"max=+8\": \"+8\" is not a decimal number"
	B string   `memberlist:"max=008"`                  // want "field Bounds.B: bad max in its memberlist tag: \"max=008\": \"008\" has a leading zero"
	C string   `memberlist:"max=4,"`                   // want "field Bounds.C: an empty option (a comma too many) in its memberlist tag \"max=4,\""
	D string   `memberlist:"-,max=4"`                  // want "field Bounds.D: - with other options"
	E string   `memberlist:"max=99999999999999999999"` // want "\"max=99999999999999999999\": 99999999999999999999 is out of range 1..16777216"
	f uint8    // want "field Bounds.f is unexported: memberlist-gen sends only exported fields"
	g chan int `memberlist:"-"`
}

// Pointer implements Kind on its pointer.
//
//memberlist:tag 2
type Pointer struct{} // want "Pointer implements Msg only as *Pointer: its method Kind has a pointer receiver"

func (Bounds) isMsg()         {}
func (Bounds) Kind() string   { return "" }
func (Pointer) isMsg()        {}
func (*Pointer) Kind() string { return "" }
func (Hex) isMsg()            {}
func (Hex) Kind() string      { return "" }
func (Plus) isMsg()           {}
func (Plus) Kind() string     { return "" }
func (Zeros) isMsg()          {}
func (Zeros) Kind() string    { return "" }

// O and U give Octal and Under a variant each.
//
//memberlist:tag 1
type O struct{}

// U is Under's variant.
//
//memberlist:tag 1
type U struct{}

func (O) isOctal() {}
func (U) isUnder() {}
