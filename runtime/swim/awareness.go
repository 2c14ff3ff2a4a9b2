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

// lateTimer takes a timer that ran late (isLate) as a sign of local
// overload: the process is short of CPU, and the acks this member awaits
// may sit unread in its socket, so it raises its health score (once a
// probe interval) rather than go on accusing others. Lifeguard's own
// signals (missed acks and nacks, refutations) come only after the false
// accusations have been made and spread; on a saturated machine those
// cost every member work, which made the overload worse. The health score
// then stretches this member's probe interval and timeout and thins its
// gossip until its probes succeed again.
func (c *Core) lateTimer(late time.Duration) {
	if !c.isLate(late) || c.now.Before(c.lateUntil) {
		return
	}
	c.lateUntil = c.now.Add(c.scaled(c.cfg.ProbeInterval))
	c.stats.LateTimers++
	c.adjustHealth(1)
}

// InputDelay tells the core that the packets it is about to be given
// waited d after they were read from the socket. Like a timer run late, it
// says that this process is short of CPU (see lateTimer and isLate).
// Packets wait for a busy loop far more often than its timers do.
func (c *Core) InputDelay(now time.Time, d time.Duration) {
	c.advance(now)
	if !c.isLate(d) {
		return
	}
	c.probeRanLate()
	c.lateTimer(d)
}

// probeRanLate marks the probe under way, if any, as run while this member
// was late: if it fails, it accuses nobody (see finishProbe).
func (c *Core) probeRanLate() {
	if c.probe != nil {
		c.probe.late = true
	}
}

// isLate says whether a timer run, or a packet handed over, this long
// after it was due is late: by more than a tenth of ProbeTimeout. Then a
// probe under way accuses nobody if it fails (finishProbe), and the health
// score goes up (lateTimer). With 1,024 members joining in one process,
// at a quarter enough probes still failed on the probers' own delays to
// saturate the process with suspicions and refutations, and the cluster
// never converged (three trials of three); at a tenth it converged in 21
// to 30 s with no false failure (seven of seven). With only the probe's
// verdict at a tenth and the health score at a quarter, the joins took 40
// to 47 s: the stretched periods are what relieves the process.
func (c *Core) isLate(d time.Duration) bool { return d > c.cfg.ProbeTimeout/10 }

// scaled stretches a probe duration by the health multiplier.
func (c *Core) scaled(d time.Duration) time.Duration {
	return d * time.Duration(c.health+1)
}
