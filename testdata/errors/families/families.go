// Package families has families that are not sealed interfaces.
package families

// Open has only exported methods: any package could implement it.
//
//memberlist:messages
type Open interface{ Kind() string } // want "Open is not sealed"

// Concrete is a struct, not an interface.
//
//memberlist:messages
type Concrete struct{ A int } // want "Concrete is marked //memberlist:messages but is a struct type, not an interface"

// Constraint is a type set, not a method set.
//
//memberlist:messages
type Constraint interface{ ~int } // want "Constraint is marked //memberlist:messages but is a constraint interface"

// Lonely is sealed, but nothing implements it.
//
//memberlist:messages
type Lonely interface{ isLonely() } // want "family Lonely has no variants"

// BadID has an id that is not a uint32.
//
// want-next "family id \"-3\" of BadID is not a uint32"
//
//memberlist:messages id=-3
type BadID interface{ isBadID() }

// Twice says it twice.
//
// want@+3 "Twice has //memberlist:messages twice"
//
//memberlist:messages
//memberlist:messages
type Twice interface{ isTwice() }

// Ping makes the last two families non-empty.
//
//memberlist:tag 1
type Ping struct{}

func (Ping) isBadID() {}

// Pong is Twice's variant.
//
//memberlist:tag 1
type Pong struct{}

func (Pong) isTwice() {}
