package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
	// keyIDLen, NonceLen and TagLen make up an encrypted frame's overhead
	// beyond the header and label.
	keyIDLen = 1
	// NonceLen is the size of the random nonce of an encrypted frame.
	NonceLen = 12
	tagLen   = 16
	// encOverhead is what encryption adds after the label.
	encOverhead = keyIDLen + NonceLen + tagLen
	// MaxOverhead is the most a frame adds to a payload: the header, the
	// longest label, and encryption's key id, nonce and tag (95 bytes).
	MaxOverhead = headerLen + MaxLabelLen + max(encOverhead, checksumLen)
)

// Flags in the low four bits of the first byte. flagLabel says a label
// length byte and the label follow; a cluster without a label saves that
// byte on every datagram, which in a quiet cluster of small pings and acks
// is a few percent of all traffic. The other two bits are reserved and must
// be zero.
const (
	flagEncrypted = 1 << 0
	flagLabel     = 1 << 1
)

// Reasons Open refuses a datagram. Open returns them unwrapped; test for
// them with errors.Is all the same.
var (
	// ErrMalformed: too short for its header, label, checksum or tag,
	// reserved flags set, or an empty payload.
	ErrMalformed = errors.New("frame: malformed datagram")
	// ErrVersion: a frame version this package does not speak, or no frame
	// at all (such as the unframed packets of an older release).
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
// and payload must not overlap.
func (c *Codec) Seal(dst, payload []byte) []byte {
	start := len(dst)
	flags := byte(0)
	if c.keys != nil {
		flags |= flagEncrypted
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
	// The nonce is drawn inside Seal and written before the ciphertext; the
	// header, label and key id so far are the additional data.
	return k.aead.Seal(dst, nil, payload, dst[start:])
}

// Open checks the datagram p and appends its payload to dst, returning the
// extended slice. A datagram it refuses leaves dst's contents undefined up
// to its capacity and yields one of ErrMalformed, ErrVersion, ErrLabel,
// ErrChecksum, ErrUnencrypted or ErrDecrypt, unwrapped. dst and p must not
// overlap. The payload is never empty.
func (c *Codec) Open(dst, p []byte) ([]byte, error) {
	if len(p) < 1 {
		return dst, ErrMalformed
	}
	if p[0]>>4 != Version {
		return dst, ErrVersion
	}
	flags := p[0] & 0x0f
	if flags&^(flagEncrypted|flagLabel) != 0 {
		return dst, ErrMalformed
	}
	body, label := labelSpan(p)
	if body < 0 {
		return dst, ErrMalformed
	}

	if flags&flagEncrypted == 0 {
		if len(p) < body+1+checksumLen {
			return dst, ErrMalformed
		}
		end := len(p) - checksumLen
		if crc32.Checksum(p[:end], c.crc) != binary.BigEndian.Uint32(p[end:]) {
			return dst, ErrChecksum
		}
		if string(label) != c.label {
			return dst, ErrLabel
		}
		if c.keys != nil {
			return dst, ErrUnencrypted
		}
		return append(dst, p[body:end]...), nil
	}

	if string(label) != c.label {
		return dst, ErrLabel
	}
	if len(p) < body+encOverhead+1 {
		return dst, ErrMalformed
	}
	if c.keys == nil {
		return dst, ErrDecrypt
	}
	id, aad, sealed := p[body], p[:body+keyIDLen], p[body+keyIDLen:]
	for _, k := range c.keys.set.Load().keys {
		if k.id != id {
			continue
		}
		if out, err := k.aead.Open(dst, nil, sealed, aad); err == nil {
			return out, nil
		}
	}
	return dst, ErrDecrypt
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

// nonce returns the nonce of an encrypted frame that Open accepted, and
// false for a plain frame, which has none.
func nonce(p []byte) ([NonceLen]byte, bool) {
	if len(p) < 1 || p[0]&flagEncrypted == 0 {
		return [NonceLen]byte{}, false
	}
	body, _ := labelSpan(p)
	if body < 0 {
		return [NonceLen]byte{}, false
	}
	at := body + keyIDLen
	if len(p) < at+NonceLen {
		return [NonceLen]byte{}, false
	}
	return [NonceLen]byte(p[at : at+NonceLen]), true
}
