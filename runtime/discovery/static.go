package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// acceptedForm ends every error about a malformed entry, so that the reader
// of a log line learns what to write instead.
const acceptedForm = "want host:port with port 1-65535, such as 10.0.0.1:7946, [fd00::1]:7946 or seed.example:7946"

// Static returns a Discovery of a fixed list of addresses, each host:port:
// "10.0.0.1:7946", "[fd00::1]:7946" or "seed.example:7946". A hostname is
// resolved (A and AAAA) on each Seeds call, not once here, so that a name
// moved to a new address is followed.
//
// A malformed entry makes every Seeds call return an error naming it and
// wrapping ErrInvalidConfig; ParseStatic reports it at once instead. Seeds
// answers in the order of the entries, each hostname's addresses sorted, and
// keeps only the first of duplicates. An empty list gives no addresses and
// no error: a node started alone is a cluster of one.
func Static(addrs ...string) Discovery {
	return newStatic(net.DefaultResolver, addrs)
}

// ParseStatic is Static, but it returns the malformed entries as an error
// (wrapping ErrInvalidConfig) instead of a Discovery that fails on every
// call, for callers that would rather refuse a bad configuration at start.
func ParseStatic(addrs ...string) (Discovery, error) {
	s := newStatic(net.DefaultResolver, addrs)
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

type static struct {
	r       Resolver
	entries []entry
	// hosts are the distinct hostnames of entries, in order, looked up
	// once each however many entries name them.
	hosts []string
	err   error // the malformed entries, returned by every Seeds call
}

// entry is one parsed host:port: addr when the host is an IP address,
// otherwise host and port to resolve.
type entry struct {
	raw  string
	addr netip.AddrPort
	host string
	port uint16
}

func newStatic(r Resolver, addrs []string) *static {
	s := &static{r: r}
	var bad []*badEntry
	seen := make(map[string]bool)
	for _, raw := range addrs {
		e, err := parseEntry(raw)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		s.entries = append(s.entries, e)
		if e.host != "" && !seen[e.host] {
			seen[e.host] = true
			s.hosts = append(s.hosts, e.host)
		}
	}
	switch {
	case len(bad) == 1:
		s.err = bad[0]
	case len(bad) > 1:
		// Every bad entry, named, with the accepted form said once.
		var b strings.Builder
		errs := []error{ErrInvalidConfig}
		for i, e := range bad {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "seed %q: %v", e.raw, e.why)
			errs = append(errs, e.why)
		}
		s.err = &multiError{msg: fmt.Sprintf("%v: %s; %s", ErrInvalidConfig, b.String(), acceptedForm), errs: errs}
	}
	return s
}

// badEntry is a malformed entry and why; it wraps ErrInvalidConfig.
type badEntry struct {
	raw string
	why error
}

func (e *badEntry) Error() string {
	return fmt.Sprintf("%v: seed %q: %v; %s", ErrInvalidConfig, e.raw, e.why, acceptedForm)
}

func (e *badEntry) Unwrap() []error { return []error{ErrInvalidConfig, e.why} }

// multiError is several bad entries in one message.
type multiError struct {
	msg  string
	errs []error
}

func (e *multiError) Error() string   { return e.msg }
func (e *multiError) Unwrap() []error { return e.errs }

func parseEntry(raw string) (entry, *badEntry) {
	bad := func(err error) *badEntry { return &badEntry{raw: raw, why: err} }
	host, portStr, err := net.SplitHostPort(raw)
	if err != nil {
		// net.AddrError repeats the entry, which the message names already.
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		return entry{}, bad(err)
	}
	if host == "" {
		return entry{}, bad(errors.New("missing host"))
	}
	// Base 10 and 16 bits: a service name ("memberlist") or a port that
	// wraps around would otherwise be a silent surprise.
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return entry{}, bad(fmt.Errorf("port %q is not a number from 1 to 65535", portStr))
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return entry{raw: raw, host: host, port: uint16(port)}, nil
	}
	if ip.IsUnspecified() {
		// Sending to 0.0.0.0 or :: reaches this host, if anything: almost
		// certainly a listen address pasted where a seed was meant.
		return entry{}, bad(fmt.Errorf("%s is not an address to contact", ip))
	}
	return entry{raw: raw, addr: netip.AddrPortFrom(ip.Unmap(), uint16(port))}, nil
}

// String lists the entries as given, for logs and errors.
func (s *static) String() string {
	raws := make([]string, len(s.entries))
	for i, e := range s.entries {
		raws[i] = e.raw
	}
	return "static seeds " + strings.Join(raws, ", ")
}

// Seeds returns the entries' addresses, with hostnames resolved. It fails
// only when there are entries and none gave an address, like Join in
// hashicorp/memberlist, so that one stale hostname does not keep the node
// from joining through the others.
func (s *static) Seeds(ctx context.Context) ([]netip.AddrPort, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discovery: static seeds: %w", err)
	}
	var found [][]netip.Addr
	var errs []error
	if len(s.hosts) > 0 {
		var err error
		found, errs, err = lookupHosts(ctx, s.r, s.hosts)
		if err != nil {
			return nil, fmt.Errorf("discovery: static seeds %q: %w", s.hosts, err)
		}
	}
	byHost := make(map[string]int, len(s.hosts))
	for i, h := range s.hosts {
		byHost[h] = i
	}

	out := make([]netip.AddrPort, 0, len(s.entries))
	seen := make(map[netip.AddrPort]bool, len(s.entries))
	add := func(ap netip.AddrPort) {
		if !seen[ap] {
			seen[ap] = true
			out = append(out, ap)
		}
	}
	var failed []error
	for _, e := range s.entries {
		if e.addr.IsValid() {
			add(e.addr)
			continue
		}
		i := byHost[e.host]
		if errs[i] != nil {
			failed = append(failed, lookupError(fmt.Sprintf("seed %q", e.raw), errs[i]))
			continue
		}
		for _, a := range found[i] {
			add(netip.AddrPortFrom(a, e.port))
		}
	}
	if len(out) == 0 && len(failed) > 0 {
		return nil, errors.Join(failed...)
	}
	return out, nil
}
