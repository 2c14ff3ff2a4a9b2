// Package mdjbzf has a family whose derived id is that of the other
// package's beside it: FNV-1a collides on the two names.
package mdjbzf

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Ping is its variant.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isMsg() {}
