package gentest

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// FuzzDecode feeds every generated decoder: the first byte picks the
// family, the rest is the message. Nothing may panic, and what decodes
// must encode and decode again. The seed corpus holds random and
// worst-case messages of every variant.
func FuzzDecode(f *testing.F) {
	fams := families()
	r := rand.New(rand.NewPCG(12, 13))
	for i, fam := range fams {
		for _, zero := range fam.variants {
			for _, worst := range []bool{false, true} {
				b, err := fam.encode([]byte{byte(i)}, (&maker{r: r, worst: worst}).make(reflect.TypeOf(zero), bounds{}).Interface())
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
		f.Add([]byte{byte(i), 0xcd, 0xff, 0xff, 0x90})
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		checkDecode(t, fams[int(in[0])%len(fams)], in[1:])
	})
}
