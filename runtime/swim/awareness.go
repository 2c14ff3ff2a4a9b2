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

// scaled stretches a probe duration by the health multiplier.
func (c *Core) scaled(d time.Duration) time.Duration {
	return d * time.Duration(c.health+1)
}
