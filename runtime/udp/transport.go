package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// MaxPacketSize is the largest UDP payload this transport sends or accepts,
// framing included. 1,400 bytes is the incumbent's (hashicorp/memberlist)
// default and fits the 1,500-byte Ethernet MTU with room for IPv6, UDP and
// tunnel headers, so datagrams are not fragmented on any common path.
//
// The protocol core fills less than this (swim.DefaultPacketBudget is 1,300
// bytes) so that the framing added around its packets, the cluster label and
// a checksum or encryption, still fits in one datagram: at most
// frame.MaxOverhead (100) bytes, whatever the configuration.
const MaxPacketSize = 1400

// DefaultSocketBuffer is the receive and send buffer size Listen requests
// when Config leaves it zero: a few thousand packets, enough to ride out a
// burst of gossip or a stalled loop without the kernel dropping datagrams.
const DefaultSocketBuffer = 4 << 20

// ErrTooLarge is wrapped by WriteTo's error for a payload larger than
// MaxPayload.
var ErrTooLarge = errors.New("udp: payload larger than MaxPayload")

// ErrInvalidConfig is wrapped by Listen's error for a Config it cannot use;
// the error names the field and the form it accepts.
var ErrInvalidConfig = errors.New("udp: invalid config")

// Config says where a Transport listens and what it advertises.
type Config struct {
	// Bind is the local "host:port" to listen on. The host is an IP
	// literal: a specific address, "0.0.0.0" (all IPv4 interfaces), "::"
	// (all IPv6 interfaces, IPv6 only) or empty (all interfaces, dual stack
	// where the system supports it, as in ":7946"). Port 0 picks a free
	// port; LocalAddr and AdvertiseAddr report the real one.
	Bind string
	// Advertise optionally overrides the address other nodes are told to
	// send to, e.g. the outside of a NAT: "host:port" or "host" with a
	// unicast IP literal host (IPv6 in brackets). No port or port 0 means
	// the bound port. Empty means the bound address when Bind names a
	// specific one, and otherwise an address of this host's interfaces (see
	// Listen).
	Advertise string
	// ReadBuffer and WriteBuffer are the socket buffer sizes to request in
	// bytes; zero means DefaultSocketBuffer. The kernel may grant less (on
	// Linux, net.core.rmem_max and wmem_max cap it); that is logged at
	// Debug and never an error.
	ReadBuffer, WriteBuffer int
	// Label names the cluster: every datagram carries it, and datagrams
	// with another label are dropped (Stats.BadLabel), so that clusters
	// sharing a network stay apart. At most frame.MaxLabelLen bytes of
	// UTF-8; empty is a label too, which only unlabelled peers share.
	Label string
	// Keyring, when set, turns on AES-GCM encryption: datagrams are sealed
	// with its primary key and opened with any of its keys, and unencrypted
	// datagrams are dropped (Stats.Unencrypted). Nil means no encryption:
	// datagrams carry a CRC32C checksum instead. Change its keys at any
	// time; the next datagram uses them.
	Keyring *frame.Keyring
	// ClockSkew is, with a Keyring, how far a sender's clock may be ahead
	// of or behind this node's, network delay included, for its encrypted
	// datagrams to be accepted; later copies of a datagram are refused as
	// Stats.Replayed or Stats.Stale (see frame.Replays). Zero means
	// frame.DefaultClockSkew (10s).
	ClockSkew time.Duration
	// Transition, when its Phase is set, lets this node talk to members
	// still on the cluster's previous framing while Label or Keyring is
	// being switched on (see Transition).
	Transition Transition
	// Logger receives the transport's log; nil discards it. Nothing per
	// packet is logged above Debug.
	Logger *slog.Logger
}

// Stats are a transport's counters since Listen. Byte counts are datagram
// sizes, framing included: what the network carried.
type Stats struct {
	// PacketsIn and BytesIn count datagrams whose payload was handed to
	// the handler.
	PacketsIn, BytesIn uint64
	// PacketsOut and BytesOut count datagrams the socket accepted for
	// sending.
	PacketsOut, BytesOut uint64
	// Overrun counts datagrams read and dropped unexamined because a
	// StartBatch handler held every receive buffer (see MaxBatches): the
	// consumer is too far behind.
	Overrun uint64
	// Oversized counts received datagrams longer than MaxPacketSize,
	// dropped.
	Oversized uint64
	// Empty counts received zero-length datagrams, dropped: no protocol
	// packet is empty, and the handler need not check.
	Empty uint64
	// The datagrams dropped because their framing was refused, by reason
	// (see package frame):
	//
	//   - BadFrame: malformed (truncated, reserved flags, empty payload);
	//   - BadVersion: another frame version, or no frame at all (an older
	//     release's packets);
	//   - BadLabel: another cluster's label;
	//   - BadChecksum: an unencrypted datagram corrupted on the way;
	//   - Unencrypted: an unencrypted datagram while this node has keys;
	//   - DecryptFailed: an encrypted datagram none of this node's keys
	//     opens (or this node has none): another key, or tampering;
	//   - Replayed: a copy of an encrypted datagram received lately;
	//   - Stale: an encrypted datagram sealed further from this node's
	//     time than Config.ClockSkew, or before the oldest one the replay
	//     filter remembers: a replayed recording, or a sender whose clock
	//     is off.
	//
	// Outside a rotation done in the wrong order, BadLabel, Unencrypted and
	// DecryptFailed mean a node with the wrong settings, or an attack; Stale
	// without Replayed most likely a clock that is off.
	BadFrame, BadVersion, BadLabel, BadChecksum, Unencrypted, DecryptFailed, Replayed, Stale uint64
	// Previous counts datagrams accepted in the previous framing during a
	// Transition (they are in PacketsIn too): once it stops rising on
	// every member, all send the new framing.
	Previous uint64
	// ReadErrors and WriteErrors count failures of the socket. WriteTo's
	// refusals of oversized payloads and writes after Close are not
	// counted: they are the caller's, not the network's.
	ReadErrors, WriteErrors uint64
}

// counters are Stats as atomics: the read goroutine and any number of
// writers update them while Stats reads them.
type counters struct {
	packetsIn, bytesIn   atomic.Uint64
	packetsOut, bytesOut atomic.Uint64
	oversized, empty     atomic.Uint64
	overrun              atomic.Uint64
	previous             atomic.Uint64
	refused              [numRefusals]atomic.Uint64
	readErrors           atomic.Uint64
	writeErrors          atomic.Uint64
}

// Transport is one node's UDP socket. Its methods are safe for concurrent
// use.
type Transport struct {
	conn      *net.UDPConn
	local     netip.AddrPort
	advertise netip.AddrPort
	log       *slog.Logger
	stats     counters
	codec     *frame.Codec
	// previous is the cluster's previous framing during a Transition, nil
	// otherwise; send is the codec that seals what this node sends:
	// previous in TransitionAccept, else codec.
	previous, send *frame.Codec
	// replays drops copies of encrypted datagrams; owned by the read
	// goroutine; nil without encryption, where anyone can forge a fresh
	// datagram and catching copies would protect nothing.
	replays *frame.Replays
	// bufs holds datagram buffers for WriteTo, which any goroutine may
	// call; sealing into a pooled buffer keeps sending free of garbage.
	bufs sync.Pool
	// senders holds WriteBatch's buffers and system-call state, likewise;
	// a free list rather than a sync.Pool, which the garbage collector
	// empties, as they are large enough for remaking them to show.
	senders chan *sendBatch
	// inet6 says the socket is AF_INET6, for WriteBatch's addresses.
	inet6 bool
	// newWriter makes the system-call state of a sendBatch (sendmmsg on
	// Linux), held as a function so that tests can choose.
	newWriter func() batchWriter

	// batches are the receive buffers, lent to the handler; discard is
	// the read goroutine's own, for reading while all are lent, made on
	// first need.
	batches *batchPool
	discard *Batch
	// readBatch reads the waiting datagrams into the slots it is given
	// (recvmmsg on Linux), held as a function so that tests can make the
	// socket fail.
	readBatch func([]message) (int, error)
	// now is the wall clock that seals send times and judges them,
	// time.Now but in tests, which move it without sleeping.
	now func() time.Time

	mu      sync.Mutex // guards started and the wg.Add in Start against Close
	started bool
	closed  atomic.Bool
	done    chan struct{} // closed by Close: ends the read loop's backoff
	wg      sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// newTransport assembles a Transport on a bound socket.
func newTransport(cfg Config, conn *net.UDPConn, rc syscall.RawConn, advertise netip.AddrPort, codec, previous *frame.Codec, log *slog.Logger) *Transport {
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	t := &Transport{
		conn:      conn,
		local:     netip.AddrPortFrom(local.Addr().Unmap(), local.Port()),
		advertise: advertise,
		log:       log,
		codec:     codec,
		previous:  previous,
		send:      codec,
		inet6:     socketIsInet6(conn, rc),
		batches:   newBatchPool(),
		readBatch: newBatchReader(conn, rc),
		now:       time.Now,
		done:      make(chan struct{}),
	}
	t.newWriter = func() batchWriter { return newBatchWriter(conn, rc, t.inet6) }
	if cfg.Transition.Phase == TransitionAccept {
		t.send = previous
	}
	t.bufs.New = func() any {
		b := make([]byte, 0, MaxPacketSize)
		return &b
	}
	t.senders = make(chan *sendBatch, maxSenders)
	if cfg.Keyring != nil {
		t.replays = frame.NewReplays(0, cfg.ClockSkew)
	}
	return t
}

// checkLimits refuses socket buffer sizes and a clock skew out of range.
func (cfg Config) checkLimits() error {
	for _, b := range []struct {
		field string
		n     int
	}{{"ReadBuffer", cfg.ReadBuffer}, {"WriteBuffer", cfg.WriteBuffer}} {
		if b.n < 0 {
			return fmt.Errorf("%w: %s = %d; want a size in bytes, or 0 for %d", ErrInvalidConfig, b.field, b.n, DefaultSocketBuffer)
		}
	}
	if cfg.ClockSkew < 0 || cfg.ClockSkew > 0 && cfg.ClockSkew < time.Millisecond {
		return fmt.Errorf("%w: ClockSkew = %v; want at least 1ms, or 0 for %v", ErrInvalidConfig, cfg.ClockSkew, frame.DefaultClockSkew)
	}
	return nil
}

// advertiseFor is the address to advertise when none was configured: the
// bound one if it is specific, else an interface address chosen by
// chooseAdvertise (loopback, with a warning, when there is none).
func advertiseFor(bind bindSpec, local netip.AddrPort, log *slog.Logger) netip.Addr {
	if !local.Addr().IsUnspecified() {
		return local.Addr()
	}
	ifs, err := systemInterfaces()
	if err != nil {
		log.Warn("udp: cannot list network interfaces", slog.Any("err", err))
	}
	// Go binds "udp" on an empty host as dual-stack [::] where it can,
	// and as 0.0.0.0 where it cannot; the bound address tells which.
	dual := bind.any && local.Addr().Is6()
	addr, ifname, ok := chooseAdvertise(local.Addr(), dual, ifs)
	if ok {
		log.Debug("udp: advertising an interface address", slog.String("interface", ifname), slog.String("addr", addr.String()))
	} else {
		log.Warn("udp: no private or global unicast address on any up interface; advertising loopback, which only nodes on this host can reach; set Config.Advertise", slog.String("addr", addr.String()))
	}
	return addr
}

// Listen binds the socket described by cfg and works out the address to
// advertise. It does not read yet: datagrams wait in the socket buffer until
// Start, so the caller can learn AdvertiseAddr first. ctx bounds only the
// setup, not the transport's life; Close ends that.
//
// When Bind names a specific address, that address is advertised. When it is
// unspecified, an unspecified address is never advertised; instead the first
// match, in interface order, among up, non-loopback interfaces:
//
//   - 0.0.0.0: a private IPv4 address (RFC 1918, or RFC 6598 shared address
//     space), else a global unicast IPv4 address;
//   - "::": a unique local IPv6 address (RFC 4193), else a global unicast
//     IPv6 one;
//   - empty (dual stack): as for "::", then as for 0.0.0.0.
//
// Failing all of these, Listen advertises loopback (127.0.0.1, or ::1 for
// "::") and logs a warning, as only nodes on this host can then reach it.
// Set Advertise to choose.
func Listen(ctx context.Context, cfg Config) (*Transport, error) {
	bind, err := parseBind(cfg.Bind)
	if err != nil {
		return nil, err
	}
	var advAddr netip.Addr
	var advPort uint16
	if cfg.Advertise != "" {
		if advAddr, advPort, err = parseAdvertise(cfg.Advertise); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkLimits(); err != nil {
		return nil, err
	}
	codec, err := frame.NewCodec(cfg.Label, cfg.Keyring)
	if err != nil {
		return nil, fmt.Errorf("%w: Label %q: %w", ErrInvalidConfig, cfg.Label, err)
	}
	previous, err := cfg.Transition.codec(cfg.Label, cfg.Keyring)
	if err != nil {
		return nil, err
	}
	// Binding a UDP socket does not block, so the listen call below never
	// looks at ctx; a caller that has already given up should not get a
	// socket all the same.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("udp: listen on %q: %w", cfg.Bind, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, bind.network(), bind.String())
	if err != nil {
		return nil, fmt.Errorf("udp: listen on %q: %w", cfg.Bind, err)
	}
	conn := pc.(*net.UDPConn)
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	log = log.With(slog.String("local", local.String()))

	setBuffers(conn, cfg.ReadBuffer, cfg.WriteBuffer, log)

	if !advAddr.IsValid() {
		advAddr = advertiseFor(bind, local, log)
	}
	if advPort == 0 {
		advPort = local.Port()
	}

	rc, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("udp: listen on %q: %w", cfg.Bind, err)
	}
	t := newTransport(cfg, conn, rc, netip.AddrPortFrom(advAddr, advPort), codec, previous, log)
	log.Debug("udp: listening", slog.String("network", bind.network()), slog.String("advertise", t.advertise.String()))
	return t, nil
}

// setBuffers asks for the configured socket buffers and logs what the kernel
// granted. A refusal is not fatal: the node works with the kernel's default,
// only with less slack for bursts.
func setBuffers(c *net.UDPConn, read, write int, log *slog.Logger) {
	if read == 0 {
		read = DefaultSocketBuffer
	}
	if write == 0 {
		write = DefaultSocketBuffer
	}
	for _, b := range []struct {
		name string
		want int
		set  func(int) error
		opt  int
	}{
		{"read", read, c.SetReadBuffer, soRcvBuf},
		{"write", write, c.SetWriteBuffer, soSndBuf},
	} {
		attrs := []any{slog.String("buffer", b.name), slog.Int("requested", b.want)}
		if err := b.set(b.want); err != nil {
			attrs = append(attrs, slog.Any("err", err))
		}
		if got, ok := sockBuf(c, b.opt); ok {
			attrs = append(attrs, slog.Int("granted", got))
		}
		log.Debug("udp: socket buffer", attrs...)
	}
}

// LocalAddr returns the address the socket is bound to, with the real port
// when Bind asked for port 0. It may be unspecified (0.0.0.0 or ::); tell
// other nodes AdvertiseAddr instead.
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// AdvertiseAddr returns the address other nodes should send to: Advertise
// if set, else as described at Listen. It is never unspecified and its port
// is never 0.
func (t *Transport) AdvertiseAddr() netip.AddrPort { return t.advertise }

// MaxPayload is the largest payload WriteTo takes: MaxPacketSize less this
// transport's framing. It is at least MaxPacketSize - frame.MaxOverhead.
func (t *Transport) MaxPayload() int {
	if t.previous != nil {
		return MaxPacketSize - max(t.codec.Overhead(), t.previous.Overhead())
	}
	return MaxPacketSize - t.codec.Overhead()
}

// Start starts the one goroutine that reads the socket and calls handle
// with the payload of each datagram of at most MaxPacketSize bytes whose
// framing is accepted (label, checksum or decryption; see Stats for what is
// dropped), in the order the socket yields them. from is the sender, IPv4
// senders as plain IPv4. The payload is never empty.
//
// b is the transport's buffer, valid only until handle returns: the next
// datagram overwrites it. A handler that keeps the data must copy it. b's
// capacity is its length, so no other datagram is reachable through it.
// handle runs on the read goroutine and should return quickly: while it
// runs, datagrams queue in the socket buffer and, once that is full, are
// dropped by the kernel. StartBatch hands over whole batches instead, with
// no copy.
//
// Start or StartBatch may be called once; a second call panics. After
// Close, they do nothing.
func (t *Transport) Start(handle func(from netip.AddrPort, b []byte)) {
	if handle == nil {
		panic("udp: Start with a nil handler")
	}
	t.StartBatch(func(b *Batch) {
		for _, d := range b.Datagrams {
			handle(d.From, d.Payload)
		}
		b.Release()
	})
}

// StartBatch starts the one goroutine that reads the socket and calls
// handle with each batch of accepted datagrams that one read returns (see
// Start for what is accepted): on Linux, every datagram waiting, up to
// BatchSize, for one system call and one wake-up. The handler owns the
// batch until it calls Release, and may pass it to another goroutine
// first: the payloads are the transport's receive buffers, lent rather
// than copied. A handler that holds on to batches makes the transport drop
// what arrives once MaxBatches are held (Stats.Overrun).
//
// handle runs on the read goroutine and should return quickly, such as
// after handing the batch over a channel.
func (t *Transport) StartBatch(handle func(*Batch)) {
	if handle == nil {
		panic("udp: StartBatch with a nil handler")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		panic("udp: Start called twice")
	}
	t.started = true
	if t.closed.Load() {
		return
	}
	t.wg.Add(1)
	go t.readLoop(handle)
}

// Read error backoff: a socket that keeps failing must not spin a core. The
// errors that do happen on an unconnected UDP socket are transient (e.g.
// memory pressure), so the loop waits and tries again rather than giving up.
const (
	minReadBackoff = 5 * time.Millisecond
	maxReadBackoff = time.Second
)

// waitAfterReadError counts and logs a failed read, then waits before the
// next: backoff doubles from minReadBackoff up to maxReadBackoff over a
// streak of failures. It returns the new backoff, and false if the
// transport closed meanwhile.
func (t *Transport) waitAfterReadError(err error, backoff time.Duration) (time.Duration, bool) {
	t.stats.readErrors.Add(1)
	switch {
	case backoff == 0:
		backoff = minReadBackoff
	case backoff < maxReadBackoff:
		backoff = min(2*backoff, maxReadBackoff)
	}
	// Warn once the socket has failed long enough to reach the longest
	// wait; the first errors of a streak are usually noise.
	if backoff == maxReadBackoff {
		t.log.Warn("udp: read failing", slog.Any("err", err), slog.Duration("retry_in", backoff))
	} else {
		t.log.Debug("udp: read failed", slog.Any("err", err), slog.Duration("retry_in", backoff))
	}
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	select {
	case <-t.done:
		return backoff, false
	case <-timer.C:
		return backoff, true
	}
}

func (t *Transport) readLoop(handle func(*Batch)) {
	defer t.wg.Done()
	var backoff time.Duration
	r := receiver{t: t}
	for {
		b := t.batches.get()
		overrun := b == nil
		if overrun {
			if t.discard == nil {
				t.discard = newBatch(t.batches)
			}
			b = t.discard
		}
		n, err := t.readBatch(b.msgs)
		if err != nil {
			if !overrun {
				t.batches.free <- b
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ok bool
			if backoff, ok = t.waitAfterReadError(err, backoff); !ok {
				return
			}
			continue
		}
		backoff = 0
		if overrun {
			// A batch may have been released while the read waited: then
			// the datagrams are kept after all, and the released batch
			// becomes the spare. The batches are interchangeable.
			if free := t.batches.get(); free != nil {
				t.discard, b, overrun = free, t.discard, false
			}
		}
		if overrun {
			t.stats.overrun.Add(uint64(n))
			t.log.Debug("udp: handler holds every receive buffer; dropped datagrams unread", slog.Int("datagrams", n))
			continue
		}
		var now time.Time
		if t.replays != nil {
			now = t.now() // one reading of the clock per batch
		}
		b.Read = time.Now()
		for i := range n {
			if d, ok := r.accept(&b.msgs[i], now); ok {
				b.Datagrams = append(b.Datagrams, d)
			}
		}
		if len(b.Datagrams) == 0 {
			t.batches.free <- b
			continue
		}
		b.lent = true
		handle(b)
	}
}

// receiver checks datagrams for the read goroutine and remembers which
// refusals it has logged.
type receiver struct {
	t               *Transport
	warnedOversized bool
	warned          [numRefusals]bool
}

// accept checks the datagram in m: its size, framing and, with encryption,
// that it is no copy; now is the time for the replay filter.
func (r *receiver) accept(m *message, now time.Time) (Datagram, bool) {
	t := r.t
	from := netip.AddrPortFrom(m.from.Addr().Unmap(), m.from.Port())
	switch {
	case m.n == 0:
		t.stats.empty.Add(1)
		t.log.Debug("udp: dropped empty datagram", slog.String("from", from.String()))
	case m.n > MaxPacketSize:
		t.stats.oversized.Add(1)
		// The first one is worth a warning: it usually means a peer
		// configured for larger packets, whose every packet will be
		// lost. The rest stay at Debug, as they come per packet.
		level := slog.LevelDebug
		if !r.warnedOversized {
			level, r.warnedOversized = slog.LevelWarn, true
		}
		t.log.Log(context.Background(), level, "udp: dropped oversized datagram",
			slog.String("from", from.String()), slog.Int("size", m.n), slog.Int("max", MaxPacketSize))
	default:
		p := m.buf[:m.n]
		codec, previous := t.codec, false
		if t.previous != nil && !codec.Matches(p) && t.previous.Matches(p) {
			codec, previous = t.previous, true
		}
		payload, err := codec.OpenInPlace(p)
		if err == nil && t.replays != nil {
			err = t.replays.Check(p, now)
		}
		if err != nil {
			t.refuse(err, from, m.n, &r.warned)
			return Datagram{}, false
		}
		t.stats.packetsIn.Add(1)
		t.stats.bytesIn.Add(uint64(m.n))
		if previous {
			t.stats.previous.Add(1)
		}
		return Datagram{From: from, Payload: payload}, true
	}
	return Datagram{}, false
}

// WriteTo sends b to to as one datagram, framed: labelled, and encrypted or
// checksummed. A payload longer than MaxPayload is refused with an error
// wrapping ErrTooLarge, never truncated; after Close the error wraps
// net.ErrClosed. An IPv4 destination works from a dual-stack socket.
// WriteTo does not keep b and may be called from any goroutine.
func (t *Transport) WriteTo(b []byte, to netip.AddrPort) error {
	if max := t.MaxPayload(); len(b) > max {
		return fmt.Errorf("udp: write of %d bytes to %v, max %d: %w", len(b), to, max, ErrTooLarge)
	}
	if t.closed.Load() {
		return fmt.Errorf("udp: write to %v: %w", to, net.ErrClosed)
	}
	// An IPv4-mapped destination is sent as IPv4, which an IPv4 socket
	// requires and a dual-stack one maps back itself.
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	bp := t.bufs.Get().(*[]byte)
	defer t.bufs.Put(bp)
	*bp = t.send.SealAt((*bp)[:0], b, t.now())
	n, err := t.conn.WriteToUDPAddrPort(*bp, to)
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			t.stats.writeErrors.Add(1)
		}
		return fmt.Errorf("udp: write to %v: %w", to, err)
	}
	t.stats.packetsOut.Add(1)
	t.stats.bytesOut.Add(uint64(n))
	return nil
}

// WriteBatch sends each packet as one datagram, framed as WriteTo frames
// it, in as few system calls as the platform allows: on Linux one sendmmsg
// for up to BatchSize datagrams. A packet that cannot be sent (too large,
// or refused by the socket) does not keep the others from going: the
// error, nil when every packet was sent, says how many failed and wraps
// the first failure's cause (ErrTooLarge, or the socket's error). After
// Close the error wraps net.ErrClosed. WriteBatch does not keep ps or their
// bytes, allocates nothing when all goes well, and may be called from any
// goroutine.
func (t *Transport) WriteBatch(ps []Packet) error {
	if len(ps) == 0 {
		return nil
	}
	if t.closed.Load() {
		return fmt.Errorf("udp: write of %d datagrams: %w", len(ps), net.ErrClosed)
	}
	var sb *sendBatch
	select {
	case sb = <-t.senders:
	default:
		sb = &sendBatch{w: t.newWriter()}
	}
	defer func() {
		select {
		case t.senders <- sb:
		default: // more writers at once than kept: let it go
		}
	}()
	var (
		failed   int
		firstErr error
		firstTo  netip.AddrPort
	)
	fail := func(to netip.AddrPort, err error) {
		if failed == 0 {
			firstErr, firstTo = err, to
		}
		failed++
	}
	maxPayload := t.MaxPayload()
	now := t.now()
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), BatchSize)]
		ps = ps[len(chunk):]
		out := sb.out[:0]
		for i := range chunk {
			p := &chunk[i]
			if len(p.Bytes) > maxPayload {
				fail(p.To, fmt.Errorf("%d bytes, max %d: %w", len(p.Bytes), maxPayload, ErrTooLarge))
				continue
			}
			to := netip.AddrPortFrom(p.To.Addr().Unmap(), p.To.Port())
			out = append(out, outMessage{b: t.send.SealAt(sb.buf(len(out)), p.Bytes, now), to: to})
		}
		for len(out) > 0 {
			n, err := sb.w.write(out)
			for _, m := range out[:n] {
				t.stats.packetsOut.Add(1)
				t.stats.bytesOut.Add(uint64(len(m.b)))
			}
			out = out[n:]
			if err == nil {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				fail(out[0].to, err)
				failed += len(out) - 1 + len(ps)
				ps, out = nil, nil
				break
			}
			t.stats.writeErrors.Add(1)
			fail(out[0].to, err)
			out = out[1:]
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("udp: %d datagrams not sent; the first, to %v: %w", failed, firstTo, firstErr)
}

// Stats returns the transport's counters. Each is read atomically; the set
// is not one snapshot, as the counters move while they are read.
func (t *Transport) Stats() Stats {
	c := &t.stats
	return Stats{
		PacketsIn:     c.packetsIn.Load(),
		BytesIn:       c.bytesIn.Load(),
		PacketsOut:    c.packetsOut.Load(),
		BytesOut:      c.bytesOut.Load(),
		Overrun:       c.overrun.Load(),
		Oversized:     c.oversized.Load(),
		Empty:         c.empty.Load(),
		BadFrame:      c.refused[refusedMalformed].Load(),
		BadVersion:    c.refused[refusedVersion].Load(),
		BadLabel:      c.refused[refusedLabel].Load(),
		BadChecksum:   c.refused[refusedChecksum].Load(),
		Unencrypted:   c.refused[refusedUnencrypted].Load(),
		DecryptFailed: c.refused[refusedDecrypt].Load(),
		Replayed:      c.refused[refusedReplay].Load(),
		Stale:         c.refused[refusedStale].Load(),
		Previous:      c.previous.Load(),
		ReadErrors:    c.readErrors.Load(),
		WriteErrors:   c.writeErrors.Load(),
	}
}

// Close closes the socket and returns once the read goroutine has exited,
// so the handler is not running and will not run again. Calling it again
// returns the first call's result. It must not be called from the handler,
// which it would wait for forever.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed.Store(true)
		t.mu.Unlock()
		close(t.done)
		if err := t.conn.Close(); err != nil {
			t.closeErr = fmt.Errorf("udp: close: %w", err)
		}
		t.wg.Wait()
		t.log.Debug("udp: closed")
	})
	return t.closeErr
}
