// Package budget has messages that cannot fit in a packet.
package budget

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Small fits.
//
//memberlist:tag 1
type Small struct{ A uint8 }

// Big carries too much.
//
//memberlist:tag 2
type Big struct { // want "Big (tag 2 of Msg) encodes to up to 1208 bytes, 71 over the budget of runtime.MaxMessageSize = 1137 bytes"
	ID   uint64
	Data []byte `memberlist:"max=1194"`
}

// Nested is too big because of a struct inside.
//
//memberlist:tag 3
type Nested struct { // want "Nested (tag 3 of Msg) encodes to up to"
	Inner Inner
}

// Inner holds the large field.
type Inner struct {
	Names []string `memberlist:"max=40,elem=40"`
}

func (Small) isMsg()  {}
func (Big) isMsg()    {}
func (Nested) isMsg() {}
