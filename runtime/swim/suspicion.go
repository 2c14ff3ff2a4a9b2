package swim

import (
	"math"
	"time"
)

// suspicion is Lifeguard's dynamic suspicion timer for one member. It starts
// at max and shrinks towards min as independent members confirm the
// suspicion, so a member that many find unreachable is declared dead sooner,
// and one that a single slow prober accuses gets the most time to refute.
type suspicion struct {
	start      time.Time
	gen        uint64
	k          int // confirmations that bring the timeout down to min
	min, max   time.Duration
	confirmers []string // distinct accusers, the first included
}

// suspicionBounds returns Lifeguard's min and max timeouts and the number of
// confirmations expected, for the current cluster size.
func (c *Core) suspicionBounds() (lo, hi time.Duration, k int) {
	n := c.liveCount()
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	lo = time.Duration(float64(c.cfg.SuspicionMult) * scale * float64(c.cfg.ProbeInterval))
	hi = lo * time.Duration(c.cfg.SuspicionMaxTimeoutMult)
	k = c.cfg.SuspicionMult - 2
	if n-2 < k {
		k = 0
	}
	if k < 0 {
		k = 0
	}
	return lo, hi, k
}

// timeout is the suspicion's current length from its start.
func (s *suspicion) timeout() time.Duration {
	confirmations := len(s.confirmers) - 1
	if s.k < 1 {
		return s.min
	}
	frac := math.Log(float64(confirmations)+1) / math.Log(float64(s.k)+1)
	t := s.max - time.Duration(frac*float64(s.max-s.min))
	if t < s.min {
		t = s.min
	}
	return t
}

// confirm records an accuser; it reports whether the accuser was new and
// counted, which is when the news is worth passing on. An unknown accuser
// (""), as a suspicion learnt from another member's state has, is never
// an independent confirmation.
func (s *suspicion) confirm(from string) bool {
	if from == "" || len(s.confirmers) > s.k {
		return false
	}
	for _, f := range s.confirmers {
		if f == from {
			return false
		}
	}
	s.confirmers = append(s.confirmers, from)
	return true
}
