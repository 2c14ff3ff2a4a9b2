package swim

import "time"

// timerKind names what a timer does when it fires. Timers are data, as in
// foca: the core never cancels one; a fired timer that no longer matches the
// state it was set for (a token mismatch) does nothing.
type timerKind uint8

const (
	timerProbe        timerKind = iota + 1 // start the next probe
	timerProbeTimeout                      // direct ping unanswered: go indirect
	timerRelayTimeout                      // a relayed ping unanswered: nack
	timerRelayForget                       // the requester's window is over: forget the relay
	timerCheckExpire                       // an address check went unanswered
	timerSuspicion                         // a suspicion ran out: declare dead
	timerGossip                            // periodic gossip round
	timerGossipEarly                       // early gossip round (earlyRound)
	timerSync                              // anti-entropy round
	timerReconnect                         // contact a dead member or a seed
	timerJoinRetry                         // no seed answered yet
	timerReap                              // forget old dead members, expire caches
	timerResync                            // a state transfer brought new members: check again
	timerSettled                           // the view stopped growing: compare it (settledTick)
)

// timer is one wake-up request. key (an awaited ack) and gen are tokens that tell a stale
// timer from a live one; name says which member a suspicion timer is for.
type timer struct {
	kind timerKind
	key  uint64
	gen  uint64
	name string
}

// schedule asks to be woken at at for t.
func (c *Core) schedule(at time.Time, t timer) {
	c.timers.Push(at, t)
}

// nextWake is when the earliest timer is due; zero when none is set.
func (c *Core) nextWake() time.Time {
	at, _ := c.timers.Next()
	return at
}
