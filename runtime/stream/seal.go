package stream

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
)

// Sealed record sizes.
const (
	recordHeaderLen = 2
	tagLen          = 16
	nonceLen        = 12
	saltLen         = 32
	// maxRecordBody is the most a record carries after its header:
	// ciphertext and tag.
	maxRecordBody = 1<<16 - 1
	// maxRecordPlain is the most plaintext one record carries.
	maxRecordPlain = maxRecordBody - tagLen
	// maxRecords bounds the records one direction of a connection may
	// carry, far below where the 64-bit counter could wrap (2^40 records
	// are 64 PiB); past it the connection fails and a new one starts.
	maxRecords = 1 << 40
)

// errDecrypt: a record that does not open with the connection's key:
// another key, or a record altered, dropped, repeated or reordered.
var errDecrypt = errors.New("stream: record does not open (wrong key, or tampered)")

// errMalformedRecord: a record too short for its tag, or empty.
var errMalformedRecord = errors.New("stream: malformed record")

// Keyring is where sealed streams take their keys from: Keys returns the
// installed keys, the primary one first, and is called once per
// connection, so a rotation applies to the next connection. The keyring of
// package udp/frame is one.
type Keyring interface {
	Keys() [][]byte
}

// keyID is the one-byte identifier a dialer's hello carries for the key it
// seals with, so that the acceptor tries only that key. It is derived apart
// from package frame's datagram key id, so the two say nothing about each
// other.
func keyID(raw []byte) byte {
	h := sha256.New()
	h.Write([]byte("memberlist stream key id\x00"))
	h.Write(raw)
	var sum [sha256.Size]byte
	return h.Sum(sum[:0])[0]
}

// directionKeys derives the two directions' AEADs of one connection from a
// keyring key, both sides' salts and the transcript of both hellos.
func directionKeys(raw, saltDialer, saltAcceptor, transcript []byte) (dialerToAcceptor, acceptorToDialer cipher.AEAD, err error) {
	salt := append(append(make([]byte, 0, 2*saltLen), saltDialer...), saltAcceptor...)
	info := append([]byte("memberlist stream v1\x00"), transcript...)
	okm, err := hkdf.Key(sha256.New, raw, salt, string(info), 2*len(raw))
	if err != nil {
		return nil, nil, err
	}
	if dialerToAcceptor, err = newGCM(okm[:len(raw)]); err != nil {
		return nil, nil, err
	}
	if acceptorToDialer, err = newGCM(okm[len(raw):]); err != nil {
		return nil, nil, err
	}
	return dialerToAcceptor, acceptorToDialer, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// recordNonce is the nonce of record n: the base with n XORed into its
// last eight bytes.
func recordNonce(base *[nonceLen]byte, n uint64, out *[nonceLen]byte) {
	*out = *base
	c := binary.BigEndian.Uint64(out[4:]) ^ n
	binary.BigEndian.PutUint64(out[4:], c)
}

// recordWriter seals what is written to it into records: it collects
// plaintext up to a full record and seals it, in place, when the record is
// full or on Flush.
type recordWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	base  [nonceLen]byte
	n     uint64
	label []byte
	ad    []byte
	buf   []byte // header, then plaintext; sealed in place
}

func newRecordWriter(w io.Writer, aead cipher.AEAD, base [nonceLen]byte, label string) *recordWriter {
	return &recordWriter{w: w, aead: aead, base: base, label: []byte(label)}
}

// Write buffers p, sealing and writing every record it fills.
func (rw *recordWriter) Write(p []byte) (int, error) {
	if rw.buf == nil {
		rw.buf = make([]byte, recordHeaderLen, recordHeaderLen+maxRecordBody)
	}
	written := 0
	for len(p) > 0 {
		room := recordHeaderLen + maxRecordPlain - len(rw.buf)
		k := min(room, len(p))
		rw.buf = append(rw.buf, p[:k]...)
		p = p[k:]
		written += k
		if len(rw.buf) == recordHeaderLen+maxRecordPlain {
			if err := rw.seal(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// Flush seals and writes what is buffered.
func (rw *recordWriter) Flush() error {
	if len(rw.buf) <= recordHeaderLen {
		return nil
	}
	return rw.seal()
}

func (rw *recordWriter) seal() error {
	if rw.n >= maxRecords {
		return errors.New("stream: too many records on one connection")
	}
	plain := rw.buf[recordHeaderLen:]
	binary.BigEndian.PutUint16(rw.buf, uint16(len(plain)+tagLen))
	rw.ad = append(append(rw.ad[:0], rw.buf[:recordHeaderLen]...), rw.label...)
	var nonce [nonceLen]byte
	recordNonce(&rw.base, rw.n, &nonce)
	rw.n++
	rec := rw.aead.Seal(plain[:0], nonce[:], plain, rw.ad)
	_, err := rw.w.Write(rw.buf[:recordHeaderLen+len(rec)])
	rw.buf = rw.buf[:recordHeaderLen]
	return err
}

// recordReader opens the records read from r and serves their plaintext.
// Before its first record it may hold several candidate keys (keyring keys
// sharing the dialer's key id); the first record picks the one that opens
// it, and chosen, if set, is told which.
type recordReader struct {
	r          io.Reader
	candidates []cipher.AEAD
	chosen     func(i int)
	aead       cipher.AEAD
	base       [nonceLen]byte
	n          uint64
	label      []byte
	ad         []byte
	buf        []byte // allocated with the first record header
	plain      []byte // what is left of the last record
	err        error  // sticky: once a record fails, so does every read
}

func newRecordReader(r io.Reader, candidates []cipher.AEAD, base [nonceLen]byte, label string, chosen func(int)) *recordReader {
	rr := &recordReader{r: r, base: base, label: []byte(label), chosen: chosen}
	if len(candidates) == 1 {
		rr.aead = candidates[0]
	} else {
		rr.candidates = candidates
	}
	return rr
}

// Read serves plaintext, opening the next record when the last is used up.
// A clean end of the stream between records is io.EOF; inside one,
// io.ErrUnexpectedEOF; a record that does not open, errDecrypt.
func (rr *recordReader) Read(p []byte) (int, error) {
	for len(rr.plain) == 0 {
		if rr.err != nil {
			return 0, rr.err
		}
		rr.err = rr.next()
	}
	k := copy(p, rr.plain)
	rr.plain = rr.plain[k:]
	return k, nil
}

// next reads and opens one record.
func (rr *recordReader) next() error {
	var hdr [recordHeaderLen]byte
	if _, err := io.ReadFull(rr.r, hdr[:]); err != nil {
		return err
	}
	size := int(binary.BigEndian.Uint16(hdr[:]))
	if size <= tagLen {
		return errMalformedRecord
	}
	if rr.buf == nil {
		rr.buf = make([]byte, maxRecordBody)
	}
	body := rr.buf[:size]
	if _, err := io.ReadFull(rr.r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if rr.n >= maxRecords {
		return errDecrypt
	}
	rr.ad = append(append(rr.ad[:0], hdr[:]...), rr.label...)
	var nonce [nonceLen]byte
	recordNonce(&rr.base, rr.n, &nonce)
	rr.n++
	if rr.aead == nil {
		// The first record: keep a copy, as a failed Open may have
		// overwritten the buffer, and try each candidate.
		sealed := append([]byte(nil), body...)
		for i, c := range rr.candidates {
			copy(body, sealed)
			if plain, err := c.Open(body[:0], nonce[:], body, rr.ad); err == nil {
				rr.aead, rr.candidates = c, nil
				if rr.chosen != nil {
					rr.chosen(i)
				}
				rr.plain = plain
				return nil
			}
		}
		return errDecrypt
	}
	plain, err := rr.aead.Open(body[:0], nonce[:], body, rr.ad)
	if err != nil {
		return errDecrypt
	}
	rr.plain = plain
	return nil
}
