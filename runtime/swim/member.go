package swim

import (
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// Bounds on what a member may carry. They keep every member's announcement
// inside one packet together with the protocol's own framing.
const (
	// MaxNameLen is the longest member name, in bytes.
	MaxNameLen = wire.MaxNameLen
	// MaxMetaLen is the most metadata a member may carry, in bytes. It is
	// twice the incumbent's 512 bytes, which its users found too small, and
	// still lets an announcement with the longest name fit one packet.
	MaxMetaLen = wire.MaxMetaLen
)

// State is where a member stands in the failure detector.
type State uint8

// The member states, in the order in which, at one incarnation, news about a
// member overrides older news: alive < suspect < dead < left.
const (
	// StateAlive means the member answers probes, as far as we know.
	StateAlive State = State(wire.StateAlive)
	// StateSuspect means a probe failed; the member has a suspicion timeout
	// to refute it.
	StateSuspect State = State(wire.StateSuspect)
	// StateDead means the member did not refute a suspicion in time.
	StateDead State = State(wire.StateDead)
	// StateLeft means the member announced that it left the cluster.
	StateLeft State = State(wire.StateLeft)
)

// String returns the lower-case name of the state, as used in logs and JSON.
// The names are the wire's, so that logs, JSON and packet descriptions
// agree.
func (s State) String() string {
	if s > StateLeft {
		return "unknown"
	}
	return wire.State(s).String()
}

// Member is one member as seen by a core.
type Member struct {
	// Name identifies the member in the cluster; it is unique.
	Name string
	// Addr is where the member receives packets.
	Addr netip.AddrPort
	// Meta is application metadata, at most MaxMetaLen bytes.
	Meta []byte
	// Incarnation orders news about the member; only the member raises it.
	Incarnation uint64
	// State is the member's state in this view.
	State State
	// Since is when this view last changed State.
	Since time.Time
}

// clone returns a copy that shares no memory with m, so snapshots handed to
// callers cannot alias the core's state.
func (m Member) clone() Member {
	if m.Meta != nil {
		m.Meta = append([]byte(nil), m.Meta...)
	}
	return m
}
