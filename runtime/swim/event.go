package swim

import "time"

// EventType says what happened to a member.
type EventType uint8

// The membership events a core reports.
const (
	// EventJoined: a member was seen alive for the first time, or again after
	// it had failed or left.
	EventJoined EventType = iota + 1
	// EventUpdated: an alive member changed address or metadata, or refuted a
	// suspicion.
	EventUpdated
	// EventSuspected: a member became suspect.
	EventSuspected
	// EventFailed: a member was declared dead.
	EventFailed
	// EventLeft: a member left gracefully.
	EventLeft
	// EventConflict: another live process claims this core's name at another
	// address with a newer incarnation. The core yields instead of refuting,
	// so the two never flip-flop; Member is the other claimant.
	EventConflict
)

// String returns the lower-case name of the event type.
func (t EventType) String() string {
	switch t {
	case EventJoined:
		return "joined"
	case EventUpdated:
		return "updated"
	case EventSuspected:
		return "suspected"
	case EventFailed:
		return "failed"
	case EventLeft:
		return "left"
	case EventConflict:
		return "conflict"
	}
	return "unknown"
}

// Event is one change in a core's view of the cluster.
type Event struct {
	// Type says what happened.
	Type EventType
	// Member is the member's record right after the change.
	Member Member
	// At is the time passed to the call that caused the event.
	At time.Time
}
