package swim

import (
	"bytes"
	"math"
	"net/netip"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
)

// The rules by which news changes a view (SWIM section 4.2, with Lifeguard's
// refinements). News about a member carries its incarnation; newer news
// replaces older: a higher incarnation, or the same incarnation and a
// stronger state (alive < suspect < dead < left). Only the member itself
// raises its incarnation, to refute a suspicion or announce a change.

// addMember records a member first heard of.
func (c *Core) addMember(a *wire.Alive) *member {
	m := &member{Member: Member{
		Name:        a.Name,
		Addr:        a.Addr,
		Meta:        a.Meta,
		Incarnation: a.Incarnation,
		State:       StateAlive,
		Since:       c.now,
	}, idx: len(c.nodes)}
	c.members[m.Name] = m
	c.byAddr[m.Addr] = m
	c.nodes = append(c.nodes, m)
	c.counts[StateAlive]++
	c.addToProbeList(m)
	return m
}

// removeMember forgets a member entirely (after DeadRetention).
func (c *Core) removeMember(m *member) {
	last := len(c.nodes) - 1
	c.nodes[m.idx] = c.nodes[last]
	c.nodes[m.idx].idx = m.idx
	c.nodes[last] = nil
	c.nodes = c.nodes[:last]
	c.counts[m.State]--
	delete(c.members, m.Name)
	if c.byAddr[m.Addr] == m {
		delete(c.byAddr, m.Addr)
	}
	m.gone = true
	m.susp = nil
}

// setState moves m to state s, keeping counts and Since.
func (c *Core) setState(m *member, s State) {
	if m.State == s {
		return
	}
	if m != c.self {
		c.counts[m.State]--
		c.counts[s]++
	}
	m.State = s
	m.Since = c.now
	if s != StateSuspect {
		m.susp = nil
	}
	if s == StateAlive && m != c.self {
		c.addToProbeList(m)
	}
}

// onAlive applies an alive announcement.
func (c *Core) onAlive(a *wire.Alive) {
	if a.Name == c.self.Name {
		c.aliveAboutSelf(a)
		return
	}
	m, ok := c.members[a.Name]
	if !ok {
		m = c.addMember(a)
		c.queueAlive(m)
		c.emit(EventJoined, m)
		return
	}
	if a.Incarnation <= m.Incarnation {
		return
	}
	was := m.State
	changed := m.Addr != a.Addr || !bytes.Equal(m.Meta, a.Meta)
	if m.Addr != a.Addr {
		if c.byAddr[m.Addr] == m {
			delete(c.byAddr, m.Addr)
		}
		c.byAddr[a.Addr] = m
	}
	m.Addr, m.Meta, m.Incarnation = a.Addr, a.Meta, a.Incarnation
	c.setState(m, StateAlive)
	c.queueAlive(m)
	switch {
	case was == StateDead || was == StateLeft:
		c.emit(EventJoined, m)
	case was == StateSuspect || changed:
		c.emit(EventUpdated, m)
	}
}

// aliveAboutSelf handles news about this member's own name.
func (c *Core) aliveAboutSelf(a *wire.Alive) {
	s := c.self
	if a.Incarnation < s.Incarnation || c.leaving {
		return
	}
	if a.Incarnation == s.Incarnation && a.Addr == s.Addr && bytes.Equal(a.Meta, s.Meta) {
		return // our own announcement, echoed
	}
	if a.Addr != s.Addr && a.Incarnation > s.Incarnation {
		// Another process claims our name with a newer incarnation: a
		// restart of ours at a new address that we are the stale half of,
		// or a misconfiguration. Refuting would make the two take turns
		// forever; report it once and let the newer claim stand.
		if c.conflictAt != a.Incarnation {
			c.conflictAt = a.Incarnation
			c.out.Events = append(c.out.Events, Event{Type: EventConflict, At: c.now, Member: Member{
				Name: a.Name, Addr: a.Addr, Meta: bytes.Clone(a.Meta), Incarnation: a.Incarnation, State: StateAlive, Since: c.now,
			}})
		}
		return
	}
	c.refute(a.Incarnation)
}

// correctStale answers an accusation older than what we know: the sender
// missed the refutation (its copies all went past it, or were lost) and
// would otherwise time the suspicion out and declare a live member dead.
// Telling it directly costs one small packet per stale accusation.
func (c *Core) correctStale(from netip.AddrPort, name string, inc uint64) {
	m, ok := c.members[name]
	if !ok || inc >= m.Incarnation || m.State != StateAlive || from == m.Addr {
		return
	}
	b := wire.AppendHeader(nil)
	b = wire.AppendAlive(b, &wire.Alive{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation})
	c.sendPacket(from, b)
}

// onSuspect applies an accusation; from names the accuser.
func (c *Core) onSuspect(name string, inc uint64, from string) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation {
		return
	}
	if m == c.self {
		c.accused(inc)
		return
	}
	switch m.State {
	case StateDead, StateLeft:
		if inc == m.Incarnation {
			return // weaker news at the same incarnation
		}
	case StateSuspect:
		if inc == m.Incarnation {
			if m.susp != nil && m.susp.confirm(from) {
				c.queueSuspect(m, from)
				c.armSuspicion(m)
			}
			return
		}
	}
	m.Incarnation = inc
	c.setState(m, StateSuspect)
	c.startSuspicion(m, from)
	c.queueSuspect(m, from)
	c.stats.Suspicions++
	c.emit(EventSuspected, m)
}

// onDead applies a declaration of death; from names the accuser.
func (c *Core) onDead(name string, inc uint64, from string) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation {
		return
	}
	if m == c.self {
		c.accused(inc)
		return
	}
	if inc == m.Incarnation && m.State >= StateDead {
		return // the same or stronger news
	}
	was := m.State
	m.Incarnation = inc
	c.setState(m, StateDead)
	c.news.push(m.Name, wire.AppendDead(nil, &wire.Dead{Name: m.Name, Incarnation: inc, From: from}), nil)
	if was != StateDead {
		c.emit(EventFailed, m)
	}
}

// onLeave applies a member's announcement that it left.
func (c *Core) onLeave(name string, inc uint64) {
	m, ok := c.members[name]
	if !ok || inc < m.Incarnation {
		return
	}
	if m == c.self {
		c.accused(inc) // a leave of ours that we did not send: a replay
		return
	}
	if inc == m.Incarnation && m.State == StateLeft {
		return
	}
	was := m.State
	m.Incarnation = inc
	c.setState(m, StateLeft)
	c.news.push(m.Name, wire.AppendLeave(nil, &wire.Leave{Name: m.Name, Incarnation: inc}), nil)
	if was != StateLeft {
		c.emit(EventLeft, m)
	}
}

// accused handles news that this member is not alive at incarnation inc.
// It refutes, unless the member is leaving, or has yielded its name to a
// newer claimant and the accusation is about that claimant's incarnation.
func (c *Core) accused(inc uint64) {
	if c.leaving || (c.conflictAt != 0 && inc <= c.conflictAt) {
		return
	}
	c.refute(inc)
}

// refute answers news that says this member is not alive as it is, by
// announcing itself at a higher incarnation (SWIM 4.2). Having to refute
// is also a sign of our own poor health (Lifeguard).
func (c *Core) refute(accused uint64) {
	if accused >= c.self.Incarnation {
		c.self.Incarnation = accused
	}
	c.bumpIncarnation()
	c.adjustHealth(1)
	c.stats.Refutations++
	c.announceSelf()
}

// bumpIncarnation raises our incarnation by one, saturating: wrapping to
// zero would undo every refutation, so at the top (reachable only through a
// forged accusation) it stays put.
func (c *Core) bumpIncarnation() {
	if c.self.Incarnation < math.MaxUint64 {
		c.self.Incarnation++
	}
}

// announceSelf queues this member's alive announcement.
func (c *Core) announceSelf() {
	c.queueAlive(c.self)
}

func (c *Core) queueAlive(m *member) {
	c.news.push(m.Name, wire.AppendAlive(nil, &wire.Alive{Name: m.Name, Addr: m.Addr, Meta: m.Meta, Incarnation: m.Incarnation}), nil)
}

func (c *Core) queueSuspect(m *member, from string) {
	c.news.push(m.Name, wire.AppendSuspect(nil, &wire.Suspect{Name: m.Name, Incarnation: m.Incarnation, From: from}), nil)
}

// startSuspicion starts Lifeguard's timer for a member just suspected.
func (c *Core) startSuspicion(m *member, from string) {
	lo, hi, k := c.suspicionBounds()
	m.susp = &suspicion{start: c.now, k: k, min: lo, max: hi, confirmers: []string{from}}
	c.armSuspicion(m)
}

// armSuspicion (re)sets the suspicion's timer to its current deadline.
func (c *Core) armSuspicion(m *member) {
	c.suspGen++
	m.susp.gen = c.suspGen
	c.schedule(m.susp.start.Add(m.susp.timeout()), timer{kind: timerSuspicion, name: m.Name, gen: c.suspGen})
}

// suspicionTimeout declares a member dead whose suspicion ran out.
func (c *Core) suspicionTimeout(name string, gen uint64) {
	m, ok := c.members[name]
	if !ok || m.State != StateSuspect || m.susp == nil || m.susp.gen != gen {
		return
	}
	c.onDead(m.Name, m.Incarnation, c.self.Name)
}
