// Package swim is the membership protocol's core: SWIM failure detection and
// gossip dissemination with the Lifeguard refinements, as a deterministic
// state machine without I/O.
//
// A Core owns no goroutine, socket or clock and draws randomness only from
// the seed it is given, so one (Config, local member, seed) and one sequence
// of inputs give one run, exactly. The caller feeds it time and packets and
// does what it asks:
//
//	core, err := swim.New(now, swim.DefaultLANConfig(), swim.Member{Name: "a", Addr: addr}, seed)
//	core.Join(now, seeds)
//	for {
//		rd := core.Ready()
//		send(rd.Packets)          // each to its address, as one datagram
//		publish(rd.Events)        // membership changes
//		deliver(rd.Delivered)     // application payloads
//		wait until rd.Wake or a packet arrives, then
//		core.Tick(now) or core.Step(now, from, packet)
//	}
//
// What Ready returns, packets' bytes included, is the core's again at the
// next call to Ready: the loop above uses it before then, and copies what
// it keeps longer (a simulated network holding packets in flight does).
//
// A driver that reads packets on another goroutine tells the core how long
// they waited for it (Core.InputDelay): a core whose input waits is short
// of CPU, and holds its accusations back while it is.
//
// The runtime package drives a Core over UDP; package swimtest drives many
// over a simulated network in virtual time.
//
// # Protocol
//
// Every protocol period (ProbeInterval scaled by the local health
// multiplier) the core probes one member with a ping: while healthy, its
// partner of the period in a schedule all members share, so that every
// member is probed about once a period and the two probes of a pair often
// share datagrams (three, not four); else the next member of a shuffled
// round-robin list. Without an ack within ProbeTimeout it asks
// IndirectChecks members to ping it (ping-req), and they answer with a nack
// when their own ping times out. With no ack by the end of the period the
// member becomes suspect, unless this member's own timers or input ran late
// meanwhile, or it asked relays in time to answer and none did, not even
// with a nack: then the fault is more likely on this side, and the probe is
// inconclusive (the member is probed again next period, at most twice in a
// row). The suspicion times out after Lifeguard's dynamic timeout, which
// shrinks with independent confirmations, unless the member refutes it by
// raising its incarnation. News rides on every packet and on gossip rounds;
// a member that learns a member is dead or has left, or that leaves or
// refutes, runs an early round (at least half an interval after the last
// round, and only before the next periodic one). Every sync period a digest
// of the view goes to one random member, and a full state exchange (sync)
// follows only when the views differ (the digest also sums the latest keyed
// broadcasts held, and those are exchanged when the sums differ: see
// Core.BroadcastKeyed); join always syncs; a view that stops growing is
// compared a few more times (a digest two periods after its last growth,
// then 4, 8 and 16 periods after the one before), so that a join the
// member missed is found in seconds; members held dead and seed
// addresses are contacted every ReconnectInterval, so split clusters merge
// again by themselves.
//
// # Fairness between protocol news and user broadcasts
//
// Each packet that carries news gives one queue the first claim on its free
// space and lets the other fill what is left. User broadcasts get the first
// claim in one packet of every four, protocol news in the other three, so
// neither can starve the other: protocol news always gets at least three
// quarters of the packets first, and a user broadcast waits at most four
// packets for a first claim, however busy the protocol is.
//
// # Incarnations
//
// A new core starts at an incarnation taken from the clock it is given
// (milliseconds since 1970). Clocks need not agree: a member restarted under
// the same name, even at a new address on a host whose clock is behind,
// replaces its old entry within a probe timeout and a few round trips.
// When it is told of its name at another address with a newer incarnation,
// it pings that address; if nobody answers to the name there, the record is
// a stale one of its previous life, and it announces itself above it (and
// tells the member that holds the record directly). Only a live process
// answering to the same name makes a conflict (EventConflict), where the
// older incarnation yields.
//
// # A hostile network
//
// Every datagram is hostile until proven otherwise; see admission.go and
// SECURITY.md. Acks count only for the ping they answer (a random nonce
// bound to the pinged member's name) and from the address probed; packets
// from addresses that are no member can draw only an ack or a cookie, never
// more than their own size; members heard of second-hand are candidates,
// outside events, lists and the probe round, until they answer a ping.
package swim
