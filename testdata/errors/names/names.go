// Package names declares names memberlist-gen would generate.
package names

// Msg is the family.
//
//memberlist:messages id=5
type Msg interface{ isMsg() }

// Again is a second family with the same id.
//
//memberlist:messages id=5
type Again interface{ isAgain() } // want "families Msg and Again have the same id 5"

// EncodeMsg is taken by the user.
func EncodeMsg() {} // want "EncodeMsg is already declared in package names"

// readAgainTag is taken by the user: an unexported helper the generator
// writes claims its name as the API does.
func readAgainTag() {} // want "readAgainTag is already declared in package names"

// OnPing is taken by the user.
var OnPing = 1 // want "OnPing is already declared in package names"

// Ping has its own MarshalMsg.
//
//memberlist:tag 1
type Ping struct{}

// MarshalMsg is hand-written.
func (Ping) MarshalMsg(b []byte) ([]byte, error) { return b, nil } // want "Ping already has a field or method MarshalMsg"

// Pong is Again's variant.
//
//memberlist:tag 1
type Pong struct{ UnmarshalMsg int } // want "Pong already has a field or method UnmarshalMsg"

func (Ping) isMsg()   {}
func (Pong) isAgain() {}
