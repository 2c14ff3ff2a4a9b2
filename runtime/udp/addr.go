package udp

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// The accepted forms, quoted in errors so that a bad setting says how to fix
// it.
const (
	bindForm      = `host:port with an IP literal host or none, e.g. "0.0.0.0:7946", "[::]:7946", ":7946" (all interfaces, dual stack), "10.0.0.5:0" (port 0 picks a free port)`
	advertiseForm = `host or host:port with a unicast IP literal host, e.g. "10.0.0.5", "10.0.0.5:7946", "[fd00::5]", "[fd00::5]:7946" (no port or port 0 means the bound port)`
)

// bindSpec is Config.Bind taken apart.
type bindSpec struct {
	// any is set for an empty host: all interfaces of both families, where
	// the system allows it.
	any  bool
	addr netip.Addr
	port uint16
}

// network is the network name for net.ListenConfig. An empty host asks for
// "udp", which Go binds as a dual-stack [::] socket (falling back to 0.0.0.0
// where the system has no IPv6); an explicit "::" gets an IPv6-only socket,
// as someone who wrote an IPv6 address presumably meant.
func (b bindSpec) network() string {
	switch {
	case b.any:
		return "udp"
	case b.addr.Is4():
		return "udp4"
	default:
		return "udp6"
	}
}

func (b bindSpec) String() string {
	if b.any {
		return ":" + strconv.Itoa(int(b.port))
	}
	return netip.AddrPortFrom(b.addr, b.port).String()
}

func parseBind(s string) (bindSpec, error) {
	bad := func(why string, err error) (bindSpec, error) {
		if err != nil {
			return bindSpec{}, fmt.Errorf("%w: Bind %q: %s; want %s: %w", ErrInvalidConfig, s, why, bindForm, err)
		}
		return bindSpec{}, fmt.Errorf("%w: Bind %q: %s; want %s", ErrInvalidConfig, s, why, bindForm)
	}
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return bad("not host:port", err)
	}
	port, err := parsePort(portStr)
	if err != nil {
		return bad("bad port", err)
	}
	if host == "" {
		return bindSpec{any: true, port: port}, nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return bad("host is not an IP literal", err)
	}
	if addr.IsMulticast() {
		return bad("host is a multicast address", nil)
	}
	// An IPv4-mapped literal names an IPv4 address; binding it as IPv6 would
	// give a socket that only IPv4 peers can reach, through the mapping.
	return bindSpec{addr: addr.Unmap(), port: port}, nil
}

// parseAdvertise takes Config.Advertise apart; port 0 means "the bound port".
func parseAdvertise(s string) (netip.Addr, uint16, error) {
	bad := func(why string, err error) (netip.Addr, uint16, error) {
		if err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%w: Advertise %q: %s; want %s: %w", ErrInvalidConfig, s, why, advertiseForm, err)
		}
		return netip.Addr{}, 0, fmt.Errorf("%w: Advertise %q: %s; want %s", ErrInvalidConfig, s, why, advertiseForm)
	}
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare IPv4 literal or a bracketed IPv6 one. A bare IPv6
		// literal is refused because "fd00::1:7946" would silently be an
		// address without a port rather than a port.
		host, portStr = s, ""
		bracketed := strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]")
		if bracketed {
			host = host[1 : len(host)-1]
		}
		a, perr := netip.ParseAddr(host)
		switch {
		case perr != nil:
			return bad("neither host:port nor an IP literal", err)
		case a.Is6() && !bracketed:
			return bad("an IPv6 host needs brackets", nil)
		}
	}
	var port uint16
	if portStr != "" {
		if port, err = parsePort(portStr); err != nil {
			return bad("bad port", err)
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return bad("host is not an IP literal", err)
	}
	addr = addr.Unmap()
	switch {
	case addr.IsUnspecified():
		return bad("host is unspecified; other nodes cannot send to it", nil)
	case addr.IsMulticast():
		return bad("host is a multicast address", nil)
	case addr.Zone() != "":
		// The zone names an interface of this host; the wire format drops
		// it and it would mean nothing to the receiver anyway.
		return bad("host has a zone, which only means something on this host", nil)
	}
	return addr, port, nil
}

func parsePort(s string) (uint16, error) {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: want 0 to 65535", s)
	}
	return uint16(p), nil
}

// iface is what advertise selection needs from one network interface. Listen
// fills it from net.Interfaces; the choice itself is a pure function so it
// can be tested on made-up machines.
type iface struct {
	name  string
	flags net.Flags
	addrs []netip.Addr
}

// systemInterfaces lists the host's interfaces with their addresses. An
// interface whose addresses cannot be read is left out rather than failing
// Listen: advertise selection falls back to loopback, loudly.
func systemInterfaces() ([]iface, error) {
	nifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]iface, 0, len(nifs))
	for _, ni := range nifs {
		addrs, err := ni.Addrs()
		if err != nil {
			continue
		}
		f := iface{name: ni.Name, flags: ni.Flags}
		for _, a := range addrs {
			var ip net.IP
			switch a := a.(type) {
			case *net.IPNet:
				ip = a.IP
			case *net.IPAddr:
				ip = a.IP
			}
			if addr, ok := netip.AddrFromSlice(ip); ok {
				f.addrs = append(f.addrs, addr.Unmap())
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// chooseAdvertise picks the address to advertise for a socket bound to an
// unspecified address: bound is 0.0.0.0 or ::, dual says the :: socket also
// takes IPv4. Private addresses come first because a cluster usually lives
// on one private network and its members' public addresses, where they have
// them, are often filtered. ok is false when nothing but loopback was found;
// addr is then the loopback address of the preferred family and from is
// empty.
func chooseAdvertise(bound netip.Addr, dual bool, ifs []iface) (addr netip.Addr, from string, ok bool) {
	v4 := []func(netip.Addr) bool{private4, global4}
	v6 := []func(netip.Addr) bool{ula6, global6}
	var order []func(netip.Addr) bool
	fallback := netip.IPv6Loopback()
	switch {
	case bound.Is4():
		order, fallback = v4, netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case dual:
		order, fallback = append(v6, v4...), netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		order = v6
	}
	for _, match := range order {
		for _, f := range ifs {
			if f.flags&net.FlagUp == 0 || f.flags&net.FlagLoopback != 0 {
				continue
			}
			for _, a := range f.addrs {
				if match(a) {
					return a, f.name, true
				}
			}
		}
	}
	return fallback, "", false
}

// private4 reports RFC 1918 and RFC 6598 (carrier-grade NAT, 100.64.0.0/10)
// addresses; the latter is where some clouds and overlay networks put their
// hosts.
func private4(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return a.IsPrivate() || (b[0] == 100 && b[1]&0xc0 == 64)
}

func global4(a netip.Addr) bool { return a.Is4() && a.IsGlobalUnicast() }

// ula6 reports RFC 4193 unique local addresses, IPv6's private range.
func ula6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() && a.IsPrivate() }

// global6 excludes link-local addresses (IsGlobalUnicast does), which other
// nodes could only use with a zone of their own.
func global6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() && a.IsGlobalUnicast() }
