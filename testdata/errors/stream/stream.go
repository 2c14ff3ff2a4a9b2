// Package stream has stream families that cannot be generated: one whose
// largest message outgrows runtime.MaxStreamMessageSize, one with a key
// (stream families are not broadcast), and malformed directives.
package stream

// Bulk is a stream family.
//
//memberlist:messages stream
type Bulk interface{ isBulk() }

// Fits is as large as a stream message may be: 16 MiB with its headers.
//
//memberlist:tag 1
type Fits struct {
	Data []byte `memberlist:"max=16777209"`
}

// Huge is one byte over the stream budget.
//
//memberlist:tag 2
type Huge struct { // want "Huge (tag 2 of Bulk) encodes to up to 16777217 bytes, 1 over the budget of runtime.MaxStreamMessageSize = 16777216 bytes"
	Data []byte `memberlist:"max=16777209"`
	More bool
}

func (Fits) isBulk() {}
func (Huge) isBulk() {}

// Keyed is a stream family with a keyed variant.
//
//memberlist:messages stream id=7
type Keyed interface{ isKeyed() }

// Put names its key, which nothing would coalesce.
//
//memberlist:tag 1
type Put struct {
	Key   string `memberlist:"key,max=64"` // want "field Put.Key is tagged memberlist:\"key\", but Keyed is a stream family, which has no broadcast for a key to coalesce"
	Value []byte `memberlist:"max=65536"`
}

func (Put) isKeyed() {}

// Twice says stream twice.
//
// want-next "//memberlist:messages of Twice says stream twice"
//
//memberlist:messages stream stream
type Twice interface{ isTwice() }

// Typo misspells stream.
//
// want-next "unexpected \"streams\" in //memberlist:messages of Typo"
//
//memberlist:messages streams
type Typo interface{ isTypo() }

// Ping and Pong make the last two families non-empty.
//
//memberlist:tag 1
type Ping struct{}

//memberlist:tag 1
type Pong struct{}

func (Ping) isTwice() {}
func (Pong) isTypo()  {}
