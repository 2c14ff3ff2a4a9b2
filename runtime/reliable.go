package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/memberlist-go/memberlist/runtime/stream"
	"github.com/memberlist-go/memberlist/runtime/udp"
	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// MaxStreamMessageSize is the largest payload SendReliable carries, and
// the largest application state a node exchanges (see AppState):
// 16 MiB. Config.MaxStreamMessageSize may lower it, not raise it. Generated
// code checks stream families against it at compile time.
const MaxStreamMessageSize = 16 << 20

// ErrRefused: the receiving node did not take a reliable message or a
// state exchange. The error says why: it does not know this node as an
// alive member (yet), it has no handler for the family, its handlers are
// too far behind, it refused the stream (another label, key or
// certificate; a MaxStreamMessageSize smaller than the message), or
// nothing listens at the member's address.
var ErrRefused = stream.ErrRefused

// Stream defaults: the incumbent's TCPTimeout on a LAN, and the stream
// transport's connection cap.
const (
	defaultStreamTimeout  = 10 * time.Second
	defaultMaxStreamConns = stream.DefaultMaxInbound
)

// What a stream request is. Every request starts with one of these bytes;
// every reply with a status.
const (
	kindMessage byte = 1 // [family uint32][payload]: SendReliable
	kindState   byte = 2 // [flags][state]: an application state exchange
	kindProbe   byte = 3 // [member name]: a TCP fallback probe (tcpprobe.go)
)

// requestHeaderLen is the most a request adds before its payload.
const requestHeaderLen = 1 + familyLen

// stateJoin flags a state exchange made at join.
const stateJoin byte = 1

// Reply statuses.
const (
	statusOK          byte = 0
	statusNotMember   byte = 1 // the sender is no alive or suspect member here
	statusNoHandler   byte = 2 // nothing is registered for the family
	statusBusy        byte = 3 // handlers are too far behind
	statusNoState     byte = 4 // this node has no AppState
	statusBadKind     byte = 5 // a request kind this node does not know
	statusOtherMember byte = 6 // a probe named another member than this one
)

var statusText = map[byte]string{
	statusNotMember:   "the receiver does not know this node as an alive member",
	statusNoHandler:   "the receiver has no handler for the family",
	statusBusy:        "the receiver's handlers are too far behind",
	statusNoState:     "the receiver has no AppState",
	statusBadKind:     "the receiver does not know the request",
	statusOtherMember: "the receiver is another member",
}

// refusal turns a reply status into an error wrapping ErrRefused.
func refusal(status byte) error {
	text, ok := statusText[status]
	if !ok {
		text = fmt.Sprintf("unknown status %d", status)
	}
	return fmt.Errorf("%w: %s", ErrRefused, text)
}

// streams is a node's stream side: the transport and what runs over it.
type streams struct {
	tr *stream.Transport
	// ctx bounds the exchanges this node starts; it ends at Close.
	ctx    context.Context
	cancel context.CancelFunc
	// pending bounds the bytes of reliable messages taken but not yet
	// handled, so a fast sender cannot queue gigabytes at a slow
	// receiver: past it, senders wait, then are told the receiver is busy.
	pending *byteBudget
	app     *appState // nil without Config.AppState

	notMember   atomic.Uint64
	reliableIn  atomic.Uint64
	reliableOut atomic.Uint64
}

// listenTransports binds the UDP socket and the TCP listener on the same
// address and port number. With port 0, the port the UDP socket gets may
// be taken for TCP; then both are tried again on another, up to 64 times:
// a process running 1,536 members on loopback (bench S4) had TCP ports
// so crowded with connections that ten tries all failed.
func listenTransports(ctx context.Context, cfg Config, log *slog.Logger, keys *udpframe.Keyring) (*udp.Transport, *stream.Transport, error) {
	_, port, _ := net.SplitHostPort(cfg.BindAddr)
	attempts := 1
	if port == "0" {
		attempts = 64
	}
	for i := 1; ; i++ {
		tr, err := udp.Listen(ctx, udp.Config{Bind: cfg.BindAddr, Advertise: cfg.AdvertiseAddr, Label: cfg.Label, Keyring: keys, ClockSkew: cfg.ClockSkew, Transition: cfg.Transition, Logger: log})
		if err != nil {
			return nil, nil, err
		}
		scfg := stream.Config{
			Bind:           tr.LocalAddr(),
			Advertise:      tr.AdvertiseAddr(),
			Label:          cfg.Label,
			TLS:            cfg.TLS,
			MaxMessageSize: cfg.MaxStreamMessageSize + requestHeaderLen,
			MaxInbound:     cfg.MaxStreamConns,
			Timeout:        cfg.StreamTimeout,
			Logger:         log,
		}
		if keys != nil {
			scfg.Keys = keys
		}
		if cfg.TLS == nil {
			// Streams switch sealing or a label on with the datagrams;
			// mutual TLS has no transition of its own.
			scfg.Transition = stream.Transition{
				Phase:         stream.TransitionPhase(cfg.Transition.Phase),
				FromLabel:     cfg.Transition.FromLabel,
				FromEncrypted: cfg.Transition.FromEncrypted,
			}
		}
		st, err := stream.Listen(ctx, scfg)
		if err == nil {
			return tr, st, nil
		}
		tr.Close()
		if i == attempts || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, err
		}
	}
}

// newStreams wraps the stream transport; Start calls it before the node
// runs.
func newStreams(cfg Config, tr *stream.Transport) *streams {
	ctx, cancel := context.WithCancel(context.Background())
	s := &streams{tr: tr, ctx: ctx, cancel: cancel, pending: newByteBudget(4 * int64(cfg.MaxStreamMessageSize))}
	if cfg.AppState != nil {
		s.app = newAppState(cfg.AppState)
	}
	return s
}

// startStreams starts serving streams, and the application state
// exchange if configured.
func (n *Node) startStreams() {
	n.streams.tr.Start(n.serveStream)
	if n.streams.app != nil {
		n.wg.Add(2)
		go n.mergeLoop()
		go n.pushPullLoop()
	}
}

// closeStreams closes the stream transport: every connection, and every
// handler, which Close's closing of quit has already told to return.
func (n *Node) closeStreams() {
	n.streams.cancel()
	if err := n.streams.tr.Close(); err != nil {
		n.log.Debug("memberlist: closing streams", "err", err)
	}
}

// SendReliable sends payload of the given family to the member named to
// over a stream, and returns once that member's node has taken it: queued
// for its handlers, which receive it as they receive Send's messages (see
// Handle), from this node. The payload may be up to
// Config.MaxStreamMessageSize bytes (16 MiB by default); a send of it
// takes one round trip more than its bytes on an idle connection to the
// member, and a TCP and stream handshake more on the first.
//
// The errors, each testable with errors.Is: ErrTooLarge for a payload over
// Config.MaxStreamMessageSize; ErrUnknownMember when no alive or suspect
// member has that name; ErrRefused when the member did not take it (the
// error says why); ctx's error when ctx ended first (the member may or may
// not have taken the message); ErrClosed after Close. A member whose
// handlers are behind by more than four messages of the largest size
// holds SendReliable up to half its StreamTimeout before refusing.
func (n *Node) SendReliable(ctx context.Context, to string, family uint32, payload []byte) error {
	if len(payload) > n.cfg.MaxStreamMessageSize {
		return fmt.Errorf("memberlist: reliable message of %d bytes, at most %d: %w", len(payload), n.cfg.MaxStreamMessageSize, ErrTooLarge)
	}
	m, err := n.member(ctx, to)
	if err != nil {
		return err
	}
	var hdr [requestHeaderLen]byte
	hdr[0] = kindMessage
	binary.BigEndian.PutUint32(hdr[1:], family)
	reply, err := n.streams.tr.Call(ctx, m.Addr, hdr[:], payload)
	if err != nil {
		if errors.Is(err, stream.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("memberlist: send reliable to %s: %w", to, err)
	}
	if len(reply) != 1 || reply[0] != statusOK {
		if len(reply) == 0 {
			return fmt.Errorf("memberlist: send reliable to %s: %w", to, refusal(statusBadKind))
		}
		return fmt.Errorf("memberlist: send reliable to %s: %w", to, refusal(reply[0]))
	}
	n.streams.reliableOut.Add(1)
	return nil
}

// member returns the alive or suspect member named name.
func (n *Node) member(ctx context.Context, name string) (Member, error) {
	var m Member
	var ok bool
	if err := n.do(ctx, func(time.Time) { m, ok = n.core.Member(name) }); err != nil {
		return Member{}, err
	}
	if !ok || (m.State != StateAlive && m.State != StateSuspect) {
		return Member{}, fmt.Errorf("memberlist: %q: %w", name, ErrUnknownMember)
	}
	return m, nil
}

// memberAt returns the alive or suspect member whose address is addr.
func (n *Node) memberAt(ctx context.Context, addr netip.AddrPort) (Member, bool) {
	var found Member
	var ok bool
	if err := n.do(ctx, func(time.Time) {
		for _, m := range n.core.Members() {
			if m.Addr == addr && (m.State == StateAlive || m.State == StateSuspect) {
				found, ok = m, true
				return
			}
		}
	}); err != nil {
		return Member{}, false // closed or cancelled: f may still run
	}
	return found, ok
}

// serveStream answers one stream request; it runs on the stream
// transport's connection goroutines, never on the protocol loop.
func (n *Node) serveStream(ctx context.Context, from netip.AddrPort, req []byte) ([][]byte, bool) {
	if len(req) == 0 {
		return [][]byte{{statusBadKind}}, true
	}
	if req[0] == kindProbe {
		return [][]byte{{n.answerProbe(req[1:])}}, true
	}
	m, ok := n.memberAt(ctx, from)
	if !ok {
		n.streams.notMember.Add(1)
		n.log.Debug("memberlist: stream from an address that is no member", "from", from)
		return [][]byte{{statusNotMember}}, true
	}
	switch req[0] {
	case kindMessage:
		return [][]byte{{n.takeReliable(ctx, m, req[1:])}}, true
	case kindState:
		return n.answerState(m, req[1:]), true
	}
	return [][]byte{{statusBadKind}}, true
}

// takeReliable queues a reliable message for the handlers of its family,
// waiting up to StreamTimeout/2 for room, and returns the status to answer.
func (n *Node) takeReliable(ctx context.Context, from Member, b []byte) byte {
	if len(b) < familyLen {
		return statusBadKind
	}
	family := binary.BigEndian.Uint32(b)
	payload := b[familyLen:]
	n.handlersMu.RLock()
	handled := len(n.handlers[family]) > 0
	n.handlersMu.RUnlock()
	if !handled {
		n.undelivered.Add(1)
		return statusNoHandler
	}
	// Wait for room at most half the sender's read timeout (if it runs
	// our settings), so that it hears "busy" rather than times out.
	wait, cancel := context.WithTimeout(ctx, n.cfg.StreamTimeout/2)
	defer cancel()
	size := int64(len(payload))
	if !n.streams.pending.acquire(wait, n.quit, size) {
		n.undelivered.Add(1)
		return statusBusy
	}
	d := &delivery{from: from, family: family, payload: payload, done: func() { n.streams.pending.release(size) }}
	select {
	case n.deliver <- d:
		n.streams.reliableIn.Add(1)
		return statusOK
	case <-wait.Done():
	case <-n.quit:
	}
	n.streams.pending.release(size)
	n.undelivered.Add(1)
	return statusBusy
}

// release gives back what a delivery holds once its handlers have run.
func (d *delivery) release() {
	if d.done != nil {
		d.done()
	}
}

// byteBudget is a counting semaphore of bytes that a waiter can give up on.
type byteBudget struct {
	mu    sync.Mutex
	avail int64
	freed chan struct{} // closed and replaced on every release
}

func newByteBudget(n int64) *byteBudget {
	return &byteBudget{avail: n, freed: make(chan struct{})}
}

// acquire takes n bytes, waiting for releases until ctx ends or quit
// closes; it reports whether it took them.
func (b *byteBudget) acquire(ctx context.Context, quit <-chan struct{}, n int64) bool {
	for {
		b.mu.Lock()
		if b.avail >= n {
			b.avail -= n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		case <-quit:
			return false
		}
	}
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.avail += n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// streamStats fills in the stream side of s.
func (n *Node) streamStats(s *Stats) {
	st := n.streams
	s.Stream = st.tr.Stats()
	s.StreamNotMember = st.notMember.Load()
	s.ReliableIn = st.reliableIn.Load()
	s.ReliableOut = st.reliableOut.Load()
	if a := st.app; a != nil {
		s.StateExchanges = a.exchanges.Load()
		s.StateExchangeFailures = a.failures.Load()
		s.StateMerges = a.merges.Load()
		s.StateMergesDropped = a.dropped.Load()
		s.StateTooLarge = a.tooLarge.Load()
	}
}

// validateStreams checks the stream settings of c.
func (c Config) validateStreams() error {
	bad := func(field string, v any, want string) error { return badField(field, v, want) }
	switch {
	case c.MaxStreamMessageSize < 1 || c.MaxStreamMessageSize > MaxStreamMessageSize:
		return bad("MaxStreamMessageSize", c.MaxStreamMessageSize, fmt.Sprintf("1 to %d bytes", MaxStreamMessageSize))
	case c.StreamTimeout <= 0:
		return bad("StreamTimeout", c.StreamTimeout, "a positive duration")
	case c.MaxStreamConns < 1 || c.MaxStreamConns > 65536:
		return bad("MaxStreamConns", c.MaxStreamConns, "1 to 65536")
	case c.PushPullInterval < 0:
		return bad("PushPullInterval", c.PushPullInterval, "a positive duration, or 0 for no periodic exchange")
	case c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil:
		return bad("TLS", "a config without a certificate", "Certificates or GetCertificate set: the certificate serves both to accept and to dial")
	}
	return nil
}
