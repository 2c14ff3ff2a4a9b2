// Package pinneda pins its family to the id of the other package's beside it.
package pinneda

// Cmd is the family.
//
//memberlist:messages id=9
type Cmd interface{ isCmd() }

// Ping is its variant.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isCmd() {}
