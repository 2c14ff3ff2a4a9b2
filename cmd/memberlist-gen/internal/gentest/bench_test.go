package gentest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/memberlist-go/memberlist/testdata/gen/s5"
)

// s5Message is scenario S5's message: a uint32, a string of 32 bytes and
// 64 bytes.
func s5Message() s5.Message {
	return s5.Message{
		ID:      0xdeadbeef,
		Name:    "node-0123456789abcdefghijklmnopq",
		Payload: bytes.Repeat([]byte{0xa5}, 64),
	}
}

// BenchmarkS5 measures the generated codec on S5's message: encode into a
// reused buffer, decode into a fresh value, and both, as the incumbent's
// codec is measured in the bench module.
func BenchmarkS5(b *testing.B) {
	msg := s5Message()
	buf := make([]byte, 0, s5.CodecMaxSize)
	enc, err := msg.MarshalMsg(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = msg.MarshalMsg(buf[:0])
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m s5.Message
			if _, err := m.UnmarshalMsg(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode+decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = msg.MarshalMsg(buf[:0])
			var m s5.Message
			if _, err := m.UnmarshalMsg(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Through the family functions, as Send and On use them: the tag, the
	// type switch, and on decode the interface value.
	var m s5.Codec = msg
	b.Run("family", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = s5.EncodeCodec(buf[:0], m)
			if _, err := s5.DecodeCodec(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Encoding allocates nothing when the buffer has room, through MarshalMsg
// and through the family's Encode.
func TestEncodeAllocatesNothing(t *testing.T) {
	msg := s5Message()
	buf := make([]byte, 0, s5.CodecMaxSize)
	var m s5.Codec = msg
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf, _ = msg.MarshalMsg(buf[:0]) }), "MarshalMsg: allocations")
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf, _ = s5.EncodeCodec(buf[:0], m) }), "EncodeCodec: allocations")
}
