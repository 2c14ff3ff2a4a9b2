package stream

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"
)

// minSilence is how long a connection must have been silent (waiting for
// a hello or a request, nothing received or waiting in the kernel since it
// began to) before, at the MaxInbound limit, a new connection may take its
// slot. A peer that means to talk sends its hello as it connects and its
// first request a round trip after. A connection may also lose its slot
// when it is still in its handshake after half of Timeout, however its
// bytes trickle in.
const minSilence = 20 * time.Millisecond

// bufSize is the size of each connection's read and write buffers.
const bufSize = 16 << 10

// Reasons for refusing an inbound connection, as counted in Stats.
type reason int

const (
	reasonBadHello reason = iota
	reasonVersion
	reasonLabel
	reasonUnencrypted
	reasonDecrypt
	reasonTLS
	reasonOversized
	reasonTruncated
	reasonTimeout
	numReasons
)

// More reasons, found while reading a hello.
var (
	errUnencrypted = errors.New("stream: unsealed stream at a node with keys")
	errNoKeys      = errors.New("stream: sealed stream at a node without keys")
)

// tlsError marks a failed TLS handshake.
type tlsError struct{ err error }

func (e tlsError) Error() string { return "stream: TLS handshake: " + e.err.Error() }
func (e tlsError) Unwrap() error { return e.err }

// classify maps an error that ended an inbound connection to the reason it
// is counted under; ok is false for the normal ends of a connection (the
// peer closed it between messages, or the transport closed).
func classify(err error) (r reason, ok bool) {
	var te tlsError
	switch {
	case errors.As(err, &te):
		return reasonTLS, true
	case errors.Is(err, errBadMagic), errors.Is(err, errBadHello), errors.Is(err, errMalformedRecord), errors.Is(err, errMode):
		return reasonBadHello, true
	case errors.Is(err, errVersion):
		return reasonVersion, true
	case errors.Is(err, errLabel):
		return reasonLabel, true
	case errors.Is(err, errUnencrypted):
		return reasonUnencrypted, true
	case errors.Is(err, errDecrypt), errors.Is(err, errUnknownKey), errors.Is(err, errNoKeys):
		return reasonDecrypt, true
	case errors.Is(err, errOversized):
		return reasonOversized, true
	case errors.Is(err, io.ErrUnexpectedEOF):
		return reasonTruncated, true
	case errors.Is(err, os.ErrDeadlineExceeded):
		return reasonTimeout, true
	}
	return 0, false
}

func (r reason) counter(c *counters) interface{ Add(uint64) uint64 } {
	switch r {
	case reasonBadHello:
		return &c.badHello
	case reasonVersion:
		return &c.badVersion
	case reasonLabel:
		return &c.badLabel
	case reasonUnencrypted:
		return &c.unencrypted
	case reasonDecrypt:
		return &c.decryptFailed
	case reasonTLS:
		return &c.tlsFailed
	case reasonOversized:
		return &c.oversized
	case reasonTruncated:
		return &c.truncated
	}
	return &c.timeouts
}

// refuse counts why an inbound connection ends, if it is a refusal, and
// logs it: the first of each reason at Warn, as it usually means a peer
// with other settings; the rest at Debug.
func (t *Transport) refuse(err error, c *conn) {
	r, ok := classify(err)
	if !ok || t.ctx.Err() != nil {
		t.log.Debug("stream: connection ended", slog.String("from", c.dc.RemoteAddr().String()), slog.Any("err", err))
		return
	}
	r.counter(&t.stats).Add(1)
	level := slog.LevelDebug
	if !t.warned[r].Swap(true) {
		level = slog.LevelWarn
	}
	t.log.Log(context.Background(), level, "stream: connection refused", slog.String("from", c.dc.RemoteAddr().String()), slog.Any("err", err))
}

func (t *Transport) acceptLoop(handle Handler) {
	defer t.wg.Done()
	var backoff time.Duration
	for {
		nc, err := t.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, most likely: wait rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t.log.Debug("stream: accept failed", slog.Any("err", err), slog.Duration("retry_in", backoff))
			timer := time.NewTimer(backoff)
			select {
			case <-t.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			continue
		}
		backoff = 0
		c := &conn{dc: newDeadlineConn(nc, t.cfg.Timeout, &t.stats)}
		if !t.admit(c) {
			_ = nc.Close()
			return
		}
		t.stats.accepted.Add(1)
		go t.serve(c, handle)
	}
}

// admit takes a slot for c, closing a silent connection at the limit or
// waiting for one to end or fall silent. It reports false once the
// transport closes. On success the caller must run serve, which gives the
// slot back.
func (t *Transport) admit(c *conn) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	t.mu.Lock()
	for {
		if t.closed {
			t.mu.Unlock()
			return false
		}
		if len(t.inbound) < t.cfg.MaxInbound {
			// Its handshake starts now, however long it waited for a slot.
			c.setState(stateHandshake)
			t.inbound[c] = struct{}{}
			t.wg.Add(1)
			t.mu.Unlock()
			return true
		}
		if victim := t.evictable(time.Now()); victim != nil {
			delete(t.inbound, victim)
			t.mu.Unlock()
			t.stats.evicted.Add(1)
			victim.dc.cancel()
			_ = victim.close()
			t.log.Debug("stream: closed a silent connection to make room", slog.String("from", victim.dc.RemoteAddr().String()))
			t.mu.Lock()
			continue
		}
		t.mu.Unlock()
		// Look again when a connection ends, or when one may have fallen
		// silent long enough.
		if timer == nil {
			timer = time.NewTimer(minSilence)
		} else {
			timer.Reset(minSilence)
		}
		select {
		case <-t.slotFreed:
		case <-timer.C:
		case <-t.ctx.Done():
		}
		t.mu.Lock()
	}
}

// evictable returns the inbound connection to close for a new one: of
// those silent for minSilence, or in their handshake for half of Timeout
// with nothing unread, the one in its state longest; nil if there is none.
func (t *Transport) evictable(now time.Time) *conn {
	silentSince := now.Add(-minSilence).UnixNano()
	stuckSince := now.Add(-t.cfg.Timeout / 2).UnixNano()
	var victim *conn
	var oldest int64
	for c := range t.inbound {
		since := c.since.Load()
		state := c.state.Load()
		ok := state != stateBusy && since < silentSince && c.silent() ||
			state == stateHandshake && since < stuckSince && !hasPending(c.dc.Conn)
		if ok && (victim == nil || since < oldest) {
			victim, oldest = c, since
		}
	}
	return victim
}

// serve runs one inbound connection: the handshake, then requests and
// replies until the peer closes it, it idles out or it misbehaves.
func (t *Transport) serve(c *conn, handle Handler) {
	defer func() {
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
		select {
		case t.slotFreed <- struct{}{}:
		default:
		}
		_ = c.close()
		t.wg.Done()
	}()
	if err := t.acceptHandshake(c); err != nil {
		t.refuse(err, c)
		return
	}
	for first := true; ; first = false {
		// Between requests the connection is idle: it may be closed to make
		// room, and it waits up to twice the dialer's idle timeout. The
		// first request follows the handshake at once, and until it begins
		// the connection counts as in its handshake.
		if !first {
			c.setState(stateWaiting)
			c.dc.timeout.Store(int64(2 * t.cfg.IdleTimeout))
		}
		if _, err := c.r.Peek(1); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.refuse(err, c)
			}
			return
		}
		c.setState(stateBusy)
		c.dc.timeout.Store(int64(t.cfg.Timeout))
		req, err := readMessage(c.r, t.cfg.MaxMessageSize)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the request had begun
			}
			t.refuse(err, c)
			return
		}
		t.stats.messagesIn.Add(1)
		reply, ok := handle(t.ctx, c.peer, req)
		if !ok {
			return
		}
		if n := messageSize(reply); n > t.cfg.MaxMessageSize {
			t.log.Warn("stream: reply larger than MaxMessageSize not sent", slog.Int("size", n), slog.Int("max", t.cfg.MaxMessageSize))
			return
		}
		if err := writeMessage(c.w, reply); err != nil {
			t.refuse(err, c)
			return
		}
		t.stats.messagesOut.Add(1)
	}
}

// acceptHandshake runs the accepting side of the handshake: TLS if on,
// then the hellos, and sets up c's reader and writer.
func (t *Transport) acceptHandshake(c *conn) error {
	var rd io.Reader = c.dc
	var wr io.Writer = c.dc
	if t.serverTLS != nil {
		tc := tls.Server(c.dc, t.serverTLS)
		if err := tc.Handshake(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errCancelled) {
				return err
			}
			return tlsError{err}
		}
		rd, wr = tc, tc
	}
	br := bufio.NewReaderSize(rd, bufSize)
	var h dialerHello
	var buf [maxDialerHello]byte
	hb, err := readDialerHello(br, &h, &buf)
	if err != nil {
		if err == io.EOF && c.dc.bytesIn.Load() > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	f, err := t.acceptFraming(&h)
	if err != nil {
		return err
	}
	remote := c.dc.RemoteAddr().(*net.TCPAddr).AddrPort()
	c.peer = netip.AddrPortFrom(remote.Addr().Unmap(), h.port)

	ah := acceptorHello{mode: f.mode}
	if ah.mode != modeSealed {
		w := bufio.NewWriterSize(wr, bufSize)
		if _, err := w.Write(ah.append(nil)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		c.r, c.w = br, w
		return nil
	}

	ins, outs, err := t.sealKeys(&h, &ah, hb)
	if err != nil {
		return err
	}
	if _, err := c.dc.Write(ah.append(nil)); err != nil {
		return err
	}
	rw := newRecordWriter(c.dc, outs[0], ah.base, f.label)
	rr := newRecordReader(br, ins, h.base, f.label, func(i int) { rw.aead = outs[i] })
	c.r, c.w = bufio.NewReaderSize(rr, bufSize), rw
	return nil
}

// checkHello refuses a dialer whose hello does not match this transport:
// another protection, another label, or no port to be known by.
func (t *Transport) checkHello(h *dialerHello) error {
	own := t.mode()
	switch {
	case h.mode == own:
	case own == modeSealed && h.mode == modePlain:
		return errUnencrypted
	case own == modePlain && h.mode == modeSealed:
		return errNoKeys
	default:
		return errMode
	}
	if h.label != t.cfg.Label {
		return errLabel
	}
	if h.port == 0 {
		return errBadHello
	}
	return nil
}

// sealKeys picks a random salt and nonce base for this side into ah and
// derives, for every installed key the dialer's key id names, the keys of
// both directions, bound to both hellos (hb is the dialer's).
func (t *Transport) sealKeys(h *dialerHello, ah *acceptorHello, hb []byte) (ins, outs []cipher.AEAD, err error) {
	var raws [][]byte
	for _, k := range t.cfg.Keys.Keys() {
		if keyID(k) == h.keyID {
			raws = append(raws, k)
		}
	}
	if len(raws) == 0 {
		return nil, nil, errUnknownKey
	}
	rand.Read(ah.salt[:])
	rand.Read(ah.base[:])
	ab := ah.append(nil)
	transcript := append(append(make([]byte, 0, len(hb)+len(ab)), hb...), ab...)
	ins = make([]cipher.AEAD, len(raws))
	outs = make([]cipher.AEAD, len(raws))
	for i, raw := range raws {
		if ins[i], outs[i], err = directionKeys(raw, h.salt[:], ah.salt[:], transcript); err != nil {
			return nil, nil, err
		}
	}
	return ins, outs, nil
}
