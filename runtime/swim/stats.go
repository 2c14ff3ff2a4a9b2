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
	// PairedProbes counts probes that sent nothing at their period's
	// start: the member probed was this period's partner in the probe
	// schedule, had pinged us first, and had answered the ping we put in
	// our ack.
	PairedProbes uint64
	// StreamProbes counts TCP fallback probes asked for (probes whose
	// direct ping went unanswered); StreamProbeAcks those that answered
	// before any ack over UDP, direct or relayed, so that the target was
	// kept alive by the stream alone: a rising count means UDP to some
	// member is lost while TCP works (a firewall, a filtered port).
	// StreamProbesFailed counts those that did not answer.
	StreamProbes, StreamProbeAcks, StreamProbesFailed uint64
	// Suspicions counts members this view started suspecting.
	Suspicions uint64
	// BroadcastsDropped counts broadcasts received but not passed on: too
	// large for this member's packets, or its queue was full.
	BroadcastsDropped uint64
	// BroadcastsReplaced counts keyed broadcasts that replaced a queued
	// one of their origin and key, and those received but not passed on
	// because a later one of their key was queued (see BroadcastKeyed).
	BroadcastsReplaced uint64
	// BroadcastsStale counts keyed broadcasts received but neither
	// delivered nor passed on because the one of their origin and key held
	// in the keyed store was as late or later: mostly further copies of
	// one already delivered.
	BroadcastsStale uint64
	// KeyedPushed counts packets of keyed broadcasts pushed to repair a
	// member whose store of them differed; KeyedSumsRefused counts
	// KeyedSums messages ignored because we had sent their sender no
	// digest or sums to answer (forged, replayed, or late).
	KeyedPushed, KeyedSumsRefused uint64
	// StateAnswersLimited counts digests and state requests not answered
	// because their source (a member by address, anyone else by IP) had an
	// answer this protocol period already, or the period's byte budget for
	// answers was spent.
	StateAnswersLimited uint64
	// AcksRejected counts acks and nacks that echoed no awaited nonce or
	// came from an address other than the one probed or asked.
	AcksRejected uint64
	// PingReqsRefused counts ping-reqs answered with a nack at once: for a
	// target unknown at that address, while leaving, or with the table of
	// awaited acks full.
	PingReqsRefused uint64
	// StrangerDropped counts messages dropped because they came from an
	// address that is no member and only members may send them.
	StrangerDropped uint64
	// MembersRefused counts names never seen before that were not added:
	// the table held MaxMembers, or the period's budget of new names for
	// their source or in total was spent.
	MembersRefused uint64
	// AdmitRefused counts members never seen before that Config.Admit
	// refused.
	AdmitRefused uint64
	// IncarnationsRefused counts claims at an incarnation too high to be
	// true, refused as forged.
	IncarnationsRefused uint64
	// CookiesSent counts state requests from strangers answered with a
	// cookie alone.
	CookiesSent uint64
	// CorrectionsLimited counts stale accusations not corrected because
	// the same one from the same sender was corrected this period.
	CorrectionsLimited uint64
	// AddressChecks counts pings sent to check a claimed new address
	// before believing it; ChecksRefused those not sent because too many
	// were awaited.
	AddressChecks, ChecksRefused uint64
	// Refutations counts times this member refuted news about itself.
	Refutations uint64
	// InconclusiveProbes counts failed probes that accused nobody because
	// this member's own timers, or the packets it was given, ran late while
	// it waited (see LateTimers), or because it asked relays in time to
	// answer and none did, not even with a nack: the target is probed
	// again the next period, at most twice in a row.
	InconclusiveProbes uint64
	// LateTimers counts the times this member found its own timers run, or
	// the packets it was given reach it (Core.InputDelay), late by more
	// than a tenth of ProbeTimeout, a sign that its process is short of
	// CPU, and raised its health score (at most once a probe interval).
	LateTimers uint64
	// Health is Lifeguard's local health score (0 is healthy).
	Health int
	// QueueDepth is the number of pieces of news and user broadcasts
	// waiting to be sent.
	QueueDepth int
	// BroadcastQueueDepth is the number of user broadcasts waiting to be
	// sent (part of QueueDepth); KeyedStored the keyed broadcasts held,
	// the latest of each origin and key, for anti-entropy.
	BroadcastQueueDepth, KeyedStored int
	// Candidates is the number of members heard of but not heard from yet
	// (at most 1,024 learnt from gossip); they become members when they
	// answer a ping, and are forgotten after three unanswered ones.
	Candidates int
}

// Stats returns the core's counters.
func (c *Core) Stats() Stats {
	s := c.stats
	s.Health = c.health
	s.QueueDepth = c.news.len() + c.user.len()
	s.BroadcastQueueDepth = c.user.len()
	s.KeyedStored = len(c.keyed.entries)
	s.Candidates = len(c.candidates)
	return s
}
