package stream

import (
	"encoding/binary"
	"errors"
	"io"
)

// Version is the stream format's version, carried in every hello.
const Version = 1

// MaxLabelLen bounds the cluster label a hello carries (as package
// udp/frame does for datagrams).
const MaxLabelLen = 64

// magic opens every connection, so that a stray client (an HTTP probe, a
// port scanner) is told apart from a peer of another version at once.
var magic = [4]byte{'M', 'L', 'S', 'T'}

// mode is how a connection is protected; both sides must agree.
type mode byte

const (
	modePlain  mode = 0
	modeSealed mode = 1
	modeTLS    mode = 2
	numModes        = 3
)

// Hello sizes: the fixed part of either hello, and the sealed suffixes.
const (
	helloFixed       = len(magic) + 1 + 1 // magic, version, mode
	dialerSealedLen  = 1 + saltLen + nonceLen
	acceptSealedLen  = saltLen + nonceLen
	maxDialerHello   = helloFixed + 2 + 1 + MaxLabelLen + dialerSealedLen
	maxAcceptorHello = helloFixed + acceptSealedLen
)

// Reasons a hello is refused.
var (
	errBadMagic   = errors.New("stream: not a memberlist stream (bad magic)")
	errVersion    = errors.New("stream: unknown stream version")
	errMode       = errors.New("stream: peer protects streams otherwise")
	errLabel      = errors.New("stream: wrong cluster label")
	errBadHello   = errors.New("stream: malformed hello")
	errUnknownKey = errors.New("stream: no installed key has the dialer's key id")
)

// dialerHello is what the dialing side says first.
type dialerHello struct {
	mode  mode
	port  uint16 // the port the dialer advertises: how the acceptor knows it
	label string
	// Sealed only.
	keyID byte
	salt  [saltLen]byte
	base  [nonceLen]byte
}

func (h *dialerHello) append(b []byte) []byte {
	b = append(b, magic[:]...)
	b = append(b, Version, byte(h.mode))
	b = binary.BigEndian.AppendUint16(b, h.port)
	b = append(b, byte(len(h.label)))
	b = append(b, h.label...)
	if h.mode == modeSealed {
		b = append(b, h.keyID)
		b = append(b, h.salt[:]...)
		b = append(b, h.base[:]...)
	}
	return b
}

// readDialerHello reads a dialer's hello from r into h, and returns its
// bytes (for the transcript). It reads at most maxDialerHello bytes, so a
// peer that sends garbage costs no more than that.
func readDialerHello(r io.Reader, h *dialerHello, buf *[maxDialerHello]byte) ([]byte, error) {
	n := helloFixed + 2 + 1
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return nil, err
	}
	if err := checkFixed(buf[:helloFixed]); err != nil {
		return nil, err
	}
	h.mode = mode(buf[5])
	h.port = binary.BigEndian.Uint16(buf[6:8])
	l := int(buf[8])
	if l > MaxLabelLen {
		return nil, errBadHello
	}
	if _, err := io.ReadFull(r, buf[n:n+l]); err != nil {
		return nil, err
	}
	h.label = string(buf[n : n+l])
	n += l
	if h.mode == modeSealed {
		if _, err := io.ReadFull(r, buf[n:n+dialerSealedLen]); err != nil {
			return nil, err
		}
		h.keyID = buf[n]
		copy(h.salt[:], buf[n+1:])
		copy(h.base[:], buf[n+1+saltLen:])
		n += dialerSealedLen
	}
	return buf[:n], nil
}

// acceptorHello is the accepting side's answer.
type acceptorHello struct {
	mode mode
	// Sealed only.
	salt [saltLen]byte
	base [nonceLen]byte
}

func (h *acceptorHello) append(b []byte) []byte {
	b = append(b, magic[:]...)
	b = append(b, Version, byte(h.mode))
	if h.mode == modeSealed {
		b = append(b, h.salt[:]...)
		b = append(b, h.base[:]...)
	}
	return b
}

// readAcceptorHello reads the acceptor's answer; want is the mode the
// dialer speaks, which the answer must repeat.
func readAcceptorHello(r io.Reader, want mode, h *acceptorHello, buf *[maxAcceptorHello]byte) ([]byte, error) {
	if _, err := io.ReadFull(r, buf[:helloFixed]); err != nil {
		return nil, err
	}
	if err := checkFixed(buf[:helloFixed]); err != nil {
		return nil, err
	}
	h.mode = mode(buf[5])
	if h.mode != want {
		return nil, errMode
	}
	n := helloFixed
	if h.mode == modeSealed {
		if _, err := io.ReadFull(r, buf[n:n+acceptSealedLen]); err != nil {
			return nil, err
		}
		copy(h.salt[:], buf[n:])
		copy(h.base[:], buf[n+saltLen:])
		n += acceptSealedLen
	}
	return buf[:n], nil
}

// checkFixed checks the magic, version and mode of a hello.
func checkFixed(b []byte) error {
	switch {
	case [4]byte(b[:4]) != magic:
		return errBadMagic
	case b[4] != Version:
		return errVersion
	case b[5] >= numModes:
		return errBadHello
	}
	return nil
}
