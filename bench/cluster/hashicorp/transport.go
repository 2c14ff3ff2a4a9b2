package hashicorp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/memberlist-go/memberlist/bench/cluster"
)

// countingTransport wraps the incumbent's own NetTransport and counts what
// it sends: UDP datagrams and their payload, and every byte written to a
// TCP stream, whether this member dialled it or accepted it.
type countingTransport struct {
	*memberlist.NetTransport

	datagrams atomic.Uint64
	udpBytes  atomic.Uint64
	tcpBytes  atomic.Uint64

	streams chan net.Conn
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

var _ memberlist.NodeAwareTransport = (*countingTransport)(nil)

func newCountingTransport(nt *memberlist.NetTransport) *countingTransport {
	t := &countingTransport{
		NetTransport: nt,
		streams:      make(chan net.Conn),
		done:         make(chan struct{}),
	}
	t.wg.Add(1)
	go t.forwardStreams()
	return t
}

// forwardStreams hands accepted connections on, wrapped so that what the
// member writes to them is counted.
func (t *countingTransport) forwardStreams() {
	defer t.wg.Done()
	for {
		select {
		case c := <-t.NetTransport.StreamCh():
			select {
			case t.streams <- &countingConn{Conn: c, n: &t.tcpBytes}:
			case <-t.done:
				_ = c.Close()
				return
			}
		case <-t.done:
			return
		}
	}
}

func (t *countingTransport) traffic() cluster.Traffic {
	return cluster.Traffic{
		Datagrams: t.datagrams.Load(),
		UDPBytes:  t.udpBytes.Load(),
		TCPBytes:  t.tcpBytes.Load(),
	}
}

func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	ts, err := t.NetTransport.WriteToAddress(b, a)
	if err == nil {
		t.datagrams.Add(1)
		t.udpBytes.Add(uint64(len(b)))
	}
	return ts, err
}

func (t *countingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *countingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	c, err := t.NetTransport.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &t.tcpBytes}, nil
}

func (t *countingTransport) StreamCh() <-chan net.Conn { return t.streams }

// Shutdown closes the listeners first, while memberlist still takes
// accepted connections (the NetTransport's accept loop may be handing one
// over), then stops the forwarder.
func (t *countingTransport) Shutdown() error {
	err := t.NetTransport.Shutdown()
	t.once.Do(func() { close(t.done) })
	t.wg.Wait()
	return err
}

// countingConn counts the bytes written to a TCP stream.
type countingConn struct {
	net.Conn
	n *atomic.Uint64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(uint64(n))
	return n, err
}
