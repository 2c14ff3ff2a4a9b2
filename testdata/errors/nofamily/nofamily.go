// Package nofamily has no message family.
package nofamily // want "package nofamily has no message family"

// Plain is an interface without the directive.
type Plain interface{ isPlain() }

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen
