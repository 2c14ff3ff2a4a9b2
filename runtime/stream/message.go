package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// lengthLen is the size of the length that prefixes every message.
const lengthLen = 4

// firstChunk is how much of a message's body is allocated before its bytes
// arrive; the buffer then doubles as they do, up to the announced length.
const firstChunk = 64 << 10

// errOversized: a message announced a length above the limit.
var errOversized = errors.New("stream: message longer than MaxMessageSize")

// readMessage reads one length-prefixed message of at most max bytes from
// r. The buffer grows only as bytes arrive: at most twice what was
// received, never the announced length up front. A clean end of the
// stream before the first byte is io.EOF; an end inside the message is
// io.ErrUnexpectedEOF.
func readMessage(r io.Reader, max int) ([]byte, error) {
	var hdr [lengthLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d", errOversized, n, max)
	}
	size := int(n)
	buf := make([]byte, 0, min(size, firstChunk))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// flushWriter is a buffered writer: a message is written, then flushed.
type flushWriter interface {
	io.Writer
	Flush() error
}

// messageSize is the length of the message made of parts.
func messageSize(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// writeMessage writes the parts as one message and flushes it. The caller
// has checked the size against the limit.
func writeMessage(w flushWriter, parts [][]byte) error {
	var hdr [lengthLen]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(messageSize(parts)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return w.Flush()
}
