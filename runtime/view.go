package runtime

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
)

// Members, LocalMember and the member counts of Stats are served from a
// view: an immutable copy of the member list that the loop publishes
// through an atomic pointer after every change, so that reading it costs
// no round trip through the loop (but the first call to Members after a
// quiet spell: see viewIdle).
//
// The loop keeps the view current from the core's events, which report
// every change of a member's state, address or metadata, and from its own
// record after a call or a refutation. A change copies one chunk of the
// list (viewChunk members) and the list of chunks, not the whole list, so
// that a cluster of thousands joining at once does not cost each member a
// copy of the list per join. What the events do not report, the view
// catches by comparing its member counts with the core's after every
// batch (a member forgotten, say), and by a full rebuild every
// viewRefresh (an incarnation raised with nothing else changed): then it
// is rebuilt from the core's list.
//
// The list is kept only while someone reads it: after viewIdle without a
// call to Members, the loop publishes just the counts and this node's own
// record, and the next call waits once for the loop to build the list. A
// process running hundreds of members that nobody lists (a test cluster,
// a bench) held a copy of every member list, a third of its heap at 1,024
// members, and spent a tenth of its CPU keeping them.

// viewChunk is how many members a chunk of the view holds, about; a chunk
// is split when it reaches twice that. Small, because an event copies its
// whole chunk: with 768 members joining in one process, chunks of 64 made
// the copies a tenth of the CPU; the list of chunks (N/16 pointers) is
// copied too, but is short beside them.
const viewChunk = 16

// viewRefresh is how often the view is rebuilt from the core's list
// whatever the events said.
const viewRefresh = 10 * time.Second

// viewIdle is how long the list is kept after the last call to Members.
const viewIdle = viewRefresh

// view is one published state of the member list.
type view struct {
	// listed says that chunks hold the member list; without it, only
	// local and counts are current (see viewIdle).
	listed bool
	chunks []*chunk // in name order; none empty
	local  Member
	// counts are the members by state (alive, suspect, dead, left) in
	// this view, this node included.
	counts [4]int
}

// chunk is a run of the member list, sorted by name. Once published it
// never changes; gen says which update made it, which may still change
// it in place.
type chunk struct {
	members []Member
	gen     uint64
}

// members returns the caller's own copy of the list: a new slice, and the
// metadata of all members copied into one block, so that two allocations
// serve any cluster size and nothing the caller does reaches the view.
func (v *view) members() []Member {
	n, metaLen := 0, 0
	for _, c := range v.chunks {
		n += len(c.members)
		for i := range c.members {
			metaLen += len(c.members[i].Meta)
		}
	}
	out := make([]Member, 0, n)
	meta := make([]byte, 0, metaLen)
	for _, c := range v.chunks {
		for _, m := range c.members {
			if m.Meta != nil {
				at := len(meta)
				meta = append(meta, m.Meta...)
				m.Meta = meta[at:len(meta):len(meta)]
			}
			out = append(out, m)
		}
	}
	return out
}

// stateIndex maps a state to its slot in view.counts.
func stateIndex(s State) int {
	switch s {
	case StateSuspect:
		return 1
	case StateDead:
		return 2
	case StateLeft:
		return 3
	}
	return 0
}

// viewFromMembers builds a view from the core's list, sorted by name.
func viewFromMembers(ms []Member, local Member, gen uint64) *view {
	v := &view{local: local, listed: true}
	for start := 0; start < len(ms); start += viewChunk {
		end := min(start+viewChunk, len(ms))
		v.chunks = append(v.chunks, &chunk{members: slices.Clip(ms[start:end]), gen: gen})
	}
	for i := range ms {
		v.counts[stateIndex(ms[i].State)]++
	}
	return v
}

// viewUpdate applies changes to a view, copying what it touches once and
// then changing its copies in place.
type viewUpdate struct {
	base *view
	next *view // nil until the first change
	gen  uint64
}

// put sets the record of m.Name to m, adding it if the view lacks it.
func (u *viewUpdate) put(m Member) {
	if u.next == nil {
		u.next = &view{listed: true, chunks: slices.Clone(u.base.chunks), local: u.base.local, counts: u.base.counts}
	}
	v := u.next
	if m.Meta != nil {
		m.Meta = bytes.Clone(m.Meta) // the event's copy is the subscribers'
	}
	if len(v.chunks) == 0 {
		v.chunks = []*chunk{{members: []Member{m}, gen: u.gen}}
		v.counts[stateIndex(m.State)]++
		return
	}
	// The chunk that holds the name, or would: the first whose last name
	// is not before it, else the last chunk.
	ci, _ := slices.BinarySearchFunc(v.chunks, m.Name, func(c *chunk, name string) int {
		return strings.Compare(c.members[len(c.members)-1].Name, name)
	})
	ci = min(ci, len(v.chunks)-1)
	c := v.chunks[ci]
	if c.gen != u.gen {
		c = &chunk{members: slices.Clone(c.members), gen: u.gen}
		v.chunks[ci] = c
	}
	i, found := slices.BinarySearchFunc(c.members, m.Name, func(e Member, name string) int { return strings.Compare(e.Name, name) })
	if found {
		v.counts[stateIndex(c.members[i].State)]--
		c.members[i] = m
	} else {
		c.members = slices.Insert(c.members, i, m)
	}
	v.counts[stateIndex(m.State)]++
	if len(c.members) >= 2*viewChunk {
		half := len(c.members) / 2
		lo := &chunk{members: slices.Clone(c.members[:half]), gen: u.gen}
		hi := &chunk{members: slices.Clone(c.members[half:]), gen: u.gen}
		v.chunks = slices.Replace(v.chunks, ci, ci+1, lo, hi)
	}
}

// setLocal replaces this node's own record, in the list too. m is the
// core's copy, which the view may keep.
func (u *viewUpdate) setLocal(m Member) {
	u.put(m)
	u.next.local = m
}

// result is the updated view, or nil if nothing changed.
func (u *viewUpdate) result() *view { return u.next }

// publishState brings what Members, LocalMember and Stats read up to date
// after the loop has handed the core input: it copies the core's counters,
// applies the events to the view, picks up this node's own record when it
// may have changed, and rebuilds the view from the core when its counts
// disagree with the core's or a rebuild is due. It runs on the loop,
// before the events reach subscribers, so that a subscriber that reads
// Members() on an event finds the event in it.
func (n *Node) publishState(now time.Time, events []Event) {
	st := n.core.Stats()
	n.statsMu.Lock()
	n.coreStats = st
	n.statsMu.Unlock()

	var core [4]int
	core[0], core[1], core[2], core[3] = n.core.NumMembers()
	cur := n.view.Load()
	n.viewGen++
	if !n.listing(now) {
		n.publishCounts(cur, core, st.Refutations)
		return
	}
	if cur == nil || !cur.listed || now.Sub(n.viewBuilt) >= viewRefresh {
		n.rebuildView(now, st.Refutations)
		return
	}
	u := viewUpdate{base: cur, gen: n.viewGen}
	for _, ev := range events {
		if ev.Type == swim.EventConflict {
			continue // another process's claim on our name, not a record of ours
		}
		u.put(ev.Member)
	}
	if n.selfChanged || st.Refutations != n.refutations {
		n.selfChanged, n.refutations = false, st.Refutations
		u.setLocal(n.core.LocalMember())
	}
	next := u.result()
	if next == nil {
		next = cur
	}
	if next.counts != core {
		// Something changed that no event reported, such as a member
		// forgotten: rebuild.
		n.rebuildView(now, st.Refutations)
		return
	}
	if next != cur {
		n.view.Store(next)
	}
}

// listing says whether Members was called within viewIdle of now, so that
// the loop keeps the member list.
func (n *Node) listing(now time.Time) bool {
	last := n.lastListed.Load()
	return last != 0 && now.UnixNano()-last < int64(viewIdle)
}

// publishCounts publishes a view without the member list: the core's
// counts and, when it may have changed, this node's own record. Nothing
// is published when neither changed.
func (n *Node) publishCounts(cur *view, counts [4]int, refutations uint64) {
	selfChanged := cur == nil || n.selfChanged || refutations != n.refutations
	if !selfChanged && !cur.listed && cur.counts == counts {
		return // checked first: the view escapes, and this is every flush
	}
	next := &view{counts: counts}
	if selfChanged {
		n.selfChanged, n.refutations = false, refutations
		next.local = n.core.LocalMember()
	} else {
		next.local = cur.local
	}
	n.view.Store(next)
}

// rebuildView publishes a view built afresh from the core's list.
func (n *Node) rebuildView(now time.Time, refutations uint64) {
	n.view.Store(viewFromMembers(n.core.Members(), n.core.LocalMember(), n.viewGen))
	n.viewBuilt, n.selfChanged, n.refutations = now, false, refutations
}
