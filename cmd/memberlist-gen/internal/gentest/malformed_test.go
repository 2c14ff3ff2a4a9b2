package gentest

import (
	"bytes"
	"errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/memberlist-go/memberlist/testdata/gen/chaos"
	"github.com/tinylib/msgp/msgp"
)

// Every strict prefix of a valid message, an unknown tag (what a newer
// version of the program sends) and bytes after a message are errors,
// never panics.
func TestDecodeRefusesMalformed(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, f := range families() {
		for _, zero := range f.variants {
			v := (&maker{r: r, worst: true}).make(reflect.TypeOf(zero), bounds{}).Interface()
			b, err := f.encode(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			for i := range len(b) {
				if got, err := f.decode(b[:i]); err == nil {
					t.Fatalf("%s: a %d-byte prefix of a %d-byte %T decoded as %#v", f.name, i, len(b), v, got)
				}
			}
			if _, err := f.decode(append(b, 0)); err == nil || !strings.Contains(err.Error(), "1 bytes after the message") {
				t.Errorf("%s: trailing byte: %v", f.name, err)
			}
		}
		body, _ := f.variants[0].(marshaler).MarshalMsg(nil)
		for _, tag := range []uint16{0, 9999} {
			_, err := f.decode(append(msgp.AppendUint16(nil, tag), body...))
			if err == nil || !strings.Contains(err.Error(), f.name+": unknown tag") {
				t.Errorf("%s: tag %d: %v, want unknown tag", f.name, tag, err)
			}
		}
		if _, err := f.decode(msgp.AppendString(nil, "tag")); err == nil || !strings.Contains(err.Error(), f.name+": tag: ") {
			t.Errorf("%s: a string for a tag: %v", f.name, err)
		}
	}
}

// Random bytes, and valid messages with random bytes flipped, never make a
// decoder panic; what decodes encodes again.
func TestDecodeSurvivesGarbage(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for _, f := range families() {
		var valid [][]byte
		for _, zero := range f.variants {
			b, _ := f.encode(nil, (&maker{r: r}).make(reflect.TypeOf(zero), bounds{}).Interface())
			valid = append(valid, b)
		}
		for i := range 20_000 {
			var in []byte
			if i%2 == 0 {
				in = make([]byte, r.IntN(64))
				for j := range in {
					in[j] = byte(r.Uint32())
				}
			} else {
				in = bytes.Clone(valid[r.IntN(len(valid))])
				for range 1 + r.IntN(3) {
					in[r.IntN(len(in))] ^= byte(1 << r.IntN(8))
				}
			}
			checkDecode(t, f, in)
		}
	}
}

// checkDecode decodes in; if that works, the value must encode and decode
// again, to an encoding of the same length.
func checkDecode(t *testing.T, f family, in []byte) {
	t.Helper()
	v, err := f.decode(in)
	if err != nil {
		return
	}
	b, err := f.encode(nil, v)
	if err != nil {
		t.Fatalf("%s: %x decoded as %#v, which does not encode: %v", f.name, in, v, err)
	}
	v2, err := f.decode(b)
	if err != nil {
		t.Fatalf("%s: re-encoding of %x does not decode: %v", f.name, in, err)
	}
	if b2, _ := f.encode(nil, v2); len(b2) != len(b) {
		t.Fatalf("%s: %x: encodings of %d and %d bytes", f.name, in, len(b), len(b2))
	}
}

// A length that breaks a bound is refused before anything is allocated
// for it: a claimed four billion labels, a 100 KB string for a 200-byte
// field. Errors wrap msgp's, so errors.As finds the cause.
func TestDecodeBoundsBeforeAllocating(t *testing.T) {
	note := func(text []byte, labels func([]byte) []byte) []byte {
		b := msgp.AppendUint16(nil, 2)
		b = msgp.AppendArrayHeader(b, 2)
		b = msgp.AppendStringFromBytes(b, text)
		return labels(b)
	}
	claim := note(nil, func(b []byte) []byte { return append(b, 0xdd, 0xff, 0xff, 0xff, 0xff) })
	if _, err := chaos.DecodeChaosMonkey(claim); err == nil || !strings.Contains(err.Error(), "chaos.Note.Labels: 4294967295 elements, more than max=4") {
		t.Fatalf("claimed array: %v", err)
	}

	big := note(bytes.Repeat([]byte("x"), 100_000), func(b []byte) []byte { return msgp.AppendArrayHeader(b, 0) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		if _, err := chaos.DecodeChaosMonkey(big); err == nil || !strings.Contains(err.Error(), "chaos.Note.Text: 100000 bytes, more than max=200") {
			t.Fatalf("long text: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 1024 {
		t.Fatalf("refusing a 100 KB text allocated %d bytes per decode", per)
	}

	wrongType := msgp.AppendInt(msgp.AppendArrayHeader(msgp.AppendUint16(nil, 2), 2), 7)
	_, err := chaos.DecodeChaosMonkey(wrongType)
	var te msgp.TypeError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "chaos.Note.Text") {
		t.Fatalf("an int for a string: %v, want a msgp.TypeError naming the field", err)
	}
	fields := msgp.AppendArrayHeader(msgp.AppendUint16(nil, 2), 3)
	if _, err := chaos.DecodeChaosMonkey(fields); err == nil || !strings.Contains(err.Error(), "chaos.Note: 3 fields, want 2") {
		t.Fatalf("three fields: %v", err)
	}
}

// Encode refuses what is not a variant's value, saying which it got: nil,
// or a pointer. (A variant added since go generate ran is refused with
// "run go generate": cmd/memberlist-gen's TestStaleVariant shows it.)
func TestEncodeRefusesNilAndPointers(t *testing.T) {
	for m, want := range map[chaos.ChaosMonkey]string{
		nil:                       "chaos.ChaosMonkey: cannot encode nil",
		&chaos.Note{}:             "chaos.ChaosMonkey: cannot encode *chaos.Note: pass the value, not a pointer",
		(*chaos.Note)(nil):        "chaos.ChaosMonkey: cannot encode *chaos.Note: pass the value, not a pointer",
		&chaos.SimulateCpuSpike{}: "chaos.ChaosMonkey: cannot encode *chaos.SimulateCpuSpike: pass the value, not a pointer",
	} {
		b, err := chaos.EncodeChaosMonkey([]byte("x"), m)
		require.EqualError(t, err, want)
		assert.Equal(t, "x", string(b), "b returned unchanged")
	}
}
