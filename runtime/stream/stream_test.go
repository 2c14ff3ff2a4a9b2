package stream

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modes are the three ways a pair of transports can be configured.
func modes(t testing.TB) map[string]func() Config {
	ca := newPKI(t, "test CA")
	k := keys{testKey(1, 32)}
	return map[string]func() Config{
		"plain":  func() Config { return Config{Label: "prod"} },
		"sealed": func() Config { return Config{Label: "prod", Keys: k} },
		"tls":    func() Config { return Config{Label: "prod", TLS: ca.tlsConfig(t, "node")} },
	}
}

// A request and its reply go through in every mode; the receiver learns
// the sender's address as its IP and advertised port; repeated calls
// reuse one connection.
func TestCallRoundTrip(t *testing.T) {
	for name, mk := range modes(t) {
		t.Run(name, func(t *testing.T) {
			srv, rec := server(t, mk())
			cfg := mk()
			cfg.Advertise = netip.MustParseAddrPort("127.0.0.1:4242")
			cli := listen(t, cfg)
			for i := range 5 {
				reply, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("hello "), fmt.Appendf(nil, "%d", i))
				require.NoError(t, err)
				assert.Equal(t, "ok", string(reply))
			}
			require.Equal(t, 5, rec.count())
			assert.Equal(t, "hello 4", string(rec.got[4]))
			assert.Equal(t, netip.MustParseAddrPort("127.0.0.1:4242"), rec.from[0])
			assert.EqualValues(t, 1, cli.Stats().Dialed, "sequential calls reuse the pooled connection")
			assert.EqualValues(t, 1, srv.Stats().Accepted)
			assert.EqualValues(t, 5, srv.Stats().MessagesIn)
		})
	}
}

// Empty requests and replies are messages too.
func TestEmptyMessages(t *testing.T) {
	for name, mk := range modes(t) {
		t.Run(name, func(t *testing.T) {
			srv := listen(t, mk())
			srv.Start(func(_ context.Context, _ netip.AddrPort, req []byte) ([][]byte, bool) {
				return nil, len(req) == 0
			})
			cli := listen(t, mk())
			reply, err := cli.Call(context.Background(), srv.AdvertiseAddr())
			require.NoError(t, err)
			assert.Empty(t, reply)
		})
	}
}

// A message of many records arrives byte for byte in every mode (the
// runtime's tests send 16 MiB). The throughput is logged; BenchmarkCall
// measures it properly.
func TestLargeMessage(t *testing.T) {
	payload := make([]byte, 4<<20)
	rand.Read(payload)
	want := sha256.Sum256(payload)
	for name, mk := range modes(t) {
		t.Run(name, func(t *testing.T) {
			srv := listen(t, mk())
			var got [sha256.Size]byte
			srv.Start(func(_ context.Context, _ netip.AddrPort, req []byte) ([][]byte, bool) {
				got = sha256.Sum256(req)
				return [][]byte{req[:3]}, true
			})
			cli := listen(t, mk())
			start := time.Now()
			reply, err := cli.Call(context.Background(), srv.AdvertiseAddr(), payload)
			took := time.Since(start)
			require.NoError(t, err)
			assert.Equal(t, payload[:3], reply)
			assert.Equal(t, want, got, "SHA-256 of what arrived")
			t.Logf("%s: %d bytes in %v (%.0f MB/s, race detector on if enabled)", name, len(payload), took, float64(len(payload))/1e6/took.Seconds())
		})
	}
}

// Many concurrent calls from several transports to one all arrive, even
// beyond MaxInbound: the extra connections wait for a slot.
func TestConcurrentCalls(t *testing.T) {
	srvCfg := Config{Keys: keys{testKey(1, 16)}, MaxInbound: 8}
	srv, rec := server(t, srvCfg)
	const clients, each = 5, 6
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for range clients {
		cli := listen(t, Config{Keys: keys{testKey(1, 16)}})
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, err := cli.Call(ctx, srv.AdvertiseAddr(), bytes.Repeat([]byte{7}, 100<<10))
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, clients*each, rec.count())
}

// The limits and failures a caller sees, each testable with errors.Is.
func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	srv := listen(t, Config{MaxMessageSize: 1000})
	block := make(chan struct{})
	srv.Start(func(ctx context.Context, _ netip.AddrPort, req []byte) ([][]byte, bool) {
		switch string(req) {
		case "block":
			select {
			case <-block:
			case <-ctx.Done():
			}
		case "big reply":
			return [][]byte{make([]byte, 2000)}, true
		case "refuse":
			return nil, false
		}
		return [][]byte{[]byte("ok")}, true
	})
	defer close(block)
	cli := listen(t, Config{MaxMessageSize: 1000})

	_, err := cli.Call(ctx, srv.AdvertiseAddr(), make([]byte, 1001))
	assert.ErrorIs(t, err, ErrTooLarge, "request over the limit")

	big := listen(t, Config{MaxMessageSize: 5000})
	_, err = big.Call(ctx, srv.AdvertiseAddr(), make([]byte, 2000))
	assert.ErrorIs(t, err, ErrRefused, "the receiver closes on a request over its limit")

	_, err = cli.Call(ctx, srv.AdvertiseAddr(), []byte("refuse"))
	assert.ErrorIs(t, err, ErrRefused, "the handler closed the connection")

	_, err = cli.Call(ctx, srv.AdvertiseAddr(), []byte("big reply"))
	assert.ErrorIs(t, err, ErrRefused, "the server sends no reply over its own limit")

	timeout, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = cli.Call(timeout, srv.AdvertiseAddr(), []byte("block"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	dead, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := dead.Addr().(*net.TCPAddr).AddrPort()
	dead.Close()
	_, err = cli.Call(ctx, addr, []byte("x"))
	assert.ErrorIs(t, err, ErrRefused, "nothing listens")

	reply, err := cli.Call(ctx, srv.AdvertiseAddr(), []byte("still fine"))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(reply))

	cli.Close()
	_, err = cli.Call(ctx, srv.AdvertiseAddr(), []byte("x"))
	assert.ErrorIs(t, err, ErrClosed)
}

// A reply larger than the caller's limit fails the call with ErrTooLarge.
func TestReplyTooLarge(t *testing.T) {
	srv := listen(t, Config{})
	srv.Start(func(context.Context, netip.AddrPort, []byte) ([][]byte, bool) {
		return [][]byte{make([]byte, 5000)}, true
	})
	cli := listen(t, Config{MaxMessageSize: 1000})
	_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("x"))
	assert.ErrorIs(t, err, ErrTooLarge)
}

// A peer that stops reading mid-reply is cut off by the per-operation
// deadline: the call fails with os.ErrDeadlineExceeded instead of hanging.
func TestDeadlineOnSilentPeer(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accept and say nothing
			mu.Unlock()
		}
	}()
	cli := listen(t, Config{Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err = cli.Call(context.Background(), ln.Addr().(*net.TCPAddr).AddrPort(), []byte("x"))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	ln.Close()
	<-done
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
}

// Close ends calls in progress and every goroutine, handlers included
// (goleak checks the latter at the end of the package's tests).
func TestCloseDuringCall(t *testing.T) {
	entered := make(chan struct{})
	srv := listen(t, Config{})
	srv.Start(func(ctx context.Context, _ netip.AddrPort, _ []byte) ([][]byte, bool) {
		close(entered)
		<-ctx.Done()
		return nil, false
	})
	cli := listen(t, Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("x"))
		errc <- err
	}()
	<-entered
	require.NoError(t, cli.Close())
	err := <-errc
	assert.True(t, errors.Is(err, ErrClosed), "got %v", err)
	require.NoError(t, srv.Close())
}

// Configs the transport cannot use are refused with the field named.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{}, "Bind"},
		{Config{Bind: loopback, Label: string(make([]byte, 65))}, "Label"},
		{Config{Bind: loopback, MaxMessageSize: -1}, "MaxMessageSize"},
		{Config{Bind: loopback, MaxMessageSize: MaxMessageLimit + 1}, "MaxMessageSize"},
		{Config{Bind: loopback, MaxInbound: -1}, "MaxInbound"},
		{Config{Bind: loopback, Timeout: -1}, "Timeout"},
		{Config{Bind: loopback, Keys: keys{}}, "Keys"},
		{Config{Bind: loopback, TLS: newPKI(t, "x").tlsConfig(t, "y").Clone()}, ""},
	} {
		tr, err := Listen(context.Background(), tc.cfg)
		if tc.field == "" {
			require.NoError(t, err)
			tr.Close()
			continue
		}
		require.ErrorIs(t, err, ErrInvalidConfig)
		assert.Contains(t, err.Error(), tc.field)
	}
	noCert := &Config{Bind: loopback}
	noCert.TLS = newPKI(t, "x").tlsConfig(t, "y")
	noCert.TLS.Certificates = nil
	_, err := Listen(context.Background(), *noCert)
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

// A transport bound to every address dials from the address it
// advertises, when that is this host's, so the acceptor names it right.
func TestDialFromAdvertisedAddress(t *testing.T) {
	srv, rec := server(t, Config{})
	cli := listen(t, Config{Bind: netip.MustParseAddrPort("0.0.0.0:0"), Advertise: netip.MustParseAddrPort("127.0.0.1:0")})
	_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), cli.LocalAddr().Port()), rec.from[0])
}

// During a key rotation a dialer seals with its primary key, and the
// acceptor opens with whichever installed key the dialer names.
func TestSealedKeyRotation(t *testing.T) {
	k1, k2 := testKey(1, 32), testKey(2, 16)
	srv, rec := server(t, Config{Keys: keys{k1, k2}})
	for _, k := range []keys{{k1}, {k2}, {k2, k1}} {
		cli := listen(t, Config{Keys: k})
		_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("x"))
		require.NoError(t, err)
	}
	assert.Equal(t, 3, rec.count())
	cli := listen(t, Config{Keys: keys{testKey(3, 32), k1}})
	_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("x"))
	assert.ErrorIs(t, err, ErrRefused, "a primary key the acceptor lacks")
}
