// Package cluster is the one interface through which the benchmarks drive
// both membership libraries, ours and hashicorp/memberlist, so that every
// scenario runs the same code against each. An implementation starts a
// member on loopback, joins it through a seed, reports how many members it
// holds, crashes or leaves it, counts the bytes it sent at the transport,
// and reports the membership events that declare a member gone.
package cluster

import (
	"context"
	"time"
)

// HeaderBytes is what one UDP datagram costs on the wire beyond its payload:
// the IPv4 header (20 bytes) and the UDP header (8 bytes).
const HeaderBytes = 28

// Settings are the timing knobs every scenario sets; everything else is the
// LAN preset of each library, which are the same values.
type Settings struct {
	// ProbeInterval is the protocol period.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for its ack.
	ProbeTimeout time.Duration
	// GossipInterval is the period of gossip rounds.
	GossipInterval time.Duration
}

// EventKind says how a member was declared gone.
type EventKind uint8

// The kinds of event the benchmarks count.
const (
	// Failed: the member was declared dead.
	Failed EventKind = iota + 1
	// Left: the member was reported to have left gracefully.
	Left
	// Gone: the member was declared failed or left, and the library's
	// event does not say which (the incumbent's EventDelegate.NotifyLeave
	// gets a Node whose State field it never sets).
	Gone
	// Gap: the observer lost events (its library cut off a slow
	// subscriber), so counts taken from it may be low. Subject is empty.
	Gap
)

// String returns "failed" or "left".
func (k EventKind) String() string {
	switch k {
	case Failed:
		return "failed"
	case Left:
		return "left"
	case Gone:
		return "gone"
	case Gap:
		return "gap"
	}
	return "unknown"
}

// Event is one member's report that another member is gone.
type Event struct {
	// Observer is the name of the member that reported it.
	Observer string
	// Subject is the name of the member declared gone.
	Subject string
	// Kind says whether it failed or left.
	Kind EventKind
	// At is when the observer made the declaration.
	At time.Time
}

// Options start one member.
type Options struct {
	// Name is the member's name, unique in the cluster.
	Name string
	// Seed is the "host:port" of a member to join through; empty starts a
	// cluster of one.
	Seed string
	// Settings are the timing knobs.
	Settings Settings
	// OnEvent, if set, receives every failed or left declaration this
	// member makes, and a Gap if it lost any. It is called from the
	// library's goroutines and must return quickly.
	OnEvent func(Event)
	// OnReliable, if set, receives every message another member sent this
	// one with Node.SendReliable, once the library hands it to the
	// application. It is called from the library's goroutines and must
	// return quickly; payload is valid only during the call.
	OnReliable func(payload []byte)
	// AppState, if set, is the application state the member exchanges
	// with others by push/pull: at join, and every PushPullInterval.
	AppState AppState
	// PushPullInterval is the period of the AppState exchanges; zero
	// keeps the library's default.
	PushPullInterval time.Duration
}

// AppState is application state both libraries exchange by push/pull:
// ours' runtime.AppState, the incumbent's Delegate.LocalState and
// MergeRemoteState. The incumbent does not say whom a state came from, so
// neither does this.
type AppState interface {
	// LocalState returns the state to send; join is true for the
	// exchange made at join. The caller does not change the slice.
	LocalState(join bool) []byte
	// MergeRemoteState takes another member's state, which is valid only
	// during the call.
	MergeRemoteState(state []byte, join bool)
}

// Traffic is what a member sent since it started.
type Traffic struct {
	// Datagrams is the number of UDP datagrams sent.
	Datagrams uint64
	// UDPBytes is their payload.
	UDPBytes uint64
	// TCPBytes is what was written to TCP streams: ours' stream
	// transport counts its framing and sealing too, the incumbent's
	// wrapped connections every byte written.
	TCPBytes uint64
}

// Wire is the traffic's cost on the wire: UDP payload, HeaderBytes per
// datagram, and TCP payload.
func (t Traffic) Wire() uint64 { return t.UDPBytes + HeaderBytes*t.Datagrams + t.TCPBytes }

// Sub returns t minus an earlier reading.
func (t Traffic) Sub(earlier Traffic) Traffic {
	return Traffic{
		Datagrams: t.Datagrams - earlier.Datagrams,
		UDPBytes:  t.UDPBytes - earlier.UDPBytes,
		TCPBytes:  t.TCPBytes - earlier.TCPBytes,
	}
}

// Node is one running member.
type Node interface {
	// Name is the member's name.
	Name() string
	// Addr is the "host:port" others join through.
	Addr() string
	// NumMembers counts the members this one holds that are neither
	// failed nor left (alive or suspect), itself included.
	NumMembers() int
	// ReadMembers reads the whole member list, as an application that
	// routes by it does, and returns its length.
	ReadMembers() int
	// Traffic reports what the member sent since it started.
	Traffic() Traffic
	// Crash stops the member abruptly: its sockets close and it sends
	// nothing more, so the others must detect it.
	Crash() error
	// Leave announces that the member leaves, waits until the announcement
	// went out or ctx ends, and stops it.
	Leave(ctx context.Context) error
	// SendReliable sends payload over a stream to the member named to,
	// whose Options.OnReliable receives it; it returns when the library's
	// SendReliable does (ours once the receiver has taken the message, the
	// incumbent's once it has written it to the connection).
	SendReliable(ctx context.Context, to string, payload []byte) error
}

// Impl is one membership library.
type Impl interface {
	// Name identifies the library in results: "ours" or "hashicorp".
	Name() string
	// Start starts a member bound to 127.0.0.1 on a free port and, if
	// opts.Seed is set, joins it through the seed. It returns once the
	// member runs; the join may complete in the background.
	Start(ctx context.Context, opts Options) (Node, error)
}
