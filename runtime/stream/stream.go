package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults for the Config fields left zero.
const (
	// DefaultMaxMessageSize is the largest message, request or reply, a
	// transport sends or accepts: 16 MiB plus room for its user's header.
	DefaultMaxMessageSize = 16<<20 + 1024
	// DefaultMaxInbound is how many inbound connections are served at once.
	DefaultMaxInbound = 64
	// DefaultMaxIdlePerPeer is how many idle connections to one peer are
	// kept for reuse.
	DefaultMaxIdlePerPeer = 2
	// DefaultTimeout bounds every read, every write and each handshake (the
	// incumbent's TCPTimeout on a LAN).
	DefaultTimeout = 10 * time.Second
	// DefaultIdleTimeout is how long an idle connection is kept for reuse;
	// the accepting side closes connections idle for twice as long.
	DefaultIdleTimeout = 30 * time.Second
)

// MaxMessageLimit is the largest MaxMessageSize a Config may set: 1 GiB.
const MaxMessageLimit = 1 << 30

// Errors of Call and Listen; test for them with errors.Is.
var (
	// ErrRefused: the peer did not take the request: nothing listens at
	// its address, or it closed the connection without an answer (it
	// refused our hello, label, key, certificate or request).
	ErrRefused = errors.New("stream: refused by peer")
	// ErrTooLarge: a request is larger than MaxMessageSize, or a reply
	// announced more.
	ErrTooLarge = errors.New("stream: message larger than MaxMessageSize")
	// ErrClosed: the transport was closed.
	ErrClosed = errors.New("stream: transport closed")
	// ErrInvalidConfig is wrapped by Listen's errors about its Config; the
	// message names the field and what it accepts.
	ErrInvalidConfig = errors.New("stream: invalid config")
)

// Config says where a Transport listens and how it protects its streams.
type Config struct {
	// Bind is the local address to listen on: a node passes its UDP
	// socket's bound address, so TCP and UDP share the host and port
	// number. Port 0 picks a free port.
	Bind netip.AddrPort
	// Advertise is the address peers know this node by. Its port goes into
	// every connection's hello, so that the accepting side can name the
	// sender: the connection's IP address with this port. Zero: Bind.
	Advertise netip.AddrPort
	// Label names the cluster: a connection with another label is refused
	// (Stats.BadLabel). At most MaxLabelLen bytes of UTF-8.
	Label string
	// Keys turns on sealed streams: AES-GCM records under keys derived per
	// connection from the keyring's primary key (see the package
	// documentation). Nil: not sealed.
	Keys Keyring
	// TLS turns on mutual TLS instead; it needs a certificate
	// (Certificates or GetCertificate), used both to accept and to dial.
	// See the package documentation for what is verified.
	TLS *tls.Config
	// MaxMessageSize bounds one message, request or reply; zero means
	// DefaultMaxMessageSize, and at most MaxMessageLimit is accepted.
	MaxMessageSize int
	// MaxInbound bounds the inbound connections served at once; zero means
	// DefaultMaxInbound.
	MaxInbound int
	// MaxIdlePerPeer bounds the idle connections kept per peer; zero means
	// DefaultMaxIdlePerPeer.
	MaxIdlePerPeer int
	// Timeout bounds every read, write and handshake; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// IdleTimeout is how long an idle connection is kept for reuse; zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Transition, when its Phase is set, lets this node dial and accept
	// the cluster's previous framing while sealing or a label is being
	// switched on (see Transition).
	Transition Transition
	// Logger receives the transport's log; nil discards it. Nothing per
	// connection is logged above Debug, except the first refusal of each
	// kind, at Warn.
	Logger *slog.Logger
}

// Handler answers one request. from is the peer: the connection's IP
// address and the port its hello advertises. req belongs to the handler.
// It returns the reply's parts, or ok false to close the connection
// unanswered. ctx ends when the transport closes; a handler that blocks
// must watch it. Handlers of different connections run concurrently.
type Handler func(ctx context.Context, from netip.AddrPort, req []byte) (reply [][]byte, ok bool)

// Stats are a transport's counters since Listen.
type Stats struct {
	// Accepted counts inbound connections accepted; Dialed outbound ones
	// whose handshake succeeded; DialFailed outbound ones that failed to
	// connect or to complete the handshake.
	Accepted, Dialed, DialFailed uint64
	// Evicted counts inbound connections closed, silent, to make room for
	// a new one at the MaxInbound limit.
	Evicted uint64
	// MessagesIn and MessagesOut count requests and replies received and
	// sent; BytesIn and BytesOut the bytes read and written on all
	// connections, framing and protection included.
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64
	// The inbound connections closed because of what the peer sent, by
	// reason; nothing of theirs was delivered:
	//
	//   - BadHello: not a memberlist stream, or a malformed hello or
	//     record (garbage);
	//   - BadVersion: another stream version;
	//   - BadLabel: another cluster's label;
	//   - Unencrypted: an unsealed stream at a node with keys;
	//   - DecryptFailed: a record none of our keys opens (another key, a
	//     sealed stream at a node without keys, or records altered,
	//     dropped, repeated or reordered);
	//   - TLSFailed: a TLS handshake that failed (no or a wrong client
	//     certificate, or no TLS at all);
	//   - Oversized: a message announced larger than MaxMessageSize;
	//   - Truncated: the connection ended inside a hello, record or
	//     message;
	//   - Timeouts: a read or write that missed its deadline.
	BadHello, BadVersion, BadLabel, Unencrypted, DecryptFailed, TLSFailed, Oversized, Truncated, Timeouts uint64
	// Previous counts inbound connections accepted in the previous
	// framing of a Transition (they are in Accepted too): once it stops
	// rising on every node, the Transition can end.
	Previous uint64
}

type counters struct {
	accepted, dialed, dialFailed, evicted          atomic.Uint64
	messagesIn, messagesOut, bytesIn, bytesOut     atomic.Uint64
	badHello, badVersion, badLabel, unencrypted    atomic.Uint64
	decryptFailed, tlsFailed, oversized, truncated atomic.Uint64
	timeouts, previous                             atomic.Uint64
}

// Transport is one node's stream endpoint: a TCP listener and the
// connections it dials. Its methods are safe for concurrent use.
type Transport struct {
	cfg       Config
	ln        *net.TCPListener
	local     netip.AddrPort
	advertise netip.AddrPort
	dialer    net.Dialer
	serverTLS *tls.Config
	log       *slog.Logger
	stats     counters
	warned    [numReasons]atomic.Bool

	// ctx is handed to handlers; stop ends it at Close.
	ctx  context.Context
	stop context.CancelFunc

	mu        sync.Mutex
	started   bool
	closed    bool
	inbound   map[*conn]struct{} // being served
	outbound  map[*conn]struct{} // in a Call
	pool      map[netip.AddrPort][]*conn
	slotFreed chan struct{} // a send when an inbound connection ends

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Listen starts listening on cfg.Bind. It serves no connection until
// Start, but Call works at once. ctx bounds only the setup.
func Listen(ctx context.Context, cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stream: listen on %v: %w", cfg.Bind, err)
	}
	network := "tcp"
	if cfg.Bind.Addr().Is4() {
		network = "tcp4"
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, network, cfg.Bind.String())
	if err != nil {
		return nil, fmt.Errorf("stream: listen on %v: %w", cfg.Bind, err)
	}
	ln := l.(*net.TCPListener)
	local := ln.Addr().(*net.TCPAddr).AddrPort()
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	adv := cfg.Advertise
	if !adv.IsValid() {
		adv = local
	}
	if adv.Port() == 0 {
		adv = netip.AddrPortFrom(adv.Addr(), local.Port())
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("stream", local.String()))
	runCtx, stop := context.WithCancel(context.Background())
	t := &Transport{
		cfg:       cfg,
		ln:        ln,
		local:     local,
		advertise: adv,
		log:       log,
		ctx:       runCtx,
		stop:      stop,
		inbound:   make(map[*conn]struct{}),
		outbound:  make(map[*conn]struct{}),
		pool:      make(map[netip.AddrPort][]*conn),
		slotFreed: make(chan struct{}, 1),
	}
	// Dial from the address peers know this node by, so that they can
	// tell who is calling by the connection's source address: the bound
	// one when it names one, else the advertised one if it is this host's
	// (a host with several addresses may otherwise pick another).
	switch {
	case !local.Addr().IsUnspecified():
		t.dialer.LocalAddr = &net.TCPAddr{IP: local.Addr().AsSlice(), Zone: local.Addr().Zone()}
	case isLocalAddr(adv.Addr()):
		t.dialer.LocalAddr = &net.TCPAddr{IP: adv.Addr().AsSlice(), Zone: adv.Addr().Zone()}
	}
	if cfg.TLS != nil {
		t.serverTLS = serverTLS(cfg.TLS)
	}
	t.wg.Add(1)
	go t.janitor()
	log.Debug("stream: listening", slog.String("advertise", adv.String()), slog.String("mode", t.mode().String()))
	return t, nil
}

// isLocalAddr reports whether a is assigned to one of this host's
// interfaces.
func isLocalAddr(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a.Unmap() {
				return true
			}
		}
	}
	return false
}

func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v; want %s", ErrInvalidConfig, field, v, want)
	}
	switch {
	case !c.Bind.IsValid():
		return c, bad("Bind", c.Bind, "an IP address and port, such as 0.0.0.0:7946 (port 0 picks one)")
	case len(c.Label) > MaxLabelLen || !utf8.ValidString(c.Label):
		return c, bad("Label", fmt.Sprintf("%q", c.Label), fmt.Sprintf("at most %d bytes of UTF-8", MaxLabelLen))
	case c.MaxMessageSize < 0 || c.MaxMessageSize > MaxMessageLimit:
		return c, bad("MaxMessageSize", c.MaxMessageSize, fmt.Sprintf("1 to %d bytes, or 0 for %d", MaxMessageLimit, DefaultMaxMessageSize))
	case c.MaxInbound < 0:
		return c, bad("MaxInbound", c.MaxInbound, fmt.Sprintf("at least 1, or 0 for %d", DefaultMaxInbound))
	case c.MaxIdlePerPeer < 0:
		return c, bad("MaxIdlePerPeer", c.MaxIdlePerPeer, fmt.Sprintf("at least 1, or 0 for %d", DefaultMaxIdlePerPeer))
	case c.Timeout < 0:
		return c, bad("Timeout", c.Timeout, fmt.Sprintf("a positive duration, or 0 for %v", DefaultTimeout))
	case c.IdleTimeout < 0:
		return c, bad("IdleTimeout", c.IdleTimeout, fmt.Sprintf("a positive duration, or 0 for %v", DefaultIdleTimeout))
	case c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil:
		return c, bad("TLS", "a config without a certificate", "Certificates or GetCertificate set: the certificate serves both to accept and to dial")
	}
	if c.Keys != nil && len(c.Keys.Keys()) == 0 {
		return c, bad("Keys", "an empty keyring", "at least one key")
	}
	if err := c.Transition.check(c.framing()); err != nil {
		return c, err
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxInbound == 0 {
		c.MaxInbound = DefaultMaxInbound
	}
	if c.MaxIdlePerPeer == 0 {
		c.MaxIdlePerPeer = DefaultMaxIdlePerPeer
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c, nil
}

// serverTLS is the accepting side's TLS config: the user's, with client
// certificates required and verified.
func serverTLS(user *tls.Config) *tls.Config {
	c := user.Clone()
	c.ClientAuth = tls.RequireAndVerifyClientCert
	if c.ClientCAs == nil {
		c.ClientCAs = c.RootCAs
	}
	return c
}

// clientTLS is the dialing side's TLS config for one peer: the user's,
// verifying the peer's IP address unless a ServerName is set.
func (t *Transport) clientTLS(to netip.AddrPort) *tls.Config {
	c := t.cfg.TLS.Clone()
	if c.ServerName == "" {
		c.ServerName = to.Addr().String()
	}
	return c
}

func (t *Transport) mode() mode { return t.cfg.framing().mode }

func (m mode) String() string {
	switch m {
	case modePlain:
		return "plain"
	case modeSealed:
		return "sealed"
	case modeTLS:
		return "tls"
	}
	return fmt.Sprintf("mode(%d)", byte(m))
}

// LocalAddr returns the address the listener is bound to.
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// AdvertiseAddr returns the address this transport tells peers it has.
func (t *Transport) AdvertiseAddr() netip.AddrPort { return t.advertise }

// MaxMessageSize returns the configured bound on one message.
func (t *Transport) MaxMessageSize() int { return t.cfg.MaxMessageSize }

// Start starts accepting connections and answering their requests with
// handle. It may be called once; a second call panics. After Close it does
// nothing.
func (t *Transport) Start(handle Handler) {
	if handle == nil {
		panic("stream: Start with a nil handler")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		panic("stream: Start called twice")
	}
	t.started = true
	if t.closed {
		return
	}
	t.wg.Add(1)
	go t.acceptLoop(handle)
}

// Stats returns the transport's counters, each read atomically.
func (t *Transport) Stats() Stats {
	c := &t.stats
	return Stats{
		Accepted:      c.accepted.Load(),
		Dialed:        c.dialed.Load(),
		DialFailed:    c.dialFailed.Load(),
		Evicted:       c.evicted.Load(),
		MessagesIn:    c.messagesIn.Load(),
		MessagesOut:   c.messagesOut.Load(),
		BytesIn:       c.bytesIn.Load(),
		BytesOut:      c.bytesOut.Load(),
		BadHello:      c.badHello.Load(),
		BadVersion:    c.badVersion.Load(),
		BadLabel:      c.badLabel.Load(),
		Unencrypted:   c.unencrypted.Load(),
		DecryptFailed: c.decryptFailed.Load(),
		TLSFailed:     c.tlsFailed.Load(),
		Oversized:     c.oversized.Load(),
		Truncated:     c.truncated.Load(),
		Timeouts:      c.timeouts.Load(),
		Previous:      c.previous.Load(),
	}
}

// Close stops listening, closes every connection, and returns once no
// goroutine of the transport runs: handlers included, so a handler must
// return when its ctx ends. Calls in progress fail with ErrClosed.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		var all []*conn
		for c := range t.inbound {
			all = append(all, c)
		}
		for c := range t.outbound {
			all = append(all, c)
		}
		for _, cs := range t.pool {
			all = append(all, cs...)
		}
		t.pool = nil
		t.mu.Unlock()
		t.stop()
		if err := t.ln.Close(); err != nil {
			t.closeErr = fmt.Errorf("stream: close: %w", err)
		}
		for _, c := range all {
			c.dc.cancel()
			_ = c.close()
		}
		t.wg.Wait()
		t.log.Debug("stream: closed")
	})
	return t.closeErr
}

// janitor closes pooled connections that have been idle too long.
func (t *Transport) janitor() {
	defer t.wg.Done()
	tick := time.NewTicker(max(t.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
			var expired []*conn
			t.mu.Lock()
			for peer, cs := range t.pool {
				keep := cs[:0]
				for _, c := range cs {
					if time.Since(c.idleSince) > t.cfg.IdleTimeout {
						expired = append(expired, c)
					} else {
						keep = append(keep, c)
					}
				}
				if len(keep) == 0 {
					delete(t.pool, peer)
				} else {
					clear(cs[len(keep):])
					t.pool[peer] = keep
				}
			}
			t.mu.Unlock()
			for _, c := range expired {
				_ = c.close()
			}
		}
	}
}
