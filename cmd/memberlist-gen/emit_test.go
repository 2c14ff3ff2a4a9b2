package main

import "testing"

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
		if got := article(name); got != want {
			t.Errorf("article(%q) = %q, want %q", name, got, want)
		}
	}
	for n, want := range map[int]string{0: "0 bytes", 1: "1 byte", 2: "2 bytes", 273: "273 bytes"} {
		if got := plural(n, "byte"); got != want {
			t.Errorf("plural(%d, byte) = %q, want %q", n, got, want)
		}
	}
}
