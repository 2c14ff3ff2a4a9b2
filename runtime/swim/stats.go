package swim

// Stats are a core's counters since it was created.
type Stats struct {
	// PacketsIn and BytesIn count packets given to Step; PacketsOut and
	// BytesOut those handed out by Ready.
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	// Malformed counts packets dropped because they did not decode.
	Malformed uint64
	// Probes counts protocol periods that probed a member; FailedProbes
	// those that ended without an ack; IndirectProbes the ping-reqs sent.
	Probes, FailedProbes, IndirectProbes uint64
	// Suspicions counts members this view started suspecting.
	Suspicions uint64
	// BroadcastsDropped counts broadcasts received but not passed on: too
	// large for this member's packets, or its queue was full.
	BroadcastsDropped uint64
	// StateAnswersLimited counts sync requests not answered because the
	// same address had our state less than a protocol period before.
	StateAnswersLimited uint64
	// Refutations counts times this member refuted news about itself.
	Refutations uint64
	// Health is Lifeguard's local health score (0 is healthy).
	Health int
	// QueueDepth is the number of pieces of news and user broadcasts
	// waiting to be sent.
	QueueDepth int
}

// Stats returns the core's counters.
func (c *Core) Stats() Stats {
	s := c.stats
	s.Health = c.health
	s.QueueDepth = c.news.len() + c.user.len()
	return s
}
