package stream

import (
	"bufio"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// errCancelled is what I/O on a connection returns once its call's context
// has ended; the caller reports the context's error instead.
var errCancelled = errors.New("stream: call cancelled")

// aLongTimeAgo is a deadline in the past: it makes blocked I/O return.
var aLongTimeAgo = time.Unix(1, 0)

// deadlineConn sets a deadline before every read and every write, so no
// operation waits longer than its timeout however the bytes trickle in, and
// never past the limit of the call it serves. It also counts the bytes
// read, which tells a silent connection from a slow one.
type deadlineConn struct {
	net.Conn
	timeout   atomic.Int64 // per operation, nanoseconds
	limit     atomic.Int64 // absolute, Unix nanoseconds; 0: none
	cancelled atomic.Bool
	bytesIn   atomic.Uint64 // this connection's, for telling silence
	totals    *counters     // the transport's
}

func newDeadlineConn(c net.Conn, timeout time.Duration, totals *counters) *deadlineConn {
	dc := &deadlineConn{Conn: c, totals: totals}
	dc.timeout.Store(int64(timeout))
	return dc
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.bytesIn.Add(uint64(n))
	c.totals.bytesIn.Add(uint64(n))
	return n, err
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	c.totals.bytesOut.Add(uint64(n))
	return n, err
}

// arm sets the next operation's deadline. It checks for a cancellation on
// both sides of setting it, so that a cancel racing with it always wins.
func (c *deadlineConn) arm(set func(time.Time) error) error {
	if c.cancelled.Load() {
		return errCancelled
	}
	d := time.Now().Add(time.Duration(c.timeout.Load()))
	if l := c.limit.Load(); l != 0 && l < d.UnixNano() {
		d = time.Unix(0, l)
	}
	_ = set(d)
	if c.cancelled.Load() {
		_ = set(aLongTimeAgo)
		return errCancelled
	}
	return nil
}

// cancel makes every blocked and later operation fail at once.
func (c *deadlineConn) cancel() {
	c.cancelled.Store(true)
	_ = c.Conn.SetDeadline(aLongTimeAgo)
}

// setLimit bounds every operation until the next setLimit by d (zero:
// no bound beyond the timeout).
func (c *deadlineConn) setLimit(d time.Time) {
	if d.IsZero() {
		c.limit.Store(0)
		return
	}
	c.limit.Store(d.UnixNano())
}

// Connection states, for choosing which one to close under pressure.
const (
	stateHandshake int32 = iota // accepted, first request not begun
	stateWaiting                // waiting for a later request
	stateBusy                   // reading a request, or answering it
)

// conn is one established connection, either side.
type conn struct {
	dc   *deadlineConn
	r    *bufio.Reader // message bytes, opened if sealed
	w    flushWriter   // message bytes, sealed if sealed
	peer netip.AddrPort

	// Acceptor side: what eviction looks at.
	state      atomic.Int32
	since      atomic.Int64  // Unix nanoseconds the state began
	silentMark atomic.Uint64 // dc.bytesIn when the state began

	// Dialer side: when it went back to the pool.
	idleSince time.Time
}

func (c *conn) setState(s int32) {
	c.silentMark.Store(c.dc.bytesIn.Load())
	c.since.Store(time.Now().UnixNano())
	c.state.Store(s)
}

// silent reports whether the connection waits for its handshake or a
// request and has received no byte since it began to, counting those the
// kernel holds for its goroutine (where the system lets us look).
func (c *conn) silent() bool {
	s := c.state.Load()
	return (s == stateHandshake || s == stateWaiting) && c.dc.bytesIn.Load() == c.silentMark.Load() && !hasPending(c.dc.Conn)
}

func (c *conn) close() error { return c.dc.Close() }
