// Package shadow names a type like a variable of the generated code.
package shadow

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// s would be shadowed by the decoder's s.
type s string

// Ping uses s.
//
//memberlist:tag 1
type Ping struct {
	Name s `memberlist:"max=8"` // want "type s has a name that the generated code uses for a variable"
}

func (Ping) isMsg() {}
