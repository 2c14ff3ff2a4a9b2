package udp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

func key(name string, n int) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:n]
}

func keyring(t *testing.T, keys ...[]byte) *frame.Keyring {
	t.Helper()
	kr, err := frame.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func codec(t *testing.T, label string, kr *frame.Keyring) *frame.Codec {
	t.Helper()
	c, err := frame.NewCodec(label, kr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Two transports of one encrypted, labelled cluster talk; the datagrams
// on the wire show neither the payload nor anything but the label.
func TestEncryptedExchange(t *testing.T) {
	kr := keyring(t, key("a", 32))
	cfg := Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr}
	a, b := listen(t, cfg), listen(t, cfg)
	exchange(t, a, b)
	if got, want := MaxPacketSize-a.MaxPayload(), 2+len("prod")+1+5+12+16; got != want {
		t.Errorf("framing of an encrypted transport labelled prod: %d bytes, want %d", got, want)
	}

	// What an eavesdropper sees.
	spy := rawConn(t, "udp4", "127.0.0.1:0")
	secret := []byte("alive node-7 incarnation 42")
	if err := a.WriteTo(secret, spy.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	spy.SetReadDeadline(time.Now().Add(waitTimeout))
	n, err := spy.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf[:n], secret[:6]) || !bytes.Contains(buf[:n], []byte("prod")) {
		t.Errorf("datagram on the wire %q: want the label in clear and the payload hidden", buf[:n])
	}
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
		if _, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr()); err != nil {
			t.Fatal(err)
		}
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
	if p := receive(t, in); string(p.data) != "valid" {
		t.Fatalf("first payload delivered %q; want %q: the refused datagrams reached the handler", p.data, "valid")
	}
	if p := receive(t, in); string(p.data) != "last" {
		t.Fatalf("second payload delivered %q; want %q: the replay reached the handler", p.data, "last")
	}
	want := Stats{PacketsIn: 2, BytesIn: uint64(len(valid) + len(enc.Seal(nil, []byte("last")))), Replayed: 1}
	for _, tc := range cases {
		*tc.counter(&want) += copies
	}
	if s := tr.Stats(); s != want {
		t.Errorf("Stats() = %+v\nwant       %+v", s, want)
	}
	warns := rec.atLeast(slog.LevelWarn)
	if len(warns) != 7 {
		t.Errorf("%d warnings, want 7 (the first of each reason): %q", len(warns), warns)
	}
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
	if len(reasons) != len(cases)*copies+1 {
		t.Errorf("%d refusals logged, want %d", len(reasons), len(cases)*copies+1)
	}
}

// A transport without keys drops what it cannot read, encrypted datagrams,
// and keeps working.
func TestPlainTransportDropsEncrypted(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	in := collect(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	for _, b := range [][]byte{codec(t, "", keyring(t, key("a", 16))).Seal(nil, []byte("secret")), seal(t, []byte("plain"))} {
		if _, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if p := receive(t, in); string(p.data) != "plain" {
		t.Fatalf("delivered %q, want %q", p.data, "plain")
	}
	if s := tr.Stats(); s.DecryptFailed != 1 || s.Replayed != 0 {
		t.Errorf("Stats() = %+v; want one DecryptFailed", s)
	}
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
		if err := a.WriteTo([]byte(msg), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if err := ka.Install(newKey); err != nil {
		t.Fatal(err)
	}
	if err := ka.Use(newKey); err != nil {
		t.Fatal(err)
	}
	send("too early") // b does not have the new key yet
	waitFor(t, "the datagram under a key b lacks to be refused", func() bool { return b.Stats().DecryptFailed == 1 })
	if err := kb.Install(newKey); err != nil {
		t.Fatal(err)
	}
	send("in time")
	if p := receive(t, in); string(p.data) != "in time" {
		t.Fatalf("delivered %q, want %q", p.data, "in time")
	}
}

func TestListenRejectsBadLabel(t *testing.T) {
	for _, label := range []string{strings.Repeat("x", frame.MaxLabelLen+1), "\xff"} {
		_, err := Listen(t.Context(), Config{Bind: "127.0.0.1:0", Label: label})
		if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, frame.ErrInvalidLabel) || !strings.Contains(err.Error(), "Label") {
			t.Errorf("Listen with label %q: %v; want an error naming Label, wrapping ErrInvalidConfig and frame.ErrInvalidLabel", label, err)
		}
	}
}

// Sending allocates nothing: the datagram is sealed into a pooled buffer.
func TestWriteToDoesNotAllocate(t *testing.T) {
	for _, kr := range []*frame.Keyring{nil, keyring(t, key("a", 16))} {
		a := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		b := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		payload := slices.Repeat([]byte{1}, 1300)
		allocs := testing.AllocsPerRun(200, func() {
			if err := a.WriteTo(payload, b.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0 {
			t.Errorf("keys %v: %v allocations per WriteTo, want 0", kr != nil, allocs)
		}
	}
}
