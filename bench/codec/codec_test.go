package codec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tinylib/msgp/msgp"
)

// s5 is the scenario's message: a uint32, 32 bytes of name, 64 of payload.
func s5() Message {
	return Message{
		ID:      0xdeadbeef,
		Name:    "node-0123456789abcdefghijklmnopq",
		Payload: bytes.Repeat([]byte{0xa5}, 64),
	}
}

func TestS5MessageSize(t *testing.T) {
	m := s5()
	require.Len(t, m.Name, 32, "S5 message's name")
	require.Len(t, m.Payload, 64, "S5 message's payload")
	b, err := m.MarshalMsg(nil)
	require.NoError(t, err)
	assert.Len(t, b, MaxSize, "encoding at the bounds; want MaxSize")
}

func TestRoundTrip(t *testing.T) {
	for _, m := range []Message{
		s5(),
		{},
		{ID: 1, Name: "a", Payload: []byte{0}},
		{ID: 1 << 31, Name: strings.Repeat("x", 31), Payload: make([]byte, 63)},
	} {
		b, err := m.MarshalMsg(nil)
		require.NoError(t, err, "%+v", m)
		var got Message
		rest, err := got.UnmarshalMsg(b)
		require.NoError(t, err, "%+v: unmarshal", m)
		require.Empty(t, rest, "%+v: bytes left after unmarshal", m)
		assert.Equal(t, m.ID, got.ID, "round trip of %+v: ID", m)
		assert.Equal(t, m.Name, got.Name, "round trip of %+v: Name", m)
		assert.Equal(t, m.Payload, got.Payload, "round trip of %+v: Payload", m)

		buf, err := EncodeIncumbent(&m)
		require.NoError(t, err)
		var inc Message
		require.NoError(t, DecodeIncumbent(buf.Bytes(), &inc))
		assert.Equal(t, m.ID, inc.ID, "incumbent round trip of %+v: ID", m)
		assert.Equal(t, m.Name, inc.Name, "incumbent round trip of %+v: Name", m)
		assert.Equal(t, m.Payload, inc.Payload, "incumbent round trip of %+v: Payload", m)
	}
}

func TestBoundsOnEncode(t *testing.T) {
	for _, m := range []Message{
		{Name: strings.Repeat("x", 33)},
		{Payload: make([]byte, 65)},
	} {
		b, err := m.MarshalMsg([]byte{7})
		if assert.Error(t, err, "%d-byte name, %d-byte payload: no error", len(m.Name), len(m.Payload)) {
			assert.Equal(t, []byte{7}, b, "on error the buffer changed")
		}
	}
}

// A decoder fed lengths over the bounds refuses them, and malformed input
// is an error, never a panic.
func TestBoundsOnDecode(t *testing.T) {
	long := msgp.AppendArrayHeader(nil, 3)
	long = msgp.AppendUint32(long, 1)
	long = msgp.AppendString(long, strings.Repeat("x", 33))
	long = msgp.AppendBytes(long, nil)
	big := msgp.AppendArrayHeader(nil, 3)
	big = msgp.AppendUint32(big, 1)
	big = msgp.AppendString(big, "")
	big = msgp.AppendBytes(big, make([]byte, 65))
	// A bin32 header claiming 4 GiB, with nothing behind it.
	huge := msgp.AppendArrayHeader(nil, 3)
	huge = msgp.AppendUint32(huge, 1)
	huge = msgp.AppendString(huge, "")
	huge = append(huge, 0xc6, 0xff, 0xff, 0xff, 0xff)
	good, _ := (&Message{ID: 1, Name: "n", Payload: []byte{1}}).MarshalMsg(nil)
	for name, b := range map[string][]byte{
		"name over max":    long,
		"payload over max": big,
		"huge length":      huge,
		"empty":            nil,
		"two fields":       msgp.AppendUint32(msgp.AppendArrayHeader(nil, 2), 1),
		"truncated":        good[:len(good)-1],
		"not an array":     msgp.AppendUint32(nil, 1),
	} {
		var m Message
		_, err := m.UnmarshalMsg(b)
		assert.Error(t, err, "%s: no error", name)
	}
}

func TestEncodeAllocatesNothing(t *testing.T) {
	m := s5()
	buf := make([]byte, 0, MaxSize)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf, _ = m.MarshalMsg(buf[:0]) }), "MarshalMsg: allocations per run")
}

func FuzzUnmarshal(f *testing.F) {
	m := s5()
	b, _ := m.MarshalMsg(nil)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x93, 0xce, 0, 0, 0, 1, 0xa1, 'x', 0xc4, 0x01, 0xff})
	f.Add([]byte{0x93, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		rest, err := m.UnmarshalMsg(b)
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(m.Name), 32, "decoded past the bounds: name")
		require.LessOrEqual(t, len(m.Payload), 64, "decoded past the bounds: payload")
		// What decodes re-encodes to the bytes it came from.
		again, err := m.MarshalMsg(nil)
		require.NoError(t, err, "re-encode")
		require.LessOrEqual(t, len(again), len(b)-len(rest), "bytes of the re-encoding, against the input's")
	})
}

// BenchmarkS5 is scenario S5: encode into a reused buffer, decode into a
// fresh value, and both, for our codec and the incumbent's.
func BenchmarkS5(b *testing.B) {
	msg := s5()
	b.Run("ours", func(b *testing.B) {
		buf := make([]byte, 0, MaxSize)
		enc, _ := msg.MarshalMsg(nil)
		b.Run("encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = msg.MarshalMsg(buf[:0])
			}
		})
		b.Run("decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m Message
				if _, err := m.UnmarshalMsg(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode+decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = msg.MarshalMsg(buf[:0])
				var m Message
				if _, err := m.UnmarshalMsg(buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc)), "wire-bytes")
		})
	})
	b.Run("hashicorp", func(b *testing.B) {
		enc, err := EncodeIncumbent(&msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodeIncumbent(&msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m Message
				if err := DecodeIncumbent(enc.Bytes(), &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode+decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, err := EncodeIncumbent(&msg)
				if err != nil {
					b.Fatal(err)
				}
				var m Message
				if err := DecodeIncumbent(buf.Bytes(), &m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(enc.Len()), "wire-bytes")
		})
	})
}
