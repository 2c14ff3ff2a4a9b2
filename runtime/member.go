package runtime

import "github.com/memberlist-go/memberlist/runtime/swim"

// Member is one member of the cluster as this node sees it.
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

// Event is one change in this node's view of the cluster.
type Event = swim.Event

// EventType says what happened to a member.
type EventType = swim.EventType

// The event types.
const (
	EventJoined    = swim.EventJoined
	EventUpdated   = swim.EventUpdated
	EventSuspected = swim.EventSuspected
	EventFailed    = swim.EventFailed
	EventLeft      = swim.EventLeft
	EventConflict  = swim.EventConflict
)
