package frame

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
// not panic, and OpenInPlace must agree with it; it must refuse with one of its sentinel errors and leave dst's
// prefix alone; what it accepts must be a non-empty payload exactly the
// framing shorter than the datagram, which seals and opens again to itself,
// and whose second copy the replay filter catches at its send time.
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
			require.True(t, bytes.HasPrefix(out, prefix), "codec %d: Open lost dst's prefix: %q", i, out)
			inPlace, errInPlace := c.OpenInPlace(bytes.Clone(p))
			require.Equal(t, err, errInPlace, "codec %d: OpenInPlace's error against Open's", i)
			if err != nil {
				require.True(t, isRefusal(err), "codec %d: error %v is not one of the sentinels", i, err)
				continue
			}
			payload := out[len(prefix):]
			require.Equal(t, payload, inPlace, "codec %d: OpenInPlace's payload against Open's", i)
			require.True(t, c.Matches(p), "codec %d: accepted a datagram it does not match", i)
			require.NotEmpty(t, payload, "codec %d: accepted an empty payload", i)
			require.Equal(t, c.Overhead(), len(p)-len(payload), "codec %d: %d-byte datagram opened to %d bytes; want the framing's difference", i, len(p), len(payload))
			again, err := c.Open(nil, c.Seal(nil, payload))
			require.NoError(t, err, "codec %d: resealed payload", i)
			require.Equal(t, payload, again, "codec %d: resealed payload opens to", i)
			if c.Keyring() != nil {
				sent, ok := SentAt(p, time.Now())
				require.True(t, ok, "codec %d: accepted an encrypted frame without a send time", i)
				at := time.UnixMilli(sent)
				r := NewReplays(4, 0)
				require.NoError(t, r.Check(p, at), "codec %d: the replay filter refuses the first copy at its send time", i)
				require.Equal(t, ErrReplayed, r.Check(p, at), "codec %d: the replay filter does not catch the second copy", i)
				require.Equal(t, ErrStale, NewReplays(4, 0).Check(p, at.Add(DefaultClockSkew+time.Millisecond)),
					"codec %d: a datagram older than the allowance", i)
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
			require.NoError(t, err, "keys %v: Open(Seal(%q))", kr != nil, payload)
			require.Equal(t, payload, got, "keys %v: Open(Seal(x))", kr != nil)
			i := int(at) % len(p)
			p[i] ^= flip
			got, err = c.Open(nil, p)
			require.Error(t, err, "keys %v: byte %d of %d changed by %#x, still opens to %q", kr != nil, i, len(p), flip, got)
			require.True(t, isRefusal(err), "keys %v: error %v is not one of the sentinels", kr != nil, err)
		}
	})
}

// FuzzReplays drives a small replay filter with a script of fresh
// datagrams from senders with clocks off by up to twice the allowance,
// copies of earlier ones, and a receiver clock that moves forward and
// steps back. Whatever the script, no datagram is accepted twice, the
// filter never remembers more than its window, and a datagram sealed at
// the receiver's own time is accepted while the filter has room and its
// floor is behind.
func FuzzReplays(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 5, 0, 0, 250, 0, 2, 200, 0, 1, 0, 0, 3, 200, 0, 1, 0, 0})
	f.Add(bytes.Repeat([]byte{0, 0, 0, 0, 1, 0, 2, 1, 0}, 20))
	f.Add(bytes.Repeat([]byte{0, 0x7f, 0, 0, 0x80, 0, 1, 0, 3, 2, 50, 0}, 12))
	enc := mustCodec(f, "", mustKeyring(f, testKey("a", 16)))
	const (
		window = 8
		skew   = time.Second
	)
	f.Fuzz(func(t *testing.T, script []byte) {
		r := NewReplays(window, skew)
		now := t0
		var sent [][]byte
		accepted := map[int]bool{}
		for len(script) >= 3 {
			op, a, b := script[0], script[1], script[2]
			script = script[3:]
			switch op % 4 {
			case 0, 1: // a fresh datagram; a copy of an earlier one
				i := len(sent)
				if op%4 == 0 || len(sent) == 0 {
					// The sender's clock is off by a multiple of 1/64 of
					// the allowance: in [-2, +2) allowances.
					off := time.Duration(int8(a)) * skew / 64
					sent = append(sent, enc.SealAt(nil, []byte{1, b}, now.Add(off)))
				} else {
					i = int(b) % len(sent)
				}
				free := r.n < window
				err := r.Check(sent[i], now)
				require.True(t, err == nil || err == ErrReplayed || err == ErrStale,
					"datagram %d: error %v is not one of the sentinels", i, err)
				if err == nil {
					require.False(t, accepted[i], "datagram %d accepted twice", i)
					accepted[i] = true
				} else {
					sealedNow := op%4 == 0 && a == 0
					require.False(t, sealedNow && free && now.UnixMilli() > r.floor,
						"datagram %d sealed at the receiver's time refused: %v", i, err)
				}
			case 2: // the receiver's clock moves on
				now = now.Add(time.Duration(a) * skew / 32)
			case 3: // and steps back
				now = now.Add(-time.Duration(a) * skew / 32)
			}
			require.LessOrEqual(t, r.n, window, "datagrams the filter remembers")
		}
	})
}
