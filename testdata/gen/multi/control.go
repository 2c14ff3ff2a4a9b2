// Package multi has two message families in one package, declared in two
// files, with a struct nested in variants of both.
package multi

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen

// Control steers members; its id is pinned, so it survives a move of the
// package.
//
//memberlist:messages id=7
type Control interface{ isControl() }

// Header is nested in messages of both families.
type Header struct {
	Seq    uint64
	Origin string `memberlist:"max=64"`
}

// Pause asks members to stop work for a while.
//
//memberlist:tag 1
type Pause struct {
	Header Header
	Millis uint32
}

// Resume ends a Pause.
//
//memberlist:tag 2
type Resume struct{ Header Header }

func (Pause) isControl()  {}
func (Resume) isControl() {}
