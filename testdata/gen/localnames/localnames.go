// Package localnames names its types like the parameters and variables
// of generated code (b, o, m, err, s, i8, ...): the generated code picks
// other names for those, and the package compiles.
package localnames

import "time"

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// o is a variant named like a local of the generated code.
//
//memberlist:tag 1
type o struct{ N uint8 }

// b is a variant named like a local of the generated code.
//
//memberlist:tag 2
type b struct{ N uint8 }

// m is a variant named like a local of the generated code.
//
//memberlist:tag 3
type m struct{ N uint8 }

// err is a variant named like a local of the generated code.
//
//memberlist:tag 4
type err struct{ N uint8 }

// tag is a variant named like a local of the generated code.
//
//memberlist:tag 5
type tag struct{ N uint8 }

// n is a variant named like a local of the generated code.
//
//memberlist:tag 6
type n struct{ N uint8 }

// payload is a variant named like a local of the generated code.
//
//memberlist:tag 7
type payload struct{ N uint8 }

// z is a variant named like a local of the generated code.
//
//memberlist:tag 8
type z struct{ N uint8 }

// v is a variant named like a local of the generated code.
//
//memberlist:tag 9
type v struct{ N uint8 }

// from is a variant named like a local of the generated code.
//
//memberlist:tag 10
type from struct{ N uint8 }

// fn is a variant named like a local of the generated code.
//
//memberlist:tag 11
type fn struct{ N uint8 }

// ctx is a variant named like a local of the generated code.
//
//memberlist:tag 12
type ctx struct{ N uint8 }

// buf is a variant named like a local of the generated code.
//
//memberlist:tag 13
type buf struct{ N uint8 }

// stop is a variant named like a local of the generated code.
//
//memberlist:tag 14
type stop struct{ N uint8 }

// to is a variant named like a local of the generated code.
//
//memberlist:tag 15
type to struct{ N uint8 }

// s is named like the decoder's byte-slice temporary.
type s string

// i8 is named like the temporary of named int8s, and like the index of a
// loop nested eight deep.
type i8 int8

// k is named like a map key.
type k string

// t is named like the temporary of a named time.Time.
type t time.Time

// i is named like a loop index.
type i uint16

// j is named like a nested loop index.
type j uint16

// w is named like a nested loop value.
type w uint16

// Fields uses the types named like locals, in loops and maps.
//
//memberlist:tag 100
type Fields struct {
	S    s `memberlist:"max=8"`
	I8   i8
	T    t
	Grid [2][2]i8
	Keys map[k]i `memberlist:"max=2,key=4"`
	List []j     `memberlist:"max=3"`
	Nest [2][2]w
	Strs []s `memberlist:"max=2,elem=3"`

	// Not sent: any type goes.
	Cache map[string]*int                   `memberlist:"-"`
	Hook  func(n int, rest ...string) error `memberlist:"-"`
	Ch    <-chan struct{ A int }            `memberlist:"-"`
	Any   any                               `memberlist:"-"`
}

func (Fields) isMsg()  {}
func (o) isMsg()       {}
func (b) isMsg()       {}
func (m) isMsg()       {}
func (err) isMsg()     {}
func (tag) isMsg()     {}
func (n) isMsg()       {}
func (payload) isMsg() {}
func (z) isMsg()       {}
func (v) isMsg()       {}
func (from) isMsg()    {}
func (fn) isMsg()      {}
func (ctx) isMsg()     {}
func (buf) isMsg()     {}
func (stop) isMsg()    {}
func (to) isMsg()      {}

// Variants returns a zero value of each variant, for the tests of the
// generated code, which cannot name unexported types.
func Variants() []Msg {
	return []Msg{o{}, b{}, m{}, err{}, tag{}, n{}, payload{}, z{}, v{}, from{}, fn{}, ctx{}, buf{}, stop{}, to{}, Fields{}}
}
