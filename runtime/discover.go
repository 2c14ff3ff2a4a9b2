package runtime

import (
	"context"
	"net/netip"
	"time"
)

// discover asks Discovery for seeds at start and every DiscoveryInterval,
// and hands them to the core: the first answer starts the join, later ones
// replace the seeds, and the core contacts at once any that is not an alive
// member. Lookup failures are logged and retried with backoff, never fatal.
func (n *Node) discover(ctx context.Context) {
	defer n.wg.Done()
	self := map[netip.AddrPort]bool{n.tr.AdvertiseAddr(): true, n.tr.LocalAddr(): true}
	joined := false
	backoff := n.cfg.JoinRetryMin
	for {
		lookup, cancel := context.WithTimeout(ctx, 10*time.Second)
		seeds, err := n.cfg.Discovery.Seeds(lookup)
		cancel()
		wait := n.cfg.DiscoveryInterval
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			n.noteDiscovery(nil, err)
			n.log.Warn("memberlist: discovery failed; retrying", "err", err, "in", backoff)
			wait = min(backoff, wait)
			backoff = min(2*backoff, n.cfg.DiscoveryInterval)
		} else {
			backoff = n.cfg.JoinRetryMin
			var others []netip.AddrPort
			for _, s := range seeds {
				if !self[s] {
					others = append(others, s)
				}
			}
			first := !joined
			joined = true
			n.noteDiscovery(others, nil)
			_ = n.do(ctx, func(now time.Time) {
				n.join.seeds = others
				if first {
					_ = n.core.Join(now, others)
				} else {
					n.core.SetSeeds(now, others)
				}
			})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
