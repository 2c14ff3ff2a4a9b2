//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// Raw sockets: a packet socket that sees every IPv4 packet on the
// interface (the bridge floods every frame to every port, so it sees the
// members' unicast traffic too), and a raw IP socket that sends whole IPv4
// packets with any source address (IPPROTO_RAW implies IP_HDRINCL).

const packetOutgoing = 4 // PACKET_OUTGOING in linux/if_packet.h

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// capture reads IPv4 packets arriving on iface (not those this host
// sends) and hands each to got; it returns only on a read error.
func capture(iface string, got func(ip []byte)) error {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	// SOCK_DGRAM: the packet without its link-layer header.
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM, int(htons(syscall.ETH_P_IP)))
	if err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
		return fmt.Errorf("bind packet socket to %s: %w", iface, err)
	}
	buf := make([]byte, 1<<16)
	for {
		n, from, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return err
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == packetOutgoing {
			continue
		}
		got(buf[:n])
	}
}

// udpOf returns the source and destination of an IPv4 UDP packet and its
// payload.
func udpOf(ip []byte) (src, dst netip.AddrPort, payload []byte, ok bool) {
	if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != syscall.IPPROTO_UDP {
		return src, dst, nil, false
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < 20 || total > len(ip) || total < ihl+8 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return src, dst, nil, false // short, or a fragment
	}
	u := ip[ihl:total]
	src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(u[0:]))
	dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(u[2:]))
	return src, dst, u[8:], true
}

// rawSender sends whole IPv4 packets.
type rawSender struct{ fd int }

func newRawSender() (*rawSender, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	return &rawSender{fd: fd}, nil
}

// send sends the IPv4 packet ip to the destination written in it.
func (r *rawSender) send(ip []byte) error {
	return syscall.Sendto(r.fd, ip, 0, &syscall.SockaddrInet4{Addr: [4]byte(ip[16:20])})
}

// buildUDP writes an IPv4 UDP packet from src to dst carrying payload. The
// UDP checksum is left zero (none, which IPv4 allows).
func buildUDP(dst []byte, src, to netip.AddrPort, id uint16, payload []byte) []byte {
	total := 20 + 8 + len(payload)
	b := append(dst[:0], make([]byte, 28)...)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], id)
	b[8] = 64
	b[9] = syscall.IPPROTO_UDP
	s4, d4 := src.Addr().As4(), to.Addr().As4()
	copy(b[12:16], s4[:])
	copy(b[16:20], d4[:])
	binary.BigEndian.PutUint16(b[10:], ipChecksum(b[:20]))
	binary.BigEndian.PutUint16(b[20:], src.Port())
	binary.BigEndian.PutUint16(b[22:], to.Port())
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	return append(b, payload...)
}

// redirect rewrites a recorded IPv4 UDP packet, in place, to go to dst
// (keeping its source), with the UDP checksum cleared: a captured packet's
// checksum may be one the sender's NIC offload was to fill in.
func redirect(ip []byte, dst netip.Addr) {
	d4 := dst.As4()
	copy(ip[16:20], d4[:])
	ihl := int(ip[0]&0x0f) * 4
	binary.BigEndian.PutUint16(ip[ihl+6:], 0)
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip[:ihl]))
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
