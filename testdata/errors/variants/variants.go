// Package variants has types that implement a family but cannot be
// variants.
package variants

// Msg is one family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Other is another family.
//
//memberlist:messages id=2
type Other interface{ isOther() }

// Code is a number, not a struct.
//
//memberlist:tag 1
type Code uint8 // want "Code implements Msg but is a uint8 type, not a struct"

// ByPointer implements Msg only through its pointer.
//
//memberlist:tag 2
type ByPointer struct{} // want "ByPointer implements Msg only as *ByPointer"

// Both is in two families.
//
//memberlist:tag 3
type Both struct{} // want "Both implements both Msg and Other"

// Generic is a generic struct.
//
//memberlist:tag 4
type Generic[T any] struct{ V T } // want "generic type Generic cannot be a variant of Msg"

// Fine is a proper variant of each family.
//
//memberlist:tag 5
type Fine struct{}

// Fine2 is a proper variant of Other.
//
//memberlist:tag 5
type Fine2 struct{}

func (Code) isMsg()       {}
func (*ByPointer) isMsg() {}
func (Both) isMsg()       {}
func (Both) isOther()     {}
func (Generic[T]) isMsg() {}
func (Fine) isMsg()       {}
func (Fine2) isOther()    {}
