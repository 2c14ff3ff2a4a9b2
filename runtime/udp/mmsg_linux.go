//go:build linux

package udp

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the transport reads with recvmmsg and writes with sendmmsg,
// called directly through the socket's syscall.RawConn, so that Go's
// poller wakes the reading goroutine once for every datagram waiting, up to
// BatchSize, and a protocol period's packets leave in one system call.
//
// golang.org/x/net/ipv4's ReadBatch makes the same call, but allocates a
// net.UDPAddr and its net.IP for every datagram it returns; the receive
// path here allocates nothing. The structures handed to the kernel are
// allocated once, per socket or per pooled writer, and hold ordinary Go
// pointers, which the kernel only uses during the call.

// mmsghdr is Linux's struct mmsghdr: a msghdr and the length the kernel
// wrote (recvmmsg) or sent (sendmmsg). Go lays it out as C does, padding
// included, on every architecture.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// mmsgReader is the read goroutine's recvmmsg state.
type mmsgReader struct {
	rc    syscall.RawConn
	hdrs  [BatchSize]mmsghdr
	iovs  [BatchSize]unix.Iovec
	names [BatchSize]unix.RawSockaddrInet6
	zones map[uint32]string // interface names by index, for link-local senders

	// The call's arguments and results, fields so that recv, bound once
	// to f, needs no closure per call.
	vlen  int
	got   int
	errno syscall.Errno
	f     func(fd uintptr) bool
}

func newBatchReader(_ *net.UDPConn, rc syscall.RawConn) func([]message) (int, error) {
	r := &mmsgReader{rc: rc, zones: make(map[uint32]string)}
	r.f = r.recv
	return r.read
}

// read fills ms, which has at most BatchSize slots, with the datagrams
// waiting, at least one, blocking until there is one; n is each
// datagram's true size (MSG_TRUNC), larger than its buffer if it was cut.
func (r *mmsgReader) read(ms []message) (int, error) {
	r.vlen = min(len(ms), BatchSize)
	for i := range r.vlen {
		r.iovs[i].Base = unsafe.SliceData(ms[i].buf)
		r.iovs[i].SetLen(len(ms[i].buf))
		h := &r.hdrs[i]
		h.hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&r.names[i])), Namelen: unix.SizeofSockaddrInet6, Iov: &r.iovs[i]}
		h.hdr.SetIovlen(1)
		h.n = 0
	}
	if err := r.rc.Read(r.f); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", r.errno)
	}
	for i := range r.got {
		ms[i].n = int(r.hdrs[i].n)
		ms[i].from = r.addr(&r.names[i])
	}
	return r.got, nil
}

// recv is the RawConn.Read callback; false asks the poller to wait until
// the socket is readable and call again.
func (r *mmsgReader) recv(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(r.vlen), unix.MSG_TRUNC, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.got, r.errno = int(n), errno
		return true
	}
}

// addr reads a sender's address; IPv4 in IPv6 is unmapped by the caller.
func (r *mmsgReader) addr(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := func(p uint16) uint16 {
		b := (*[2]byte)(unsafe.Pointer(&p))
		return uint16(b[0])<<8 | uint16(b[1])
	}
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port(sa4.Port))
	case unix.AF_INET6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			a = a.WithZone(r.zone(sa.Scope_id))
		}
		return netip.AddrPortFrom(a, port(sa.Port))
	}
	return netip.AddrPort{}
}

// zone names an interface by index, as net does for link-local addresses,
// remembering the answer so that a link-local peer costs no allocation
// after its first datagram.
func (r *mmsgReader) zone(index uint32) string {
	if z, ok := r.zones[index]; ok {
		return z
	}
	z := strconv.FormatUint(uint64(index), 10)
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		z = ifi.Name
	}
	if len(r.zones) < 256 {
		r.zones[index] = z
	}
	return z
}

// mmsgWriter is one writer's sendmmsg state; the transport pools them, as
// any goroutine may write.
type mmsgWriter struct {
	rc    syscall.RawConn
	conn  *net.UDPConn
	inet6 bool // the socket is AF_INET6: IPv4 destinations are mapped
	hdrs  [BatchSize]mmsghdr
	iovs  [BatchSize]unix.Iovec
	names [BatchSize]unix.RawSockaddrInet6

	vlen  int
	sent  int
	errno syscall.Errno
	f     func(fd uintptr) bool
}

func newBatchWriter(c *net.UDPConn, rc syscall.RawConn, inet6 bool) batchWriter {
	w := &mmsgWriter{rc: rc, conn: c, inet6: inet6}
	w.f = w.send
	return w
}

// write sends ms, at most BatchSize, in order, and returns how many were
// sent before the first that failed, with that one's error (nil when all
// were sent).
func (w *mmsgWriter) write(ms []outMessage) (int, error) {
	done := 0
	for done < len(ms) {
		vlen := 0
		for _, m := range ms[done:min(len(ms), done+BatchSize)] {
			if m.to.Addr().Zone() != "" {
				break // below: net knows the interface index of a zone
			}
			if err := w.pack(vlen, m); err != nil {
				if vlen == 0 {
					return done, err
				}
				break
			}
			vlen++
		}
		if vlen == 0 {
			// A link-local destination with a zone: one datagram the
			// ordinary way.
			if _, err := w.conn.WriteToUDPAddrPort(ms[done].b, ms[done].to); err != nil {
				return done, err
			}
			done++
			continue
		}
		w.vlen = vlen
		if err := w.rc.Write(w.f); err != nil {
			return done, err
		}
		if w.errno != 0 {
			return done, os.NewSyscallError("sendmmsg", w.errno)
		}
		done += w.sent
	}
	return done, nil
}

// pack fills slot i with m's buffer and address.
func (w *mmsgWriter) pack(i int, m outMessage) error {
	w.iovs[i].Base = unsafe.SliceData(m.b)
	w.iovs[i].SetLen(len(m.b))
	h := &w.hdrs[i]
	h.hdr = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&w.names[i])), Iov: &w.iovs[i]}
	h.hdr.SetIovlen(1)
	h.n = 0
	port := func(p uint16) uint16 { // to network byte order, in memory
		var b [2]byte
		b[0], b[1] = byte(p>>8), byte(p)
		return *(*uint16)(unsafe.Pointer(&b))
	}
	a := m.to.Addr()
	switch {
	case !w.inet6 && a.Is4():
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&w.names[i]))
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: port(m.to.Port()), Addr: a.As4()}
		h.hdr.Namelen = unix.SizeofSockaddrInet4
	case w.inet6:
		w.names[i] = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: port(m.to.Port()), Addr: a.As16()}
		h.hdr.Namelen = unix.SizeofSockaddrInet6
	default:
		return fmt.Errorf("IPv6 destination %v on an IPv4 socket: %w", m.to, unix.EAFNOSUPPORT)
	}
	return nil
}

// send is the RawConn.Write callback; false asks the poller to wait until
// the socket is writable and call again.
func (w *mmsgWriter) send(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hdrs[0])), uintptr(w.vlen), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		w.sent, w.errno = int(n), errno
		return true
	}
}

// socketIsInet6 reports whether the socket is AF_INET6 (dual stack or
// IPv6 only), whose destinations are IPv6 addresses, IPv4 ones mapped.
func socketIsInet6(c *net.UDPConn, rc syscall.RawConn) bool {
	var domain int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		domain, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil || gerr != nil {
		return c.LocalAddr().(*net.UDPAddr).IP.To4() == nil
	}
	return domain == unix.AF_INET6
}
