package udp

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// waitTimeout bounds every wait for something the network should do at once
// on loopback; it is generous so a loaded CI machine does not flake.
const waitTimeout = 10 * time.Second

type packet struct {
	from netip.AddrPort
	data []byte
}

// listen opens a transport that the test closes when it ends.
func listen(t *testing.T, cfg Config) *Transport {
	t.Helper()
	tr, err := Listen(context.Background(), cfg)
	require.NoError(t, err, "Listen(%+v)", cfg)
	t.Cleanup(func() { tr.Close() })
	return tr
}

// collect starts tr with a handler that copies every payload into the
// returned channel, and checks on the way what the handler is promised: a
// non-empty b of at most MaxPayload bytes whose capacity is its length.
func collect(t *testing.T, tr *Transport) <-chan packet {
	t.Helper()
	ch := make(chan packet, 1024)
	tr.Start(func(from netip.AddrPort, b []byte) {
		// The read goroutine runs the handler, so only assert (not
		// require) may report from here.
		assert.NotEmpty(t, b, "handler's b")
		assert.LessOrEqual(t, len(b), tr.MaxPayload(), "handler's len(b)")
		assert.Equal(t, len(b), cap(b), "handler's cap(b); want cap == len")
		ch <- packet{from, bytes.Clone(b)}
	})
	return ch
}

func receive(t *testing.T, ch <-chan packet) packet {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("no datagram within", waitTimeout)
		return packet{}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, time.Millisecond, "waiting for %s", what)
}

// rawConn is a plain socket for sending what the transport itself refuses
// to send.
func rawConn(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	require.NoError(t, err, "ListenPacket(%s, %s)", network, addr)
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.UDPConn)
}

// seal frames payload as a transport without label and keys does, for
// datagrams sent from a plain socket.
func seal(t *testing.T, payload []byte) []byte {
	t.Helper()
	c, err := frame.NewCodec("", nil)
	require.NoError(t, err)
	return c.Seal(nil, payload)
}

// needIPv6Loopback skips the test on machines without ::1, such as
// containers started with IPv6 disabled.
func needIPv6Loopback(t *testing.T) {
	t.Helper()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("skipping: this machine has no IPv6 loopback ([::1]): %v", err)
	}
	pc.Close()
}

// recorder is a slog.Handler that keeps every record, to check what the
// transport logs and at which level.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// atLeast returns the messages logged at level or above.
func (r *recorder) atLeast(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		if rec.Level >= level {
			out = append(out, rec.Message)
		}
	}
	return out
}
