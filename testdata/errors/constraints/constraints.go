// Package constraints declares a variant in a file built on Linux only,
// for a family built everywhere.
package constraints

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }
