// Package swimtest runs many swim cores over a simulated network in virtual
// time: per-link loss, delay and jitter (and so reordering), partitions of
// any grouping, one-way blocks, crashes, restarts and slow members. One seed
// reproduces one run exactly, so a failing run can be replayed and a test of
// a thousand members over ten simulated minutes takes seconds.
//
// Applications may use it to test their own reactions to membership events:
//
//	c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 1})
//	nodes := c.AddN(100)
//	c.JoinAll(nodes[0])
//	c.RunUntil(30*time.Second, func() bool { return c.AllSeeAlive(nodes) })
package swimtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/internal/timeq"
)

// Errors for calls a test makes out of order; test with errors.Is.
var (
	// ErrDown reports a call that needs a running member on one that
	// crashed or is paused.
	ErrDown = errors.New("swimtest: member is not running")
	// ErrLeft reports Leave on a member that already left since it booted.
	ErrLeft = errors.New("swimtest: member already left")
	// ErrNotPaused reports Resume on a member that Pause did not stop.
	ErrNotPaused = errors.New("swimtest: member is not paused")
	// ErrForeign reports a member of another Cluster.
	ErrForeign = errors.New("swimtest: member of another cluster")
)

// HeaderBytes is what one datagram costs on the wire beyond its payload:
// the IPv4 and UDP headers. Byte counts include it, as ../SCENARIOS.md does.
const HeaderBytes = 28

// Link describes one direction of a simulated link.
type Link struct {
	// Delay is the one-way latency.
	Delay time.Duration
	// Jitter adds a uniformly random extra delay in [0, Jitter), which also
	// reorders packets.
	Jitter time.Duration
	// Loss is the probability, 0 to 1, that a packet is lost.
	Loss float64
}

// Options configure a simulated cluster.
type Options struct {
	// Config is every member's protocol configuration.
	Config swim.Config
	// Seed fixes every random choice of the network and the members.
	Seed uint64
	// Start is the virtual time at which the run starts; zero means
	// 2026-01-01 00:00 UTC.
	Start time.Time
	// Link is the default link between any two members; a zero Link
	// delivers after 1 ms with 1 ms of jitter.
	Link Link
	// Trace, when set, receives one line per packet sent (described with
	// swim.DescribePacket, addresses shown as member names, and how the
	// network treated it), per packet injected, per membership event and
	// per payload delivered, each starting with the virtual time elapsed.
	Trace io.Writer
}

// Cluster is a simulated network of members in virtual time.
type Cluster struct {
	opts   Options
	now    time.Time
	rng    *rand.Rand
	nodes  []*Node
	byAddr map[netip.AddrPort]*Node
	q      timeq.Queue[event]
	links  map[[2]int]Link
	cut    map[[2]int]bool
	// streams overrides whether streams from one member to another work.
	streams map[[2]int]bool
	group   map[int]int // partition group per node ID; absent: group 0
	nextIP  uint32

	// OnEvent, when set, is called for every membership event.
	OnEvent func(n *Node, ev swim.Event)
	// OnDeliver, when set, is called for every user payload delivered.
	OnDeliver func(n *Node, msg swim.UserMessage)
	// OnStreamProbe, when set, is called for every stream probe a member
	// asks for, before the simulated network runs it.
	OnStreamProbe func(n *Node, p swim.StreamProbe)

	// tap, when set, sees every packet sent (see Capture).
	tap func(from *Node, p swim.Outbound)
}

// Node is one simulated member.
type Node struct {
	ID   int
	Name string
	Addr netip.AddrPort
	Core *swim.Core
	// Up is false after Crash.
	Up bool
	// Slow delays the handling of every packet this member receives, as a
	// member starved of CPU would (the case Lifeguard exists for).
	Slow time.Duration
	// ClockBehind is how far this member's host clock is behind the
	// others' when it (re)boots: its first incarnation, which comes from
	// that clock, is as much lower.
	ClockBehind time.Duration
	// Events holds every membership event this member reported, across
	// restarts.
	Events []swim.Event
	// PacketsOut and BytesOut count what the member sent, BytesOut with
	// HeaderBytes per datagram.
	PacketsOut, BytesOut uint64
	// StreamProbes counts the stream probes (TCP fallback) it ran.
	StreamProbes uint64
	// Delivered holds user payloads delivered to this member.
	Delivered []swim.UserMessage

	c      *Cluster
	gen    int
	wake   time.Time
	paused bool
	left   bool
}

// New returns an empty cluster.
func New(opts Options) *Cluster {
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.Link == (Link{}) {
		opts.Link = Link{Delay: time.Millisecond, Jitter: time.Millisecond}
	}
	return &Cluster{
		opts:    opts,
		now:     opts.Start,
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x5eed)),
		byAddr:  make(map[netip.AddrPort]*Node),
		links:   make(map[[2]int]Link),
		cut:     make(map[[2]int]bool),
		streams: make(map[[2]int]bool),
		group:   make(map[int]int),
		nextIP:  10<<24 | 1,
	}
}

// Now is the current virtual time.
func (c *Cluster) Now() time.Time { return c.now }

// Elapsed is the virtual time since the start of the run.
func (c *Cluster) Elapsed() time.Duration { return c.now.Sub(c.opts.Start) }

// Nodes returns every member added, crashed ones included.
func (c *Cluster) Nodes() []*Node { return c.nodes }

func (c *Cluster) newAddr() netip.AddrPort {
	ip := c.nextIP
	c.nextIP++
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), 7946)
}

// Add starts a member named name at a fresh address; it does not join yet.
// Names need not be unique (two processes claiming one name is a case to
// test); the core's error for an invalid name or Options.Config is
// returned.
func (c *Cluster) Add(name string) (*Node, error) {
	n := &Node{ID: len(c.nodes), Name: name, c: c}
	if err := c.boot(n, c.newAddr()); err != nil {
		return nil, err
	}
	c.nodes = append(c.nodes, n)
	return n, nil
}

// AddN adds n members named node-0, node-1, ... after those present. Their
// names are valid, so only an invalid Options.Config can fail it, and it
// panics then: that is the test's own setup, not a case it tests.
func (c *Cluster) AddN(n int) []*Node {
	out := make([]*Node, n)
	for i := range out {
		var err error
		if out[i], err = c.Add(fmt.Sprintf("node-%d", len(c.nodes))); err != nil {
			panic(err)
		}
	}
	return out
}

func (c *Cluster) boot(n *Node, addr netip.AddrPort) error {
	self := swim.Member{Name: n.Name, Addr: addr}
	if n.ClockBehind > 0 {
		self.Incarnation = uint64(c.now.Add(-n.ClockBehind).UnixMilli())
	}
	core, err := swim.New(c.now, c.opts.Config, self, c.rng.Uint64())
	if err != nil {
		return fmt.Errorf("swimtest: boot %s: %w", n.Name, err)
	}
	if old := c.byAddr[n.Addr]; old == n {
		delete(c.byAddr, n.Addr)
	}
	n.Addr = addr
	n.Core = core
	n.Up = true
	n.paused = false
	n.left = false
	n.gen++
	n.wake = time.Time{}
	c.byAddr[addr] = n
	c.flush(n)
	return nil
}

// check returns an error unless n is a member of c and, when running is
// set, up.
func (c *Cluster) check(n *Node, running bool) error {
	switch {
	case n == nil || n.c != c:
		return ErrForeign
	case running && !n.Up:
		return fmt.Errorf("%s: %w", n.Name, ErrDown)
	}
	return nil
}

// Join makes n join through the given seeds, which may be down (a seed
// that does not answer is a case to test). It fails with ErrDown for a
// member that is not running and with the core's error for one that left.
func (c *Cluster) Join(n *Node, seeds ...*Node) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	addrs := make([]netip.AddrPort, len(seeds))
	for i, s := range seeds {
		if err := c.check(s, false); err != nil {
			return err
		}
		addrs[i] = s.Addr
	}
	err := n.Core.Join(c.now, addrs)
	c.flush(n)
	if err != nil {
		return fmt.Errorf("swimtest: %s joins: %w", n.Name, err)
	}
	return nil
}

// JoinAll makes every running member but the seeds join through the seeds;
// it returns the errors of those that could not.
func (c *Cluster) JoinAll(seeds ...*Node) error {
	var errs []error
	for _, n := range c.nodes {
		if n.Up && !contains(seeds, n) {
			errs = append(errs, c.Join(n, seeds...))
		}
	}
	return errors.Join(errs...)
}

func contains(ns []*Node, n *Node) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// Crash stops n at once: it sends and receives nothing more. Crashing a
// stopped member changes nothing, as pulling a pulled plug would.
func (c *Cluster) Crash(n *Node) {
	n.Up = false
	n.paused = false
	n.gen++
}

// Pause freezes n, as SIGSTOP or a paused VM would: it handles nothing
// and packets sent to it are lost, but its state is kept for Resume. It
// fails with ErrDown for a member already stopped.
func (c *Cluster) Pause(n *Node) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	n.Up = false
	n.paused = true
	n.gen++
	return nil
}

// Resume thaws a member paused with Pause: its timers, overdue by the
// whole pause, fire at once. It fails with ErrNotPaused for any other
// member: a crashed one comes back only through Restart.
func (c *Cluster) Resume(n *Node) error {
	if err := c.check(n, false); err != nil {
		return err
	}
	if !n.paused {
		return fmt.Errorf("%s: %w", n.Name, ErrNotPaused)
	}
	n.Up = true
	n.paused = false
	n.gen++
	n.wake = c.now
	c.push(c.now, event{kind: evWake, node: n, gen: n.gen})
	return nil
}

// Restart boots a crashed (or running) member again under the same name:
// at a new address when newAddr is set, else at its old one, with a fresh
// core whose first incarnation comes from its clock (see ClockBehind). It
// does not join; call Join.
func (c *Cluster) Restart(n *Node, newAddr bool) error {
	if err := c.check(n, false); err != nil {
		return err
	}
	n.Up = false
	addr := n.Addr
	if newAddr {
		addr = c.newAddr()
	}
	return c.boot(n, addr)
}

// Leave makes n announce that it leaves; it keeps running until crashed.
// It fails with ErrDown for a stopped member and ErrLeft for one that
// already left since it booted.
func (c *Cluster) Leave(n *Node) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	if n.left {
		return fmt.Errorf("%s: %w", n.Name, ErrLeft)
	}
	err := n.Core.Leave(c.now)
	c.flush(n)
	if err != nil {
		return fmt.Errorf("swimtest: %s leaves: %w", n.Name, err)
	}
	n.left = true
	return nil
}

// Broadcast gossips payload from n. It fails with ErrDown for a stopped
// member and with the core's error (swim.ErrTooLarge, swim.ErrQueueFull,
// swim.ErrLeft) otherwise.
func (c *Cluster) Broadcast(n *Node, payload []byte) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	err := n.Core.Broadcast(c.now, payload)
	c.flush(n)
	return err
}

// BroadcastKeyed gossips payload from n under key, replacing a queued
// broadcast of that key (see swim.Core.BroadcastKeyed).
func (c *Cluster) BroadcastKeyed(n *Node, key string, payload []byte) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	err := n.Core.BroadcastKeyed(c.now, key, payload)
	c.flush(n)
	return err
}

// Send sends payload from n to the member named to. It fails with ErrDown
// for a stopped member and with the core's error (swim.ErrUnknownMember,
// swim.ErrTooLarge, swim.ErrLeft) otherwise.
func (c *Cluster) Send(n *Node, to string, payload []byte) error {
	if err := c.check(n, true); err != nil {
		return err
	}
	err := n.Core.Send(c.now, to, payload)
	c.flush(n)
	return err
}

// SetLink overrides the link from a to b (one direction).
func (c *Cluster) SetLink(a, b *Node, l Link) { c.links[[2]int{a.ID, b.ID}] = l }

// SetDefaultLink changes the link between members without an override.
func (c *Cluster) SetDefaultLink(l Link) { c.opts.Link = l }

// Block drops every packet from a to b (one direction) until Unblock.
func (c *Cluster) Block(a, b *Node) { c.cut[[2]int{a.ID, b.ID}] = true }

// Unblock undoes Block.
func (c *Cluster) Unblock(a, b *Node) { delete(c.cut, [2]int{a.ID, b.ID}) }

// SetStream says whether streams (TCP) from a to b work, whatever the
// links between them do: SetStream(a, b, true) with SetLink(a, b,
// Link{Loss: 1}) or Block(a, b) is a host whose UDP is filtered while TCP
// gets through. Without it, streams work between members that are in the
// same partition group with neither direction blocked; loss and delay do
// not stop them (TCP retransmits), and a stream probe is answered after two
// round trips (connection and request), at the links' longest delay.
func (c *Cluster) SetStream(a, b *Node, up bool) { c.streams[[2]int{a.ID, b.ID}] = up }

// ResetStream undoes SetStream: streams from a to b follow the links again.
func (c *Cluster) ResetStream(a, b *Node) { delete(c.streams, [2]int{a.ID, b.ID}) }

// streamUp reports whether a stream from a to b gets through.
func (c *Cluster) streamUp(a, b *Node) bool {
	if up, ok := c.streams[[2]int{a.ID, b.ID}]; ok {
		return up
	}
	return c.group[a.ID] == c.group[b.ID] && !c.cut[[2]int{a.ID, b.ID}] && !c.cut[[2]int{b.ID, a.ID}]
}

// link returns the link from a to b.
func (c *Cluster) link(a, b *Node) Link {
	if l, ok := c.links[[2]int{a.ID, b.ID}]; ok {
		return l
	}
	return c.opts.Link
}

// streamProbe runs a stream probe n's core asked for: it answers after two
// round trips if a member of that name is up at that address and streams
// reach it, and fails at the probe's deadline otherwise, as a dial or a
// read that times out would. A slow member handles the result as late as
// it handles packets.
func (c *Cluster) streamProbe(n *Node, p swim.StreamProbe) {
	n.StreamProbes++
	if c.OnStreamProbe != nil {
		c.OnStreamProbe(n, p)
	}
	result := event{kind: evStreamResult, node: n, gen: n.gen, token: p.Token}
	at := p.Deadline
	if to, ok := c.byAddr[p.Addr]; ok && to.Up && to.Name == p.Name && c.streamUp(n, to) {
		there, back := c.link(n, to), c.link(to, n)
		answered := c.now.Add(2*(there.Delay+there.Jitter+back.Delay+back.Jitter) + to.Slow)
		if !answered.After(p.Deadline) {
			at, result.ok = answered, true
		}
	}
	c.push(at.Add(n.Slow), result)
}

// Partition splits the members into groups that cannot reach each other;
// members not named form one more group with each other. Heal undoes it.
func (c *Cluster) Partition(groups ...[]*Node) {
	clear(c.group)
	for i, g := range groups {
		for _, n := range g {
			c.group[n.ID] = i + 1
		}
	}
}

// Heal removes the partition (not one-way blocks).
func (c *Cluster) Heal() { clear(c.group) }

// route puts one packet on the network.
func (c *Cluster) route(from *Node, p swim.Outbound) {
	from.PacketsOut++
	from.BytesOut += uint64(len(p.Bytes)) + HeaderBytes
	if c.tap != nil {
		c.tap(from, p)
	}
	to, fate := c.fate(from, p)
	c.tracePacket(from.Name, "->", p.To, p.Bytes, fate)
	if to != nil {
		// The core takes the packet's bytes back at its next Ready.
		c.push(c.now.Add(c.delay(from, to)), event{kind: evDeliver, node: to, gen: to.gen, from: from.Addr, data: bytes.Clone(p.Bytes)})
	}
}

// fate decides whether the network loses p: it returns the member p
// will reach, or nil and why it is lost. A packet to a stopped member is
// lost once the link has drawn its random numbers, so that the random
// sequence of a seeded run does not depend on tracing.
func (c *Cluster) fate(from *Node, p swim.Outbound) (*Node, string) {
	to, ok := c.byAddr[p.To]
	switch {
	case !ok:
		return nil, "no one there"
	case c.group[from.ID] != c.group[to.ID]:
		return nil, "partitioned"
	case c.cut[[2]int{from.ID, to.ID}]:
		return nil, "blocked"
	}
	if l := c.link(from, to); l.Loss > 0 && c.rng.Float64() < l.Loss {
		return nil, "lost"
	}
	if !to.Up {
		c.delay(from, to)
		return nil, "receiver down"
	}
	return to, ""
}

// delay draws how long a packet from a takes to reach b and be handled.
func (c *Cluster) delay(a, b *Node) time.Duration {
	l := c.link(a, b)
	d := l.Delay + b.Slow
	if l.Jitter > 0 {
		d += time.Duration(c.rng.Int64N(int64(l.Jitter)))
	}
	return d
}

// flush does what n's core asks after an input.
func (c *Cluster) flush(n *Node) {
	rd := n.Core.Ready()
	for _, p := range rd.Packets {
		c.route(n, p)
	}
	for _, p := range rd.StreamProbes {
		c.streamProbe(n, p)
	}
	for _, ev := range rd.Events {
		n.Events = append(n.Events, ev)
		c.trace("%s: event %v", n.Name, ev)
		if c.OnEvent != nil {
			c.OnEvent(n, ev)
		}
	}
	for _, m := range rd.Delivered {
		n.Delivered = append(n.Delivered, m)
		c.trace("%s: deliver %v", n.Name, m)
		if c.OnDeliver != nil {
			c.OnDeliver(n, m)
		}
	}
	if !rd.Wake.IsZero() && (n.wake.IsZero() || rd.Wake.Before(n.wake)) {
		n.wake = rd.Wake
		c.push(rd.Wake, event{kind: evWake, node: n, gen: n.gen})
	}
}

// step runs the next event; it reports false when none is left.
func (c *Cluster) step(limit time.Time) bool {
	if next, ok := c.q.Next(); !ok || next.After(limit) {
		return false
	}
	at, ev := c.q.Pop()
	if at.After(c.now) {
		c.now = at
	}
	n := ev.node
	if !n.Up || ev.gen != n.gen {
		return true
	}
	switch ev.kind {
	case evDeliver:
		_ = n.Core.Step(c.now, ev.from, ev.data) // malformed input is counted by the core
	case evWake:
		if !at.Equal(n.wake) {
			return true // superseded by an earlier wake
		}
		n.wake = time.Time{}
		n.Core.Tick(c.now)
	case evStreamResult:
		n.Core.StreamProbeResult(c.now, ev.token, ev.ok)
	}
	c.flush(n)
	return true
}

// Run advances virtual time by d.
func (c *Cluster) Run(d time.Duration) {
	end := c.now.Add(d)
	for c.step(end) {
	}
	c.now = end
}

// RunUntil advances virtual time until cond holds, checking it every 100
// simulated milliseconds, for at most max. It reports whether cond held and
// how long it took.
func (c *Cluster) RunUntil(max time.Duration, cond func() bool) (bool, time.Duration) {
	start := c.now
	for c.now.Sub(start) < max {
		if cond() {
			return true, c.now.Sub(start)
		}
		c.Run(100 * time.Millisecond)
	}
	return cond(), c.now.Sub(start)
}

type eventKind uint8

const (
	evDeliver eventKind = iota + 1
	evWake
	evStreamResult
)

type event struct {
	kind eventKind
	node *Node
	gen  int
	from netip.AddrPort
	data []byte
	// evStreamResult: the stream probe's token and outcome.
	token uint32
	ok    bool
}

func (c *Cluster) push(at time.Time, e event) {
	c.q.Push(at, e)
}
