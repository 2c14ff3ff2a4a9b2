// Package fields has fields of types memberlist-gen cannot encode.
package fields

import (
	"net"
	"sync"
)

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Bad holds one unsupported field of each kind.
//
//memberlist:tag 1
type Bad struct {
	P   *int               // want "field Bad.P has type *int, which cannot be encoded: *int is a pointer"
	I   any                // want "field Bad.I has type any, which cannot be encoded: any is an interface"
	C   chan int           // want "field Bad.C has type chan int, which cannot be encoded: chan int is a channel"
	F   func()             // want "field Bad.F has type func(), which cannot be encoded: func() is a function"
	X   complex128         // want "complex128 is a complex number"
	U   uintptr            // want "uintptr is a machine address"
	A   struct{ N int }    // want "struct{N int} is an anonymous struct"
	N   net.UDPAddr        // want "net.UDPAddr is a struct of another package"
	M   sync.Mutex         // want "sync.Mutex is a struct of another package"
	FK  map[float64]string `memberlist:"max=2,elem=3"` // want "map[float64]string has keys of type float64"
	PS  []*int             `memberlist:"max=2"`        // want "field Bad.PS has type []*int, which cannot be encoded: *int is a pointer"
	G   Pair[int]          // want "Pair[int] is an instance of a generic type"
	Rec Node
}

// Pair is generic.
type Pair[T any] struct{ A, B T }

// Node contains itself through a slice.
type Node struct {
	Name     string `memberlist:"max=4"`
	Children []Node `memberlist:"max=2"` // want "field Node.Children has type []Node, which cannot be encoded: Node contains itself"
}

func (Bad) isMsg() {}
