package stream

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawDial opens a plain TCP connection to the transport, for a test that
// plays a misbehaving peer byte by byte.
func rawDial(t testing.TB, to netip.AddrPort) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", to.String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer checks that the peer closed c: a read returns EOF or a
// reset within a few seconds, after at most allowed bytes (the acceptor's
// hello, where the stranger's got that far).
func closedByPeer(t testing.TB, c net.Conn, allowed int) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := io.Copy(io.Discard, c)
	require.LessOrEqual(t, n, int64(allowed), "the peer sent more than its hello")
	if err != nil {
		var ne net.Error
		require.False(t, errorsAs(err, &ne) && ne.Timeout(), "the connection was not closed: %v", err)
	}
}

func errorsAs(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

func plainHello(label string) []byte {
	h := dialerHello{mode: modePlain, port: 7946, label: label}
	return h.append(nil)
}

// readAnswer reads a plain acceptor hello.
func readAnswer(t testing.TB, c net.Conn) {
	t.Helper()
	var h acceptorHello
	var buf [maxAcceptorHello]byte
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := readAcceptorHello(c, modePlain, &h, &buf)
	require.NoError(t, err)
}

// Whatever a stranger sends, the connection is counted under its reason
// and closed, and nothing reaches the handler. The replies a stranger gets
// are at most the acceptor's hello (6 bytes), never more than it sent.
func TestHostileStreamsPlain(t *testing.T) {
	srv, rec := server(t, Config{Label: "prod", MaxMessageSize: 1 << 20})
	cases := []struct {
		name   string
		send   func(c net.Conn)
		reason func(Stats) uint64
	}{
		{"garbage", func(c net.Conn) {
			b := make([]byte, 4096)
			rand.Read(b)
			c.Write(b)
		}, func(s Stats) uint64 { return s.BadHello }},
		{"HTTP", func(c net.Conn) { c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) }, func(s Stats) uint64 { return s.BadHello }},
		{"other version", func(c net.Conn) {
			b := plainHello("prod")
			b[4] = 9
			c.Write(b)
		}, func(s Stats) uint64 { return s.BadVersion }},
		{"wrong label", func(c net.Conn) { c.Write(plainHello("staging")) }, func(s Stats) uint64 { return s.BadLabel }},
		{"truncated hello", func(c net.Conn) {
			c.Write(plainHello("prod")[:7])
			c.(*net.TCPConn).CloseWrite()
		}, func(s Stats) uint64 { return s.Truncated }},
		{"truncated message", func(c net.Conn) {
			c.Write(plainHello("prod"))
			readAnswer(t, c)
			c.Write(binary.BigEndian.AppendUint32(nil, 1000))
			c.Write(make([]byte, 10))
			c.(*net.TCPConn).CloseWrite()
		}, func(s Stats) uint64 { return s.Truncated }},
		{"oversized length", func(c net.Conn) {
			c.Write(plainHello("prod"))
			readAnswer(t, c)
			c.Write(binary.BigEndian.AppendUint32(nil, 0xffffffff))
		}, func(s Stats) uint64 { return s.Oversized }},
		{"sealed at a node without keys", func(c net.Conn) {
			h := dialerHello{mode: modeSealed, port: 1, label: "prod"}
			c.Write(h.append(nil))
		}, func(s Stats) uint64 { return s.DecryptFailed }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.reason(srv.Stats())
			c := rawDial(t, srv.AdvertiseAddr())
			tc.send(c)
			closedByPeer(t, c, 0)
			eventually(t, 5*time.Second, "refusal counted", func() bool { return tc.reason(srv.Stats()) == before+1 })
		})
	}
	assert.Zero(t, rec.count(), "nothing delivered")
	assert.Zero(t, srv.Stats().MessagesIn)
}

// With keys: a stranger without them, with another key, another label, or
// an unsealed stream is refused and counted; nothing is delivered.
func TestHostileStreamsSealed(t *testing.T) {
	key := testKey(1, 32)
	srv, rec := server(t, Config{Label: "prod", Keys: keys{key}})
	// A key with the same one-byte id as the server's: the hello passes,
	// the first record does not open.
	var twin []byte
	for i := 0; twin == nil; i++ {
		k := make([]byte, 32)
		binary.BigEndian.PutUint64(k, uint64(i)+1)
		if keyID(k) == keyID(key) && !bytes.Equal(k, key) {
			twin = k
		}
	}
	cases := []struct {
		name   string
		cfg    Config
		reason func(Stats) uint64
	}{
		{"another key", Config{Label: "prod", Keys: keys{testKey(2, 32)}}, func(s Stats) uint64 { return s.DecryptFailed }},
		{"another key, same id", Config{Label: "prod", Keys: keys{twin}}, func(s Stats) uint64 { return s.DecryptFailed }},
		{"another label", Config{Label: "staging", Keys: keys{key}}, func(s Stats) uint64 { return s.BadLabel }},
		{"unsealed", Config{Label: "prod"}, func(s Stats) uint64 { return s.Unencrypted }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.reason(srv.Stats())
			cli := listen(t, tc.cfg)
			_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("let me in"))
			require.ErrorIs(t, err, ErrRefused)
			assert.Greater(t, tc.reason(srv.Stats()), before)
		})
	}
	assert.Zero(t, rec.count(), "nothing delivered")
}

// A recording proxy: forwards one connection each way and keeps what the
// dialer sent.
func recordingProxy(t *testing.T, to netip.AddrPort) (addr netip.AddrPort, sent func() []byte) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp4", to.String())
		if err != nil {
			in.Close()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(in, out)
			in.Close()
		}()
		p := make([]byte, 64<<10)
		for {
			n, err := in.Read(p)
			mu.Lock()
			buf.Write(p[:n])
			mu.Unlock()
			out.Write(p[:n])
			if err != nil {
				out.Close()
				return
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).AddrPort(), func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(buf.Bytes())
	}
}

// A sealed connection recorded and replayed opens nothing: the acceptor's
// fresh salt gives the replay other keys. Altered, reordered or cut
// records are refused likewise.
func TestSealedReplayAndTampering(t *testing.T) {
	k := keys{testKey(3, 16)}
	srv, rec := server(t, Config{Keys: k})
	proxy, sent := recordingProxy(t, srv.AdvertiseAddr())
	cli := listen(t, Config{Keys: k})
	_, err := cli.Call(context.Background(), proxy, bytes.Repeat([]byte("secret "), 30000))
	require.NoError(t, err)
	require.Equal(t, 1, rec.count())
	cli.Close()
	recorded := sent()
	sh := dialerHello{mode: modeSealed}
	hello := len(sh.append(nil))
	require.Greater(t, len(recorded), hello+2*(1<<16), "the request spans several records")

	records := func(b []byte) [][]byte {
		var rs [][]byte
		for len(b) >= 2 {
			n := 2 + int(binary.BigEndian.Uint16(b))
			rs = append(rs, b[:n])
			b = b[n:]
		}
		return rs
	}
	rs := records(recorded[hello:])
	require.GreaterOrEqual(t, len(rs), 3)
	swapped := append(append(append([]byte{}, recorded[:hello]...), rs[1]...), rs[0]...)
	flipped := bytes.Clone(recorded)
	flipped[hello+10] ^= 1

	for name, bs := range map[string][]byte{
		"replayed":  recorded,
		"reordered": swapped,
		"altered":   flipped,
	} {
		t.Run(name, func(t *testing.T) {
			before := srv.Stats().DecryptFailed
			c := rawDial(t, srv.AdvertiseAddr())
			c.Write(bs)
			closedByPeer(t, c, maxAcceptorHello)
			eventually(t, 5*time.Second, "counted", func() bool { return srv.Stats().DecryptFailed == before+1 })
		})
	}
	assert.Equal(t, 1, rec.count(), "only the original was delivered")
}

// Records cut short, dropped, repeated or swapped fail to open; what a
// writer seals, a reader opens.
func TestRecords(t *testing.T) {
	aead, err := newGCM(testKey(9, 16))
	require.NoError(t, err)
	var base [nonceLen]byte
	rand.Read(base[:])
	msg := make([]byte, 3*maxRecordPlain+5)
	rand.Read(msg)
	var wire bytes.Buffer
	w := newRecordWriter(&wire, aead, base, "L")
	_, err = w.Write(msg)
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	sealed := wire.Bytes()

	open := func(b []byte, label string) ([]byte, error) {
		r := newRecordReader(bytes.NewReader(b), []cipher.AEAD{aead}, base, label, nil)
		return io.ReadAll(r)
	}
	got, err := open(sealed, "L")
	require.NoError(t, err)
	require.Equal(t, msg, got)

	rec := 2 + maxRecordBody
	_, err = open(sealed[rec:], "L")
	assert.ErrorIs(t, err, errDecrypt, "first record dropped")
	_, err = open(append(bytes.Clone(sealed[:rec]), sealed...), "L")
	assert.ErrorIs(t, err, errDecrypt, "first record repeated")
	_, err = open(sealed[:len(sealed)-3], "L")
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "last record cut")
	_, err = open(sealed, "M")
	assert.ErrorIs(t, err, errDecrypt, "another label")
	_, err = open([]byte{0, 5, 1, 2, 3, 4, 5}, "L")
	assert.ErrorIs(t, err, errMalformedRecord, "shorter than a tag")
}

// A peer holding a thousand idle connections, and opening new ones as
// they are closed, cannot lock a legitimate caller out: silent
// connections make room for it.
func TestThousandIdleConnections(t *testing.T) {
	k := keys{testKey(5, 32)}
	srv, rec := server(t, Config{Keys: k})
	var stop atomic.Bool
	var wg sync.WaitGroup
	var opened atomic.Int64
	const flood = 1000
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for !stop.Load() {
				if len(held) < flood/10 {
					c, err := net.Dial("tcp4", srv.AdvertiseAddr().String())
					if err != nil {
						time.Sleep(time.Millisecond)
						continue
					}
					opened.Add(1)
					held = append(held, c)
					continue
				}
				// Replace connections the server closed.
				for i, c := range held {
					c.SetReadDeadline(time.Now().Add(time.Millisecond))
					if _, err := c.Read(make([]byte, 1)); err != nil {
						if ne, ok := err.(net.Error); ok && ne.Timeout() {
							continue
						}
						c.Close()
						held[i] = held[len(held)-1]
						held = held[:len(held)-1]
						break
					}
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	eventually(t, 10*time.Second, "a thousand connections open", func() bool { return opened.Load() >= flood })

	cli := listen(t, Config{Keys: k})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	for i := range 3 {
		_, err := cli.Call(ctx, srv.AdvertiseAddr(), []byte("legitimate"))
		require.NoError(t, err, "call %d", i)
	}
	t.Logf("3 calls through a flood of %d idle connections (%d opened in all) in %v; %d evicted",
		flood, opened.Load(), time.Since(start), srv.Stats().Evicted)
	assert.Equal(t, 3, rec.count())
	assert.Positive(t, srv.Stats().Evicted)
}

// With mutual TLS, a peer without a certificate, or with one from another
// authority, or without TLS at all, gets nothing: counted and closed.
func TestHostileStreamsTLS(t *testing.T) {
	ca := newPKI(t, "cluster CA")
	srv, rec := server(t, Config{TLS: ca.tlsConfig(t, "server")})

	other := newPKI(t, "other CA")
	wrongCert := other.tlsConfig(t, "intruder")
	wrongCert.RootCAs = ca.pool // it trusts the server; the server does not trust it
	noCert := ca.tlsConfig(t, "anonymous")
	noCert.Certificates = nil
	noCert.GetClientCertificate = nil

	for name, tc := range map[string]*tls.Config{"wrong certificate": wrongCert, "no certificate": noCert} {
		t.Run(name, func(t *testing.T) {
			before := srv.Stats().TLSFailed
			cli := listen(t, Config{TLS: ca.tlsConfig(t, "placeholder")})
			// Listen wants a certificate; dial with what the case has.
			cli.cfg.TLS = tc
			_, err := cli.Call(context.Background(), srv.AdvertiseAddr(), []byte("let me in"))
			require.ErrorIs(t, err, ErrRefused)
			eventually(t, 5*time.Second, "counted", func() bool { return srv.Stats().TLSFailed > before })
		})
	}
	t.Run("no TLS", func(t *testing.T) {
		before := srv.Stats().TLSFailed
		c := rawDial(t, srv.AdvertiseAddr())
		c.Write(plainHello(""))
		closedByPeer(t, c, 64) // at most a TLS alert
		eventually(t, 5*time.Second, "counted", func() bool { return srv.Stats().TLSFailed == before+1 })
	})
	// The server's certificate must match the address dialed, too.
	t.Run("server with a foreign certificate", func(t *testing.T) {
		imposter, irec := server(t, Config{TLS: other.tlsConfig(t, "imposter")})
		cli := listen(t, Config{TLS: ca.tlsConfig(t, "client")})
		_, err := cli.Call(context.Background(), imposter.AdvertiseAddr(), []byte("secret"))
		require.ErrorIs(t, err, ErrRefused)
		assert.Zero(t, irec.count())
	})
	assert.Zero(t, rec.count(), "nothing delivered")
}
