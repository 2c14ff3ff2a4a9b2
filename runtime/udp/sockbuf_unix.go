//go:build unix

package udp

import (
	"net"
	"runtime"
	"syscall"
)

// sockBuf reports the receive or send buffer size the kernel granted, so the
// log can say whether a request was capped (Linux silently caps at
// net.core.rmem_max / wmem_max instead of failing).
func sockBuf(c *net.UDPConn, opt int) (int, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		n, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt)
	}); err != nil || gerr != nil {
		return 0, false
	}
	if runtime.GOOS == "linux" {
		// Linux reports twice what it grants for payload, the other half
		// being its bookkeeping (socket(7)); halve it so it compares with
		// the request.
		n /= 2
	}
	return n, true
}

const (
	soRcvBuf = syscall.SO_RCVBUF
	soSndBuf = syscall.SO_SNDBUF
)
