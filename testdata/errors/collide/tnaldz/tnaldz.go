// Package tnaldz has a family whose derived id is that of the other
// package's beside it: FNV-1a collides on the two names.
package tnaldz

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() } // want "families github.com/memberlist-go/memberlist/testdata/errors/collide/mdjbzf.Msg and github.com/memberlist-go/memberlist/testdata/errors/collide/tnaldz.Msg have the same id 4043981495 (the FNV-1a hashes of their names collide)"

// Ping is its variant.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isMsg() {}
