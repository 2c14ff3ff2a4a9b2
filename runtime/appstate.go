package runtime

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// AppState keeps application state in step across the cluster, as the
// incumbent's Delegate.LocalState and MergeRemoteState ("push/pull") do:
// when a node joins, it and the member that admitted it exchange their
// states over a stream, both ways, with join true; and every
// PushPullInterval each node exchanges them with one other alive member.
// A state is at most Config.MaxStreamMessageSize bytes.
//
// Neither method is ever called on the protocol loop, so a slow one
// delays no probe and no ack. MergeRemoteState calls come one at a time,
// in the order the states arrived, from one goroutine; LocalState may be
// called from several goroutines at once, also while a merge runs. While
// a merge is slow, at most eight received states wait for it (a newer
// state from the same member replaces its older one); more are dropped
// and counted (Stats.StateMergesDropped), to come again at the next
// exchange. Close waits for a call in progress to return.
type AppState interface {
	// LocalState returns the state to send to another member. join is
	// true for the exchange made when a node joins. The node does not
	// keep or change the slice after sending it.
	LocalState(join bool) []byte
	// MergeRemoteState merges the state the member from sent. join is
	// true for the exchange made when a node joins: on the joining node
	// from is the member that admitted it, on that member the newcomer.
	// state belongs to the method.
	MergeRemoteState(from Member, state []byte, join bool)
}

// statusTooLarge: the receiver's own state is over MaxStreamMessageSize.
const statusTooLarge byte = 6

func init() {
	statusText[statusTooLarge] = "the receiver's state is larger than its MaxStreamMessageSize"
}

// maxPendingMerges bounds the states waiting for MergeRemoteState.
const maxPendingMerges = 8

// pushPullScale stretches the exchange period in clusters of more than 32
// members as the incumbent does (hashicorp/memberlist's pushPullScale):
// by ceil(log2(N) - 5) + 1, so 64 members exchange half as often, 1,024
// a sixth as often. Each exchange carries a whole state both ways, so
// without it the cluster's traffic would grow with N while the ring
// schedule below converges in two periods whatever N is.
func pushPullScale(interval time.Duration, n int) time.Duration {
	const threshold = 32
	if n <= threshold {
		return interval
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(threshold)) + 1
	return time.Duration(mult) * interval
}

// Ring schedule. Each node exchanges with the member after it in name
// order (the last with the first), so that a state travels down the whole
// ring, hop by hop, within one round: a node that has just merged its
// predecessor's state passes it on to its successor at once. The period is
// cut into N slots on the wall clock and the member of rank r takes slot r:
// a node whose predecessor has not reached it by its slot goes at its slot
// anyway (and again when the late predecessor comes), so a round starts
// every period even when members fail, and one slow hop delays the round
// by that hop, not by a period. Every node then holds every other's state
// within two periods of the views agreeing, plus the hops of a round (a
// few milliseconds each on a LAN), whatever N is; the incumbent's
// exchanges with random members need about log3(N) periods and more for
// the last node (a simulation of 20 members: 2.4 periods at the median,
// 3.6 at p99, 2 or less in only 18% of runs). The cost stays the
// incumbent's: each node starts one exchange per period and answers one
// (two of each when a hop comes after its slot), and no member is
// anyone's partner twice in a period. A successor that fails the exchange
// is replaced by a random member for that period. Clocks need agree only
// to a fraction of a slot, as NTP does.

// nextSlot returns the start of the node of rank's slot in the period that
// follows now, not before after.
func nextSlot(now time.Time, period time.Duration, rank, n int, after time.Time) time.Time {
	offset := time.Duration(float64(period) * float64(rank) / float64(n))
	slot := now.Truncate(period).Add(offset)
	for !slot.After(now) || slot.Before(after) {
		slot = slot.Add(period)
	}
	return slot
}

// appState is the node's side of AppState: the merge queue and counters.
type appState struct {
	app AppState

	mu    sync.Mutex
	queue []mergeJob
	wake  chan struct{} // a send when the queue gains a job
	// join carries the member to exchange with at join.
	join chan Member
	// forwarded carries the name of a member whose periodic state has
	// just been merged, so that the ring passes it on.
	forwarded chan string

	exchanges, failures, merges, dropped, tooLarge atomic.Uint64
	warnedTooLarge                                 atomic.Bool
}

type mergeJob struct {
	from  Member
	state []byte
	join  bool
	// periodic marks a state a member sent in its periodic exchange: once
	// merged, it may be passed on down the ring.
	periodic bool
}

func newAppState(app AppState) *appState {
	return &appState{app: app, wake: make(chan struct{}, 1), join: make(chan Member, 1), forwarded: make(chan string, 1)}
}

// enqueue queues a state for merging, or drops it when too many wait.
func (a *appState) enqueue(job mergeJob) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.queue {
		if q := &a.queue[i]; q.from.Name == job.from.Name && q.join == job.join {
			q.state, q.from, q.periodic = job.state, job.from, q.periodic || job.periodic
			return
		}
	}
	if len(a.queue) >= maxPendingMerges {
		a.dropped.Add(1)
		return
	}
	a.queue = append(a.queue, job)
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *appState) pop() (mergeJob, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.queue) == 0 {
		return mergeJob{}, false
	}
	job := a.queue[0]
	a.queue[0] = mergeJob{}
	a.queue = a.queue[1:]
	return job, true
}

// mergeLoop runs MergeRemoteState for queued states, one at a time, until
// Close.
func (n *Node) mergeLoop() {
	defer n.wg.Done()
	a := n.streams.app
	for {
		select {
		case <-n.quit:
			return
		case <-a.wake:
		}
		for {
			select {
			case <-n.quit:
				return
			default:
			}
			job, ok := a.pop()
			if !ok {
				break
			}
			a.app.MergeRemoteState(job.from, job.state, job.join)
			a.merges.Add(1)
			if job.periodic {
				select {
				case <-a.forwarded: // the newest replaces one not yet seen
				default:
				}
				a.forwarded <- job.from.Name
			}
		}
	}
}

// joinedThrough runs on the loop when the core has just joined through a
// packet from addr: the member at addr admitted this node (or, if no
// member has that address, as behind NAT, the first other member it
// knows), and the two exchange states.
func (n *Node) joinedThrough(addr netip.AddrPort) {
	if n.streams.app == nil {
		return
	}
	var first Member
	var found bool
	self := n.core.LocalMember().Name
	for _, m := range n.core.Members() {
		if m.Name == self || m.State != StateAlive {
			continue
		}
		if m.Addr == addr {
			first, found = m, true
			break
		}
		if !found && first.Name == "" {
			first = m
		}
	}
	if first.Name == "" {
		return
	}
	select {
	case <-n.streams.app.join: // a newer join replaces one not yet made
	default:
	}
	n.streams.app.join <- first
}

// pushPullLoop makes this node's state exchanges: at join, when its
// predecessor's state has just been merged, and in its slot of every
// period. It plans again at least four times a period, so that the slot
// follows the membership as it changes.
func (n *Node) pushPullLoop() {
	defer n.wg.Done()
	a := n.streams.app
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var after time.Time     // no slot exchange before this
	var forwarded time.Time // the last exchange passing a round on
	for {
		var slot time.Time
		var period time.Duration
		var count int
		if n.cfg.PushPullInterval > 0 {
			var rank int
			period, rank, count = n.pushPullPlace()
			now := time.Now()
			wake := now.Add(period / 4)
			if count >= 2 {
				slot = nextSlot(now, period, rank, count, after)
				if slot.Before(wake) {
					wake = slot
				}
			}
			timer.Reset(time.Until(wake))
		}
		select {
		case <-n.quit:
			return
		case m := <-a.join:
			timer.Stop()
			n.exchangeAtJoin(m)
		case from := <-a.forwarded:
			timer.Stop()
			now := time.Now()
			if count < 2 || from != n.predecessor() || now.Sub(forwarded) < period/2 {
				continue
			}
			forwarded = now
			// This exchange takes the place of this period's slot, if that
			// is still ahead.
			if !slot.IsZero() && slot.Sub(now) < period/2 {
				after = slot.Add(period / time.Duration(2*count))
			}
			n.periodicExchange(period)
		case <-timer.C:
			if slot.IsZero() || time.Now().Before(slot) {
				continue // plan again
			}
			// Half a slot on: this slot is done, but a rank that moved
			// may take the next one, which costs one exchange more and
			// keeps the ring's timing.
			after = slot.Add(period / time.Duration(2*count))
			n.periodicExchange(period)
		}
	}
}

// pushPullPlace returns the exchange period for the current cluster size,
// this node's rank in name order among the alive members, and their count.
func (n *Node) pushPullPlace() (period time.Duration, rank, count int) {
	names := n.aliveNames()
	self := n.cfg.Name
	for i, name := range names {
		if name == self {
			rank = i
		}
	}
	return pushPullScale(n.cfg.PushPullInterval, len(names)), rank, len(names)
}

// aliveNames returns the alive members' names, this node's included,
// sorted.
func (n *Node) aliveNames() []string {
	var names []string
	if err := n.do(context.Background(), func(time.Time) {
		for _, m := range n.core.Members() {
			if m.State == StateAlive {
				names = append(names, m.Name)
			}
		}
	}); err != nil {
		return nil // closed: f may not have run, or may still run
	}
	return names
}

// alivePeers returns the alive members other than this node, sorted by
// name.
func (n *Node) alivePeers() []Member {
	var peers []Member
	if err := n.do(context.Background(), func(time.Time) {
		self := n.core.LocalMember().Name
		for _, m := range n.core.Members() {
			if m.State == StateAlive && m.Name != self {
				peers = append(peers, m)
			}
		}
	}); err != nil {
		return nil // closed: f may not have run, or may still run
	}
	return peers
}

// periodicExchange exchanges states with this node's successor in the
// ring, or, if that fails, with a random other member.
func (n *Node) periodicExchange(period time.Duration) {
	peers := n.alivePeers()
	if len(peers) == 0 {
		return
	}
	succ := peers[0] // after the last name comes the first
	for _, m := range peers {
		if m.Name > n.cfg.Name {
			succ = m
			break
		}
	}
	ctx, cancel := context.WithTimeout(n.streams.ctx, period)
	defer cancel()
	err := n.exchange(ctx, succ, false)
	if err == nil || len(peers) < 2 || ctx.Err() != nil {
		return
	}
	n.log.Debug("memberlist: state exchange failed; trying a random member", "member", succ.Name, "err", err)
	other := peers[rand.IntN(len(peers))]
	for other.Name == succ.Name {
		other = peers[rand.IntN(len(peers))]
	}
	_ = n.exchange(ctx, other, false)
}

// predecessor returns the name of the alive member before this node in
// name order (the last for the first).
func (n *Node) predecessor() string {
	names := n.aliveNames()
	if len(names) < 2 {
		return ""
	}
	for i, name := range names {
		if name == n.cfg.Name {
			return names[(i+len(names)-1)%len(names)]
		}
	}
	return ""
}

// exchangeAtJoin exchanges states with the member that admitted this
// node, trying a few times: the member may not have learnt of this node
// yet when the first attempt reaches it.
func (n *Node) exchangeAtJoin(m Member) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(n.streams.ctx, 2*n.cfg.StreamTimeout)
		err := n.exchange(ctx, m, true)
		cancel()
		if err == nil {
			return
		}
		n.log.Debug("memberlist: state exchange at join failed", "member", m.Name, "attempt", attempt, "err", err)
		if attempt == 3 {
			n.log.Warn("memberlist: state exchange at join failed; the periodic exchange will catch up", "member", m.Name, "err", err)
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-n.quit:
			t.Stop()
			return
		case <-t.C:
		}
		backoff *= 4
	}
}

// exchange sends this node's state to m and queues m's for merging.
func (n *Node) exchange(ctx context.Context, m Member, join bool) error {
	a := n.streams.app
	local := a.app.LocalState(join)
	if len(local) > n.cfg.MaxStreamMessageSize {
		n.stateTooLarge(len(local))
		a.failures.Add(1)
		return fmt.Errorf("memberlist: local state of %d bytes, at most %d: %w", len(local), n.cfg.MaxStreamMessageSize, ErrTooLarge)
	}
	flags := byte(0)
	if join {
		flags = stateJoin
	}
	reply, err := n.streams.tr.Call(ctx, m.Addr, []byte{kindState, flags}, local)
	if err == nil && (len(reply) == 0 || reply[0] != statusOK) {
		status := statusBadKind
		if len(reply) > 0 {
			status = reply[0]
		}
		err = refusal(status)
	}
	if err != nil {
		a.failures.Add(1)
		return fmt.Errorf("memberlist: state exchange with %s: %w", m.Name, err)
	}
	a.enqueue(mergeJob{from: m, state: reply[1:], join: join})
	a.exchanges.Add(1)
	return nil
}

// answerState answers another member's exchange: it queues the member's
// state for merging and replies with this node's.
func (n *Node) answerState(from Member, b []byte) [][]byte {
	a := n.streams.app
	if a == nil {
		return [][]byte{{statusNoState}}
	}
	if len(b) < 1 {
		return [][]byte{{statusBadKind}}
	}
	join := b[0]&stateJoin != 0
	local := a.app.LocalState(join)
	if len(local) > n.cfg.MaxStreamMessageSize {
		n.stateTooLarge(len(local))
		return [][]byte{{statusTooLarge}}
	}
	a.enqueue(mergeJob{from: from, state: b[1:], join: join, periodic: !join})
	a.exchanges.Add(1)
	return [][]byte{{statusOK}, local}
}

func (n *Node) stateTooLarge(size int) {
	a := n.streams.app
	a.tooLarge.Add(1)
	if !a.warnedTooLarge.Swap(true) {
		n.log.Warn("memberlist: LocalState returned more than MaxStreamMessageSize; not sent", "size", size, "max", n.cfg.MaxStreamMessageSize)
	}
}
