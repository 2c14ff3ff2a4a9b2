package runtime

import (
	"github.com/memberlist-go/memberlist/runtime/stream"
	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/udp"
)

// Metrics receives a node's counters. Observe is called from the node's own
// loop once a second, so it must return quickly; export the figures to
// expvar or a log from there. For Prometheus, package runtime/prometheus
// reads Stats at each scrape instead and needs no Metrics.
type Metrics interface {
	Observe(Stats)
}

// Stats are a node's counters since Start, and its current gauges.
type Stats struct {
	// Protocol holds the core's counters: probes, failed probes,
	// suspicions, refutations, health score, queue depth, packets.
	Protocol swim.Stats
	// PacketsIn, PacketsOut, BytesIn and BytesOut count UDP datagrams and
	// their payload bytes.
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
	// Dropped counts datagrams dropped: malformed, oversized, empty,
	// refused by the transport (another label, a bad checksum, not
	// decryptable, unencrypted while this node has keys, replayed, sealed
	// outside the clock-skew allowance), or
	// arriving while the node's loop was too far behind.
	Dropped uint64
	// Transport holds the UDP transport's counters, with the datagrams it
	// refused by reason: a rising BadLabel, Unencrypted or DecryptFailed
	// means a member with the wrong label or keys, or an attack.
	Transport udp.Stats
	// Undelivered counts user messages dropped because a handler was too
	// slow, or no handler was registered for their family.
	Undelivered uint64
	// Undecodable counts user messages that reached handlers of their
	// family but did not decode: malformed, or carrying a variant this
	// program does not know, as a newer version of it sends during a
	// rolling upgrade. Each counts once, however many handlers saw it.
	Undecodable uint64
	// AdmitRefused counts members refused by AllowedCIDRs or Config.Admit,
	// by reason (the error's text; at most 32 reasons, then "other").
	AdmitRefused map[string]uint64
	// Alive, Suspect, Dead and Left count members by state, this node
	// included.
	Alive, Suspect, Dead, Left int

	// Stream holds the stream transport's counters (SendReliable and
	// application state): connections, messages and bytes, and the
	// streams refused by reason. A rising BadLabel, Unencrypted,
	// DecryptFailed or TLSFailed means a member with other settings, or an
	// attack; Evicted, a peer holding idle connections at the
	// MaxStreamConns bound.
	Stream stream.Stats
	// StreamNotMember counts stream requests from an address that is no
	// alive or suspect member: refused, nothing delivered.
	StreamNotMember uint64
	// ReliableIn counts SendReliable messages taken from other members;
	// ReliableOut those this node sent that the receiver took.
	ReliableIn, ReliableOut uint64
	// StateExchanges counts AppState exchanges completed, started here or
	// answered; StateExchangeFailures those started here that failed;
	// StateMerges the MergeRemoteState calls made; StateMergesDropped the
	// states dropped because too many waited for a slow
	// MergeRemoteState; StateTooLarge the LocalState results over
	// MaxStreamMessageSize, not sent.
	StateExchanges, StateExchangeFailures, StateMerges, StateMergesDropped, StateTooLarge uint64

	// InboundOverflow counts the datagrams in Dropped that were dropped
	// because 4,096 waited for the node's loop: a loop that cannot keep
	// up. ShortMessages counts the user messages in Undelivered too
	// short to carry a family id.
	InboundOverflow, ShortMessages uint64
	// Families counts application messages by family id, for the
	// families this node handles (Handle) or sends, and those the program
	// registered (RegisterFamily, which generated code calls).
	// OtherFamilies counts the messages of any other family: from a member
	// running a newer program, or garbage.
	Families      map[uint32]FamilyStats
	OtherFamilies FamilyStats
	// Timings are distributions of probe round trips, sync, join and
	// handler durations.
	Timings Timings
}
