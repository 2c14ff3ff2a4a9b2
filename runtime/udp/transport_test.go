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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange sends one datagram each way between a and b and checks payloads,
// sender addresses and counters.
func exchange(t *testing.T, a, b *Transport) {
	t.Helper()
	ina, inb := collect(t, a), collect(t, b)

	ab, ba := []byte("ping from a"), []byte("ack from b, longer")
	require.NoError(t, a.WriteTo(ab, b.AdvertiseAddr()), "a.WriteTo")
	require.NoError(t, b.WriteTo(ba, a.AdvertiseAddr()), "b.WriteTo")
	assert.Equal(t, packet{from: a.LocalAddr(), data: ab}, receive(t, inb), "what b got")
	assert.Equal(t, packet{from: b.LocalAddr(), data: ba}, receive(t, ina), "what a got")
	// Byte counts are datagram sizes: the payload and its framing.
	ov := uint64(MaxPacketSize - a.MaxPayload())
	wantA := Stats{PacketsOut: 1, BytesOut: uint64(len(ab)) + ov, PacketsIn: 1, BytesIn: uint64(len(ba)) + ov}
	wantB := Stats{PacketsOut: 1, BytesOut: uint64(len(ba)) + ov, PacketsIn: 1, BytesIn: uint64(len(ab)) + ov}
	assert.Equal(t, wantA, a.Stats(), "a.Stats()")
	assert.Equal(t, wantB, b.Stats(), "b.Stats()")
}

func TestExchangeIPv4(t *testing.T) {
	exchange(t, listen(t, Config{Bind: "127.0.0.1:0"}), listen(t, Config{Bind: "127.0.0.1:0"}))
}

func TestExchangeIPv6(t *testing.T) {
	needIPv6Loopback(t)
	a, b := listen(t, Config{Bind: "[::1]:0"}), listen(t, Config{Bind: "[::1]:0"})
	require.True(t, a.LocalAddr().Addr().Is6(), "LocalAddr %v; want [::1]:port", a.LocalAddr())
	require.Equal(t, a.LocalAddr(), a.AdvertiseAddr(), "AdvertiseAddr")
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

	require.NoError(t, d.WriteTo([]byte("to v4"), v4.LocalAddr()), "dual-stack WriteTo IPv4")
	assert.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dport), receive(t, in4).from,
		"how the IPv4 peer saw the dual-stack node")
	mapped := netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), dport)
	require.NoError(t, v4.WriteTo([]byte("to dual"), mapped), "IPv4 WriteTo an IPv4-mapped destination")
	p := receive(t, ind)
	assert.Equal(t, v4.LocalAddr(), p.from, "how the dual-stack node saw the IPv4 peer")
	assert.True(t, p.from.Addr().Is4(), "IPv4 peer seen as %v; want it unmapped", p.from)
}

func TestOversizedAndEmptyDropped(t *testing.T) {
	rec := &recorder{}
	tr := listen(t, Config{Bind: "127.0.0.1:0", Logger: slog.New(rec)})
	in := collect(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	send := func(b []byte) {
		t.Helper()
		_, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr())
		require.NoError(t, err, "raw write of %d bytes", len(b))
	}

	largest := tr.MaxPayload()
	send(bytes.Repeat([]byte{0xEE}, 2000))
	send(seal(t, bytes.Repeat([]byte{0x01}, largest+1))) // one byte over MaxPacketSize
	send(nil)
	send(seal(t, bytes.Repeat([]byte{0x01}, largest))) // the largest accepted
	send(seal(t, []byte("after")))

	assert.Equal(t, bytes.Repeat([]byte{0x01}, largest), receive(t, in).data, "first delivered payload: want the %d-byte one", largest)
	assert.Equal(t, "after", string(receive(t, in).data), "second delivered payload")
	waitFor(t, "drops to be counted", func() bool { s := tr.Stats(); return s.Oversized == 2 && s.Empty == 1 })
	s := tr.Stats()
	want := Stats{PacketsIn: 2, BytesIn: MaxPacketSize + uint64(len(seal(t, []byte("after")))), Oversized: 2, Empty: 1}
	assert.Equal(t, want, s, "Stats()")
	assert.Len(t, rec.atLeast(slog.LevelWarn), 1, "warnings: want exactly one, for the first oversized datagram")
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
		_, err := raw.WriteToUDPAddrPort(b, tr.LocalAddr())
		require.NoError(t, err)
	}
	for _, want := range []int{1000, 5} {
		select {
		case s := <-ch:
			assert.Equal(t, want, s.len, "handler's len(b)")
			assert.Equal(t, want, s.cap, "handler's cap(b)")
			if want == 5 {
				assert.False(t, s.stale, "handler's b reaches bytes of an earlier datagram")
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
	require.ErrorIs(t, a.WriteTo(make([]byte, max+1), b.LocalAddr()), ErrTooLarge, "WriteTo(%d bytes)", max+1)
	require.NoError(t, a.WriteTo(make([]byte, max), b.LocalAddr()), "WriteTo(%d bytes)", max)
	// Only the datagram that fit is counted, and not as a socket error.
	s := a.Stats()
	assert.Equal(t, uint64(1), s.PacketsOut, "Stats().PacketsOut")
	assert.Equal(t, uint64(MaxPacketSize), s.BytesOut, "Stats().BytesOut")
	assert.Zero(t, s.WriteErrors, "Stats().WriteErrors")
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
				if !assert.NoError(t, a.WriteTo([]byte{byte(w), byte(i)}, b.AdvertiseAddr())) {
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
	assert.Len(t, seen, writers*each, "distinct datagrams")
	size := uint64(len(seal(t, []byte{0, 0})))
	s := a.Stats()
	assert.Equal(t, uint64(writers*each), s.PacketsOut, "a.Stats().PacketsOut")
	assert.Equal(t, size*writers*each, s.BytesOut, "a.Stats().BytesOut")
}

func TestCloseIdempotentAndWriteAfterClose(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	b := listen(t, Config{Bind: "127.0.0.1:0"})
	collect(t, a)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			assert.NoError(t, a.Close(), "Close")
		})
	}
	wg.Wait()
	assert.NoError(t, a.Close(), "Close again")
	assert.ErrorIs(t, a.WriteTo([]byte("x"), b.LocalAddr()), net.ErrClosed, "WriteTo after Close")
	s := a.Stats()
	assert.Zero(t, s.WriteErrors, "a write after Close is not a socket error")
	assert.Zero(t, s.PacketsOut, "a write after Close is not sent")
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
		_, err := raw.WriteToUDPAddrPort(seal(t, []byte("x")), tr.LocalAddr())
		require.NoError(t, err)
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
	assert.LessOrEqual(t, calls, 2, "handler runs")
}

func TestStartRules(t *testing.T) {
	t.Run("twice", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		tr.Start(func(netip.AddrPort, []byte) {})
		assert.Panics(t, func() { tr.Start(func(netip.AddrPort, []byte) {}) }, "second Start")
	})
	t.Run("nil", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		assert.Panics(t, func() { tr.Start(nil) }, "Start(nil)")
	})
	t.Run("after close", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		tr.Close()
		tr.Start(func(netip.AddrPort, []byte) { t.Error("handler ran after Close") })
		// goleak (TestMain) checks no goroutine was started.
	})
	t.Run("close without start", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		assert.NoError(t, tr.Close(), "Close")
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
		_, err := raw.WriteToUDPAddrPort(seal(t, []byte("still here")), tr.LocalAddr())
		require.NoError(t, err)
		assert.Equal(t, "still here", string(receive(t, in).data), "payload after read errors")
		s := tr.Stats()
		assert.Equal(t, uint64(3), s.ReadErrors, "Stats().ReadErrors")
		assert.Equal(t, uint64(1), s.PacketsIn, "Stats().PacketsIn")
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
		assert.Less(t, time.Since(start), waitTimeout/2, "how long Close took while the read loop was backing off")
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, uint64(calls), tr.Stats().ReadErrors, "counted errors; want every failed read counted")
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
	assert.Empty(t, rec.atLeast(slog.LevelInfo), "logged at Info or above in normal operation")
}

func TestListenPortInUse(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	_, err := Listen(context.Background(), Config{Bind: a.LocalAddr().String()})
	var op *net.OpError
	assert.ErrorAs(t, err, &op, "Listen on a port in use: want the socket's *net.OpError")
	assert.NotErrorIs(t, err, ErrInvalidConfig, "Listen on a port in use is not a config error")
}

func TestListenCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr, err := Listen(ctx, Config{Bind: "127.0.0.1:0"})
	if err == nil {
		tr.Close()
	}
	require.Error(t, err, "Listen with a canceled context")
}
