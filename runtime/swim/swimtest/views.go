package swimtest

import "github.com/memberlist-go/memberlist/runtime/swim"

// Up returns the members that are running.
func (c *Cluster) Up() []*Node {
	var out []*Node
	for _, n := range c.nodes {
		if n.Up {
			out = append(out, n)
		}
	}
	return out
}

// AllSeeAlive reports whether every running member of ns holds every member
// of ns alive at its current address, and so, since its view also counts,
// whether the views agree on them.
func (c *Cluster) AllSeeAlive(ns []*Node) bool {
	// Counting first keeps the common "not yet" answer cheap.
	for _, viewer := range ns {
		if alive, _, _, _ := viewer.Core.NumMembers(); viewer.Up && alive < len(ns) {
			return false
		}
	}
	for _, viewer := range ns {
		if !viewer.Up {
			continue
		}
		for _, n := range ns {
			m, ok := viewer.Core.Member(n.Name)
			if !ok || m.State != swim.StateAlive || m.Addr != n.Addr {
				return false
			}
		}
	}
	return true
}

// AllSee reports whether every running member of viewers holds target in
// one of the given states.
func (c *Cluster) AllSee(viewers []*Node, target *Node, states ...swim.State) bool {
	for _, v := range viewers {
		if !v.Up || v == target {
			continue
		}
		m, ok := v.Core.Member(target.Name)
		if !ok {
			return false
		}
		found := false
		for _, s := range states {
			if m.State == s {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CountEvents counts events of type t about the member named name reported
// by any member; an empty name counts events about anyone.
func (c *Cluster) CountEvents(t swim.EventType, name string) int {
	n := 0
	for _, node := range c.nodes {
		for _, ev := range node.Events {
			if ev.Type == t && (name == "" || ev.Member.Name == name) {
				n++
			}
		}
	}
	return n
}

// BytesOut is the total sent by every member, headers included.
func (c *Cluster) BytesOut() uint64 {
	var b uint64
	for _, n := range c.nodes {
		b += n.BytesOut
	}
	return b
}
