// Package keys has key fields memberlist-gen refuses.
package keys

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Float is keyed by a float.
//
//memberlist:tag 1
type Float struct {
	F float64 `memberlist:"key"` // want "field Float.F: memberlist:\"key\" marks the field naming what a message is about, and float64 cannot be one"
}

// Map has key where key=N was meant.
//
//memberlist:tag 2
type Map struct {
	M map[string]uint8 `memberlist:"max=4,key"` // want "and a map (map[string]uint8) cannot be one"
}

// Two has two keys.
//
//memberlist:tag 3
type Two struct {
	A string `memberlist:"key,max=8"`
	B uint32 `memberlist:"key"` // want "Two has two key fields, A and B"
}

// Twice says key twice.
//
//memberlist:tag 4
type Twice struct {
	A string `memberlist:"key,max=8,key"` // want "field Twice.A: key is given twice"
}

// Outer nests a struct with a key.
//
//memberlist:tag 5
type Outer struct {
	In Inner
}

// Inner is no variant.
type Inner struct {
	ID uint16 `memberlist:"key"` // want "field Inner.ID is tagged memberlist:\"key\", but Inner is nested in a message, not a variant"
}

// Unbounded has a key with no bound.
//
//memberlist:tag 6
type Unbounded struct {
	K string `memberlist:"key"` // want "field Unbounded.K (string) is unbounded"
}

func (Float) isMsg()     {}
func (Map) isMsg()       {}
func (Two) isMsg()       {}
func (Twice) isMsg()     {}
func (Outer) isMsg()     {}
func (Unbounded) isMsg() {}
