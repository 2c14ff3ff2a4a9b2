package udp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"
)

// exchange sends one datagram each way between a and b and checks payloads,
// sender addresses and counters.
func exchange(t *testing.T, a, b *Transport) {
	t.Helper()
	ina, inb := collect(t, a), collect(t, b)

	ab, ba := []byte("ping from a"), []byte("ack from b, longer")
	if err := a.WriteTo(ab, b.AdvertiseAddr()); err != nil {
		t.Fatalf("a.WriteTo: %v", err)
	}
	if err := b.WriteTo(ba, a.AdvertiseAddr()); err != nil {
		t.Fatalf("b.WriteTo: %v", err)
	}
	if p := receive(t, inb); !bytes.Equal(p.data, ab) || p.from != a.LocalAddr() {
		t.Errorf("b got %q from %v; want %q from %v", p.data, p.from, ab, a.LocalAddr())
	}
	if p := receive(t, ina); !bytes.Equal(p.data, ba) || p.from != b.LocalAddr() {
		t.Errorf("a got %q from %v; want %q from %v", p.data, p.from, ba, b.LocalAddr())
	}
	// Byte counts are datagram sizes: the payload and its framing.
	ov := uint64(MaxPacketSize - a.MaxPayload())
	wantA := Stats{PacketsOut: 1, BytesOut: uint64(len(ab)) + ov, PacketsIn: 1, BytesIn: uint64(len(ba)) + ov}
	wantB := Stats{PacketsOut: 1, BytesOut: uint64(len(ba)) + ov, PacketsIn: 1, BytesIn: uint64(len(ab)) + ov}
	if got := a.Stats(); got != wantA {
		t.Errorf("a.Stats() = %+v; want %+v", got, wantA)
	}
	if got := b.Stats(); got != wantB {
		t.Errorf("b.Stats() = %+v; want %+v", got, wantB)
	}
}

func TestExchangeIPv4(t *testing.T) {
	exchange(t, listen(t, Config{Bind: "127.0.0.1:0"}), listen(t, Config{Bind: "127.0.0.1:0"}))
}

func TestExchangeIPv6(t *testing.T) {
	needIPv6Loopback(t)
	a, b := listen(t, Config{Bind: "[::1]:0"}), listen(t, Config{Bind: "[::1]:0"})
	if !a.LocalAddr().Addr().Is6() || a.AdvertiseAddr() != a.LocalAddr() {
		t.Fatalf("LocalAddr %v, AdvertiseAddr %v; want both [::1]:port", a.LocalAddr(), a.AdvertiseAddr())
	}
	exchange(t, a, b)
}

// A dual-stack socket (empty Bind host) talks to IPv4 peers, sees them as
// plain IPv4, and accepts IPv4-mapped destinations too.
func TestDualStackWithIPv4Peer(t *testing.T) {
	needIPv6Loopback(t)
	d := listen(t, Config{Bind: ":0"})
	if d.LocalAddr().Addr().Is4() {
		t.Skipf("skipping: Go bound %q as %v, so this system has no dual-stack sockets", ":0", d.LocalAddr())
	}
	v4 := listen(t, Config{Bind: "127.0.0.1:0"})
	ind, in4 := collect(t, d), collect(t, v4)
	dport := d.LocalAddr().Port()

	if err := d.WriteTo([]byte("to v4"), v4.LocalAddr()); err != nil {
		t.Fatalf("dual-stack WriteTo IPv4: %v", err)
	}
	if p := receive(t, in4); p.from != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dport) {
		t.Errorf("IPv4 peer saw the dual-stack node as %v; want 127.0.0.1:%d", p.from, dport)
	}
	mapped := netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), dport)
	if err := v4.WriteTo([]byte("to dual"), mapped); err != nil {
		t.Fatalf("IPv4 WriteTo an IPv4-mapped destination: %v", err)
	}
	if p := receive(t, ind); p.from != v4.LocalAddr() || !p.from.Addr().Is4() {
		t.Errorf("dual-stack node saw the IPv4 peer as %v; want %v (unmapped)", p.from, v4.LocalAddr())
	}
}

func TestOversizedAndEmptyDropped(t *testing.T) {
	rec := &recorder{}
	tr := listen(t, Config{Bind: "127.0.0.1:0", Logger: slog.New(rec)})
	in := collect(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	send := func(b []byte) {
		t.Helper()
		if _, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr()); err != nil {
			t.Fatalf("raw write of %d bytes: %v", len(b), err)
		}
	}

	largest := tr.MaxPayload()
	send(bytes.Repeat([]byte{0xEE}, 2000))
	send(seal(t, bytes.Repeat([]byte{0x01}, largest+1))) // one byte over MaxPacketSize
	send(nil)
	send(seal(t, bytes.Repeat([]byte{0x01}, largest))) // the largest accepted
	send(seal(t, []byte("after")))

	if p := receive(t, in); len(p.data) != largest || p.data[0] != 0x01 {
		t.Errorf("first delivered payload: %d bytes starting %#x; want the %d-byte one", len(p.data), p.data[:1], largest)
	}
	if p := receive(t, in); string(p.data) != "after" {
		t.Errorf("second delivered payload %q; want %q", p.data, "after")
	}
	waitFor(t, "drops to be counted", func() bool { s := tr.Stats(); return s.Oversized == 2 && s.Empty == 1 })
	s := tr.Stats()
	want := Stats{PacketsIn: 2, BytesIn: MaxPacketSize + uint64(len(seal(t, []byte("after")))), Oversized: 2, Empty: 1}
	if s != want {
		t.Errorf("Stats() = %+v; want %+v", s, want)
	}
	if w := rec.atLeast(slog.LevelWarn); len(w) != 1 {
		t.Errorf("warnings %q; want exactly one, for the first oversized datagram", w)
	}
}

// The handler's b is a buffer of the transport's, reused; what it must
// never expose is data beyond the current payload, such as the tail of an
// earlier, longer (or oversized, dropped) one.
func TestHandlerBufferExposesOnlyCurrentDatagram(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	type seen struct {
		len, cap int
		stale    bool
	}
	ch := make(chan seen, 8)
	tr.Start(func(_ netip.AddrPort, b []byte) {
		full := b[:cap(b)]
		ch <- seen{len(b), cap(b), bytes.IndexByte(full, 0xEE) >= 0 || bytes.IndexByte(full, 0xAA) >= 0}
	})
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	for _, b := range [][]byte{
		bytes.Repeat([]byte{0xEE}, 2000), // oversized: dropped, but read into the buffer
		seal(t, bytes.Repeat([]byte{0xAA}, 1000)),
		seal(t, []byte("short")),
	} {
		if _, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int{1000, 5} {
		select {
		case s := <-ch:
			if s.len != want || s.cap != want {
				t.Errorf("handler got len %d cap %d; want %d and %d", s.len, s.cap, want, want)
			}
			if want == 5 && s.stale {
				t.Error("handler's b reaches bytes of an earlier datagram")
			}
		case <-time.After(waitTimeout):
			t.Fatalf("no %d-byte datagram within %v", want, waitTimeout)
		}
	}
}

func TestWriteToTooLarge(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	b := listen(t, Config{Bind: "127.0.0.1:0"})
	max := a.MaxPayload()
	err := a.WriteTo(make([]byte, max+1), b.LocalAddr())
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("WriteTo(%d bytes) = %v; want ErrTooLarge", max+1, err)
	}
	if err := a.WriteTo(make([]byte, max), b.LocalAddr()); err != nil {
		t.Fatalf("WriteTo(%d bytes) = %v; want nil", max, err)
	}
	if s := a.Stats(); s.PacketsOut != 1 || s.BytesOut != MaxPacketSize || s.WriteErrors != 0 {
		t.Errorf("Stats() = %+v; want only the %d-byte datagram counted", s, MaxPacketSize)
	}
}

func TestConcurrentWriters(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	b := listen(t, Config{Bind: "127.0.0.1:0"})
	in := collect(t, b)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := a.WriteTo([]byte{byte(w), byte(i)}, b.AdvertiseAddr()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[[2]byte]bool{}
	for range writers * each {
		p := receive(t, in)
		seen[[2]byte(p.data)] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct datagrams; want %d", len(seen), writers*each)
	}
	size := uint64(len(seal(t, []byte{0, 0})))
	if s := a.Stats(); s.PacketsOut != writers*each || s.BytesOut != size*writers*each {
		t.Errorf("a.Stats() = %+v; want %d packets, %d bytes out", s, writers*each, size*writers*each)
	}
}

func TestCloseIdempotentAndWriteAfterClose(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	b := listen(t, Config{Bind: "127.0.0.1:0"})
	collect(t, a)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
	err := a.WriteTo([]byte("x"), b.LocalAddr())
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteTo after Close = %v; want net.ErrClosed", err)
	}
	if s := a.Stats(); s.WriteErrors != 0 || s.PacketsOut != 0 {
		t.Errorf("Stats() = %+v; a write after Close is not a socket error", s)
	}
	// goleak (TestMain) checks that the read goroutine is gone.
}

// Close waits for a handler that is running, so once it returns the
// handler cannot touch the caller's state any more.
func TestCloseWaitsForHandler(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	entered, release := make(chan struct{}), make(chan struct{})
	calls := 0
	tr.Start(func(netip.AddrPort, []byte) {
		calls++
		if calls == 1 {
			close(entered)
			<-release
		}
	})
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	for range 2 {
		if _, err := raw.WriteToUDPAddrPort(seal(t, []byte("x")), tr.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	closed := make(chan struct{})
	go func() {
		tr.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while the handler was still running")
	default:
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(waitTimeout):
		t.Fatal("Close did not return after the handler did")
	}
	// Reading calls is race-free only because Close waited for the read
	// goroutine; the race detector checks that.
	if calls > 2 {
		t.Errorf("handler ran %d times; want at most 2", calls)
	}
}

func TestStartRules(t *testing.T) {
	t.Run("twice", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		tr.Start(func(netip.AddrPort, []byte) {})
		defer func() {
			if recover() == nil {
				t.Error("second Start did not panic")
			}
		}()
		tr.Start(func(netip.AddrPort, []byte) {})
	})
	t.Run("nil", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		defer func() {
			if recover() == nil {
				t.Error("Start(nil) did not panic")
			}
		}()
		tr.Start(nil)
	})
	t.Run("after close", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		tr.Close()
		tr.Start(func(netip.AddrPort, []byte) { t.Error("handler ran after Close") })
		// goleak (TestMain) checks no goroutine was started.
	})
	t.Run("close without start", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// A failing socket is counted, retried after a backoff rather than spun on,
// and does not keep Close waiting.
func TestReadErrors(t *testing.T) {
	t.Run("transient", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		fails := 3
		real := tr.readBatch
		tr.readBatch = func(ms []message) (int, error) {
			if fails > 0 {
				fails--
				return 0, errors.New("injected read error")
			}
			return real(ms)
		}
		in := collect(t, tr)
		raw := rawConn(t, "udp4", "127.0.0.1:0")
		if _, err := raw.WriteToUDPAddrPort(seal(t, []byte("still here")), tr.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if p := receive(t, in); string(p.data) != "still here" {
			t.Errorf("got %q after read errors", p.data)
		}
		if s := tr.Stats(); s.ReadErrors != 3 || s.PacketsIn != 1 {
			t.Errorf("Stats() = %+v; want 3 read errors, 1 packet in", s)
		}
	})
	t.Run("persistent", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		var mu sync.Mutex
		calls := 0
		tr.readBatch = func([]message) (int, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			return 0, syscall.ENOBUFS
		}
		tr.Start(func(netip.AddrPort, []byte) { t.Error("handler called on a failing socket") })
		waitFor(t, "two read errors", func() bool { return tr.Stats().ReadErrors >= 2 })
		start := time.Now()
		tr.Close()
		if d := time.Since(start); d > waitTimeout/2 {
			t.Errorf("Close took %v while the read loop was backing off", d)
		}
		mu.Lock()
		defer mu.Unlock()
		if uint64(calls) != tr.Stats().ReadErrors {
			t.Errorf("%d reads, %d counted errors; want every failed read counted", calls, tr.Stats().ReadErrors)
		}
	})
}

func TestQuietByDefault(t *testing.T) {
	rec := &recorder{}
	log := slog.New(rec)
	a := listen(t, Config{Bind: "127.0.0.1:0", Logger: log})
	b := listen(t, Config{Bind: "127.0.0.1:0", Logger: log})
	exchange(t, a, b)
	a.Close()
	b.Close()
	if msgs := rec.atLeast(slog.LevelInfo); len(msgs) != 0 {
		t.Errorf("logged at Info or above in normal operation: %q", msgs)
	}
}

func TestListenPortInUse(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	_, err := Listen(context.Background(), Config{Bind: a.LocalAddr().String()})
	var op *net.OpError
	if !errors.As(err, &op) || errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Listen on a port in use = %v; want the socket's *net.OpError, not a config error", err)
	}
}

func TestListenCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tr, err := Listen(ctx, Config{Bind: "127.0.0.1:0"}); err == nil {
		tr.Close()
		t.Error("Listen with a canceled context succeeded")
	}
}
