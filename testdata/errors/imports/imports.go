// Package imports declares a name the generated file imports.
package imports

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Ping is fine.
//
//memberlist:tag 1
type Ping struct{ N uint8 }

func (Ping) isMsg() {}

var fmt = "not the package" // want "fmt is declared in package imports, where generated code needs the name for an import"
