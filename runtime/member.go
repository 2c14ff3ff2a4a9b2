package runtime

import "github.com/memberlist-go/memberlist/runtime/swim"

// Member is one member of the cluster as this node sees it: an alias of
// swim.Member, with these fields:
//
//	Name        string          unique in the cluster, 1 to 128 bytes (Config.Name)
//	Addr        netip.AddrPort  where it receives packets (Config.AdvertiseAddr)
//	Meta        []byte          its metadata, at most 1,024 bytes (Config.Meta, Node.UpdateMeta)
//	Incarnation uint64          orders news about it; only the member itself raises it
//	State       State           alive, suspect, dead or left, in this node's view
//	Since       time.Time       when this node's view last changed State
//
// Members, LocalMember and events hand out copies: changing one changes
// nothing in the node. A member restarted under the same name comes back
// with a higher incarnation, at its new address if it moved.
type Member = swim.Member

// State is a member's state: StateAlive, StateSuspect, StateDead or
// StateLeft.
type State = swim.State

// The member states.
const (
	StateAlive   = swim.StateAlive
	StateSuspect = swim.StateSuspect
	StateDead    = swim.StateDead
	StateLeft    = swim.StateLeft
)

// Event is one change in this node's view of the cluster, as Subscribe
// delivers it: an alias of swim.Event, with these fields:
//
//	Type   EventType  what happened: EventJoined, EventUpdated, EventSuspected, EventFailed, EventLeft or EventConflict
//	Member Member     the member's record right after the change
//	At     time.Time  when this node saw it
//
// For EventConflict, Member is another process that claims this node's
// name from another address; this node yields instead of refuting, so
// the two never flip-flop, and the application should stop one of them.
type Event = swim.Event

// EventType says what happened to a member.
type EventType = swim.EventType

// The event types:
//
//   - EventJoined: a member was seen alive for the first time, or again
//     after it had failed or left.
//   - EventUpdated: an alive member changed address or metadata, or
//     refuted a suspicion.
//   - EventSuspected: a member stopped answering probes; it has a
//     suspicion timeout to refute.
//   - EventFailed: a suspect member did not refute in time and is declared
//     dead.
//   - EventLeft: a member left gracefully (Leave).
//   - EventConflict: another process claims this node's name.
const (
	EventJoined    = swim.EventJoined
	EventUpdated   = swim.EventUpdated
	EventSuspected = swim.EventSuspected
	EventFailed    = swim.EventFailed
	EventLeft      = swim.EventLeft
	EventConflict  = swim.EventConflict
)
