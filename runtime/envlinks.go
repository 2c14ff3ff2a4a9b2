package runtime

import (
	"net/netip"
	"strconv"
	"strings"
)

// serviceLink reports whether name=value is one of the variables the
// Kubernetes kubelet writes into every container for each Service of its
// namespace (unless the pod sets enableServiceLinks: false), for a Service
// whose name makes them start with MEMBERLIST_: "memberlist" itself, or
// "memberlist-gossip" and the like. For a Service <svc> with cluster IP
// <ip> and ports <port>/<proto> named <pname>, they are, upper-cased with
// '-' turned to '_':
//
//	<SVC>_SERVICE_HOST=<ip>
//	<SVC>_SERVICE_PORT=<first port>
//	<SVC>_SERVICE_PORT_<PNAME>=<port>
//	<SVC>_PORT=<proto>://<ip>:<first port>
//	<SVC>_PORT_<port>_<PROTO>=<proto>://<ip>:<port>
//	<SVC>_PORT_<port>_<PROTO>_PROTO=<proto>
//	<SVC>_PORT_<port>_<PROTO>_PORT=<port>
//	<SVC>_PORT_<port>_<PROTO>_ADDR=<ip>
//
// Both the name and the value must have that form, so that a typo such as
// MEMBERLIST_BIND_PORT=7946 (which no link has: the value of a link's _PORT
// is a URL) is still refused as unknown, and a real variable written by an
// operator is never taken for a link. The one real variable a link can
// shadow, MEMBERLIST_DNS_PORT (from a Service "memberlist-dns"), is taken
// for a link only with a link's URL for a value, which no operator writes.
func serviceLink(name, value string) bool {
	t := strings.Split(name, "_")
	if len(t) < 2 || t[0] != "MEMBERLIST" {
		return false
	}
	for _, c := range []byte(name) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	last := len(t) - 1
	// The Service's part is t[:i] for some i >= 1; any split that fits the
	// name and the value will do.
	for i := 1; i <= last; i++ {
		rest := t[i:]
		switch {
		case len(rest) == 2 && rest[0] == "SERVICE" && rest[1] == "HOST":
			if isLinkIP(value) {
				return true
			}
		case len(rest) >= 2 && rest[0] == "SERVICE" && rest[1] == "PORT":
			// _SERVICE_PORT or _SERVICE_PORT_<PNAME>.
			if isLinkPort(value) {
				return true
			}
		case len(rest) == 1 && rest[0] == "PORT":
			if _, _, ok := parseLinkURL(value); ok {
				return true
			}
		case len(rest) >= 3 && rest[0] == "PORT" && isLinkPort(rest[1]) && isLinkProto(rest[2]):
			port, proto := rest[1], strings.ToLower(rest[2])
			switch {
			case len(rest) == 3:
				if p, pr, ok := parseLinkURL(value); ok && p == port && pr == proto {
					return true
				}
			case len(rest) == 4 && rest[3] == "PROTO":
				if value == proto {
					return true
				}
			case len(rest) == 4 && rest[3] == "PORT":
				if value == port {
					return true
				}
			case len(rest) == 4 && rest[3] == "ADDR":
				if isLinkIP(value) {
					return true
				}
			}
		}
	}
	return false
}

func isLinkIP(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && !a.IsUnspecified() && a.Zone() == ""
}

// isLinkPort accepts a port number as the kubelet writes it: decimal, no
// sign or leading zero, 1 to 65535.
func isLinkPort(v string) bool {
	n, err := strconv.ParseUint(v, 10, 16)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == v
}

func isLinkProto(p string) bool { return p == "TCP" || p == "UDP" || p == "SCTP" }

// parseLinkURL parses "<proto>://<ip>:<port>", returning the port as
// written and the protocol. An IPv6 cluster IP comes bracketed from recent
// kubelets and bare from old ones ("tcp://fd00::1:443").
func parseLinkURL(v string) (port, proto string, ok bool) {
	proto, hostPort, found := strings.Cut(v, "://")
	if !found || !isLinkProto(strings.ToUpper(proto)) || proto != strings.ToLower(proto) {
		return "", "", false
	}
	i := strings.LastIndexByte(hostPort, ':')
	if i < 0 {
		return "", "", false
	}
	host, port := hostPort[:i], hostPort[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", "", false
		}
	}
	if !isLinkIP(host) || !isLinkPort(port) {
		return "", "", false
	}
	return port, proto, true
}
