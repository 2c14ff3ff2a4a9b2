package udp

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// fakeClock is a wall clock the test moves by hand; transports read it from
// their goroutines.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli())
	return c
}

func (c *fakeClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) set(tr ...*Transport) {
	for _, t := range tr {
		t.now = c.now
	}
}

// inbox counts the datagrams a transport hands on and keeps their payloads.
type inbox struct {
	mu   sync.Mutex
	got  [][]byte
	seen atomic.Int64
}

func startInbox(tr *Transport) *inbox {
	in := &inbox{}
	tr.Start(func(_ netip.AddrPort, b []byte) {
		in.mu.Lock()
		in.got = append(in.got, append([]byte(nil), b...))
		in.mu.Unlock()
		in.seen.Add(1)
	})
	return in
}

func (in *inbox) payloads() [][]byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([][]byte(nil), in.got...)
}

// The attack of issue 10 over real sockets: an eavesdropper records sealed
// datagrams, which reach their receiver; the cluster's traffic then flushes
// the receiver's replay filter, more than its window of datagrams; the
// recording replayed is refused, and counted. The filter used to bound
// only the count, and accepted every copy.
func TestReplayedRecordingRefusedAfterFlush(t *testing.T) {
	kr := keyring(t, key("a", 32))
	cfg := Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr}
	clock := newFakeClock()
	tx, rx := listen(t, cfg), listen(t, cfg)
	clock.set(tx, rx)
	in := startInbox(rx)
	spy := rawConn(t, "udp4", "127.0.0.1:0")
	attacker := rawConn(t, "udp4", "127.0.0.1:0")

	// The recording: what tx sent, captured on the way (to the spy here;
	// a captured datagram opens at any member of the cluster).
	const recorded = 20
	var recording [][]byte
	buf := make([]byte, MaxPacketSize)
	for i := range recorded {
		require.NoError(t, tx.WriteTo([]byte{1, 'r', byte(i)}, spy.LocalAddr().(*net.UDPAddr).AddrPort()))
		require.NoError(t, spy.SetReadDeadline(time.Now().Add(waitTimeout)))
		n, err := spy.Read(buf)
		require.NoError(t, err)
		recording = append(recording, append([]byte(nil), buf[:n]...))
	}
	// The genuine datagrams reach rx once.
	for _, p := range recording {
		_, err := attacker.WriteToUDPAddrPort(p, rx.LocalAddr())
		require.NoError(t, err)
	}
	waitFor(t, "the recorded datagrams to arrive once", func() bool { return in.seen.Load() == recorded })

	// The flush: more than the window of fresh datagrams, some eight a
	// millisecond, in batches the socket buffer holds.
	const flush = frame.DefaultReplayWindow + 1000
	for sent := 0; sent < flush; {
		for range min(256, flush-sent) {
			require.NoError(t, tx.WriteTo([]byte{1, 'f', byte(sent), byte(sent >> 8)}, rx.LocalAddr()))
			sent++
			if sent%8 == 0 {
				clock.advance(time.Millisecond)
			}
		}
		want := int64(recorded + sent)
		waitFor(t, "the flush to arrive", func() bool { return in.seen.Load() == want })
	}

	before := rx.Stats()
	for _, p := range recording {
		_, err := attacker.WriteToUDPAddrPort(p, rx.LocalAddr())
		require.NoError(t, err)
	}
	waitFor(t, "the replayed recording to be refused", func() bool {
		s := rx.Stats()
		return s.Stale+s.Replayed-before.Stale-before.Replayed == recorded
	})
	// A marker sent after the replay arrives after it: nothing of the
	// replay came between.
	require.NoError(t, tx.WriteTo([]byte{1, 'm'}, rx.LocalAddr()))
	waitFor(t, "the marker", func() bool { return in.seen.Load() == recorded+flush+1 })
	got := in.payloads()
	assert.Equal(t, []byte{1, 'm'}, got[len(got)-1])
	after := rx.Stats()
	assert.Equal(t, uint64(recorded), after.Stale-before.Stale, "refused as stale: the filter forgot them, the floor did not")
	assert.Zero(t, after.Replayed, "no copy was remembered")
	assert.Equal(t, uint64(recorded+flush+1), after.PacketsIn)
}

// Once the clock-skew allowance has passed, a recording is refused with no
// flush at all; and a sender whose clock is off by more than the allowance
// is refused, one within it is not.
func TestSendTimeAllowance(t *testing.T) {
	kr := keyring(t, key("a", 16))
	const skew = 2 * time.Second
	clock := newFakeClock()
	rx := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, ClockSkew: skew})
	clock.set(rx)
	in := startInbox(rx)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	enc := codec(t, "", kr)
	send := func(p []byte) {
		t.Helper()
		_, err := raw.WriteToUDPAddrPort(p, rx.LocalAddr())
		require.NoError(t, err)
	}
	at := func(d time.Duration, payload ...byte) []byte {
		return enc.SealAt(nil, payload, clock.now().Add(d))
	}

	recorded := at(0, 1, 'r')
	send(recorded)
	send(at(-skew, 1, 'b'))                  // behind by the allowance: accepted
	send(at(skew, 1, 'a'))                   // ahead by the allowance: accepted
	send(at(-skew-time.Millisecond, 1, 'x')) // behind by more
	send(at(skew+time.Millisecond, 1, 'y'))  // ahead by more
	waitFor(t, "three accepted, two stale", func() bool { return in.seen.Load() == 3 && rx.Stats().Stale == 2 })

	clock.advance(skew + time.Millisecond)
	send(recorded)
	send(at(0, 1, 'm'))
	waitFor(t, "the marker", func() bool { return in.seen.Load() == 4 })
	s := rx.Stats()
	assert.Equal(t, uint64(3), s.Stale, "the recording, after the allowance")
	assert.Zero(t, s.Replayed)
	var got []byte
	for _, p := range in.payloads() {
		got = append(got, p[1])
	}
	assert.Equal(t, "rbam", string(got))
}

func TestListenRejectsBadClockSkew(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, time.Microsecond} {
		_, err := Listen(t.Context(), Config{Bind: "127.0.0.1:0", ClockSkew: d})
		require.ErrorIs(t, err, ErrInvalidConfig)
		assert.Contains(t, err.Error(), "ClockSkew")
	}
}
