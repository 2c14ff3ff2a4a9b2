package gentest

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
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
	if err != nil {
		t.Fatalf("encode %#v: %v", v, err)
	}
	if !bytes.Equal(b[:len(prefix)], prefix) {
		t.Fatalf("encode overwrote the buffer's contents")
	}
	enc := b[len(prefix):]
	if len(enc) > f.maxSize {
		t.Fatalf("%d bytes, over %s's MaxSize %d: %#v", len(enc), f.name, f.maxSize, v)
	}
	got, err := f.decode(enc)
	if err != nil {
		t.Fatalf("decode %#v: %v", v, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
	}

	// The variant's own methods, and the decoder on bytes written apart
	// from the generator.
	body, err := v.(marshaler).MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	tagLen := len(enc) - len(body) // maps encode in random order: compare lengths
	if tagLen < 1 || tagLen > 3 {
		t.Fatalf("Encode is not a tag followed by MarshalMsg: %d and %d bytes", len(enc), len(body))
	}
	for _, in := range [][]byte{body, enc[tagLen:], wireEncode(nil, reflect.ValueOf(v))} {
		p := reflect.New(reflect.TypeOf(v))
		rest, err := p.Interface().(unmarshaler).UnmarshalMsg(append(in, 0xc0))
		if err != nil || !bytes.Equal(rest, []byte{0xc0}) {
			t.Fatalf("UnmarshalMsg: %v, rest %x", err, rest)
		}
		if !reflect.DeepEqual(p.Elem().Interface(), v) {
			t.Fatalf("UnmarshalMsg:\n got %#v\nwant %#v", p.Elem().Interface(), v)
		}
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
			if err != nil {
				t.Fatalf("%s: worst-case %T: %v", f.name, v, err)
			}
			roundTrip(t, f, v)
			largest = max(largest, len(b))
		}
		if largest != f.maxSize {
			t.Errorf("%s: the largest worst case is %d bytes, MaxSize says %d", f.name, largest, f.maxSize)
		}
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
				if err != nil {
					t.Fatal(err)
				}
				p := reflect.New(typ)
				p.Elem().Set(old)
				if _, err := p.Interface().(unmarshaler).UnmarshalMsg(body); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(emptyToNil(p.Elem()).Interface(), v) {
					t.Fatalf("%s: decoded into a used %T:\n got %#v\nwant %#v", f.name, v, p.Elem().Interface(), v)
				}
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
