package wire

import "testing"

func BenchmarkAppendPing(b *testing.B) {
	m := Ping{Nonce: 1234}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPing(AppendHeader(buf[:0]), &m)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodePing(b *testing.B) {
	pkt := AppendPing(AppendHeader(nil), &Ping{Nonce: 1234})
	dst := make([]Message, 0, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = DecodePacket(pkt, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSync(b *testing.B) {
	pkt := AppendSync(AppendHeader(nil), &Sync{From: "node-a", Records: records(30)})
	dst := make([]Message, 0, 1)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = DecodePacket(pkt, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendSync(b *testing.B) {
	m := Sync{From: "node-a", Records: records(30)}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSync(AppendHeader(buf[:0]), &m)
	}
	b.SetBytes(int64(len(buf)))
}
