//go:build !unix

package udp

import "net"

// sockBuf cannot read the granted size here; the log then shows the request
// only.
func sockBuf(*net.UDPConn, int) (int, bool) { return 0, false }

const (
	soRcvBuf = 0
	soSndBuf = 1
)
