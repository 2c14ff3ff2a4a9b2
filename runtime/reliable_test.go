package runtime_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/stream"
)

// testCA is a throwaway certificate authority for mutual TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "memberlist test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// tlsConfig issues a node certificate for 127.0.0.1, for both ends of a
// connection, trusting this authority only.
func (ca *testCA) tlsConfig(t testing.TB, name string) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      ca.pool,
		MinVersion:   tls.VersionTLS13,
	}
}

// joinedCluster starts nodes made by cfg(i), all joining through the first, and
// waits until every node sees every other alive.
func joinedCluster(t *testing.T, n int, cfg func(i int) runtime.Config) []*runtime.Node {
	t.Helper()
	nodes := []*runtime.Node{start(t, cfg(0))}
	for i := 1; i < n; i++ {
		c := cfg(i)
		c.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		nodes = append(nodes, start(t, c))
	}
	eventually(t, 30*time.Second, fmt.Sprintf("%d alive in every view", n), func() bool {
		for _, x := range nodes {
			if countAlive(x) != n {
				return false
			}
		}
		return true
	})
	return nodes
}

// sum is what a handler saw of one message.
type sum struct {
	from string
	hash [sha256.Size]byte
	size int
}

// A 16 MiB message sent with SendReliable arrives byte for byte, sealed
// with the cluster's keys and again over mutual TLS, from the member that
// sent it. The throughput is logged (with the race detector, if on).
func TestSendReliable16MiB(t *testing.T) {
	payload := make([]byte, runtime.MaxStreamMessageSize)
	rand.Read(payload)
	want := sha256.Sum256(payload)
	ca := newTestCA(t)
	for name, secure := range map[string]func(*runtime.Config){
		"keys": func(c *runtime.Config) { c.Keys = [][]byte{[]byte("0123456789abcdef0123456789abcdef")} },
		"tls":  func(c *runtime.Config) { c.TLS = ca.tlsConfig(t, c.Name) },
	} {
		t.Run(name, func(t *testing.T) {
			nodes := joinedCluster(t, 2, func(i int) runtime.Config {
				c := fastConfig(fmt.Sprintf("%s-%d", name, i))
				secure(&c)
				return c
			})
			got := make(chan sum, 1)
			stop := nodes[1].Handle(7, func(from runtime.Member, p []byte) {
				got <- sum{from: from.Name, hash: sha256.Sum256(p), size: len(p)}
			})
			defer stop()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			begin := time.Now()
			require.NoError(t, nodes[0].SendReliable(ctx, nodes[1].LocalMember().Name, 7, payload))
			took := time.Since(begin)
			s := <-got
			assert.Equal(t, want, s.hash, "SHA-256 of what arrived")
			assert.Equal(t, len(payload), s.size)
			assert.Equal(t, nodes[0].LocalMember().Name, s.from)
			t.Logf("%s: 16 MiB acknowledged in %v: %.0f MB/s", name, took, float64(len(payload))/1e6/took.Seconds())
			assert.EqualValues(t, 1, nodes[0].Stats().ReliableOut)
			assert.EqualValues(t, 1, nodes[1].Stats().ReliableIn)
		})
	}
}

// A hundred 1 MiB messages sent at once from ten nodes to one all arrive,
// each once and intact, although they are more connections than
// MaxStreamConns (64) and more bytes than the receiver lets wait for its
// handlers (64 MiB).
func TestSendReliableConcurrent(t *testing.T) {
	nodes := joinedCluster(t, 11, func(i int) runtime.Config {
		c := fastConfig(fmt.Sprintf("c-%02d", i))
		c.Keys = [][]byte{[]byte("0123456789abcdef")}
		// Pushing 100 MiB through AES-GCM under the race detector on a
		// small shared machine, beside other packages' tests, can stall a
		// loop for longer than S1's timings allow, and a reader for longer
		// than a LAN's StreamTimeout; this test is about every message
		// arriving, so it gives both room.
		c.ProbeInterval, c.ProbeTimeout, c.SuspicionMult = time.Second, 500*time.Millisecond, 6
		c.StreamTimeout = 30 * time.Second
		return c
	})
	sink := nodes[0]
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	var mu sync.Mutex
	seen := make(map[uint32]int)
	stop := sink.Handle(9, func(_ runtime.Member, p []byte) {
		id := binary.BigEndian.Uint32(p)
		ok := len(p) == 1<<20 && crc32.Checksum(p[:len(p)-4], castagnoli) == binary.BigEndian.Uint32(p[len(p)-4:])
		mu.Lock()
		if ok {
			seen[id]++
		}
		mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		sender := nodes[1+i%10]
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 1<<20)
			rand.Read(p)
			binary.BigEndian.PutUint32(p, uint32(i))
			binary.BigEndian.PutUint32(p[len(p)-4:], crc32.Checksum(p[:len(p)-4], castagnoli))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			errs <- sender.SendReliable(ctx, "c-00", 9, p)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	eventually(t, 10*time.Second, "all 100 handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 100
	})
	for id, n := range seen {
		assert.Equal(t, 1, n, "message %d", id)
	}
}

// A peer holding a thousand idle connections to a node's stream port, and
// opening new ones as fast as they are closed, cannot stop a legitimate
// SendReliable.
func TestSendReliableThroughIdleFlood(t *testing.T) {
	nodes := joinedCluster(t, 2, func(i int) runtime.Config {
		c := fastConfig(fmt.Sprintf("f-%d", i))
		c.Keys = [][]byte{[]byte("0123456789abcdef")}
		return c
	})
	target := nodes[1].LocalMember().Addr.String()
	var got atomic.Int32
	stop := nodes[1].Handle(1, func(runtime.Member, []byte) { got.Add(1) })
	defer stop()

	var quit atomic.Bool
	var opened atomic.Int64
	var wg sync.WaitGroup
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
			buf := make([]byte, 1)
			for !quit.Load() {
				if len(held) < 100 {
					c, err := net.Dial("tcp4", target)
					if err != nil {
						time.Sleep(time.Millisecond)
						continue
					}
					opened.Add(1)
					held = append(held, c)
					continue
				}
				for i, c := range held {
					c.SetReadDeadline(time.Now().Add(time.Millisecond))
					if _, err := c.Read(buf); err != nil {
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
	defer func() { quit.Store(true); wg.Wait() }()
	eventually(t, 10*time.Second, "1,000 connections held", func() bool { return opened.Load() >= 1000 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := time.Now()
	require.NoError(t, nodes[0].SendReliable(ctx, "f-1", 1, []byte("through the flood")))
	t.Logf("delivered through %d idle connections (%d opened) in %v; %d evicted", 1000, opened.Load(), time.Since(begin), nodes[1].Stats().Stream.Evicted)
	eventually(t, 5*time.Second, "handled", func() bool { return got.Load() == 1 })
	assert.Positive(t, nodes[1].Stats().Stream.Evicted)
}

// The errors of SendReliable, each testable with errors.Is.
func TestSendReliableErrors(t *testing.T) {
	nodes := joinedCluster(t, 2, func(i int) runtime.Config {
		c := fastConfig(fmt.Sprintf("e-%d", i))
		c.MaxStreamMessageSize = 1 << 20
		return c
	})
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	stop := b.Handle(5, func(runtime.Member, []byte) {})
	defer stop()

	assert.ErrorIs(t, a.SendReliable(ctx, "e-1", 5, make([]byte, 1<<20+1)), runtime.ErrTooLarge)
	assert.ErrorIs(t, a.SendReliable(ctx, "nobody", 5, []byte("x")), runtime.ErrUnknownMember)
	err := a.SendReliable(ctx, "e-1", 6, []byte("x"))
	assert.ErrorIs(t, err, runtime.ErrRefused, "no handler for family 6")
	assert.Contains(t, err.Error(), "no handler")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, a.SendReliable(cancelled, "e-1", 5, []byte("x")), context.Canceled)
	require.NoError(t, a.SendReliable(ctx, "e-1", 5, make([]byte, 1<<20)))
	assert.ErrorIs(t, a.SendReliable(ctx, "e-0", 5, []byte("to itself")), runtime.ErrRefused, "a has no handler for 5")
	a.Close()
	assert.ErrorIs(t, a.SendReliable(ctx, "e-1", 5, []byte("x")), runtime.ErrClosed)
}

// A stream from an address that is no member is refused and counted,
// whatever it carries; nothing reaches the handlers.
func TestStreamFromNonMember(t *testing.T) {
	n := start(t, fastConfig("lonely"))
	var got atomic.Int32
	stop := n.Handle(3, func(runtime.Member, []byte) { got.Add(1) })
	defer stop()
	stranger, err := stream.Listen(context.Background(), stream.Config{Bind: netip.MustParseAddrPort("127.0.0.1:0")})
	require.NoError(t, err)
	defer stranger.Close()
	msg := binary.BigEndian.AppendUint32([]byte{1}, 3)
	reply, err := stranger.Call(context.Background(), n.LocalMember().Addr, msg, []byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, []byte{1}, reply, "status: not a member")
	assert.EqualValues(t, 1, n.Stats().StreamNotMember)
	assert.Zero(t, got.Load())
}

// Streams a member of another cluster, with other keys or a foreign
// certificate sends, and garbage, truncated and oversized streams from
// anywhere, are counted under their reason and closed; nothing is
// delivered.
func TestHostileStreamsAtNode(t *testing.T) {
	ca := newTestCA(t)
	key := []byte("0123456789abcdef")
	sealed := func(name string) runtime.Config {
		c := fastConfig(name)
		c.Keys = [][]byte{key}
		c.Label = "prod"
		c.MaxStreamMessageSize = 1 << 20
		return c
	}
	target := start(t, sealed("target"))
	var got atomic.Int32
	stop := target.Handle(1, func(runtime.Member, []byte) { got.Add(1) })
	defer stop()
	tlsCfg := fastConfig("tls-target")
	tlsCfg.TLS = ca.tlsConfig(t, "tls-target")
	tlsTarget := start(t, tlsCfg)
	stopTLS := tlsTarget.Handle(1, func(runtime.Member, []byte) { got.Add(1) })
	defer stopTLS()
	ctx := context.Background()

	// Each intruder is the stream transport a node with its settings
	// runs, calling the target's address: its stream is refused before
	// membership is looked at.
	otherKey := sealed("other-key")
	otherKey.Keys = [][]byte{[]byte("fedcba9876543210")}
	otherLabel := sealed("other-label")
	otherLabel.Label = "staging"
	foreign := newTestCA(t)
	otherCert := fastConfig("other-cert")
	otherCert.TLS = foreign.tlsConfig(t, "other-cert")
	otherCert.TLS.RootCAs = ca.pool // it trusts the target; the target does not trust it

	for _, tc := range []struct {
		name   string
		cfg    runtime.Config
		to     *runtime.Node
		reason func(runtime.Stats) uint64
	}{
		{"wrong key", otherKey, target, func(s runtime.Stats) uint64 { return s.Stream.DecryptFailed }},
		{"wrong label", otherLabel, target, func(s runtime.Stats) uint64 { return s.Stream.BadLabel }},
		{"wrong certificate", otherCert, tlsTarget, func(s runtime.Stats) uint64 { return s.Stream.TLSFailed }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.reason(tc.to.Stats())
			tr, err := stream.Listen(ctx, streamConfigLike(tc.cfg))
			require.NoError(t, err)
			defer tr.Close()
			msg := binary.BigEndian.AppendUint32([]byte{1}, 1)
			_, err = tr.Call(ctx, tc.to.LocalMember().Addr, msg, []byte("let me in"))
			require.ErrorIs(t, err, stream.ErrRefused)
			eventually(t, 5*time.Second, "refusal counted", func() bool { return tc.reason(tc.to.Stats()) > before })
		})
	}

	rawCases := []struct {
		name   string
		bytes  []byte
		reason func(runtime.Stats) uint64
	}{
		{"garbage", []byte("\x00\x01garbage that is no memberlist stream at all........"), func(s runtime.Stats) uint64 { return s.Stream.BadHello }},
		{"truncated", []byte("MLST\x01"), func(s runtime.Stats) uint64 { return s.Stream.Truncated }},
		// A plain hello at a sealed node: refused before any length is read.
		{"unsealed", append([]byte("MLST\x01\x00\x1f\x0a\x04prod"), 0xff, 0xff, 0xff, 0xff), func(s runtime.Stats) uint64 { return s.Stream.Unencrypted }},
	}
	for _, tc := range rawCases {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.reason(target.Stats())
			c, err := net.Dial("tcp4", target.LocalMember().Addr.String())
			require.NoError(t, err)
			defer c.Close()
			c.Write(tc.bytes)
			c.(*net.TCPConn).CloseWrite()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _ := c.Read(make([]byte, 1))
			assert.Zero(t, n, "the node answered")
			eventually(t, 5*time.Second, "refusal counted", func() bool { return tc.reason(target.Stats()) > before })
		})
	}

	// Oversized: a plain node (which speaks the hello) announcing 2 GiB.
	plain := start(t, fastConfig("plain-target"))
	stopPlain := plain.Handle(1, func(runtime.Member, []byte) { got.Add(1) })
	defer stopPlain()
	t.Run("oversized length", func(t *testing.T) {
		c, err := net.Dial("tcp4", plain.LocalMember().Addr.String())
		require.NoError(t, err)
		defer c.Close()
		c.Write([]byte("MLST\x01\x00\x1f\x0a\x00"))
		answer := make([]byte, 6)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadFull(c, answer)
		require.NoError(t, err)
		c.Write([]byte{0x80, 0, 0, 0})
		n, _ := c.Read(make([]byte, 1))
		assert.Zero(t, n)
		eventually(t, 5*time.Second, "counted", func() bool { return plain.Stats().Stream.Oversized == 1 })
	})
	assert.Zero(t, got.Load(), "nothing delivered")
}

// streamConfigLike is the stream transport a node with cfg would run.
func streamConfigLike(cfg runtime.Config) stream.Config {
	sc := stream.Config{Bind: netip.MustParseAddrPort("127.0.0.1:0"), Label: cfg.Label, TLS: cfg.TLS}
	if len(cfg.Keys) > 0 {
		sc.Keys = staticKeys(cfg.Keys)
	}
	return sc
}

type staticKeys [][]byte

func (k staticKeys) Keys() [][]byte { return k }

// Two members configured from the environment with one shared certificate
// (MEMBERLIST_TLS_*_FILE, checked against MEMBERLIST_TLS_SERVER_NAME) send
// each other reliable messages over mutual TLS.
func TestSendReliableTLSFromEnv(t *testing.T) {
	env := func(name, seeds string) runtime.Config {
		vars := []string{
			"MEMBERLIST_NAME=" + name,
			"MEMBERLIST_PROFILE=local",
			"MEMBERLIST_BIND_ADDR=127.0.0.1:0",
			"MEMBERLIST_TLS_CERT_FILE=testdata/tls/tls.crt",
			"MEMBERLIST_TLS_KEY_FILE=testdata/tls/tls.key",
			"MEMBERLIST_TLS_CA_FILE=testdata/tls/ca.crt",
			"MEMBERLIST_TLS_SERVER_NAME=member",
		}
		if seeds != "" {
			vars = append(vars, "MEMBERLIST_SEEDS="+seeds)
		}
		cfg, err := runtime.ConfigFromEnviron(vars)
		require.NoError(t, err)
		return cfg
	}
	a := start(t, env("env-a", ""))
	b := start(t, env("env-b", a.LocalMember().Addr.String()))
	eventually(t, 10*time.Second, "joined", func() bool { return countAlive(a) == 2 && countAlive(b) == 2 })
	got := make(chan string, 1)
	stop := a.Handle(2, func(from runtime.Member, p []byte) { got <- from.Name + ": " + string(p) })
	defer stop()
	require.NoError(t, b.SendReliable(context.Background(), "env-a", 2, []byte("over TLS")))
	assert.Equal(t, "env-b: over TLS", <-got)
	assert.Zero(t, a.Stats().Stream.TLSFailed)
}
