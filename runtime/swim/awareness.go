package swim

import "time"

// Lifeguard's local health multiplier: a member that misses acks or nacks,
// or has to refute suspicions about itself, is likely the slow one, so it
// stretches its own probe interval and timeout instead of accusing others.

// adjustHealth moves the health score by delta within 0..max-1.
func (c *Core) adjustHealth(delta int) {
	h := c.health + delta
	if h < 0 {
		h = 0
	}
	if hi := c.cfg.AwarenessMaxMultiplier - 1; h > hi {
		h = hi
	}
	c.health = h
}

// lateTimer takes a timer that ran late by more than a quarter of the probe
// timeout as a sign of local overload: the process is short of CPU, and
// the acks this member awaits may sit unread in its socket, so it raises
// its health score (once a probe interval) rather than go on accusing
// others. Lifeguard's own signals (missed acks and nacks, refutations)
// come only after the false accusations have been made and spread; on a
// saturated machine those cost every member work, which made the overload
// worse. The health score then stretches this member's probe interval and
// timeout and thins its gossip until its probes succeed again.
func (c *Core) lateTimer(late time.Duration) {
	if !c.isLate(late) || c.now.Before(c.lateUntil) {
		return
	}
	c.lateUntil = c.now.Add(c.scaled(c.cfg.ProbeInterval))
	c.stats.LateTimers++
	c.adjustHealth(1)
}

// isLate says whether a timer run this much after it was due is late: by
// more than a quarter of ProbeTimeout.
func (c *Core) isLate(d time.Duration) bool { return d > c.cfg.ProbeTimeout/4 }

// scaled stretches a probe duration by the health multiplier.
func (c *Core) scaled(d time.Duration) time.Duration {
	return d * time.Duration(c.health+1)
}
