package frame

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKey returns a fixed key of n bytes, different for each name.
func testKey(name string, n int) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:n]
}

func mustKeyring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys...)
	require.NoError(t, err)
	return kr
}

func mustCodec(t testing.TB, label string, keys *Keyring) *Codec {
	t.Helper()
	c, err := NewCodec(label, keys)
	require.NoError(t, err)
	return c
}

// codecs is one codec of each kind the transport uses.
func codecs(t testing.TB) map[string]*Codec {
	return map[string]*Codec{
		"plain":               mustCodec(t, "", nil),
		"plain/label":         mustCodec(t, "prod-eu", nil),
		"aes128":              mustCodec(t, "", mustKeyring(t, testKey("a", 16))),
		"aes192/label":        mustCodec(t, "prod-eu", mustKeyring(t, testKey("a", 24))),
		"aes256/longestLabel": mustCodec(t, strings.Repeat("L", MaxLabelLen), mustKeyring(t, testKey("a", 32), testKey("b", 16))),
	}
}

// The frame's worst case must fit the room the core leaves: the runtime
// checks the same against the real constants at compile time.
func TestMaxOverhead(t *testing.T) {
	assert.Equal(t, 1+1+64+1+5+12+16, MaxOverhead, "MaxOverhead")
	assert.LessOrEqual(t, MaxOverhead, 100, "MaxOverhead: no more than the 100 bytes the core's packet budget leaves")
	worst := mustCodec(t, strings.Repeat("x", MaxLabelLen), mustKeyring(t, testKey("k", 32)))
	assert.Equal(t, MaxOverhead, len(worst.Seal(nil, []byte{1}))-1, "longest label, encrypted: bytes of framing")
}

func TestRoundTrip(t *testing.T) {
	for name, c := range codecs(t) {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 2, 15, 16, 17, 300, 1300} {
				payload := bytes.Repeat([]byte{byte(n)}, n)
				payload[0] = 1
				p := c.Seal([]byte("prefix"), payload)
				require.True(t, bytes.HasPrefix(p, []byte("prefix")), "Seal lost dst's prefix")
				p = p[len("prefix"):]
				assert.Len(t, p, n+c.Overhead(), "%d-byte payload sealed, want it + Overhead %d", n, c.Overhead())
				got, err := c.Open([]byte("dst:"), p)
				require.NoError(t, err, "Open(Seal(%d bytes))", n)
				require.Equal(t, append([]byte("dst:"), payload...), got, "Open(Seal(x))")
			}
		})
	}
}

// Encryption hides the payload and draws a new nonce each time: two seals
// of one payload differ.
func TestEncryptedFramesHideAndDiffer(t *testing.T) {
	c := mustCodec(t, "prod", mustKeyring(t, testKey("a", 16)))
	payload := []byte("alive node-7 10.0.0.7:7946 incarnation 42")
	a, b := c.Seal(nil, payload), c.Seal(nil, payload)
	assert.NotEqual(t, a, b, "two seals of one payload are equal: the nonce repeated")
	assert.NotContains(t, string(a), "node-7", "the sealed frame shows the payload in clear")
	assert.NotContains(t, string(a), string(payload[:8]), "the sealed frame shows the payload in clear")
	na, _ := nonce(a)
	nb, _ := nonce(b)
	assert.NotEqual(t, na, nb, "two frames share a nonce")
}

// Every flipped bit and every truncation of every kind of frame is refused:
// the checksum or the tag covers every byte, the header included.
func TestTamperingRefused(t *testing.T) {
	for name, c := range codecs(t) {
		t.Run(name, func(t *testing.T) {
			p := c.Seal(nil, []byte("\x01some packet of the core, long enough to span blocks"))
			for i := range p {
				for bit := range 8 {
					q := bytes.Clone(p)
					q[i] ^= 1 << bit
					out, err := c.Open(nil, q)
					require.Error(t, err, "byte %d bit %d flipped: opened as %q", i, bit, out)
				}
			}
			for n := range len(p) {
				out, err := c.Open(nil, p[:n])
				require.Error(t, err, "truncated to %d of %d bytes: opened as %q", n, len(p), out)
			}
			out, err := c.Open(nil, append(bytes.Clone(p), 0))
			require.Error(t, err, "one byte appended: opened as %q", out)
		})
	}
}

// Each reason for refusal is reported as such, so that the transport counts
// it under the right name.
func TestRefusalReasons(t *testing.T) {
	keyA, keyB := testKey("a", 16), testKey("b", 32)
	plain := mustCodec(t, "prod", nil)
	enc := mustCodec(t, "prod", mustKeyring(t, keyA))
	payload := []byte("\x01payload")
	valid := enc.Seal(nil, payload)

	wrongVersion := bytes.Clone(valid)
	wrongVersion[0] = 2<<4 | wrongVersion[0]&0x0f
	reservedFlag := bytes.Clone(valid)
	reservedFlag[0] |= 1 << 3
	// The label rewritten to this cluster's: the label check passes, the
	// tag does not, since the label is authenticated.
	relabelled := mustCodec(t, "test", mustKeyring(t, keyA)).Seal(nil, payload)
	copy(relabelled[2:6], "prod")
	badTag := bytes.Clone(valid)
	badTag[len(badTag)-1] ^= 1
	badPlain := plain.Seal(nil, payload)
	badPlain[len(badPlain)-5] ^= 0x40
	longLabel := append([]byte{Version<<4 | flagLabel, MaxLabelLen + 1}, bytes.Repeat([]byte("x"), MaxLabelLen+10)...)
	// An older release's encrypted frame: no send-time flag, no send time.
	withoutSent := bytes.Clone(valid[:2+4+1])
	withoutSent[0] &^= flagSent
	withoutSent = append(withoutSent, valid[2+4+1+5:]...)
	plainWithSent := plain.Seal(nil, payload)
	plainWithSent[0] |= flagSent

	for _, tc := range []struct {
		name string
		at   *Codec
		p    []byte
		want error
	}{
		{"empty", enc, nil, ErrMalformed},
		{"one byte", enc, valid[:1], ErrMalformed},
		{"label cut short", enc, valid[:4], ErrMalformed},
		{"label too long", plain, longLabel, ErrMalformed},
		{"reserved flag", enc, reservedFlag, ErrMalformed},
		{"no room for the tag", enc, valid[:2+4+1+5+12+16], ErrMalformed},
		{"no room for the send time", enc, valid[:2+4+1+3], ErrMalformed},
		{"encrypted without a send time (older release)", enc, withoutSent, ErrVersion},
		{"plain with a send time", plain, plainWithSent, ErrMalformed},
		{"plain, no room for the checksum", plain, plain.Seal(nil, payload)[:2+4+4], ErrMalformed},
		{"unframed packet of the core", enc, []byte{1, 1, 0x92, 0x01, 0xa1, 'a'}, ErrVersion},
		{"wrong version", enc, wrongVersion, ErrVersion},
		{"other cluster, encrypted", enc, mustCodec(t, "test", mustKeyring(t, keyA)).Seal(nil, payload), ErrLabel},
		{"other cluster, plain", plain, mustCodec(t, "test", nil).Seal(nil, payload), ErrLabel},
		{"no label at a labelled node", plain, mustCodec(t, "", nil).Seal(nil, payload), ErrLabel},
		{"label rewritten", enc, relabelled, ErrDecrypt},
		{"corrupted plain", plain, badPlain, ErrChecksum},
		{"plain at a node with keys", enc, plain.Seal(nil, payload), ErrUnencrypted},
		{"encrypted at a node without keys", plain, valid, ErrDecrypt},
		{"other key", enc, mustCodec(t, "prod", mustKeyring(t, keyB)).Seal(nil, payload), ErrDecrypt},
		{"tampered tag", enc, badTag, ErrDecrypt},
		{"empty payload", plain, plain.Seal(nil, nil), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.at.Open(nil, tc.p)
			// Equal, not ErrorIs: the error must come unwrapped.
			assert.Equal(t, tc.want, err, "Open's error (output %q)", out)
		})
	}
}

// An older release's unframed packets start with the core's version byte,
// 1, which is never a frame's first byte.
func TestFrameNeverLooksLikeCorePacket(t *testing.T) {
	for name, c := range codecs(t) {
		assert.NotEqual(t, byte(1), c.Seal(nil, []byte{1})[0], "%s: frame starts with the core's version byte", name)
	}
}

// Rotation at the codec level: a receiver with both keys opens packets
// sealed with either, whichever is its own primary; once the old key is
// removed, packets sealed with it no longer open.
func TestRotationSteps(t *testing.T) {
	oldKey, newKey := testKey("old", 16), testKey("new", 32)
	sender, receiver := mustKeyring(t, oldKey), mustKeyring(t, oldKey)
	s, r := mustCodec(t, "c", sender), mustCodec(t, "c", receiver)
	opens := func(step string) {
		t.Helper()
		_, err := r.Open(nil, s.Seal(nil, []byte{1, 2}))
		require.NoError(t, err, step)
		_, err = s.Open(nil, r.Seal(nil, []byte{1, 2}))
		require.NoError(t, err, "%s, the other way", step)
	}
	opens("start")
	for _, kr := range []*Keyring{sender, receiver} {
		require.NoError(t, kr.Install(newKey))
	}
	opens("installed everywhere")
	require.NoError(t, sender.Use(newKey))
	opens("primary switched on the sender only")
	require.NoError(t, receiver.Use(newKey))
	opens("primary switched everywhere")
	stale := mustCodec(t, "c", mustKeyring(t, oldKey)).Seal(nil, []byte{1})
	for _, kr := range []*Keyring{sender, receiver} {
		require.NoError(t, kr.Remove(oldKey))
	}
	opens("old key removed everywhere")
	_, err := r.Open(nil, stale)
	assert.Equal(t, ErrDecrypt, err, "packet sealed with the removed key")
}

// Two installed keys may share the one-byte id; the receiver tries both.
func TestKeyIDCollision(t *testing.T) {
	byID := map[byte][]byte{}
	var a, b []byte
	for i := 0; a == nil; i++ {
		k := testKey(fmt.Sprint("collide", i), 16)
		id := KeyID(k)
		if prev, ok := byID[id]; ok {
			a, b = prev, k
		}
		byID[id] = k
	}
	r := mustCodec(t, "", mustKeyring(t, a, b))
	for _, k := range [][]byte{a, b} {
		_, err := r.Open(nil, mustCodec(t, "", mustKeyring(t, k)).Seal(nil, []byte{1}))
		assert.NoError(t, err, "key with a shared id")
	}
}

func TestNewCodecRejectsLabels(t *testing.T) {
	for _, label := range []string{strings.Repeat("x", MaxLabelLen+1), "bad\xff"} {
		_, err := NewCodec(label, nil)
		assert.ErrorIs(t, err, ErrInvalidLabel, "NewCodec(%q)", label)
	}
	_, err := NewCodec(strings.Repeat("é", MaxLabelLen/2), nil)
	assert.NoError(t, err, "label of %d bytes", MaxLabelLen)
}

// Sealing and opening go on while the keys rotate underneath: the race
// detector checks the keyring's publication, and no packet sealed with a
// key both sides hold fails to open.
func TestConcurrentUseDuringRotation(t *testing.T) {
	keys := [][]byte{testKey("k0", 16), testKey("k1", 24), testKey("k2", 32), testKey("k3", 16)}
	kr := mustKeyring(t, keys[0])
	c := mustCodec(t, "c", kr)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures sync.Map
	const workers = 4
	var rounds [workers]atomic.Uint64
	for w := range workers {
		wg.Go(func() {
			buf, out := make([]byte, 0, 2048), make([]byte, 0, 2048)
			payload := []byte{1, byte(w)}
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := c.Seal(buf[:0], payload)
				if _, err := c.Open(out[:0], p); err != nil {
					failures.Store(err.Error(), true)
				}
				rounds[w].Add(1)
			}
		})
	}
	// settle waits until every worker has sealed and opened a packet
	// wholly after the last step, so none is in flight under a key that
	// the next step removes (the README's advice between steps).
	settle := func() {
		var at [workers]uint64
		for w := range at {
			at[w] = rounds[w].Load()
		}
		for w := range at {
			for rounds[w].Load() < at[w]+2 {
				runtime.Gosched()
			}
		}
	}
	for i := 1; i < len(keys); i++ {
		assert.NoError(t, kr.Install(keys[i]))
		assert.NoError(t, kr.Use(keys[i]))
		settle()
		assert.NoError(t, kr.Remove(keys[i-1]))
	}
	settle()
	close(stop)
	wg.Wait()
	var failed []any
	failures.Range(func(k, _ any) bool {
		failed = append(failed, k)
		return true
	})
	assert.Empty(t, failed, "opens that failed during rotation")
	assert.Equal(t, [][]byte{keys[len(keys)-1]}, kr.Keys(), "after the rotations Keys(); want only the last key")
}

// Refusing a packet allocates nothing, whatever the reason.
func TestOpenRefusalDoesNotAllocate(t *testing.T) {
	enc := mustCodec(t, "prod", mustKeyring(t, testKey("a", 16)))
	plain := mustCodec(t, "prod", nil)
	bad := enc.Seal(nil, bytes.Repeat([]byte{1}, 1000))
	bad[100] ^= 1
	out := make([]byte, 0, 2048)
	for name, tc := range map[string]struct {
		c *Codec
		p []byte
	}{
		"decrypt": {enc, bad},
		"label":   {enc, mustCodec(t, "other", nil).Seal(nil, []byte{1})},
		"crc":     {plain, append(plain.Seal(nil, []byte{1, 2, 3})[:8], 0, 0, 0, 0)},
		"version": {plain, []byte{0x01, 0x00, 0x00}},
	} {
		a := testing.AllocsPerRun(100, func() { _, _ = tc.c.Open(out[:0], tc.p) })
		assert.Zero(t, a, "%s: allocations per refused packet", name)
	}
}

// OpenInPlace accepts and refuses what Open does, and returns the payload
// inside the datagram, capacity cut to length.
func TestOpenInPlace(t *testing.T) {
	for name, c := range codecs(t) {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 16, 300, 1300} {
				payload := bytes.Repeat([]byte{byte(n)}, n)
				p := c.Seal(nil, payload)
				got, err := c.OpenInPlace(p)
				require.NoError(t, err)
				require.Equal(t, payload, got)
				require.Equal(t, len(got), cap(got))
				require.Equal(t, &p[c.Overhead()-tagLenOf(c)], &got[0], "the payload is not inside the datagram")
			}
			p := c.Seal(nil, []byte("\x01tampered"))
			p[len(p)-1] ^= 1
			_, err := c.OpenInPlace(p)
			require.Error(t, err)
		})
	}
}

// tagLenOf is how much framing follows the payload: the tag or checksum.
func tagLenOf(c *Codec) int {
	if c.Keyring() != nil {
		return tagLen
	}
	return checksumLen
}

// Two installed keys sharing an id: in place, the first key's failed try
// must not spoil the datagram for the second.
func TestOpenInPlaceKeyIDCollision(t *testing.T) {
	byID := map[byte][]byte{}
	var a, b []byte
	for i := 0; a == nil; i++ {
		k := testKey(fmt.Sprint("collide", i), 16)
		if prev, ok := byID[KeyID(k)]; ok {
			a, b = prev, k
		}
		byID[KeyID(k)] = k
	}
	r := mustCodec(t, "", mustKeyring(t, a, b))
	for _, k := range [][]byte{a, b} {
		got, err := r.OpenInPlace(mustCodec(t, "", mustKeyring(t, k)).Seal(nil, []byte{1, 2, 3}))
		require.NoError(t, err)
		require.Equal(t, []byte{1, 2, 3}, got)
	}
}

func TestOpenInPlaceDoesNotAllocate(t *testing.T) {
	for name, c := range codecs(t) {
		p := c.Seal(nil, bytes.Repeat([]byte{1}, 1000))
		q := make([]byte, len(p))
		a := testing.AllocsPerRun(100, func() {
			copy(q, p)
			_, err := c.OpenInPlace(q)
			require.NoError(t, err)
		})
		assert.Zero(t, a, "%s: allocations per datagram", name)
	}
}

func TestMatches(t *testing.T) {
	cs := codecs(t)
	for name, c := range cs {
		for other, o := range cs {
			p := o.Seal(nil, []byte{1})
			want := c.Label() == o.Label() && (c.Keyring() == nil) == (o.Keyring() == nil)
			assert.Equal(t, want, c.Matches(p), "%s matches a datagram of %s", name, other)
		}
		assert.False(t, c.Matches(nil))
		assert.False(t, c.Matches([]byte{0x20}))
	}
}
