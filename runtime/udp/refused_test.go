package udp

import (
	"bytes"
	"crypto/sha256"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

func key(name string, n int) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:n]
}

func keyring(t *testing.T, keys ...[]byte) *frame.Keyring {
	t.Helper()
	kr, err := frame.NewKeyring(keys...)
	require.NoError(t, err)
	return kr
}

func codec(t *testing.T, label string, kr *frame.Keyring) *frame.Codec {
	t.Helper()
	c, err := frame.NewCodec(label, kr)
	require.NoError(t, err)
	return c
}

// Two transports of one encrypted, labelled cluster talk; the datagrams
// on the wire show neither the payload nor anything but the label.
func TestEncryptedExchange(t *testing.T) {
	kr := keyring(t, key("a", 32))
	cfg := Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr}
	a, b := listen(t, cfg), listen(t, cfg)
	exchange(t, a, b)
	assert.Equal(t, 2+len("prod")+1+5+12+16, MaxPacketSize-a.MaxPayload(), "framing bytes of an encrypted transport labelled prod")

	// What an eavesdropper sees.
	spy := rawConn(t, "udp4", "127.0.0.1:0")
	secret := []byte("alive node-7 incarnation 42")
	require.NoError(t, a.WriteTo(secret, spy.LocalAddr().(*net.UDPAddr).AddrPort()))
	buf := make([]byte, 2048)
	spy.SetReadDeadline(time.Now().Add(waitTimeout))
	n, err := spy.Read(buf)
	require.NoError(t, err)
	assert.NotContains(t, string(buf[:n]), string(secret[:6]), "datagram on the wire: want the payload hidden")
	assert.Contains(t, string(buf[:n]), "prod", "datagram on the wire: want the label in clear")
}

// refusalCase is a datagram the receiver must drop, and the counter that
// must show it.
type refusalCase struct {
	name    string
	p       []byte
	counter func(*Stats) *uint64
}

// Every kind of refused datagram is dropped, counted under its own reason
// and nothing else, and never reaches the handler; the first of each kind
// is logged at Warn, the rest at Debug.
func TestRefusedDatagramsCounted(t *testing.T) {
	keyA, keyB := key("a", 16), key("b", 16)
	enc := codec(t, "prod", keyring(t, keyA))
	valid := enc.Seal(nil, []byte("valid"))
	flipped := bytes.Clone(valid)
	flipped[len(flipped)-20] ^= 0x08
	v2 := bytes.Clone(valid)
	v2[0] = 2<<4 | v2[0]&0x0f
	plainCorrupt := codec(t, "prod", nil).Seal(nil, []byte("valid"))
	plainCorrupt[7] ^= 1

	cases := []refusalCase{
		{"truncated", valid[:len(valid)-17-5], func(s *Stats) *uint64 { return &s.BadFrame }},
		{"header only", valid[:2], func(s *Stats) *uint64 { return &s.BadFrame }},
		{"wrong version", v2, func(s *Stats) *uint64 { return &s.BadVersion }},
		{"unframed", []byte{1, 2, 0x91, 0x05}, func(s *Stats) *uint64 { return &s.BadVersion }},
		{"other label", codec(t, "staging", keyring(t, keyA)).Seal(nil, []byte("x")), func(s *Stats) *uint64 { return &s.BadLabel }},
		{"corrupted plain", plainCorrupt, func(s *Stats) *uint64 { return &s.BadChecksum }},
		{"plain", codec(t, "prod", nil).Seal(nil, []byte("x")), func(s *Stats) *uint64 { return &s.Unencrypted }},
		{"other key", codec(t, "prod", keyring(t, keyB)).Seal(nil, []byte("x")), func(s *Stats) *uint64 { return &s.DecryptFailed }},
		{"tampered", flipped, func(s *Stats) *uint64 { return &s.DecryptFailed }},
	}
	rec := &recorder{}
	tr := listen(t, Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: keyring(t, keyA), Logger: slog.New(rec)})
	in := collect(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	send := func(b []byte) {
		t.Helper()
		_, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr())
		require.NoError(t, err)
	}
	const copies = 3
	for _, tc := range cases {
		for range copies {
			send(tc.p)
		}
	}
	// The valid datagram, then its copy: a replay.
	send(valid)
	send(valid)
	send(enc.Seal(nil, []byte("last")))
	require.Equal(t, "valid", string(receive(t, in).data), "first payload delivered; otherwise the refused datagrams reached the handler")
	require.Equal(t, "last", string(receive(t, in).data), "second payload delivered; otherwise the replay reached the handler")
	want := Stats{PacketsIn: 2, BytesIn: uint64(len(valid) + len(enc.Seal(nil, []byte("last")))), Replayed: 1}
	for _, tc := range cases {
		*tc.counter(&want) += copies
	}
	assert.Equal(t, want, tr.Stats(), "Stats()")
	assert.Len(t, rec.atLeast(slog.LevelWarn), 7, "warnings: want the first of each reason")
	var reasons []string
	rec.mu.Lock()
	for _, r := range rec.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" {
				reasons = append(reasons, a.Value.String())
			}
			return true
		})
	}
	rec.mu.Unlock()
	assert.Len(t, reasons, len(cases)*copies+1, "refusals logged")
}

// A transport without keys drops what it cannot read, encrypted datagrams,
// and keeps working.
func TestPlainTransportDropsEncrypted(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	in := collect(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	for _, b := range [][]byte{codec(t, "", keyring(t, key("a", 16))).Seal(nil, []byte("secret")), seal(t, []byte("plain"))} {
		_, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr())
		require.NoError(t, err)
	}
	require.Equal(t, "plain", string(receive(t, in).data), "delivered")
	s := tr.Stats()
	assert.Equal(t, uint64(1), s.DecryptFailed, "Stats().DecryptFailed")
	assert.Zero(t, s.Replayed, "Stats().Replayed")
}

// Keys change under a running transport: the next datagram uses them.
func TestKeyringChangesApplyAtOnce(t *testing.T) {
	oldKey, newKey := key("old", 16), key("new", 24)
	ka, kb := keyring(t, oldKey), keyring(t, oldKey)
	a := listen(t, Config{Bind: "127.0.0.1:0", Keyring: ka})
	b := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kb})
	in := collect(t, b)
	send := func(msg string) {
		t.Helper()
		require.NoError(t, a.WriteTo([]byte(msg), b.LocalAddr()))
	}
	require.NoError(t, ka.Install(newKey))
	require.NoError(t, ka.Use(newKey))
	send("too early") // b does not have the new key yet
	waitFor(t, "the datagram under a key b lacks to be refused", func() bool { return b.Stats().DecryptFailed == 1 })
	require.NoError(t, kb.Install(newKey))
	send("in time")
	require.Equal(t, "in time", string(receive(t, in).data), "delivered")
}

func TestListenRejectsBadLabel(t *testing.T) {
	for _, label := range []string{strings.Repeat("x", frame.MaxLabelLen+1), "\xff"} {
		_, err := Listen(t.Context(), Config{Bind: "127.0.0.1:0", Label: label})
		if !assert.ErrorIs(t, err, ErrInvalidConfig, "Listen with label %q", label) {
			continue
		}
		assert.ErrorIs(t, err, frame.ErrInvalidLabel, "Listen with label %q", label)
		assert.Contains(t, err.Error(), "Label", "Listen with label %q: the error names Label", label)
	}
}

// Sending allocates nothing: the datagram is sealed into a pooled buffer.
func TestWriteToDoesNotAllocate(t *testing.T) {
	for _, kr := range []*frame.Keyring{nil, keyring(t, key("a", 16))} {
		a := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		b := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		payload := slices.Repeat([]byte{1}, 1300)
		allocs := testing.AllocsPerRun(200, func() {
			require.NoError(t, a.WriteTo(payload, b.LocalAddr()))
		})
		assert.Zero(t, allocs, "keys %v: allocations per WriteTo", kr != nil)
	}
}
