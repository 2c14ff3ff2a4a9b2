package frame

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Errors of keyring operations; test for them with errors.Is.
var (
	// ErrKeySize: a key is not 16, 24 or 32 bytes long.
	ErrKeySize = errors.New("frame: key must be 16, 24 or 32 bytes (AES-128, AES-192 or AES-256)")
	// ErrNoKeys: a keyring was asked for with no key at all.
	ErrNoKeys = errors.New("frame: a keyring needs at least one key")
	// ErrKeyNotInstalled: Use named a key that is not in the keyring.
	ErrKeyNotInstalled = errors.New("frame: key not installed")
	// ErrRemovePrimary: Remove named the primary key, which encrypts every
	// packet sent; make another key primary first.
	ErrRemovePrimary = errors.New("frame: cannot remove the primary key")
)

// Nonces. Seal draws a fresh random 96-bit nonce for every packet (through
// cipher.NewGCMWithRandomNonce, the standard library's construction for
// this, which is also the one allowed in FIPS 140 mode). Two packets under
// one key repeat a nonce with probability about q²/2^97 after q packets (the
// birthday bound); a repeat would reveal the XOR of the two plaintexts and
// let an eavesdropper recover GCM's authentication key, so it must stay
// out of reach. NIST SP 800-38D allows 2^32 packets per key with random
// nonces, where that probability is 2^-33. A member sends a few to a few
// tens of packets a second (a ping, an ack and some gossip per protocol
// period), so a cluster of 100 members at scenario S1's fast timings,
// some 2,000 packets a second in all, reaches 2^32 packets under one key
// after about 25 days, and after a year (2^36) has a chance of about 2^-25
// of any repeat. Rotating keys now and then, which needs no downtime (see
// the README), starts the count again. A counter would never repeat, but
// every member would need a prefix of its own that no other member uses,
// which members cannot agree on without the coordination a membership
// protocol exists to avoid; random nonces need none.

// Keyring holds a cluster's AES-GCM keys: the primary key encrypts every
// packet sent, and every installed key is tried on packets received, so
// that a cluster can rotate keys without downtime: install the new key on
// every member, make it primary on every member, then remove the old one
// from every member.
//
// Its methods are safe for concurrent use, also while packets are sealed
// and opened: a change publishes a new, immutable set of keys that the
// next packet uses, so traffic never waits for a lock.
type Keyring struct {
	mu  sync.Mutex // serialises changes; readers never take it
	set atomic.Pointer[keySet]
}

// keySet is one immutable state of a keyring, primary first.
type keySet struct {
	keys []*key
}

type key struct {
	raw []byte
	id  byte
	// aead seals, drawing each nonce; open opens with the nonce the frame
	// carries, which lets it decrypt in place (see Codec.OpenInPlace).
	aead, open cipher.AEAD
}

// NewKeyring returns a keyring holding keys, the first one primary. Each
// key must be 16, 24 or 32 bytes; a repeated key is installed once. The
// keyring keeps copies, so the caller may reuse the slices.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	s := &keySet{}
	for i, raw := range keys {
		k, err := newKey(raw)
		if err != nil {
			return nil, fmt.Errorf("frame: key %d of %d: %w", i+1, len(keys), err)
		}
		if s.find(raw) < 0 {
			s.keys = append(s.keys, k)
		}
	}
	kr := &Keyring{}
	kr.set.Store(s)
	return kr, nil
}

// CheckKey reports whether raw can be a key: nil, or an error wrapping
// ErrKeySize.
func CheckKey(raw []byte) error {
	switch len(raw) {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("%d bytes: %w", len(raw), ErrKeySize)
}

func newKey(raw []byte) (*key, error) {
	if err := CheckKey(raw); err != nil {
		return nil, err
	}
	raw = bytes.Clone(raw)
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	open, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &key{raw: raw, id: KeyID(raw), aead: aead, open: open}, nil
}

// KeyID is the one-byte identifier that encrypted frames carry for the key
// that sealed them: the first byte of a SHA-256 of the key. It tells a
// receiver which installed key to try; it reveals nothing useful about
// the key (eight bits of a hash of at least 128 random bits), only which
// packets share one, which anyone watching a rotation could tell anyway.
// Two installed keys may share an id; the receiver then tries both.
func KeyID(raw []byte) byte {
	h := sha256.New()
	h.Write([]byte("memberlist frame key id\x00"))
	h.Write(raw)
	var sum [sha256.Size]byte
	return h.Sum(sum[:0])[0]
}

func (s *keySet) find(raw []byte) int {
	return slices.IndexFunc(s.keys, func(k *key) bool { return bytes.Equal(k.raw, raw) })
}

func (s *keySet) primary() *key { return s.keys[0] }

// Install adds raw to the keyring, so that packets sealed with it open. It
// does not change the primary key. Installing a key already there does
// nothing, so a rotation step can simply be repeated.
func (kr *Keyring) Install(raw []byte) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.set.Load()
	if s.find(raw) >= 0 {
		return nil
	}
	k, err := newKey(raw)
	if err != nil {
		return err
	}
	kr.set.Store(&keySet{keys: append(slices.Clip(s.keys), k)})
	return nil
}

// Use makes an installed key the primary one: every packet sealed from now
// on is encrypted with it. The key must be installed first, on this member
// and, so that they can open what it sends, on every other one; otherwise
// Use returns an error wrapping ErrKeyNotInstalled.
func (kr *Keyring) Use(raw []byte) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.set.Load()
	i := s.find(raw)
	if i < 0 {
		return fmt.Errorf("frame: use key %s: %w", keyName(raw), ErrKeyNotInstalled)
	}
	if i == 0 {
		return nil
	}
	keys := make([]*key, 0, len(s.keys))
	keys = append(keys, s.keys[i])
	keys = append(keys, s.keys[:i]...)
	keys = append(keys, s.keys[i+1:]...)
	kr.set.Store(&keySet{keys: keys})
	return nil
}

// Remove takes raw out of the keyring: packets sealed with it no longer
// open. Removing the primary key is an error wrapping ErrRemovePrimary;
// removing a key that is not installed does nothing, so a rotation step can
// simply be repeated.
func (kr *Keyring) Remove(raw []byte) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.set.Load()
	i := s.find(raw)
	switch {
	case i < 0:
		return nil
	case i == 0:
		return fmt.Errorf("frame: remove key %s: %w", keyName(raw), ErrRemovePrimary)
	}
	kr.set.Store(&keySet{keys: slices.Delete(slices.Clone(s.keys), i, i+1)})
	return nil
}

// Keys returns copies of the installed keys, the primary first.
func (kr *Keyring) Keys() [][]byte {
	s := kr.set.Load()
	out := make([][]byte, len(s.keys))
	for i, k := range s.keys {
		out[i] = bytes.Clone(k.raw)
	}
	return out
}

// keyName names a key in an error by its length and id, never by its
// bytes, which must not end up in logs.
func keyName(raw []byte) string {
	return fmt.Sprintf("(%d bytes, id %#02x)", len(raw), KeyID(raw))
}
