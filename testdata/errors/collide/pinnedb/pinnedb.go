// Package pinnedb pins its family to the id of the other package's beside it.
package pinnedb

// Cmd is the family.
//
//memberlist:messages id=9
type Cmd interface{ isCmd() } // want "families github.com/memberlist-go/memberlist/testdata/errors/collide/pinneda.Cmd and github.com/memberlist-go/memberlist/testdata/errors/collide/pinnedb.Cmd have the same id 9: a node carrying both"

// Ping is its variant.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isCmd() {}
