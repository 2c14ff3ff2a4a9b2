package stream

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzMax is the message limit the fuzz targets read with: small, so that
// the fuzzer reaches both sides of it.
const fuzzMax = 1 << 12

// frameMessage is a message as it travels: its length, then its bytes.
func frameMessage(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// FuzzReadMessage feeds arbitrary streams to the message reader. It must
// not panic; it accepts exactly the messages whose announced length is at
// most the limit and present in full, returns them unchanged, and never
// allocates more than twice what arrived (or its first 64 KiB chunk).
// Seeds: valid messages, the limit and one past it, cut ones, and
// testdata/fuzz/FuzzReadMessage.
func FuzzReadMessage(f *testing.F) {
	f.Add(frameMessage(nil))
	f.Add(frameMessage([]byte("hello")))
	f.Add(frameMessage(bytes.Repeat([]byte{1}, fuzzMax)))
	f.Add(frameMessage(bytes.Repeat([]byte{1}, fuzzMax+1)))
	f.Add(frameMessage([]byte("cut short"))[:8])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		got, err := readMessage(r, fuzzMax)
		if len(b) < lengthLen {
			require.Error(t, err, "accepted %d bytes, shorter than a length", len(b))
			return
		}
		n := binary.BigEndian.Uint32(b)
		switch {
		case n > fuzzMax:
			require.ErrorIs(t, err, errOversized, "length %d over the limit", n)
		case int(n) > len(b)-lengthLen:
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "length %d with %d bytes", n, len(b)-lengthLen)
		default:
			require.NoError(t, err, "valid message of %d bytes", n)
			require.Equal(t, b[lengthLen:lengthLen+int(n)], got, "valid message of %d bytes", n)
		}
		if got != nil {
			require.LessOrEqual(t, cap(got), max(2*len(got), firstChunk), "capacity holding %d bytes", len(got))
		}
	})
}

// fuzzAEAD is the fixed key and nonce base FuzzRecords opens with.
func fuzzAEAD(t testing.TB) (cipher.AEAD, [nonceLen]byte) {
	aead, err := newGCM(testKey(7, 16))
	require.NoError(t, err)
	var base [nonceLen]byte
	copy(base[:], "fuzz nonce b")
	return aead, base
}

// sealRecords seals msg as the records a writer sends.
func sealRecords(t testing.TB, msg []byte) []byte {
	aead, base := fuzzAEAD(t)
	var out bytes.Buffer
	w := newRecordWriter(&out, aead, base, "fuzz")
	_, err := w.Write(msg)
	require.NoError(t, err, "Write")
	require.NoError(t, w.Flush(), "Flush")
	return out.Bytes()
}

// FuzzRecords feeds arbitrary bytes to the sealed record reader, with the
// message reader on top as on a connection. It must not panic, must fail
// with one of its errors on anything it cannot open, and what it opens
// must reseal to the same bytes: nobody without the key makes a record it
// accepts. Seeds: sealed messages of several sizes (valid, so the fuzzer
// starts from records that open), a record header alone, and
// testdata/fuzz/FuzzRecords.
func FuzzRecords(f *testing.F) {
	f.Add(sealRecords(f, frameMessage([]byte("hi"))))
	f.Add(sealRecords(f, frameMessage(bytes.Repeat([]byte{3}, 600))))
	f.Add(sealRecords(f, frameMessage(nil)))
	f.Add([]byte{0, 17, 0})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		aead, base := fuzzAEAD(t)
		rr := newRecordReader(bytes.NewReader(b), []cipher.AEAD{aead}, base, "fuzz", nil)
		msg, err := readMessage(rr, fuzzMax)
		if err != nil {
			require.True(t, errors.Is(err, errDecrypt) || errors.Is(err, errMalformedRecord) || errors.Is(err, errOversized) ||
				errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "unexpected error %v", err)
			return
		}
		// It opened: the input must start with exactly what a writer
		// seals for this message, as no one else can forge a tag.
		require.True(t, bytes.HasPrefix(b, sealRecords(t, frameMessage(msg))),
			"opened a %d-byte message from records the writer does not produce", len(msg))
	})
}

// FuzzDialerHello feeds arbitrary bytes to the hello parser: no panic, at
// most maxDialerHello bytes read, and every hello it accepts encodes back
// to the bytes it read.
func FuzzDialerHello(f *testing.F) {
	for _, h := range []dialerHello{
		{mode: modePlain, port: 7946},
		{mode: modeSealed, port: 1, label: "prod", keyID: 9},
		{mode: modeTLS, port: 65535, label: string(bytes.Repeat([]byte("L"), MaxLabelLen))},
	} {
		f.Add(h.append(nil))
	}
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		var h dialerHello
		var buf [maxDialerHello]byte
		got, err := readDialerHello(r, &h, &buf)
		require.LessOrEqual(t, len(b)-r.Len(), maxDialerHello, "bytes read")
		if err != nil {
			return
		}
		require.Equal(t, got, h.append(nil), "hello %+v re-encodes to other bytes", h)
		require.True(t, bytes.HasPrefix(b, got), "the hello's bytes are not the input's first")
	})
}
