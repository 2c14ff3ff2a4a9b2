package gentest

import (
	"bytes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"math/rand/v2"
	"reflect"
	"runtime"
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
			require.NoError(t, err)
			for i := range len(b) {
				got, err := f.decode(b[:i])
				require.Error(t, err, "%s: a %d-byte prefix of a %d-byte %T decoded as %#v", f.name, i, len(b), v, got)
			}
			_, err = f.decode(append(b, 0))
			assert.ErrorContains(t, err, "1 bytes after the message", "%s: trailing byte", f.name)
		}
		body, _ := f.variants[0].(marshaler).MarshalMsg(nil)
		for _, tag := range []uint16{0, 9999} {
			_, err := f.decode(append(msgp.AppendUint16(nil, tag), body...))
			assert.ErrorContains(t, err, f.name+": unknown tag", "%s: tag %d", f.name, tag)
		}
		_, err := f.decode(msgp.AppendString(nil, "tag"))
		assert.ErrorContains(t, err, f.name+": tag: ", "%s: a string for a tag", f.name)
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
	require.NoError(t, err, "%s: %x decoded as %#v, which does not encode", f.name, in, v)
	v2, err := f.decode(b)
	require.NoError(t, err, "%s: re-encoding of %x does not decode", f.name, in)
	b2, _ := f.encode(nil, v2)
	require.Len(t, b2, len(b), "%s: %x: the second encoding against the first", f.name, in)
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
	_, err := chaos.DecodeChaosMonkey(claim)
	require.ErrorContains(t, err, "chaos.Note.Labels: 4294967295 elements, more than max=4", "claimed array")

	big := note(bytes.Repeat([]byte("x"), 100_000), func(b []byte) []byte { return msgp.AppendArrayHeader(b, 0) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		_, err := chaos.DecodeChaosMonkey(big)
		require.ErrorContains(t, err, "chaos.Note.Text: 100000 bytes, more than max=200", "long text")
	}
	runtime.ReadMemStats(&after)
	require.LessOrEqual(t, (after.TotalAlloc-before.TotalAlloc)/runs, uint64(1024), "bytes allocated per refusal of a 100 KB text")

	wrongType := msgp.AppendInt(msgp.AppendArrayHeader(msgp.AppendUint16(nil, 2), 2), 7)
	_, err = chaos.DecodeChaosMonkey(wrongType)
	var te msgp.TypeError
	require.ErrorAs(t, err, &te, "an int for a string")
	require.ErrorContains(t, err, "chaos.Note.Text", "an int for a string: the error names the field")
	fields := msgp.AppendArrayHeader(msgp.AppendUint16(nil, 2), 3)
	_, err = chaos.DecodeChaosMonkey(fields)
	require.ErrorContains(t, err, "chaos.Note: 3 fields, want 2", "three fields")
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
