package runtime

import (
	"sync"
	"time"
)

// FamilyStats count one message family's messages at this node.
type FamilyStats struct {
	// Sent counts messages sent to one member (Send); Broadcast those
	// broadcast (Broadcast and BroadcastKeyed), once each however many
	// members they reach.
	Sent, Broadcast uint64
	// Received counts messages that arrived for this node, sent to it or
	// broadcast, delivered to handlers or not; ReceivedBroadcast those of
	// them that were broadcast.
	Received, ReceivedBroadcast uint64
	// The messages that arrived but reached no handler, or none that could
	// read them, by reason (each is also in Stats.Undelivered or
	// Stats.Undecodable):
	//
	//   - NoHandler: no handler was registered for the family;
	//   - Overflow: 1,024 messages waited for slow handlers;
	//   - Undecodable: the handlers could not decode it (CountUndecodable).
	NoHandler, Overflow, Undecodable uint64
}

// Timings are distributions of how long things took at this node, since
// Start. ProbeRTT and Sync are measured by the protocol core; the others by
// the node.
type Timings struct {
	// ProbeRTT is the round trip of each probe of another member (or
	// Ping) answered by a direct ack: the network's latency plus the time
	// both ends took to handle the packets.
	ProbeRTT Histogram
	// Sync is how long each state exchange this node asked for took (an
	// anti-entropy digest answered with state, a join, a reconnection),
	// from its request until the last chunk of the answer.
	Sync Histogram
	// Join is how long each Join call waited for its first answer.
	Join Histogram
	// Handler is how long the handlers of one message ran, together: a
	// slow handler delays every message after it (see Handle).
	Handler Histogram
}

// TimingBuckets is the number of buckets of a Histogram.
const TimingBuckets = 16

// TimingBounds returns the upper bounds of the buckets of every
// Histogram, ascending: from 100µs, which a round trip on one host
// takes, to 10 s, past any timeout.
func TimingBounds() [TimingBuckets]time.Duration {
	const ms = time.Millisecond
	return [TimingBuckets]time.Duration{
		100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
		ms, 2500 * time.Microsecond, 5 * ms, 10 * ms, 25 * ms, 50 * ms, 100 * ms, 250 * ms, 500 * ms,
		time.Second, 2500 * ms, 5 * time.Second, 10 * time.Second,
	}
}

// Histogram is a distribution of durations, as Prometheus keeps one.
type Histogram struct {
	// Count is how many durations were observed, and Sum their total.
	Count uint64
	Sum   time.Duration
	// Buckets[i] is how many were at most TimingBounds()[i]: cumulative,
	// so Buckets[TimingBuckets-1] <= Count, the rest being longer than the
	// last bound.
	Buckets [TimingBuckets]uint64
}

// observe adds one duration.
func (h *Histogram) observe(d time.Duration) {
	h.Count++
	h.Sum += d
	bounds := TimingBounds()
	for i := TimingBuckets - 1; i >= 0 && d <= bounds[i]; i-- {
		h.Buckets[i]++
	}
}

// Mean is the mean duration, zero before the first.
func (h Histogram) Mean() time.Duration {
	if h.Count == 0 {
		return 0
	}
	return h.Sum / time.Duration(h.Count)
}

// timing names one of Timings' histograms.
type timing int

const (
	timingProbeRTT timing = iota
	timingSync
	timingJoin
	timingHandler
)

// maxFamilies bounds the families counted one by one; the messages of
// any more count in Stats.OtherFamilies.
const maxFamilies = 1024

// meters are the node's counters and timings beyond the core's and the
// transport's. The loop, the dispatch goroutine and the callers of Send,
// Broadcast, Handle and Join update them; Stats reads them.
type meters struct {
	mu       sync.Mutex
	families map[uint32]*FamilyStats
	other    FamilyStats
	timings  Timings
	// inboundOverflow counts datagrams dropped because the loop was too
	// far behind; short, user messages too short to hold a family id.
	inboundOverflow, short uint64
}

func newMeters() *meters {
	m := &meters{families: make(map[uint32]*FamilyStats)}
	// The program's families count one by one from the start.
	for id := range RegisteredFamilies() {
		m.families[id] = &FamilyStats{}
	}
	return m
}

// known makes family count one by one: this node handles or sends it.
// Only such families and the program's registered ones do, so that
// members sending messages of other families cannot grow the table.
func (m *meters) known(family uint32) {
	m.mu.Lock()
	m.family(family, true)
	m.mu.Unlock()
}

// family returns the counters of family: its own if it has them (or gets
// them, with add), else OtherFamilies'. m.mu is held.
func (m *meters) family(family uint32, add bool) *FamilyStats {
	if f, ok := m.families[family]; ok {
		return f
	}
	if add && len(m.families) < maxFamilies {
		f := &FamilyStats{}
		m.families[family] = f
		return f
	}
	return &m.other
}

// sent counts a message of family that this node sent or broadcast.
func (m *meters) sent(family uint32, broadcast bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.family(family, true)
	if broadcast {
		f.Broadcast++
	} else {
		f.Sent++
	}
}

// received counts a message of family that arrived, and whether it was
// dropped because the handlers were too far behind.
func (m *meters) received(family uint32, broadcast, overflow bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.family(family, false)
	f.Received++
	if broadcast {
		f.ReceivedBroadcast++
	}
	if overflow {
		f.Overflow++
	}
}

// noHandler counts a message of family that no handler took.
func (m *meters) noHandler(family uint32) {
	m.mu.Lock()
	m.family(family, false).NoHandler++
	m.mu.Unlock()
}

// undecodable counts a message of family that its handlers could not
// decode.
func (m *meters) undecodable(family uint32) {
	m.mu.Lock()
	m.family(family, false).Undecodable++
	m.mu.Unlock()
}

// dropShort counts a user message too short to hold a family id.
func (m *meters) dropShort() {
	m.mu.Lock()
	m.short++
	m.mu.Unlock()
}

// dropInbound counts a datagram dropped because the loop was behind.
func (m *meters) dropInbound() {
	m.mu.Lock()
	m.inboundOverflow++
	m.mu.Unlock()
}

// observe adds a duration to one of the timings. The core's measurements
// (timingProbeRTT from Ready.RTTs, timingSync from Ready.Syncs)
// come in through flush.
func (m *meters) observe(t timing, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch t {
	case timingProbeRTT:
		m.timings.ProbeRTT.observe(d)
	case timingSync:
		m.timings.Sync.observe(d)
	case timingJoin:
		m.timings.Join.observe(d)
	case timingHandler:
		m.timings.Handler.observe(d)
	}
}

// fill copies the meters into s.
func (m *meters) fill(s *Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Families = make(map[uint32]FamilyStats, len(m.families))
	for id, f := range m.families {
		s.Families[id] = *f
	}
	s.OtherFamilies = m.other
	s.Timings = m.timings
	s.InboundOverflow = m.inboundOverflow
	s.ShortMessages = m.short
}
