package report

// missedNotes say, per goal, what limits it and what would fix it, from
// profiles of our library (go run . -only s4 -cpuprofile DIR, then go tool
// pprof -top) and from the protocol's arithmetic. They are shown only for
// the goals a run missed.
var missedNotes = map[string]string{
	"s1-bytes": "Both libraries send the same datagrams in a quiet cluster, 10 per member per second at 200 ms probes " +
		"(a ping and an ack each way per period), so 280 of the bytes are IPv4 and UDP headers for both; what differs is the payload: " +
		"about 15 bytes per datagram for ours against about 44 for the incumbent, whose messages are MessagePack maps with field names. " +
		"Ours pays 5 of its 15 bytes for runtime/udp's frame (a version byte and the CRC32C checksum of every unencrypted datagram). " +
		"The ratio cannot go much below 0.55 while the headers are counted: what would lower it is fewer datagrams " +
		"(an ack that also answers the acker's own probe of the same member in the same period), not smaller messages.",
	"s3-bytes": "The same arithmetic as S1 at 1 s probes: 2 datagrams per member and second, 56 bytes of headers, " +
		"about 16 bytes of payload each for ours (5 of them runtime/udp's frame: a version byte and the CRC32C checksum) against about 44 for the incumbent. " +
		"The frame took this ratio from about 0.53 to about 0.60; a shorter check (a 2-byte CRC-16 still catches the corruption UDP's own checksum misses) " +
		"or a frame without the version byte when nothing else is set would bring it back under 0.6.",
	"s1-detect": "Detection by all is the time until a member first probes the crashed one (1.58 periods on average, SWIM), " +
		"plus the suspicion timeout (Lifeguard: SuspicionMult·max(1, log10 N) periods, shrinking as others confirm), plus the spread of the verdict. " +
		"Both libraries use the same formulas and settings, so the two figures are close and the ratio moves with the run's luck in which member probes first.",
	"s2-false": "A false failure in ours at 128 members means a probe's ack arrived after the suspicion timeout on a loaded machine; " +
		"the S2 trials' CPU figures show how close to saturation the process was. Lifeguard's local health score should slow such a member's probing " +
		"before it accuses others; see the trial's log (go run . -only s2) for which members were accused.",
	"s4-scale": "The limit is CPU during the joins, not the steady state: at 512 members the steady window costs ours about a quarter of a core, " +
		"but at 768 and 1024 the joins never finish, with both cores saturated. A profile of ours at 768 members " +
		"(go run . -only s4 -cpuprofile DIR; go tool pprof -top) puts about a third of the CPU in the sendto and recvfrom system calls, one per datagram " +
		"(udp.Transport.WriteTo 27%, the read loop 10%), about half in the protocol core (Core.Step 29%, Core.Tick 17%), and about a tenth in garbage collection. " +
		"Within the core, the gossip queue (queue.fill 8%) carries the joins' news to every member, and once acks start arriving late on the saturated machine, " +
		"suspicions and their refutations follow (onSuspect 9%, suspicionTimeout 4%, correctStale 4%), each one more news to gossip: " +
		"the same feedback that collapses the incumbent at about 100 members, 6 to 8 times further out. " +
		"What would fix it, in order of effect: (1) send and receive datagrams in batches (sendmmsg/recvmmsg, through golang.org/x/net/ipv4's WriteBatch and ReadBatch), " +
		"which removes most of the system-call share; (2) spread joins by state transfer rather than by gossip alone: every member that hears of a burst of joins " +
		"asks one member for its full state once, instead of receiving each join from gossip N times over; (3) back-pressure on gossip from Lifeguard's health score: " +
		"a member whose probes time out gossips less often and to fewer members, so a saturated process stops feeding its own collapse; " +
		"(4) fewer allocations per packet (every received datagram is copied, every queued item allocated). " +
		"Note what this scenario measures: N members sharing 2 cores in one process, so N times the per-member cost; on separate machines each member pays only its own share.",
	"s6-join": "When every member joins through one seed at the same instant, convergence grows about linearly with N (1 period at 100, about 15 at 1,000, 53 at 3,000). " +
		"That is a bandwidth limit, not a dissemination one: each member must learn of N−1 others, and learns of them from gossip packets of bounded size " +
		"(1,300 bytes, a few dozen alive messages) sent at a fixed rate, so the time is proportional to N. One join spreads in a period or so at every N " +
		"(the next row), and a crash's verdict in log N, so dissemination itself scales as SWIM says. " +
		"What would fix it: a member whose view grows by more than a few members in a period asks a random member for its full state at once " +
		"(a digest sync now, not at the next SyncInterval), so that members that joined early learn the later ones by state transfer instead of one by one; " +
		"the incumbent does a TCP push/pull with the seed on every join for the same reason.",
	"s6-late":  "One join's spread is news carried by gossip and piggybacking, which SWIM bounds by O(log N) periods; a larger growth means the news was dropped from full queues and repaired by anti-entropy.",
	"s6-crash": "Detection by all is the first probe (about 1.58 periods), the suspicion timeout (SuspicionMult·max(1, log10 N) periods, by design growing with log N) and the verdict's spread.",
	"s6-cost":  "The simulator's cost is dominated by the joins' news: every join reaches every member, O(N²) deliveries.",
}
