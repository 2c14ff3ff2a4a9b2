// Package testfile declares its family in a test file only.
package testfile // want "package testfile has no message family: testfile_test.go marks one with //memberlist:messages, but memberlist-gen does not read test files"

//go:generate go run github.com/memberlist-go/memberlist/cmd/memberlist-gen
