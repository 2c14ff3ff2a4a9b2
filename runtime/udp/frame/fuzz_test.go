package frame

import (
	"bytes"
	"strings"
	"testing"
)

// fuzzCodecs are the receivers FuzzOpen tries every input on: without keys
// and with, without a label and with the longest, and a keyring of two.
func fuzzCodecs(t testing.TB) []*Codec {
	return []*Codec{
		mustCodec(t, "", nil),
		mustCodec(t, "prod", nil),
		mustCodec(t, "", mustKeyring(t, testKey("a", 16))),
		mustCodec(t, strings.Repeat("L", MaxLabelLen), mustKeyring(t, testKey("a", 32), testKey("b", 24))),
	}
}

var refusals = []error{ErrMalformed, ErrVersion, ErrLabel, ErrChecksum, ErrUnencrypted, ErrDecrypt}

// FuzzOpen feeds arbitrary datagrams to every kind of receiver. Open must
// not panic; it must refuse with one of its sentinel errors and leave dst's
// prefix alone; what it accepts must be a non-empty payload exactly the
// framing shorter than the datagram, which seals and opens again to itself,
// and whose second copy the replay filter catches.
// The seeds are valid frames of each kind (sealed afresh: their nonces are
// random) plus testdata/fuzz/FuzzOpen.
func FuzzOpen(f *testing.F) {
	cs := fuzzCodecs(f)
	for _, c := range cs {
		for _, payload := range [][]byte{{1}, []byte("\x01\x01\x92\x01\xa1a"), bytes.Repeat([]byte{7}, 300)} {
			f.Add(c.Seal(nil, payload))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{Version << 4, MaxLabelLen + 1})
	f.Fuzz(func(t *testing.T, p []byte) {
		for i, c := range cs {
			prefix := []byte("keep")
			dst := append(make([]byte, 0, 2048), prefix...)
			out, err := c.Open(dst, p)
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("codec %d: Open lost dst's prefix: %q", i, out)
			}
			if err != nil {
				if !isRefusal(err) {
					t.Fatalf("codec %d: error %v is not one of the sentinels", i, err)
				}
				continue
			}
			payload := out[len(prefix):]
			if len(payload) == 0 {
				t.Fatalf("codec %d: accepted an empty payload", i)
			}
			if len(p)-len(payload) != c.Overhead() {
				t.Fatalf("codec %d: %d-byte datagram opened to %d bytes; framing is %d", i, len(p), len(payload), c.Overhead())
			}
			again, err := c.Open(nil, c.Seal(nil, payload))
			if err != nil || !bytes.Equal(again, payload) {
				t.Fatalf("codec %d: resealed payload opens to %q, %v", i, again, err)
			}
			if c.Keyring() != nil {
				r := NewReplays(4)
				if r.Seen(p) || !r.Seen(p) {
					t.Fatalf("codec %d: the replay filter does not catch the second copy of an accepted datagram", i)
				}
			}
		}
	})
}

func isRefusal(err error) bool {
	for _, r := range refusals {
		if err == r {
			return true
		}
	}
	return false
}

// FuzzRoundTrip seals arbitrary payloads under arbitrary labels, with and
// without keys: what is sealed opens to itself, and a datagram with one
// byte changed (at a position the fuzzer picks) never opens.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{1}, "", uint16(0), byte(1))
	f.Add([]byte("\x01\x05\x94\xa1b"), "prod", uint16(3), byte(0x80))
	f.Add(bytes.Repeat([]byte{0xff}, 1300), strings.Repeat("x", MaxLabelLen), uint16(1000), byte(0xff))
	keys := mustKeyring(f, testKey("a", 16))
	f.Fuzz(func(t *testing.T, payload []byte, label string, at uint16, flip byte) {
		if len(payload) == 0 || CheckLabel(label) != nil || flip == 0 {
			return
		}
		for _, kr := range []*Keyring{nil, keys} {
			c := mustCodec(t, label, kr)
			p := c.Seal(nil, payload)
			got, err := c.Open(nil, p)
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("keys %v: Open(Seal(%q)) = %q, %v", kr != nil, payload, got, err)
			}
			i := int(at) % len(p)
			p[i] ^= flip
			if got, err := c.Open(nil, p); err == nil {
				t.Fatalf("keys %v: byte %d of %d changed by %#x, still opens to %q", kr != nil, i, len(p), flip, got)
			} else if !isRefusal(err) {
				t.Fatalf("keys %v: error %v is not one of the sentinels", kr != nil, err)
			}
		}
	})
}
