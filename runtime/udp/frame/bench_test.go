package frame

import (
	"bytes"
	"testing"
)

// benchCodecs are the framings a node can run with, largest label each.
func benchCodecs(b *testing.B) []struct {
	name string
	c    *Codec
} {
	label := "prod-eu-west-1"
	return []struct {
		name string
		c    *Codec
	}{
		{"crc32c", mustCodec(b, label, nil)},
		{"aes128", mustCodec(b, label, mustKeyring(b, testKey("a", 16)))},
		{"aes256", mustCodec(b, label, mustKeyring(b, testKey("a", 32)))},
	}
}

// benchSizes are a small packet (a ping or an ack) and a full one.
var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"1300B", 1300}}

// BenchmarkSeal measures packets per second through Seal, per framing and
// packet size.
func BenchmarkSeal(b *testing.B) {
	for _, bc := range benchCodecs(b) {
		for _, sz := range benchSizes {
			b.Run(bc.name+"/"+sz.name, func(b *testing.B) {
				payload := bytes.Repeat([]byte{1}, sz.n)
				buf := make([]byte, 0, 2048)
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					buf = bc.c.Seal(buf[:0], payload)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
			})
		}
	}
}

// BenchmarkOpen measures packets per second through Open, accepted ones
// and, for the encrypted framings, ones sealed with another key, which a
// flood of forgeries costs.
func BenchmarkOpen(b *testing.B) {
	for _, bc := range benchCodecs(b) {
		for _, sz := range benchSizes {
			b.Run(bc.name+"/"+sz.name, func(b *testing.B) {
				p := bc.c.Seal(nil, bytes.Repeat([]byte{1}, sz.n))
				out := make([]byte, 0, 2048)
				b.SetBytes(int64(len(p)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := bc.c.Open(out[:0], p); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
			})
		}
		if bc.c.Keyring() == nil {
			continue
		}
		b.Run(bc.name+"/1300B/forged", func(b *testing.B) {
			// Sealed with a key whose id matches, so that Open runs AES:
			// the worst a forger without the key can make it do.
			other := testKey("forger", len(bc.c.Keyring().Keys()[0]))
			p := mustCodec(b, bc.c.Label(), mustKeyring(b, other)).Seal(nil, bytes.Repeat([]byte{1}, 1300))
			p[headerLen+len(bc.c.Label())] = KeyID(bc.c.Keyring().Keys()[0])
			out := make([]byte, 0, 2048)
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.Open(out[:0], p); err != ErrDecrypt {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
