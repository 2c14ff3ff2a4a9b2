package udp

import (
	"net"
)

// singleReader and singleWriter move one datagram per system call: the
// transport's way on platforms without recvmmsg and sendmmsg, behind the
// interface the batched calls have on Linux (where tests use them too).

// singleReader reads into a buffer larger than any UDP payload, so that an
// oversized datagram is seen whole and its true size known, and no
// platform's truncation behaviour (an error on Windows, a silent cut
// elsewhere) comes into play; the datagram is then copied to its slot.
type singleReader struct {
	conn *net.UDPConn
	buf  []byte
}

func newSingleReader(c *net.UDPConn) *singleReader {
	return &singleReader{conn: c, buf: make([]byte, 1<<16)}
}

func (r *singleReader) read(ms []message) (int, error) {
	n, from, err := r.conn.ReadFromUDPAddrPort(r.buf)
	if err != nil {
		return 0, err
	}
	copy(ms[0].buf, r.buf[:n])
	ms[0].n, ms[0].from = n, from
	return 1, nil
}

type singleWriter struct {
	conn *net.UDPConn
}

func (w singleWriter) write(ms []outMessage) (int, error) {
	for i, m := range ms {
		if _, err := w.conn.WriteToUDPAddrPort(m.b, m.to); err != nil {
			return i, err
		}
	}
	return len(ms), nil
}
