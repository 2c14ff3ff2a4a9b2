package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/swim"
)

var (
	// ErrNotJoined: the node holds no other alive member yet. Join and a
	// Start with JoinTimeout return it, wrapped, when no address answered;
	// Ready returns it until the node has joined.
	ErrNotJoined = errors.New("memberlist: not joined")
	// ErrLeft: the node has left the cluster (see Leave).
	ErrLeft = swim.ErrLeft
)

// joinState is what Join, Joined and Start's wait share with the loop.
type joinState struct {
	// joined is closed once the node holds another alive member; done
	// records that on the loop, which alone closes it.
	joined chan struct{}
	done   bool

	// seeds are the addresses discovery last handed the core; the loop
	// owns them.
	seeds []netip.AddrPort

	// active counts the Join calls waiting for answers, so that the loop
	// looks at packets and waiters only while there are some.
	active atomic.Int32
	// from are the sources of the packets the core accepted since the
	// loop last credited waiters; the loop owns it.
	from    []netip.AddrPort
	mu      sync.Mutex
	waiters map[*joinWaiter]struct{}

	// What discovery last said, for the error of a Start that timed out.
	discMu    sync.Mutex
	discSeeds []netip.AddrPort
	discErr   error
	discAsked bool
}

func newJoinState() joinState {
	return joinState{joined: make(chan struct{}), waiters: make(map[*joinWaiter]struct{})}
}

// joinWaiter is one Join call's set of addresses not heard from yet.
type joinWaiter struct {
	pending map[netip.AddrPort]bool // guarded by joinState.mu
	// answered receives each address once, the first time it is heard
	// from; it has room for all of them, so the loop never blocks on it.
	answered chan netip.AddrPort
}

// Joined returns a channel that is closed once this node holds at least one
// other alive member, whichever way it got there: discovery at Start, Join,
// or another member joining through it. It stays closed, also after the
// others have gone or Leave: it says that the node has been in a cluster,
// not that it still is (Ready says that).
func (n *Node) Joined() <-chan struct{} { return n.join.joined }

// Ready reports whether this node is in a cluster: nil once it has joined
// (Joined is closed) and until it leaves; ErrNotJoined before, ErrLeft after
// Leave, ErrClosed after Close. It never waits for the protocol loop, so a
// readiness probe built on it answers even when the loop is stuck (Healthy
// tells that).
func (n *Node) Ready() error {
	select {
	case <-n.quit:
		return ErrClosed
	default:
	}
	if n.leaving.Load() {
		return ErrLeft
	}
	select {
	case <-n.join.joined:
		return nil
	default:
		return ErrNotJoined
	}
}

// Healthy reports whether the node's protocol loop answers before ctx
// ends: nil if it does, an error wrapping ctx's error if it is stuck (a
// liveness probe should then restart the process), ErrClosed after Close.
func (n *Node) Healthy(ctx context.Context) error {
	if err := n.do(ctx, func(time.Time) {}); err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		return fmt.Errorf("memberlist: protocol loop did not answer: %w", err)
	}
	return nil
}

// Join contacts the members at addrs and returns how many of them
// answered. Each address is "host:port", the host an IP address or a DNS
// name whose every A and AAAA address is contacted; or a bare DNS name:
// SRV if it starts with "_" (each record gives a target and port, as for a
// Kubernetes headless service), else its A and AAAA addresses on this
// node's own port. The count is of addresses after resolving, this node's
// own excluded.
//
// An address answered when a packet from it passed the transport's checks
// (label, key) and the protocol's, or when an alive member is known there.
// Join contacts the addresses at once, again with backoff (JoinRetryMin up
// to JoinRetryMax) while none has answered, and returns when all have
// answered, when ctx ends, or JoinRetryMin after the first answer: by
// then the node has joined, and the others it will hear of through
// gossip. If none answered by ctx's end, it returns 0 and an error
// wrapping ErrNotJoined and ctx's error, naming the addresses and any
// lookup that failed.
//
// The addresses are not kept as seeds: Config.Discovery is what the node
// asks again to heal partitions.
func (n *Node) Join(ctx context.Context, addrs ...string) (int, error) {
	if err := n.Ready(); errors.Is(err, ErrLeft) || errors.Is(err, ErrClosed) {
		return 0, fmt.Errorf("%w; join not attempted", err)
	}
	targets, lookupErr := n.resolve(ctx, addrs)
	if len(targets) == 0 {
		if lookupErr == nil {
			lookupErr = errors.New("no address other than this node's own")
		}
		return 0, fmt.Errorf("%w: join %s: %w", ErrNotJoined, strings.Join(addrs, ", "), lookupErr)
	}
	w, done := n.addWaiter(targets)
	defer done()
	return n.waitJoin(ctx, w, targets, lookupErr)
}

// addWaiter registers a Join call waiting on targets; done unregisters it.
func (n *Node) addWaiter(targets []netip.AddrPort) (w *joinWaiter, done func()) {
	w = &joinWaiter{pending: make(map[netip.AddrPort]bool, len(targets)), answered: make(chan netip.AddrPort, len(targets))}
	for _, a := range targets {
		w.pending[a] = true
	}
	n.join.mu.Lock()
	n.join.waiters[w] = struct{}{}
	n.join.mu.Unlock()
	n.join.active.Add(1)
	return w, func() {
		n.join.mu.Lock()
		delete(n.join.waiters, w)
		n.join.mu.Unlock()
		n.join.active.Add(-1)
	}
}

// contactPending contacts the targets of w that have not answered yet.
func (n *Node) contactPending(ctx context.Context, w *joinWaiter, targets []netip.AddrPort) error {
	return n.do(ctx, func(now time.Time) {
		// An address that is already an alive member has answered.
		for _, m := range n.core.Members() {
			if m.State == StateAlive {
				n.credit(m.Addr)
			}
		}
		n.join.mu.Lock()
		var todo []netip.AddrPort
		for _, a := range targets {
			if w.pending[a] {
				todo = append(todo, a)
			}
		}
		n.join.mu.Unlock()
		n.contact(now, todo)
	})
}

// waitJoin contacts the targets with backoff until all have answered, a
// grace of JoinRetryMin after the first answer, or ctx's end.
func (n *Node) waitJoin(ctx context.Context, w *joinWaiter, targets []netip.AddrPort, lookupErr error) (int, error) {
	answered, start := 0, time.Now()
	grace := time.NewTimer(time.Hour)
	grace.Stop()
	defer grace.Stop()
	backoff := n.cfg.JoinRetryMin
	retry := time.NewTimer(0)
	defer retry.Stop()
	for answered < len(targets) {
		select {
		case <-w.answered:
			if answered++; answered == 1 {
				n.meters.observe(timingJoin, time.Since(start))
				grace.Reset(n.cfg.JoinRetryMin)
			}
		case <-retry.C:
			if err := n.contactPending(ctx, w, targets); err != nil {
				if errors.Is(err, ErrClosed) {
					return answered, fmt.Errorf("%w during join", err)
				}
				continue // ctx ended: the next round returns
			}
			retry.Reset(backoff/2 + rand.N(backoff/2))
			backoff = min(2*backoff, n.cfg.JoinRetryMax)
		case <-grace.C:
			return answered, nil
		case <-n.quit:
			return answered, fmt.Errorf("%w during join", ErrClosed)
		case <-ctx.Done():
			if answered > 0 {
				return answered, nil
			}
			if lookupErr != nil {
				return 0, fmt.Errorf("%w: none of %s answered (other lookups failed: %w): %w", ErrNotJoined, joinList(targets), lookupErr, ctx.Err())
			}
			return 0, fmt.Errorf("%w: none of %s answered: %w", ErrNotJoined, joinList(targets), ctx.Err())
		}
	}
	return answered, nil
}

// resolve turns Join's arguments into the distinct addresses to contact,
// this node's own left out. Its error joins the lookups that failed.
func (n *Node) resolve(ctx context.Context, addrs []string) ([]netip.AddrPort, error) {
	self := map[netip.AddrPort]bool{n.tr.AdvertiseAddr(): true, n.tr.LocalAddr(): true}
	var out []netip.AddrPort
	var errs []error
	for _, a := range addrs {
		var d discovery.Discovery
		if _, _, err := net.SplitHostPort(a); err == nil {
			if d, err = discovery.ParseStatic(a); err != nil {
				errs = append(errs, err)
				continue
			}
		} else {
			d = discovery.DNS(a, int(n.tr.AdvertiseAddr().Port()))
		}
		found, err := d.Seeds(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, ap := range found {
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			if !self[ap] && !slices.Contains(out, ap) {
				out = append(out, ap)
			}
		}
	}
	return out, errors.Join(errs...)
}

// contact sends a sync request to each of addrs that is not the address of
// an alive member; it runs on the loop. The core has no call for one
// request to one address, but SetSeeds sends one to every seed it did not
// hold before: so the addresses are taken out of the seeds, put back, and
// the seeds restored to discovery's, which leaves the core's seeds as they
// were. (A Core.Contact(now, addr) in the core would say this directly.)
func (n *Node) contact(now time.Time, addrs []netip.AddrPort) {
	if len(addrs) == 0 {
		return
	}
	base := slices.DeleteFunc(slices.Clone(n.join.seeds), func(s netip.AddrPort) bool { return slices.Contains(addrs, s) })
	n.core.SetSeeds(now, base)
	n.core.SetSeeds(now, append(base, addrs...))
	n.core.SetSeeds(now, n.join.seeds)
}

// heard notes the source of a packet the core accepted; the loop calls it
// for each. The waiters are credited after the loop's turn, in noteJoins,
// once a member is alive at that address, so that Joined is closed before
// a Join that the packet completes returns.
func (n *Node) heard(from netip.AddrPort) {
	if n.join.active.Load() > 0 && len(n.join.from) < 1024 {
		n.join.from = append(n.join.from, from)
	}
}

// credit marks from as answered for every Join waiting on it.
func (n *Node) credit(from netip.AddrPort) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	n.join.mu.Lock()
	defer n.join.mu.Unlock()
	for w := range n.join.waiters {
		if w.pending[from] {
			delete(w.pending, from)
			w.answered <- from
		}
	}
}

// noteJoins runs on the loop after each input: it credits Join calls with
// members that became alive, and closes Joined once another member is
// alive.
func (n *Node) noteJoins(events []Event) {
	if !n.join.done && !n.leaving.Load() {
		// Until Leave, this node counts itself alive.
		if alive, _, _, _ := n.core.NumMembers(); alive >= 2 {
			n.join.done = true
			close(n.join.joined)
		}
	}
	if n.join.active.Load() == 0 {
		n.join.from = n.join.from[:0]
		return
	}
	if len(n.join.from) > 0 {
		// A packet from an address is an answer once a member is alive
		// there: a seed's first reply may be a cookie, not its state.
		alive := make(map[netip.AddrPort]bool)
		for _, m := range n.core.Members() {
			if m.State == StateAlive {
				alive[m.Addr] = true
			}
		}
		for _, from := range n.join.from {
			if alive[netip.AddrPortFrom(from.Addr().Unmap(), from.Port())] {
				n.credit(from)
			}
		}
	}
	n.join.from = n.join.from[:0]
	for _, ev := range events {
		if ev.Member.State == StateAlive {
			n.credit(ev.Member.Addr)
		}
	}
}

// noteDiscovery records what discovery answered, for the error of a Start
// that waited in vain.
func (n *Node) noteDiscovery(seeds []netip.AddrPort, err error) {
	n.join.discMu.Lock()
	defer n.join.discMu.Unlock()
	n.join.discAsked = true
	if err != nil {
		n.join.discErr = err
		return
	}
	n.join.discSeeds, n.join.discErr = seeds, nil
}

// awaitJoin is Start's wait for a first join when Config.JoinTimeout is
// set. Its error names what discovery found, or why it found nothing.
func (n *Node) awaitJoin(ctx context.Context) error {
	t := time.NewTimer(n.cfg.JoinTimeout)
	defer t.Stop()
	var why error
	select {
	case <-n.join.joined:
		return nil
	case <-t.C:
		why = fmt.Errorf("no seed answered within JoinTimeout %v", n.cfg.JoinTimeout)
	case <-ctx.Done():
		why = fmt.Errorf("no seed answered before the start was cancelled: %w", ctx.Err())
	}
	n.join.discMu.Lock()
	seeds, discErr, asked := n.join.discSeeds, n.join.discErr, n.join.discAsked
	n.join.discMu.Unlock()
	var what []string
	if s, ok := n.cfg.Discovery.(fmt.Stringer); ok {
		what = append(what, "discovery: "+s.String())
	}
	switch {
	case len(seeds) > 0:
		what = append(what, "seeds tried: "+joinList(seeds))
	case !asked:
		what = append(what, "discovery has not answered yet")
	case discErr == nil:
		what = append(what, "discovery found no seed but this node")
	}
	if discErr != nil {
		what = append(what, "last lookup failed: "+discErr.Error())
	}
	return fmt.Errorf("%w: start %s: %w (%s)", ErrNotJoined, n.cfg.Name, why, strings.Join(what, "; "))
}

// joinList writes addresses for an error, at most 16 of them.
func joinList(addrs []netip.AddrPort) string {
	const most = 16
	var b strings.Builder
	for i, a := range addrs {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(addrs)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}
