// Package deep nests arrays nine deep around a named int8, whose decoding
// temporary would be named like the index of the innermost loop.
package deep

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Level is a named int8.
type Level int8

// Deep holds a nine-deep array.
//
//memberlist:tag 1
type Deep struct {
	Grid [2][1][1][1][1][1][1][1][2]Level
	Top  Level
}

func (Deep) isMsg() {}
