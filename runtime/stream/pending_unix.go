//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package stream

import (
	"net"
	"syscall"
)

// hasPending reports whether bytes from the peer wait in the kernel for
// the connection's goroutine to read them: a peek that neither blocks nor
// consumes. A connection whose request has arrived is not silent, however
// late its goroutine runs on a busy machine.
func hasPending(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	pending := false
	_ = rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		pending = err == nil && n > 0
	})
	return pending
}
