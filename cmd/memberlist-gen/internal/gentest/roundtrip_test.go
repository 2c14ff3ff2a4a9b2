package gentest

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The variants' own codecs, as msgp's Marshaler and Unmarshaler.
type marshaler interface {
	MarshalMsg(b []byte) ([]byte, error)
}

type unmarshaler interface {
	UnmarshalMsg(b []byte) ([]byte, error)
}

// Random values of every variant of every golden family survive
// Encode/Decode and MarshalMsg/UnmarshalMsg unchanged, fit in MaxSize,
// append to what the buffer holds, and decode from the independent
// encoder's bytes too (so the format is the documented one).
func TestRoundTrip(t *testing.T) {
	const n = 300
	for _, f := range families() {
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(f.name))))
			for _, zero := range f.variants {
				typ := reflect.TypeOf(zero)
				for i := range n {
					m := &maker{r: r}
					v := m.make(typ, bounds{}).Interface()
					if i == 0 {
						v = zero
					}
					roundTrip(t, f, v)
				}
			}
		})
	}
}

func roundTrip(t *testing.T, f family, v any) {
	t.Helper()
	prefix := []byte("head")
	b, err := f.encode(prefix, v)
	require.NoError(t, err, "encode %#v", v)
	require.Equal(t, prefix, b[:len(prefix)], "encode overwrote the buffer's contents")
	enc := b[len(prefix):]
	require.LessOrEqual(t, len(enc), f.maxSize, "bytes of %#v, against %s's MaxSize", v, f.name)
	got, err := f.decode(enc)
	require.NoError(t, err, "decode %#v", v)
	require.Equal(t, v, got, "round trip")

	// The variant's own methods, and the decoder on bytes written apart
	// from the generator.
	body, err := v.(marshaler).MarshalMsg(nil)
	require.NoError(t, err)
	tagLen := len(enc) - len(body) // maps encode in random order: compare lengths
	require.True(t, tagLen >= 1 && tagLen <= 3, "Encode is not a tag followed by MarshalMsg: %d and %d bytes", len(enc), len(body))
	for _, in := range [][]byte{body, enc[tagLen:], wireEncode(nil, reflect.ValueOf(v))} {
		p := reflect.New(reflect.TypeOf(v))
		rest, err := p.Interface().(unmarshaler).UnmarshalMsg(append(in, 0xc0))
		require.NoError(t, err, "UnmarshalMsg")
		require.Equal(t, []byte{0xc0}, rest, "UnmarshalMsg's rest")
		require.Equal(t, v, p.Elem().Interface(), "UnmarshalMsg")
	}
}

// MaxSize is exact: the worst-case value of some variant (every bound
// full, every number at its longest) encodes to exactly MaxSize, and none
// to more.
func TestMaxSizeIsExact(t *testing.T) {
	for _, f := range families() {
		largest := 0
		for _, zero := range f.variants {
			m := &maker{r: rand.New(rand.NewPCG(2, 3)), worst: true}
			v := m.make(reflect.TypeOf(zero), bounds{}).Interface()
			b, err := f.encode(nil, v)
			require.NoError(t, err, "%s: worst-case %T", f.name, v)
			roundTrip(t, f, v)
			largest = max(largest, len(b))
		}
		assert.Equal(t, f.maxSize, largest, "%s: bytes of the largest worst case, against MaxSize", f.name)
	}
}

// Decoding into a value that held another reuses its slices and maps and
// leaves nothing of the old value behind.
func TestDecodeIntoUsedValue(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, f := range families() {
		for _, zero := range f.variants {
			typ := reflect.TypeOf(zero)
			for range 50 {
				old := (&maker{r: r, worst: true}).make(typ, bounds{})
				v := (&maker{r: r}).make(typ, bounds{}).Interface()
				body, err := v.(marshaler).MarshalMsg(nil)
				require.NoError(t, err)
				p := reflect.New(typ)
				p.Elem().Set(old)
				_, err = p.Interface().(unmarshaler).UnmarshalMsg(body)
				require.NoError(t, err)
				require.Equal(t, v, emptyToNil(p.Elem()).Interface(), "%s: decoded into a used %T", f.name, v)
			}
		}
	}
}

// emptyToNil returns a copy of v with empty slices and maps made nil, as
// decoding into a zero value leaves them.
func emptyToNil(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Slice:
		if v.Len() == 0 {
			return out
		}
		out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
		if v.Type().Elem().Kind() == reflect.Uint8 {
			reflect.Copy(out, v) // bytes hold no empty slices or maps
			return out
		}
		for i := range v.Len() {
			out.Index(i).Set(emptyToNil(v.Index(i)))
		}
	case reflect.Map:
		if v.Len() == 0 {
			return out
		}
		out.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), emptyToNil(it.Value()))
		}
	case reflect.Array:
		for i := range v.Len() {
			out.Index(i).Set(emptyToNil(v.Index(i)))
		}
	case reflect.Struct:
		if special(v.Type()) != nil {
			out.Set(v)
			return out
		}
		in := reflect.New(v.Type()).Elem()
		in.Set(v)
		for _, i := range fields(v.Type()) {
			field(out, i).Set(emptyToNil(field(in, i)))
		}
	default:
		out.Set(v)
	}
	return out
}
