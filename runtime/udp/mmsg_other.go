//go:build !linux

package udp

import (
	"net"
	"syscall"
)

// Elsewhere than on Linux the transport reads and writes one datagram per
// system call (see singleReader).

func newBatchReader(c *net.UDPConn, _ syscall.RawConn) func([]message) (int, error) {
	return newSingleReader(c).read
}

func newBatchWriter(c *net.UDPConn, _ syscall.RawConn, _ bool) batchWriter {
	return singleWriter{conn: c}
}

func socketIsInet6(c *net.UDPConn, _ syscall.RawConn) bool {
	return c.LocalAddr().(*net.UDPAddr).IP.To4() == nil
}
