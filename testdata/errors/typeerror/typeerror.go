// Package typeerror does not type-check where the generator must read it.
package typeerror

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Broken has a field of an undefined type.
//
//memberlist:tag 1
type Broken struct {
	T Undefined // want "undefined: Undefined"
}

func (Broken) isMsg() {}
