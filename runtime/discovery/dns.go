package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// DNSOption changes how DNS looks names up.
type DNSOption func(*dnsDiscovery)

// WithResolver makes DNS look names up with r instead of net.DefaultResolver,
// for instance a *net.Resolver with PreferGo and a Dial that reaches a
// particular server. A nil r keeps the default.
func WithResolver(r Resolver) DNSOption {
	return func(d *dnsDiscovery) {
		if r != nil {
			d.r = r
		}
	}
}

// DNS returns a Discovery that looks name up on every Seeds call, so that it
// follows the members as the platform adds and removes their records.
//
// A name starting with "_" is an SRV name, such as a Kubernetes headless
// service's "_swim._udp.chaos.default.svc.cluster.local": each record gives a
// target, whose A and AAAA addresses are used with the record's port, and
// port is ignored. Any other name is resolved to its A and AAAA addresses,
// each used with port, which must then be from 1 to 65535.
//
// Seeds answers sorted, so that answers with the same members are equal. A
// name that does not exist or has no addresses gives an error wrapping
// ErrNoSeeds; every error names the DNS name.
func DNS(name string, port int, opts ...DNSOption) Discovery {
	d := &dnsDiscovery{name: name, port: port, r: net.DefaultResolver}
	for _, o := range opts {
		o(d)
	}
	return d
}

type dnsDiscovery struct {
	name string
	port int
	r    Resolver
}

// String names the lookup, for logs and errors.
func (d *dnsDiscovery) String() string {
	if strings.HasPrefix(d.name, "_") {
		return fmt.Sprintf("DNS SRV %s", d.name)
	}
	return fmt.Sprintf("DNS %s port %d", d.name, d.port)
}

func (d *dnsDiscovery) Seeds(ctx context.Context) ([]netip.AddrPort, error) {
	srv := strings.HasPrefix(d.name, "_")
	switch {
	case d.name == "":
		return nil, fmt.Errorf("%w: empty DNS name", ErrInvalidConfig)
	case !srv && (d.port < 1 || d.port > 65535):
		return nil, fmt.Errorf("%w: DNS name %q: port %d is not from 1 to 65535", ErrInvalidConfig, d.name, d.port)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discovery: DNS name %q: %w", d.name, err)
	}
	if srv {
		return d.srvSeeds(ctx)
	}

	found, errs, err := lookupHosts(ctx, d.r, []string{d.name})
	if err != nil {
		return nil, fmt.Errorf("discovery: DNS name %q: %w", d.name, err)
	}
	if errs[0] != nil {
		return nil, lookupError(fmt.Sprintf("DNS name %q", d.name), errs[0])
	}
	out := make([]netip.AddrPort, 0, len(found[0]))
	for _, a := range found[0] {
		out = append(out, netip.AddrPortFrom(a, uint16(d.port)))
	}
	return out, nil
}

func (d *dnsDiscovery) srvSeeds(ctx context.Context) ([]netip.AddrPort, error) {
	what := fmt.Sprintf("DNS name %q", d.name)
	recs, err := lookupSRV(ctx, d.r, d.name)
	if len(recs) == 0 && ctx.Err() != nil {
		return nil, fmt.Errorf("discovery: %s: %w", what, ctx.Err())
	}
	// *net.Resolver drops records with malformed targets and reports them
	// as an error beside the rest; the rest are still members to contact.
	ports := make(map[string][]uint16)
	var targets []string
	for _, rec := range recs {
		// The target "." says the service is not there (RFC 2782), and
		// nothing can be sent to port 0.
		if rec == nil || rec.Port == 0 || rec.Target == "" || rec.Target == "." {
			continue
		}
		if _, ok := ports[rec.Target]; !ok {
			targets = append(targets, rec.Target)
		}
		ports[rec.Target] = append(ports[rec.Target], rec.Port)
	}
	if len(targets) == 0 {
		if err != nil {
			return nil, lookupError(what, err)
		}
		return nil, fmt.Errorf("%w for %s: no usable SRV records", ErrNoSeeds, what)
	}
	// Sorted, so that an error listing the failed targets reads the same
	// from one call to the next.
	slices.Sort(targets)

	found, errs, err := lookupHosts(ctx, d.r, targets)
	if err != nil {
		return nil, fmt.Errorf("discovery: %s: %w", what, err)
	}
	var out []netip.AddrPort
	var failed []error
	for i, t := range targets {
		if errs[i] != nil {
			failed = append(failed, lookupError(fmt.Sprintf("%s: SRV target %q", what, t), errs[i]))
			continue
		}
		for _, port := range ports[t] {
			for _, a := range found[i] {
				out = append(out, netip.AddrPortFrom(a, port))
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.Join(failed...)
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return slices.Compact(out), nil
}
