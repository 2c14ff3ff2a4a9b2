package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
	"unicode/utf8"
)

// Version is the frame format's version, carried in the high four bits of
// every datagram's first byte.
const Version = 1

// Sizes of the frame's parts, in bytes.
const (
	// MaxLabelLen bounds a cluster label.
	MaxLabelLen = 64
	// headerLen is the version/flags byte and, when the frame carries a
	// label, the label length byte.
	headerLen = 2
	// checksumLen is the CRC32C of a plain frame.
	checksumLen = 4
	// keyIDLen, sentLen, NonceLen and TagLen make up an encrypted frame's
	// overhead beyond the header and label.
	keyIDLen = 1
	// sentLen is the send time of an encrypted frame: milliseconds since
	// the Unix epoch, modulo 2^40 (see SentAt).
	sentLen = 5
	// NonceLen is the size of the random nonce of an encrypted frame.
	NonceLen = 12
	tagLen   = 16
	// encOverhead is what encryption adds after the label.
	encOverhead = keyIDLen + sentLen + NonceLen + tagLen
	// MaxOverhead is the most a frame adds to a payload: the header, the
	// longest label, and encryption's key id, send time, nonce and tag
	// (100 bytes).
	MaxOverhead = headerLen + MaxLabelLen + max(encOverhead, checksumLen)
)

// Flags in the low four bits of the first byte. flagLabel says a label
// length byte and the label follow; a cluster without a label saves that
// byte on every datagram, which in a quiet cluster of small pings and acks
// is a few percent of all traffic. flagSent says a send time follows the key
// id; every encrypted frame carries one, and an encrypted frame without it
// is an older release's, refused as ErrVersion. A plain frame never has it.
// The last bit is reserved and must be zero.
const (
	flagEncrypted = 1 << 0
	flagLabel     = 1 << 1
	flagSent      = 1 << 2
)

// Reasons Open refuses a datagram. Open returns them unwrapped; test for
// them with errors.Is all the same.
var (
	// ErrMalformed: too short for its header, label, checksum or tag,
	// reserved flags set, or an empty payload.
	ErrMalformed = errors.New("frame: malformed datagram")
	// ErrVersion: a frame version this package does not speak, or no frame
	// at all (such as the unframed packets of an older release), or an
	// encrypted frame without a send time (an older release's).
	ErrVersion = errors.New("frame: unknown frame version")
	// ErrLabel: a packet of another cluster (a different label).
	ErrLabel = errors.New("frame: wrong cluster label")
	// ErrChecksum: a plain frame whose checksum does not match: corrupted.
	ErrChecksum = errors.New("frame: checksum mismatch")
	// ErrUnencrypted: a plain frame at a node that requires encryption.
	ErrUnencrypted = errors.New("frame: unencrypted packet at a node with keys")
	// ErrDecrypt: an encrypted frame that no installed key opens (or the
	// node has no keys): sealed with another key, or tampered with.
	ErrDecrypt = errors.New("frame: no installed key opens the packet")
)

// ErrInvalidLabel is wrapped by NewCodec's error for a label it cannot
// carry.
var ErrInvalidLabel = errors.New("frame: invalid label")

// Codec seals and opens the datagrams of one cluster: its label and, for an
// encrypted cluster, its keyring. Its methods are safe for concurrent use.
type Codec struct {
	label string
	keys  *Keyring
	crc   *crc32.Table
}

// NewCodec returns a codec for the cluster labelled label (empty for none)
// that encrypts with keys, or, with nil keys, sends a checksum instead and
// refuses encrypted packets. A codec with keys refuses unencrypted packets.
// The label must be valid UTF-8 of at most MaxLabelLen bytes.
func NewCodec(label string, keys *Keyring) (*Codec, error) {
	if err := CheckLabel(label); err != nil {
		return nil, err
	}
	return &Codec{label: label, keys: keys, crc: crc32.MakeTable(crc32.Castagnoli)}, nil
}

// CheckLabel reports whether label can be a cluster label: nil, or an error
// wrapping ErrInvalidLabel that says why.
func CheckLabel(label string) error {
	switch {
	case len(label) > MaxLabelLen:
		return fmt.Errorf("%w: %d bytes; want at most %d", ErrInvalidLabel, len(label), MaxLabelLen)
	case !utf8.ValidString(label):
		// It is shown in logs and errors, which should print as written.
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidLabel)
	}
	return nil
}

// Label returns the cluster label.
func (c *Codec) Label() string { return c.label }

// Keyring returns the keyring, nil without encryption.
func (c *Codec) Keyring() *Keyring { return c.keys }

// Overhead is how many bytes Seal adds to a payload.
func (c *Codec) Overhead() int {
	n := c.headerSize()
	if c.keys != nil {
		return n + encOverhead
	}
	return n + checksumLen
}

// headerSize is the size of this codec's header and label.
func (c *Codec) headerSize() int {
	if c.label == "" {
		return 1
	}
	return headerLen + len(c.label)
}

// Seal appends to dst the datagram carrying payload: encrypted with the
// primary key if the codec has keys, else with a checksum. It returns the
// extended slice; the datagram is Overhead bytes longer than payload. dst
// and payload must not overlap. An encrypted datagram carries the time of
// the call as its send time; SealAt takes the time as an argument.
func (c *Codec) Seal(dst, payload []byte) []byte {
	return c.SealAt(dst, payload, time.Now())
}

// SealAt is Seal with the send time given: now, on the sender's clock, which
// a receiver's Replays compares with its own. Plain datagrams carry no
// time, and ignore it.
func (c *Codec) SealAt(dst, payload []byte, now time.Time) []byte {
	start := len(dst)
	flags := byte(0)
	if c.keys != nil {
		flags |= flagEncrypted | flagSent
	}
	if c.label == "" {
		dst = append(dst, Version<<4|flags)
	} else {
		dst = append(dst, Version<<4|flags|flagLabel, byte(len(c.label)))
		dst = append(dst, c.label...)
	}
	if c.keys == nil {
		dst = append(dst, payload...)
		return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], c.crc))
	}
	k := c.keys.set.Load().primary()
	dst = append(dst, k.id)
	dst = appendSent(dst, now)
	// The nonce is drawn inside Seal and written before the ciphertext; the
	// header, label, key id and send time so far are the additional data.
	return k.aead.Seal(dst, nil, payload, dst[start:])
}

// Open checks the datagram p and appends its payload to dst, returning the
// extended slice. A datagram it refuses leaves dst's contents undefined up
// to its capacity and yields one of ErrMalformed, ErrVersion, ErrLabel,
// ErrChecksum, ErrUnencrypted or ErrDecrypt, unwrapped. dst and p must not
// overlap. The payload is never empty.
func (c *Codec) Open(dst, p []byte) ([]byte, error) {
	f, err := c.check(p)
	if err != nil {
		return dst, err
	}
	if !f.sealed {
		return append(dst, p[f.start:f.end]...), nil
	}
	for _, k := range c.keys.set.Load().keys {
		if k.id != f.keyID {
			continue
		}
		if out, err := k.open.Open(dst, f.nonce(p), p[f.start:], f.aad(p)); err == nil {
			return out, nil
		}
	}
	return dst, ErrDecrypt
}

// OpenInPlace is Open without a copy: it returns the payload as the part
// of p that carried it, decrypted in place if the frame is encrypted, with
// its capacity cut to its length. It refuses what Open refuses, with the
// same errors; p's payload bytes are then undefined (a failed decryption
// clears them). Opening allocates nothing, except in the rare case of two
// installed keys sharing the datagram's key id (see KeyID), when the
// ciphertext is kept aside for the second try.
func (c *Codec) OpenInPlace(p []byte) ([]byte, error) {
	f, err := c.check(p)
	if err != nil {
		return nil, err
	}
	if !f.sealed {
		return p[f.start:f.end:f.end], nil
	}
	keys := c.keys.set.Load().keys
	candidates := 0
	for _, k := range keys {
		if k.id == f.keyID {
			candidates++
		}
	}
	sealed := p[f.start:]
	var spare []byte
	if candidates > 1 {
		spare = bytes.Clone(sealed)
	}
	for _, k := range keys {
		if k.id != f.keyID {
			continue
		}
		out, err := k.open.Open(sealed[:0], f.nonce(p), sealed, f.aad(p))
		if err == nil {
			return out[:len(out):len(out)], nil
		}
		if candidates--; candidates > 0 {
			copy(sealed, spare)
		}
	}
	return nil, ErrDecrypt
}

// Matches reports whether p is framed as this codec frames: with its label,
// and encrypted if and only if the codec has keys. It looks at the header
// only; Open still checks the rest. A node switching its cluster's framing
// (see package udp's Transition) uses it to pick the codec of a datagram.
func (c *Codec) Matches(p []byte) bool {
	if len(p) < 1 || p[0]>>4 != Version {
		return false
	}
	body, label := labelSpan(p)
	return body >= 0 && string(label) == c.label && (p[0]&flagEncrypted != 0) == (c.keys != nil)
}

// frameSpan is where a checked datagram keeps its parts: the payload (or,
// encrypted, the ciphertext and tag) from start to end, and for an
// encrypted frame the key id and where the nonce lies.
type frameSpan struct {
	sealed     bool
	start, end int
	keyID      byte
	nonceAt    int
}

// nonce and aad return an encrypted frame's nonce and additional data.
func (f frameSpan) nonce(p []byte) []byte { return p[f.nonceAt : f.nonceAt+NonceLen] }
func (f frameSpan) aad(p []byte) []byte   { return p[:f.nonceAt] }

// check does everything Open does short of decrypting: the length,
// version, flags, label and, for a plain frame, the checksum and whether
// plain frames are accepted here.
func (c *Codec) check(p []byte) (frameSpan, error) {
	if len(p) < 1 {
		return frameSpan{}, ErrMalformed
	}
	if p[0]>>4 != Version {
		return frameSpan{}, ErrVersion
	}
	flags := p[0] & 0x0f
	if flags&^(flagEncrypted|flagLabel|flagSent) != 0 {
		return frameSpan{}, ErrMalformed
	}
	body, label := labelSpan(p)
	if body < 0 {
		return frameSpan{}, ErrMalformed
	}

	if flags&flagEncrypted == 0 {
		if flags&flagSent != 0 {
			return frameSpan{}, ErrMalformed // plain frames carry no send time
		}
		if len(p) < body+1+checksumLen {
			return frameSpan{}, ErrMalformed
		}
		end := len(p) - checksumLen
		if crc32.Checksum(p[:end], c.crc) != binary.BigEndian.Uint32(p[end:]) {
			return frameSpan{}, ErrChecksum
		}
		if string(label) != c.label {
			return frameSpan{}, ErrLabel
		}
		if c.keys != nil {
			return frameSpan{}, ErrUnencrypted
		}
		return frameSpan{start: body, end: end}, nil
	}

	if string(label) != c.label {
		return frameSpan{}, ErrLabel
	}
	if flags&flagSent == 0 {
		// An older release's encrypted frame: it carries no send time, so
		// nothing would stop a recording of it from being replayed for as
		// long as the key lives.
		return frameSpan{}, ErrVersion
	}
	if len(p) < body+encOverhead+1 {
		return frameSpan{}, ErrMalformed
	}
	if c.keys == nil {
		return frameSpan{}, ErrDecrypt
	}
	at := body + keyIDLen + sentLen
	return frameSpan{sealed: true, start: at + NonceLen, end: len(p), keyID: p[body], nonceAt: at}, nil
}

// labelSpan returns where the frame's body starts and its label (empty
// without the label flag); body is -1 for a frame too short for its label.
func labelSpan(p []byte) (body int, label []byte) {
	if p[0]&flagLabel == 0 {
		return 1, nil
	}
	if len(p) < headerLen {
		return -1, nil
	}
	n := int(p[1])
	if n == 0 || n > MaxLabelLen || len(p) < headerLen+n {
		return -1, nil // an empty label is sent without the flag
	}
	return headerLen + n, p[headerLen : headerLen+n]
}

// sentBits is the width of the send time on the wire, sentMask its values.
const (
	sentBits = 8 * sentLen
	sentMask = 1<<sentBits - 1
)

// appendSent appends the send time: now in milliseconds since the Unix
// epoch, modulo 2^40. Forty bits of milliseconds wrap every 34.8 years, so
// a receiver reads the value as the time nearest its own clock (see
// SentAt) and the field never runs out.
func appendSent(dst []byte, now time.Time) []byte {
	ms := uint64(now.UnixMilli()) & sentMask
	return append(dst, byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms))
}

// SentAt returns the send time of an encrypted frame as milliseconds since
// the Unix epoch, read as the time within 17.4 years (2^39 milliseconds) of
// now, and false for a plain frame, which carries none. It reads the frame
// as it is: call it on frames that Open accepted, whose send time is
// authenticated.
func SentAt(p []byte, now time.Time) (int64, bool) {
	at, ok := encryptedBody(p)
	if !ok || len(p) < at+keyIDLen+sentLen {
		return 0, false
	}
	b := p[at+keyIDLen : at+keyIDLen+sentLen]
	sent := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	nowMS := now.UnixMilli()
	// The difference modulo 2^40, sign-extended: how far the send time is
	// ahead of now (negative: behind).
	d := int64((sent-uint64(nowMS))&sentMask<<(64-sentBits)) >> (64 - sentBits)
	return nowMS + d, true
}

// encryptedBody returns where the key id of an encrypted frame with a send
// time starts, and false for any other frame.
func encryptedBody(p []byte) (int, bool) {
	if len(p) < 1 || p[0]&(flagEncrypted|flagSent) != flagEncrypted|flagSent {
		return 0, false
	}
	body, _ := labelSpan(p)
	return body, body >= 0
}

// nonce returns the nonce of an encrypted frame that Open accepted, and
// false for a plain frame, which has none.
func nonce(p []byte) ([NonceLen]byte, bool) {
	body, ok := encryptedBody(p)
	if !ok {
		return [NonceLen]byte{}, false
	}
	at := body + keyIDLen + sentLen
	if len(p) < at+NonceLen {
		return [NonceLen]byte{}, false
	}
	return [NonceLen]byte(p[at : at+NonceLen]), true
}
