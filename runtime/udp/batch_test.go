package udp

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// batches starts tr with StartBatch and hands every batch to the returned
// channel, unreleased.
func batches(t *testing.T, tr *Transport) <-chan *Batch {
	t.Helper()
	ch := make(chan *Batch, MaxBatches)
	tr.StartBatch(func(b *Batch) { ch <- b })
	return ch
}

func nextBatch(t *testing.T, ch <-chan *Batch) *Batch {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(waitTimeout):
		t.Fatal("no batch within", waitTimeout)
		return nil
	}
}

// Datagrams waiting in the socket when reading starts come in batches of
// up to BatchSize per read: on Linux, one recvmmsg each.
func TestDatagramsArriveInBatches(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	const total = 3*BatchSize + 4
	for i := range total {
		_, err := raw.WriteToUDPAddrPort(seal(t, []byte{1, byte(i)}), tr.LocalAddr())
		require.NoError(t, err)
	}
	// Listen does not read: all of them wait in the socket buffer.
	started := time.Now()
	ch := batches(t, tr)
	var sizes []int
	for got := 0; got < total; {
		b := nextBatch(t, ch)
		// When the read returned: what the handler measures its delay from.
		require.False(t, b.Read.Before(started), "batch read at %v, before reading started", b.Read)
		require.False(t, b.Read.After(time.Now()))
		for i, d := range b.Datagrams {
			require.Equal(t, []byte{1, byte(got + i)}, d.Payload, "datagram %d out of order", got+i)
			require.Equal(t, raw.LocalAddr().(*net.UDPAddr).AddrPort(), d.From)
			require.Equal(t, len(d.Payload), cap(d.Payload))
		}
		got += len(b.Datagrams)
		sizes = append(sizes, len(b.Datagrams))
		b.Release()
	}
	if goruntime.GOOS == "linux" {
		assert.Equal(t, []int{BatchSize, BatchSize, BatchSize, 4}, sizes, "datagrams per read")
	}
	assert.Equal(t, uint64(total), tr.Stats().PacketsIn)
}

// The portable reader, one datagram per read, works behind the same
// interface (it is what other platforms use; tested here on any).
func TestSingleReaderAndWriter(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	b := listen(t, Config{Bind: "127.0.0.1:0"})
	b.readBatch = newSingleReader(b.conn).read
	a.newWriter = func() batchWriter { return singleWriter{conn: a.conn} }
	ch := batches(t, b)
	require.NoError(t, a.WriteBatch([]Packet{{To: b.LocalAddr(), Bytes: []byte("one")}, {To: b.LocalAddr(), Bytes: []byte("two")}}))
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	_, err := raw.WriteToUDPAddrPort(bytes.Repeat([]byte{1}, 2000), b.LocalAddr())
	require.NoError(t, err)
	for _, want := range []string{"one", "two"} {
		bt := nextBatch(t, ch)
		require.Len(t, bt.Datagrams, 1)
		assert.Equal(t, want, string(bt.Datagrams[0].Payload))
		bt.Release()
	}
	waitFor(t, "the oversized datagram", func() bool { return b.Stats().Oversized == 1 })
}

// Receiving allocates nothing, per datagram or per batch, encrypted or
// not: the payload is opened in place in the transport's buffer and lent
// to the handler.
func TestReceiveDoesNotAllocate(t *testing.T) {
	skipUnderRace(t)
	for _, kr := range []*frame.Keyring{nil, keyring(t, key("a", 16))} {
		cfg := Config{Bind: "127.0.0.1:0", Label: "prod", Keyring: kr}
		tr := listen(t, cfg)
		ch := batches(t, tr)
		enc := codec(t, "prod", kr)
		raw := rawConn(t, "udp4", "127.0.0.1:0")
		const runs = 200
		// Each datagram is sealed as it is sent, into a buffer made
		// beforehand: sealed in advance, thousands would share a send
		// time, and once the replay filter had forgotten some of them it
		// would refuse the rest as too old (Stats.Stale).
		payloads := make([][]byte, 2*BatchSize)
		datagrams := make([][]byte, len(payloads))
		for i := range payloads {
			payloads[i] = bytes.Repeat([]byte{byte(i)}, 300)
			datagrams[i] = enc.Seal(nil, payloads[i])
		}
		next := 0
		deadline := time.NewTimer(time.Hour)
		defer deadline.Stop()
		for _, burst := range []int{1, BatchSize} {
			allocs := testing.AllocsPerRun(runs, func() {
				for range burst {
					k := next % len(datagrams)
					datagrams[k] = enc.Seal(datagrams[k][:0], payloads[k])
					_, err := raw.WriteToUDPAddrPort(datagrams[k], tr.LocalAddr())
					require.NoError(t, err)
					next++
				}
				for got := 0; got < burst; {
					// Not nextBatch: a timer per wait would allocate.
					select {
					case b := <-ch:
						got += len(b.Datagrams)
						b.Release()
					case <-deadline.C:
						t.Fatal("no batch")
					}
				}
			})
			assert.Zero(t, allocs, "keys %v, %d datagrams per run: allocations per run", kr != nil, burst)
		}
	}
}

// A handler that holds every batch makes the transport read and drop what
// comes next, counted, until it releases one.
func TestOverrunWhileHandlerHoldsBuffers(t *testing.T) {
	tr := listen(t, Config{Bind: "127.0.0.1:0"})
	ch := batches(t, tr)
	raw := rawConn(t, "udp4", "127.0.0.1:0")
	send := func(b byte) {
		t.Helper()
		_, err := raw.WriteToUDPAddrPort(seal(t, []byte{1, b}), tr.LocalAddr())
		require.NoError(t, err)
	}
	var held []*Batch
	for i := range MaxBatches {
		send(byte(i))
		held = append(held, nextBatch(t, ch))
	}
	for i := range 5 {
		send(byte(100 + i))
	}
	waitFor(t, "five datagrams overrun", func() bool { return tr.Stats().Overrun == 5 })
	held[0].Release()
	send(200)
	b := nextBatch(t, ch)
	assert.Equal(t, []byte{1, 200}, b.Datagrams[0].Payload)
	b.Release()
	for _, b := range held[1:] {
		b.Release()
	}
	assert.Panics(t, b.Release, "a second Release")
	assert.Equal(t, uint64(MaxBatches+1), tr.Stats().PacketsIn)
}

// WriteBatch sends every packet, more than a batch's worth included, and
// one that cannot go does not hold back the others.
func TestWriteBatch(t *testing.T) {
	for _, kr := range []*frame.Keyring{nil, keyring(t, key("a", 32))} {
		cfg := Config{Bind: "127.0.0.1:0", Keyring: kr}
		a, b, c := listen(t, cfg), listen(t, cfg), listen(t, cfg)
		inB, inC := collect(t, b), collect(t, c)
		var ps []Packet
		const perPeer = BatchSize + 7
		for i := range perPeer {
			ps = append(ps, Packet{To: b.LocalAddr(), Bytes: []byte{1, 'b', byte(i)}}, Packet{To: c.LocalAddr(), Bytes: []byte{1, 'c', byte(i)}})
		}
		ps = append(ps[:5], append([]Packet{{To: b.LocalAddr(), Bytes: make([]byte, a.MaxPayload()+1)}}, ps[5:]...)...)
		err := a.WriteBatch(ps)
		require.ErrorIs(t, err, ErrTooLarge)
		assert.Contains(t, err.Error(), "1 datagrams not sent")
		for i := range perPeer {
			assert.Equal(t, []byte{1, 'b', byte(i)}, receive(t, inB).data)
			assert.Equal(t, []byte{1, 'c', byte(i)}, receive(t, inC).data)
		}
		s := a.Stats()
		assert.Equal(t, uint64(2*perPeer), s.PacketsOut)
		assert.Zero(t, s.WriteErrors, "a payload too large is the caller's error, not the network's")
	}
}

// A dual-stack socket sends to IPv4 and IPv6 peers in one batch; an IPv4
// socket refuses an IPv6 destination and still sends the rest.
func TestWriteBatchAddressFamilies(t *testing.T) {
	needIPv6Loopback(t)
	dual := listen(t, Config{Bind: ":0"})
	v4 := listen(t, Config{Bind: "127.0.0.1:0"})
	v6 := listen(t, Config{Bind: "[::1]:0"})
	in4, in6 := collect(t, v4), collect(t, v6)
	to4 := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), v4.LocalAddr().Port())
	require.NoError(t, dual.WriteBatch([]Packet{{To: to4, Bytes: []byte("four")}, {To: v6.LocalAddr(), Bytes: []byte("six")}}))
	assert.Equal(t, "four", string(receive(t, in4).data))
	assert.Equal(t, "six", string(receive(t, in6).data))

	toDual := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dual.LocalAddr().Port())
	err := v4.WriteBatch([]Packet{{To: v6.LocalAddr(), Bytes: []byte("lost")}, {To: toDual, Bytes: []byte("x")}, {To: to4, Bytes: []byte("self")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 datagrams not sent")
	assert.Equal(t, "self", string(receive(t, in4).data))
}

func TestWriteBatchAfterClose(t *testing.T) {
	a := listen(t, Config{Bind: "127.0.0.1:0"})
	require.NoError(t, a.Close())
	err := a.WriteBatch([]Packet{{To: a.LocalAddr(), Bytes: []byte{1}}})
	assert.True(t, errors.Is(err, net.ErrClosed), "%v", err)
}

// Sending a batch allocates nothing: it is sealed into pooled buffers and
// handed to the kernel from pooled structures.
func TestWriteBatchDoesNotAllocate(t *testing.T) {
	skipUnderRace(t)
	for _, kr := range []*frame.Keyring{nil, keyring(t, key("a", 16))} {
		a := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		b := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr, Label: "prod"})
		ps := make([]Packet, 8)
		for i := range ps {
			ps[i] = Packet{To: b.LocalAddr(), Bytes: bytes.Repeat([]byte{1}, 300)}
		}
		allocs := testing.AllocsPerRun(100, func() {
			require.NoError(t, a.WriteBatch(ps))
		})
		assert.Zero(t, allocs, "keys %v: allocations per WriteBatch", kr != nil)
	}
}

// Many goroutines write batches at once while the receiver's handler
// passes its batches to another goroutine to release: the race detector
// watches the buffers change hands.
func TestConcurrentBatches(t *testing.T) {
	kr := keyring(t, key("a", 16))
	a := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr})
	b := listen(t, Config{Bind: "127.0.0.1:0", Keyring: kr})
	ch := batches(t, b)
	const writers, rounds, per = 4, 50, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			ps := make([]Packet, per)
			for r := range rounds {
				for i := range ps {
					ps[i] = Packet{To: b.LocalAddr(), Bytes: []byte{1, byte(w), byte(r), byte(i)}}
				}
				assert.NoError(t, a.WriteBatch(ps))
				// Pace the writers so that the receiver's socket buffer
				// never overflows on a loaded machine.
				// In this goroutine a failure may only be reported (assert),
				// not stop the test (require).
				if !assert.Eventually(t, func() bool { return b.Stats().PacketsIn+overflowed(b) >= a.Stats().PacketsOut-writers*per },
					waitTimeout, time.Millisecond, "waiting for the receiver to keep up") {
					return
				}
			}
		})
	}
	// The releasing goroutines may lag so far that the handler holds
	// every batch, and the transport drops what comes meanwhile (counted):
	// those datagrams are accounted for too.
	seen := make(map[[3]byte]bool)
	for uint64(len(seen))+overflowed(b) < writers*rounds*per {
		bt := nextBatch(t, ch)
		for _, d := range bt.Datagrams {
			seen[[3]byte(d.Payload[1:4])] = true
		}
		go bt.Release()
	}
	wg.Wait()
}

// overflowed is how many datagrams tr dropped for want of buffers.
func overflowed(tr *Transport) uint64 { return tr.Stats().Overrun }
