// Package alias puts a tag on a type alias.
package alias

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Ping is a variant.
//
//memberlist:tag 1
type Ping struct{}

// Pong is another name for Ping: it declares no type to tag.
//
// want-next "Pong has //memberlist:tag 2 but is an alias of Ping: a tag on an alias is not read"
//
//memberlist:tag 2
type Pong = Ping

func (Ping) isMsg() {}
