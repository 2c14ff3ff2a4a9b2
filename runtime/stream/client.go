package stream

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Call sends one request, made of the parts req, to the peer at to and
// returns its reply. It reuses an idle connection to the peer when there
// is one, and dials otherwise. A request whose connection failed before
// all of it was written (the peer cannot have taken it), or whose reused
// connection turns out to have been closed by the peer before it
// answered, is tried again on a new connection, up to callAttempts times
// in all; so a request is delivered at most twice, and twice only if the
// peer closed an idle connection after taking a request on it but before
// answering, which this package's acceptor never does by itself.
//
// Errors: ErrTooLarge for a request or reply above MaxMessageSize;
// ErrRefused when the peer could not be reached or closed the connection
// unanswered; ctx's error when ctx ended first; os.ErrDeadlineExceeded
// when the peer stopped reading or answering for Timeout; ErrClosed after
// Close. Test them with errors.Is.
func (t *Transport) Call(ctx context.Context, to netip.AddrPort, req ...[]byte) ([]byte, error) {
	if n := messageSize(req); n > t.cfg.MaxMessageSize {
		return nil, fmt.Errorf("stream: request of %d bytes to %v, at most %d: %w", n, to, t.cfg.MaxMessageSize, ErrTooLarge)
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	for attempt := 1; ; attempt++ {
		c, reused, err := t.get(ctx, to)
		if err != nil {
			return nil, t.callError(ctx, to, err)
		}
		reply, sent, err := t.roundTrip(ctx, c, req)
		if err == nil {
			t.put(c)
			return reply, nil
		}
		t.drop(c)
		again := !sent || reused && stale(err)
		if again && attempt < callAttempts && ctx.Err() == nil && t.ctx.Err() == nil {
			continue
		}
		return nil, t.callError(ctx, to, err)
	}
}

// callAttempts bounds the connections one Call tries.
const callAttempts = 3

// stale reports whether err is how a pooled connection the peer had
// already closed fails.
func stale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// callError turns what ended a call into the error Call documents.
func (t *Transport) callError(ctx context.Context, to netip.AddrPort, err error) error {
	// The context's deadline also bounds each operation, which may notice
	// it a moment before the context does.
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("stream: call %v: %w", to, context.DeadlineExceeded)
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("stream: call %v: %w", to, ctx.Err())
	case errors.Is(err, ErrClosed) || t.ctx.Err() != nil:
		return fmt.Errorf("stream: call %v: %w", to, ErrClosed)
	case errors.Is(err, ErrRefused):
		return fmt.Errorf("stream: call %v: %w", to, err)
	case errors.Is(err, errOversized):
		return fmt.Errorf("stream: call %v: reply %w: %w", to, ErrTooLarge, err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("stream: call %v: no progress for %v: %w", to, t.cfg.Timeout, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, errMode):
		return fmt.Errorf("stream: call %v: %w: %w", to, ErrRefused, err)
	}
	return fmt.Errorf("stream: call %v: %w", to, err)
}

// roundTrip writes the request on c and reads the reply, within ctx. sent
// reports whether the whole request was written.
func (t *Transport) roundTrip(ctx context.Context, c *conn, req [][]byte) (reply []byte, sent bool, err error) {
	dl, _ := ctx.Deadline()
	c.dc.setLimit(dl)
	stop := context.AfterFunc(ctx, c.dc.cancel)
	defer stop()
	if err := writeMessage(c.w, req); err != nil {
		return nil, false, err
	}
	t.stats.messagesOut.Add(1)
	reply, err = readMessage(c.r, t.cfg.MaxMessageSize)
	if err != nil {
		return nil, true, err
	}
	t.stats.messagesIn.Add(1)
	return reply, true, nil
}

// get returns an idle connection to the peer, or a new one.
func (t *Transport) get(ctx context.Context, to netip.AddrPort) (c *conn, reused bool, err error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, false, ErrClosed
	}
	var expired []*conn
	for cs := t.pool[to]; len(cs) > 0; cs = t.pool[to] {
		last := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		if len(cs) == 1 {
			delete(t.pool, to)
		} else {
			t.pool[to] = cs[:len(cs)-1]
		}
		if time.Since(last.idleSince) <= t.cfg.IdleTimeout {
			c = last
			break
		}
		expired = append(expired, last)
	}
	if c != nil {
		t.outbound[c] = struct{}{}
	}
	t.mu.Unlock()
	for _, x := range expired {
		_ = x.close()
	}
	if c != nil {
		return c, true, nil
	}
	// A connection closed or left unanswered before the handshake ended
	// carried no request yet, so dialing again is safe: it may have been
	// taken for a silent one by an acceptor under a flood of idle
	// connections, or waited in the backlog of one at its MaxInbound.
	for attempt := 1; ; attempt++ {
		c, err = t.dial(ctx, to)
		again := stale(err) || errors.Is(err, os.ErrDeadlineExceeded)
		if err == nil || attempt == dialAttempts || ctx.Err() != nil || !again {
			return c, false, err
		}
	}
}

// dialAttempts is how often a handshake the acceptor cut short is tried.
const dialAttempts = 3

// put returns c to its peer's pool, or closes it if the pool is full.
func (t *Transport) put(c *conn) {
	c.dc.setLimit(time.Time{})
	t.mu.Lock()
	delete(t.outbound, c)
	if t.closed || c.dc.cancelled.Load() || len(t.pool[c.peer]) >= t.cfg.MaxIdlePerPeer {
		t.mu.Unlock()
		_ = c.close()
		return
	}
	c.idleSince = time.Now()
	t.pool[c.peer] = append(t.pool[c.peer], c)
	t.mu.Unlock()
}

// drop closes c, which failed.
func (t *Transport) drop(c *conn) {
	t.mu.Lock()
	delete(t.outbound, c)
	t.mu.Unlock()
	_ = c.close()
}

// dial connects to the peer and runs the dialing side of the handshake.
func (t *Transport) dial(ctx context.Context, to netip.AddrPort) (*conn, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", to.String())
	if err != nil {
		t.stats.dialFailed.Add(1)
		return nil, err
	}
	c := &conn{dc: newDeadlineConn(nc, t.cfg.Timeout, &t.stats), peer: to}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = nc.Close()
		return nil, ErrClosed
	}
	t.outbound[c] = struct{}{}
	t.mu.Unlock()
	dl, _ := ctx.Deadline()
	c.dc.setLimit(dl)
	stop := context.AfterFunc(ctx, c.dc.cancel)
	err = t.dialHandshake(c, to)
	stop()
	if err != nil {
		t.stats.dialFailed.Add(1)
		t.drop(c)
		// Whatever ends a handshake, other than time, is the peer's
		// refusal: a TLS alert, a hello it does not like, a closed
		// connection.
		if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, errCancelled) {
			err = fmt.Errorf("%w: handshake: %w", ErrRefused, err)
		}
		return nil, err
	}
	t.stats.dialed.Add(1)
	return c, nil
}

func (t *Transport) dialHandshake(c *conn, to netip.AddrPort) error {
	var rd io.Reader = c.dc
	var wr io.Writer = c.dc
	if t.cfg.TLS != nil {
		tc := tls.Client(c.dc, t.clientTLS(to))
		if err := tc.Handshake(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errCancelled) {
				return err
			}
			return tlsError{err}
		}
		rd, wr = tc, tc
	}
	f := t.dialFraming()
	h := dialerHello{mode: f.mode, port: t.advertise.Port(), label: f.label}
	var raw []byte
	if h.mode == modeSealed {
		keys := t.cfg.Keys.Keys()
		if len(keys) == 0 {
			return errors.New("stream: the keyring holds no key")
		}
		raw = keys[0]
		h.keyID = keyID(raw)
		rand.Read(h.salt[:])
		rand.Read(h.base[:])
	}
	hb := h.append(make([]byte, 0, maxDialerHello))
	if _, err := wr.Write(hb); err != nil {
		return err
	}
	br := bufio.NewReaderSize(rd, bufSize)
	var ah acceptorHello
	var buf [maxAcceptorHello]byte
	ab, err := readAcceptorHello(br, h.mode, &ah, &buf)
	if err != nil {
		return err
	}
	if h.mode != modeSealed {
		c.r, c.w = br, bufio.NewWriterSize(wr, bufSize)
		return nil
	}
	transcript := append(append(make([]byte, 0, len(hb)+len(ab)), hb...), ab...)
	out, in, err := directionKeys(raw, h.salt[:], ah.salt[:], transcript)
	if err != nil {
		return err
	}
	c.r = bufio.NewReaderSize(newRecordReader(br, []cipher.AEAD{in}, ah.base, f.label, nil), bufSize)
	c.w = newRecordWriter(c.dc, out, h.base, f.label)
	return nil
}
