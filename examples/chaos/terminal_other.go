//go:build !linux

package main

// takeTerminal does nothing here; see terminal_linux.go.
func takeTerminal() (restore func()) { return func() {} }
