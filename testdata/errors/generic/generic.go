// Package generic marks a generic interface as a family: that is the one
// problem reported, not its variant too.
package generic

// Msg is generic.
//
//memberlist:messages
type Msg[T any] interface{ isMsg() } // want "Msg is marked //memberlist:messages but is generic"

// Ping would be a variant.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isMsg() {}
