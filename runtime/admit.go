package runtime

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
)

// maxAdmitReasons bounds the distinct refusal reasons counted one by one;
// the rest are counted together under "other", so a peer cannot grow the
// table by making Admit return ever new texts.
const maxAdmitReasons = 32

// admitCounts counts refusals by reason. The core calls Admit on the
// node's loop; Stats reads the counts from any goroutine.
type admitCounts struct {
	mu      sync.Mutex
	reasons map[string]uint64
}

func (a *admitCounts) add(reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reasons == nil {
		a.reasons = make(map[string]uint64)
	}
	if _, ok := a.reasons[reason]; !ok && len(a.reasons) >= maxAdmitReasons {
		reason = "other"
	}
	a.reasons[reason]++
}

func (a *admitCounts) snapshot() map[string]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]uint64, len(a.reasons))
	for k, v := range a.reasons {
		out[k] = v
	}
	return out
}

// admission builds the core's admission rule from AllowedCIDRs and the
// application's Admit: an address outside every allowed prefix is refused
// before Admit is asked. It returns nil when there is no rule.
func admission(cfg Config, counts *admitCounts, log *slog.Logger) func(Member) error {
	user, cidrs := cfg.Admit, cfg.AllowedCIDRs
	if user == nil && len(cidrs) == 0 {
		return nil
	}
	return func(m Member) error {
		err := allowedAddr(m.Addr.Addr(), cidrs)
		if err == nil && user != nil {
			err = user(m)
		}
		if err != nil {
			counts.add(err.Error())
			log.Debug("memberlist: member refused", "member", m.Name, "addr", m.Addr, "err", err)
		}
		return err
	}
}

// allowedAddr reports whether ip falls in one of cidrs (any, when none).
func allowedAddr(ip netip.Addr, cidrs []netip.Prefix) error {
	if len(cidrs) == 0 {
		return nil
	}
	ip = ip.Unmap()
	for _, p := range cidrs {
		if p.Contains(ip) {
			return nil
		}
	}
	return fmt.Errorf("address %v is outside AllowedCIDRs", ip)
}
