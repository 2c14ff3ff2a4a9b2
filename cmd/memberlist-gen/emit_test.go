package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The generated comments name types with the right article and count
// bytes in the right number.
func TestArticleAndPlural(t *testing.T) {
	for name, want := range map[string]string{
		"Note":        "a Note",
		"Alarm":       "an Alarm",
		"Empty":       "an Empty",
		"Item":        "an Item",
		"Order":       "an Order",
		"Update":      "an Update",
		"User":        "a User",
		"Unit":        "a Unit",
		"Uint8Pair":   "a Uint8Pair",
		"OneShot":     "a OneShot",
		"HTTPRequest": "an HTTPRequest",
		"SSHKey":      "an SSHKey",
		"UDPProbe":    "a UDPProbe",
		"TCPPing":     "a TCPPing",
		"x":           "a x",
		"alarm":       "an alarm",
	} {
		assert.Equal(t, want, article(name), "article(%q)", name)
	}
	for n, want := range map[int]string{0: "0 bytes", 1: "1 byte", 2: "2 bytes", 273: "273 bytes"} {
		assert.Equal(t, want, plural(n, "byte"), "plural(%d, byte)", n)
	}
}
