package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/udp"
	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// Errors returned by Node methods; test for them with errors.Is.
var (
	// ErrClosed: the node was closed.
	ErrClosed = errors.New("memberlist: node closed")
	// ErrTooLarge: a message is larger than MaxMessageSize.
	ErrTooLarge = swim.ErrTooLarge
	// ErrUnknownMember: no alive or suspect member has that name.
	ErrUnknownMember = swim.ErrUnknownMember
	// ErrQueueFull: too many broadcasts are waiting to be sent.
	ErrQueueFull = swim.ErrQueueFull
)

// familyLen is the size of the message family id that prefixes every
// application payload, so that one node can carry several message families.
const familyLen = 4

// MaxMessageSize is the largest application message (after the family id)
// that Send and Broadcast carry in one packet. It leaves room for the
// protocol's worst-case framing, and the packet budget leaves room for the
// transport's checksum, cluster label and encryption, so the bound holds
// whatever the configuration. Generated code checks its messages against it
// at compile time.
const MaxMessageSize = swim.DefaultPacketBudget - swim.PayloadOverhead - familyLen

// The core's fullest packet with the transport's worst framing (the longest
// label, encrypted) fits one datagram, so MaxMessageSize holds whatever
// Keys and Label are. A change to any of these constants that breaks this
// stops the build here: the constant would be negative.
const _ = uint(udp.MaxPacketSize - swim.DefaultPacketBudget - udpframe.MaxOverhead)

// Node is one member of a cluster over UDP. Start one with Start; its
// methods are safe for concurrent use. One goroutine at a time runs the
// protocol core: the loop, or the socket's read goroutine stepping a batch
// itself; the methods talk to the loop.
type Node struct {
	cfg  Config
	log  *slog.Logger
	tr   *udp.Transport
	keys *udpframe.Keyring // nil without encryption
	// mu is held by whoever runs the core: the loop, or the read
	// goroutine stepping a batch of datagrams itself (see receive). What
	// these files say runs "on the loop" (flush and what it calls, the
	// functions do runs) runs holding it, and so do fields "loop only".
	mu   sync.Mutex
	core *swim.Core
	// timer wakes the loop for the core's next timer; stopped is set once
	// the loop has returned, so that the read goroutine steps no more.
	timer   *time.Timer
	stopped bool
	// debug says whether the logger takes Debug records, asked once a
	// second rather than per flush: asking, and building the records of
	// events it then drops, was 2 % of the CPU of a process running
	// 1,024 members. Loop only.
	debug bool
	// streams carries SendReliable and AppState (reliable.go).
	streams *streams
	// admits counts members refused by AllowedCIDRs or Admit, by reason.
	admits *admitCounts
	// pings are the Ping calls waiting for an ack.
	pings pings
	// meters count by message family and time things (meters.go).
	meters *meters

	in    chan *udp.Batch
	out   []udp.Packet // the loop's, for flush
	calls chan func(now time.Time)
	// called holds the calls run since the last flush, told they are done
	// once it has published what they changed (see do).
	called []chan struct{}
	quit   chan struct{}
	stop   context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	dropped     atomic.Uint64
	undelivered atomic.Uint64
	undecodable atomic.Uint64
	// counted is set once the payload being dispatched has been counted
	// as undecodable, so that it counts once however many of its
	// handlers fail to decode it.
	counted atomic.Bool

	// pumps counts the subscriptions' backlog pumps (see Subscription).
	pumps      sync.WaitGroup
	subsMu     sync.Mutex
	subs       map[*Subscription]struct{}
	subsClosed bool

	handlersMu sync.RWMutex
	handlers   map[uint32][]*handler
	deliver    chan *delivery

	leaving   atomic.Bool
	leaveDone chan struct{}
	leaveOnce sync.Once

	join joinState // Join, Joined and Start's wait (join.go)

	// What Members, LocalMember and Stats read without asking the loop
	// (see view.go): the view, and a copy of the core's counters.
	view        atomic.Pointer[view]
	statsMu     sync.Mutex
	coreStats   swim.Stats
	lastListed  atomic.Int64 // when Members was last called, in Unix nanoseconds
	viewGen     uint64       // loop only, as the rest
	viewBuilt   time.Time    // when the view was last rebuilt from the core
	selfChanged bool         // this node's record may have changed
	refutations uint64       // the core's count when the view last took our record
}

type handler struct {
	fn func(from Member, payload []byte)
}

// delivery is one message for the handlers. The queue holds pointers: a
// queue of 1,024 structs would be 150 KB per node, scanned by every
// collection, which a process of hundreds of members felt.
type delivery struct {
	from    Member
	family  uint32
	payload []byte
	done    func() // if set, called once the handlers have run
}

// Start binds the node's UDP socket, starts its protocol loop and joins the
// cluster through cfg.Discovery. It returns as soon as the node runs: if no
// seed answers yet, the node keeps trying in the background with backoff,
// and discovery is asked again every DiscoveryInterval; with
// cfg.JoinTimeout it waits for a first join instead (see Config.JoinTimeout).
// With no Discovery the node forms a cluster of one that others can join.
// ctx bounds only the start; Close ends the node.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.PacketBudget == 0 {
		cfg.PacketBudget = swim.DefaultPacketBudget
	}
	if cfg.PacketBudget != swim.DefaultPacketBudget {
		return nil, badField("PacketBudget", cfg.PacketBudget, fmt.Sprintf("%d (the UDP transport's budget)", swim.DefaultPacketBudget))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("node", cfg.Name)
	var keys *udpframe.Keyring
	if len(cfg.Keys) > 0 {
		var err error
		if keys, err = udpframe.NewKeyring(cfg.Keys...); err != nil {
			return nil, fmt.Errorf("%w: Keys: %w", ErrInvalidConfig, err)
		}
	}
	tr, st, err := listenTransports(ctx, cfg, log, keys)
	if err != nil {
		return nil, publicError(fmt.Errorf("memberlist: start %s: %w", cfg.Name, err))
	}
	now := time.Now()
	admits := &admitCounts{}
	coreCfg := cfg.Config
	coreCfg.Admit = admission(cfg, admits, log)
	core, err := swim.New(now, coreCfg, swim.Member{Name: cfg.Name, Addr: tr.AdvertiseAddr(), Meta: cfg.Meta}, uint64(now.UnixNano()))
	if err != nil {
		tr.Close()
		st.Close()
		return nil, publicError(fmt.Errorf("memberlist: start %s: %w", cfg.Name, err))
	}
	runCtx, stop := context.WithCancel(context.Background())
	n := &Node{
		cfg:       cfg,
		log:       log,
		tr:        tr,
		keys:      keys,
		core:      core,
		streams:   newStreams(cfg, st),
		admits:    admits,
		meters:    newMeters(),
		in:        make(chan *udp.Batch, udp.MaxBatches),
		calls:     make(chan func(time.Time)),
		quit:      make(chan struct{}),
		stop:      stop,
		subs:      make(map[*Subscription]struct{}),
		handlers:  make(map[uint32][]*handler),
		deliver:   make(chan *delivery, 1024),
		leaveDone: make(chan struct{}),
		join:      newJoinState(),
	}
	n.publishState(now, nil)
	n.timer = time.NewTimer(time.Hour)
	n.debug = log.Enabled(context.Background(), slog.LevelDebug)
	n.wg.Add(2)
	go n.loop()
	go n.dispatch()
	tr.StartBatch(n.receive)
	n.startStreams()
	if cfg.Discovery != nil {
		n.wg.Add(1)
		go n.discover(runCtx)
	}
	log.Info("memberlist: node started", "addr", tr.AdvertiseAddr(), "bind", tr.LocalAddr(), "label", cfg.Label, "encrypted", keys != nil)
	if cfg.JoinTimeout > 0 {
		if err := n.awaitJoin(ctx); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// receive runs on the transport's read goroutine with a batch, the
// datagrams of one read. When the core is free and no batch waits for the
// loop, it steps the batch itself: one goroutine wakes per batch, not two
// (the read goroutine, then the loop). In a process running 1,024 members
// (S4), that took the steady CPU per datagram from 67 to 55 us (means of
// four trials each). Else it hands the batch to the loop without copying
// it. The transport lends at most udp.MaxBatches at once, so the channel
// has room; when the loop is that far behind, the transport drops and
// counts what arrives (Stats.Transport.Overrun), so the socket is always
// drained.
func (n *Node) receive(b *udp.Batch) {
	// Only this goroutine sends on n.in, so an empty channel stays empty
	// until it sends: a batch stepped here never overtakes an earlier one.
	if len(n.in) == 0 && n.mu.TryLock() {
		defer n.mu.Unlock()
		if n.stopped {
			b.Release()
			return
		}
		n.step(b)
		n.flush()
		return
	}
	select {
	case n.in <- b:
	default:
		n.dropped.Add(uint64(len(b.Datagrams)))
		for range b.Datagrams {
			n.meters.dropInbound()
		}
		b.Release()
	}
}

// loop owns the protocol core: it feeds it packets, timers and calls, and
// does what it asks.
func (n *Node) loop() {
	defer n.wg.Done()
	defer n.timer.Stop()
	metrics := time.NewTicker(time.Second)
	defer metrics.Stop()
	n.mu.Lock()
	n.flush()
	n.mu.Unlock()
	for {
		select {
		case <-n.quit:
			n.mu.Lock()
			n.stopped = true
			n.mu.Unlock()
			return
		case b := <-n.in:
			n.mu.Lock()
			n.step(b)
			n.flush()
			n.mu.Unlock()
		case f := <-n.calls:
			n.mu.Lock()
			f(time.Now())
			n.flush()
			n.mu.Unlock()
		case <-n.timer.C:
			// Packets already read go first: a loop short of CPU finds
			// the ack to its probe and the probe's timeout both waiting,
			// and the ack came first. Taking the timeout first made
			// members in a saturated process suspect each other.
			n.mu.Lock()
			n.stepWaiting()
			n.core.Tick(time.Now())
			n.flush()
			n.mu.Unlock()
		case <-metrics.C:
			var s Stats
			n.mu.Lock()
			n.debug = n.log.Enabled(context.Background(), slog.LevelDebug)
			if n.cfg.Metrics != nil {
				s = n.statsLocked()
			}
			n.mu.Unlock()
			if n.cfg.Metrics != nil {
				n.cfg.Metrics.Observe(s) // outside the lock: the sink may block
			}
		}
	}
}

// step hands a batch of datagrams to the core: one wake-up for the batch.
// The core copies what it keeps (swim's decoding shares no memory with the
// packet), so the buffers go back to the transport at once.
func (n *Node) step(b *udp.Batch) {
	now := time.Now()
	n.core.InputDelay(now, now.Sub(b.Read))
	for _, d := range b.Datagrams {
		joined := n.core.Joined()
		if err := n.core.Step(now, d.From, d.Payload); err != nil {
			n.dropped.Add(1)
			n.log.Debug("memberlist: dropped packet", "from", d.From, "err", err)
		} else {
			n.heard(d.From)
		}
		if !joined && n.core.Joined() {
			n.joinedThrough(d.From)
		}
	}
	b.Release()
}

// stepWaiting steps the batches the transport had handed over and the loop
// had not taken yet when it was called; no more, so that a flood of
// datagrams cannot hold a due timer back for ever.
func (n *Node) stepWaiting() {
	for range len(n.in) {
		n.step(<-n.in)
	}
}

// flush does what the core asked after the last input.
func (n *Node) flush() {
	rd := n.core.Ready()
	debug := n.debug
	n.out = n.out[:0]
	for _, p := range rd.Packets {
		if debug { // describing a packet costs; only when someone reads it
			n.log.Debug("memberlist: send", "to", p.To, "packet", swim.DescribePacket(p.Bytes))
		}
		n.out = append(n.out, udp.Packet{To: p.To, Bytes: p.Bytes})
	}
	if err := n.tr.WriteBatch(n.out); err != nil {
		n.log.Debug("memberlist: send failed", "err", err)
	}
	clear(n.out) // the core reuses the packets' bytes
	n.runStreamProbes(rd.StreamProbes)
	n.publishState(time.Now(), rd.Events)
	n.publish(rd.Events)
	// Timed before the pongs go out, so a Ping's caller finds its own round
	// trip in Stats once Ping returns.
	for _, r := range rd.RTTs {
		n.meters.observe(timingProbeRTT, r.RTT)
	}
	n.deliverPongs(rd.Pongs)
	for _, s := range rd.Syncs {
		n.meters.observe(timingSync, s.Took)
	}
	n.noteJoins(rd.Events)
	if debug {
		for _, ev := range rd.Events {
			n.log.Debug("memberlist: "+ev.Type.String(), "member", ev.Member.Name, "addr", ev.Member.Addr, "incarnation", ev.Member.Incarnation)
		}
	}
	for _, d := range rd.Delivered {
		if len(d.Payload) < familyLen {
			n.undelivered.Add(1)
			n.meters.dropShort()
			continue
		}
		from, ok := n.core.Member(d.From)
		if !ok {
			from = Member{Name: d.From}
		}
		family := binary.BigEndian.Uint32(d.Payload)
		select {
		case n.deliver <- &delivery{from: from, family: family, payload: d.Payload[familyLen:]}:
			n.meters.received(family, d.Broadcast, false)
		default:
			n.undelivered.Add(1)
			n.meters.received(family, d.Broadcast, true)
		}
	}
	if n.leaving.Load() && n.core.LeaveDone() {
		n.leaveOnce.Do(func() { close(n.leaveDone) })
	}
	if !rd.Wake.IsZero() {
		n.timer.Reset(time.Until(rd.Wake))
	}
	for _, done := range n.called {
		close(done)
	}
	clear(n.called)
	n.called = n.called[:0]
}

// do runs f on the loop and waits for it, ctx or Close. It returns once
// the loop has flushed after f: what f sent is on its way, and Stats,
// Members and LocalMember show what it changed. After an error, f may not
// have run or may be running still: read nothing f writes.
func (n *Node) do(ctx context.Context, f func(now time.Time)) error {
	done := make(chan struct{})
	select {
	case n.calls <- func(now time.Time) { f(now); n.called = append(n.called, done) }:
	case <-n.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-n.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LocalMember returns this node's own record. It reads the view the loop
// publishes, and never waits for the loop.
func (n *Node) LocalMember() Member {
	m := n.view.Load().local
	m.Meta = bytes.Clone(m.Meta)
	return m
}

// Members returns a snapshot of every member known, this node included,
// sorted by name: alive, suspect, and dead or left ones until they are
// forgotten. The slice and its metadata are the caller's own. It reads
// the view the loop publishes after each batch of input, so it costs no
// round trip through the loop, and it reflects every event already
// delivered to subscribers. The loop keeps that list only while it is
// read: the first call after ten seconds without one waits for the loop
// to build it. It returns nil after Close.
func (n *Node) Members() []Member {
	select {
	case <-n.quit:
		return nil
	default:
	}
	n.lastListed.Store(time.Now().UnixNano())
	v := n.view.Load()
	if !v.listed {
		if err := n.do(context.Background(), func(now time.Time) {
			n.rebuildView(now, n.core.Stats().Refutations)
		}); err != nil {
			return nil
		}
		v = n.view.Load()
	}
	return v.members()
}

// UpdateMeta replaces this node's metadata and announces it.
func (n *Node) UpdateMeta(ctx context.Context, meta []byte) error {
	var err error
	if e := n.do(ctx, func(now time.Time) {
		err = n.core.UpdateMeta(now, meta)
		n.selfChanged = true
	}); e != nil {
		return e
	}
	return publicError(err)
}

// Leave announces that this node leaves the cluster and waits until the
// announcement has been sent as often as any news is, or ctx ends. Other
// members then report it left, not failed. The node keeps answering until
// Close.
func (n *Node) Leave(ctx context.Context) error {
	var err error
	if e := n.do(ctx, func(now time.Time) {
		err = n.core.Leave(now)
		n.leaving.Store(true)
		n.selfChanged = true
	}); e != nil {
		return e
	}
	if err != nil {
		return publicError(err)
	}
	select {
	case <-n.leaveDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.quit:
		return ErrClosed
	}
}

// Close stops the node at once: to the others it looks like a crash (use
// Leave first for a graceful exit). No goroutine of the node outlives it.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		n.stop()
		close(n.quit)
		err = n.tr.Close()
		n.closeStreams()
		n.wg.Wait()
		n.closeSubs()
		n.pumps.Wait()
		n.log.Info("memberlist: node closed")
	})
	return err
}

// Stats returns the node's counters. It never waits for the loop: the
// protocol's counters and the member counts are those the loop published
// after its last batch of input, the transport's are read as they are.
func (n *Node) Stats() Stats {
	n.statsMu.Lock()
	core := n.coreStats
	n.statsMu.Unlock()
	return n.stats(core, n.view.Load().counts)
}

// statsLocked gathers the counters on the loop, fresh from the core.
func (n *Node) statsLocked() Stats {
	var counts [4]int
	counts[0], counts[1], counts[2], counts[3] = n.core.NumMembers()
	return n.stats(n.core.Stats(), counts)
}

// stats puts the node's counters together with the core's and the member
// counts given.
func (n *Node) stats(core swim.Stats, counts [4]int) Stats {
	t := n.tr.Stats()
	refused := t.BadFrame + t.BadVersion + t.BadLabel + t.BadChecksum + t.Unencrypted + t.DecryptFailed + t.Replayed + t.Stale
	s := Stats{
		Protocol:    core,
		PacketsIn:   t.PacketsIn,
		PacketsOut:  t.PacketsOut,
		BytesIn:     t.BytesIn,
		BytesOut:    t.BytesOut,
		Dropped:     n.dropped.Load() + t.Oversized + t.Empty + t.Overrun + refused,
		Undelivered: n.undelivered.Load(),
		Undecodable: n.undecodable.Load(),
		Transport:   t,
	}
	s.Alive, s.Suspect, s.Dead, s.Left = counts[0], counts[1], counts[2], counts[3]
	s.AdmitRefused = n.admits.snapshot()
	n.streamStats(&s)
	n.meters.fill(&s)
	return s
}
