package gentest

import (
	"fmt"
	"math/rand/v2"
	"path"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A mutation puts one bounded field of a variant one over its bound.
type mutation struct {
	field string // as errors name it: "chaos.Note.Labels"
	bound string // "max=4", "elem=16", "key=10"
	apply func(v reflect.Value, m *maker)
}

// mutations lists a mutation for every bound of the struct type t and of
// the structs nested in it as fields.
func mutations(t reflect.Type) []mutation {
	var out []mutation
	var walk func(idx []int, st reflect.Type)
	walk = func(idx []int, st reflect.Type) {
		for _, i := range fields(st) {
			sf := st.Field(i)
			at := append(slices.Clone(idx), i)
			b := parseBounds(sf.Tag)
			name := path.Base(st.PkgPath()) + "." + st.Name() + "." + sf.Name
			get := func(v reflect.Value) reflect.Value {
				for _, j := range at {
					v = field(v, j)
				}
				return v
			}
			if b.max > 0 {
				out = append(out, mutation{name, fmt.Sprintf("max=%d", b.max), func(v reflect.Value, m *maker) {
					f := get(v)
					f.Set(m.make(f.Type(), bounds{max: b.max + 1, elem: b.elem, key: b.key}))
				}})
			}
			if b.elem > 0 {
				out = append(out, mutation{name, fmt.Sprintf("elem=%d", b.elem), func(v reflect.Value, m *maker) {
					f := get(v)
					long := m.make(f.Type().Elem(), bounds{max: b.elem + 1})
					if f.Kind() == reflect.Map {
						f.SetMapIndex(f.MapKeys()[0], long)
					} else {
						f.Index(0).Set(long)
					}
				}})
			}
			if b.key > 0 {
				out = append(out, mutation{name, fmt.Sprintf("key=%d", b.key), func(v reflect.Value, m *maker) {
					f := get(v)
					k := f.MapKeys()[0]
					val := f.MapIndex(k)
					f.SetMapIndex(k, reflect.Value{}) // keep the count within max=
					f.SetMapIndex(m.make(f.Type().Key(), bounds{max: b.key + 1}), val)
				}})
			}
			if sf.Type.Kind() == reflect.Struct && special(sf.Type) == nil {
				walk(at, sf.Type)
			}
		}
	}
	walk(nil, t)
	return out
}

// A field one over its bound is refused on both sides: encoding fails
// with an error naming the field and the bound and leaves the buffer as it
// was; decoding the same value written by the independent encoder fails
// the same way.
func TestBoundsAreEnforced(t *testing.T) {
	total := 0
	for _, f := range families() {
		for _, zero := range f.variants {
			typ := reflect.TypeOf(zero)
			for _, mu := range mutations(typ) {
				total++
				m := &maker{r: rand.New(rand.NewPCG(6, 7)), worst: true}
				v := reflect.New(typ).Elem()
				v.Set(m.make(typ, bounds{}))
				mu.apply(v, m)
				want := []string{mu.field + "", "more than " + mu.bound}

				prefix := []byte("head")
				b, err := f.encode(prefix, v.Interface())
				for _, w := range want {
					assert.ErrorContains(t, err, w, "encode with %s over %s", mu.field, mu.bound)
				}
				assert.Equal(t, prefix, b, "encode with %s over %s: want the buffer as it was", mu.field, mu.bound)

				in := wireEncode(nil, v)
				p := reflect.New(typ)
				_, err = p.Interface().(unmarshaler).UnmarshalMsg(in)
				for _, w := range want {
					assert.ErrorContains(t, err, w, "decode with %s over %s", mu.field, mu.bound)
				}
			}
		}
	}
	require.GreaterOrEqual(t, total, 30, "bounds found; fewer means the walk is broken")
}
