package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// ErrNoSeeds is wrapped by the error of a lookup that succeeded but found no
// address: the name does not exist (NXDOMAIN) or has no usable records. It
// lets a caller tell "nobody there yet", which is normal while the first
// pods of a cluster start, from a DNS server that cannot be reached.
var ErrNoSeeds = errors.New("discovery: no seeds")

// ErrInvalidConfig is wrapped by the error about a malformed address, name or
// port. Unlike a lookup failure it cannot go away by asking again.
var ErrInvalidConfig = errors.New("discovery: invalid config")

// Discovery returns the addresses of members to join through.
type Discovery interface {
	// Seeds returns the addresses to contact now, deduplicated and in a
	// stable order; they may include the caller's own. It returns an error,
	// and no addresses, when its lookups found none; when only some names
	// failed it returns what the others gave and no error, as a partial
	// answer still lets the node join. It returns as soon as ctx is done,
	// with an error wrapping ctx.Err(), even if the resolver has not
	// noticed yet: the abandoned lookups end in the background when the
	// resolver gives up.
	Seeds(ctx context.Context) ([]netip.AddrPort, error)
}

// Resolver looks up names. *net.Resolver satisfies it; another implementation
// can route queries to a particular server or serve them from memory. It
// must be safe for concurrent use, as one Seeds call looks up several names
// at once.
type Resolver interface {
	// LookupNetIP is called with network "ip", for the A and AAAA records.
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	// LookupSRV is called with empty service and proto, so that name is
	// looked up as given.
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
}

// maxConcurrentLookups bounds the queries one Seeds call has in flight, so
// that a headless service with hundreds of pods does not send the cluster
// DNS hundreds of queries at once, while one slow target does not hold up
// all the others behind it.
const maxConcurrentLookups = 8

// lookupHosts resolves the A and AAAA records of each host, returning for
// hosts[i] its addresses (usable, unmapped, sorted, deduplicated) or its
// error. An error of its own is ctx's: it returns as soon as ctx is done
// rather than when the resolver notices, because *net.Resolver notices a
// cancellation only at its next timeout (its UDP read watches deadlines, not
// cancellation), seconds later. The lookups still running then end by
// themselves when the resolver gives up, and nothing waits for them.
func lookupHosts(ctx context.Context, r Resolver, hosts []string) ([][]netip.Addr, []error, error) {
	type result struct {
		i     int
		addrs []netip.Addr
		err   error
	}
	jobs := make(chan int, len(hosts))
	for i := range hosts {
		jobs <- i
	}
	close(jobs)
	// Room for every result, so that a worker never blocks on a caller
	// that has returned.
	results := make(chan result, len(hosts))
	for range min(len(hosts), maxConcurrentLookups) {
		go func() {
			for i := range jobs {
				if err := ctx.Err(); err != nil {
					results <- result{i: i, err: err}
					continue
				}
				addrs, err := r.LookupNetIP(ctx, "ip", hosts[i])
				results <- result{i: i, addrs: addrs, err: err}
			}
		}()
	}

	addrs := make([][]netip.Addr, len(hosts))
	errs := make([]error, len(hosts))
	for range hosts {
		select {
		case res := <-results:
			addrs[res.i], errs[res.i] = usable(hosts[res.i], res.addrs, res.err)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	return addrs, errs, nil
}

// usable keeps the addresses worth contacting. An IPv4-mapped address is
// unmapped, as *net.Resolver gives even A records in that form (Go issue
// 53554) and an AAAA record may hold one, so that one member has one
// spelling. An invalid or unspecified one is dropped, as sending to it
// reaches no member. A host
// left with none is reported as not found, like a name with no records.
func usable(host string, addrs []netip.Addr, err error) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if a.IsValid() && !a.IsUnspecified() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		if err == nil {
			err = &net.DNSError{Err: "no usable A or AAAA records", Name: host, IsNotFound: true}
		}
		return nil, err
	}
	slices.SortFunc(out, netip.Addr.Compare)
	// Addresses that came with an error are used all the same: a resolver
	// may report a failure of part of the lookup (say, AAAA) beside the
	// addresses of the rest.
	return slices.Compact(out), nil
}

// lookupSRV looks up the SRV records of name, returning when ctx is done for
// the same reason as lookupHosts.
func lookupSRV(ctx context.Context, r Resolver, name string) ([]*net.SRV, error) {
	type result struct {
		recs []*net.SRV
		err  error
	}
	// Buffered, so that the lookup can finish after the caller has gone.
	ch := make(chan result, 1)
	go func() {
		_, recs, err := r.LookupSRV(ctx, "", "", name)
		ch <- result{recs: recs, err: err}
	}()
	select {
	case res := <-ch:
		return res.recs, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookupError wraps err from looking up what, adding ErrNoSeeds when the
// resolver found that the name has nothing, so callers need not know
// *net.DNSError to tell that from a failure.
func lookupError(what string, err error) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("%w for %s: %w", ErrNoSeeds, what, err)
	}
	return fmt.Errorf("discovery: %s: %w", what, err)
}
