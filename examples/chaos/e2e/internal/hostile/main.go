//go:build linux

// Command hostile is the attacker of the chaos example's TestHostileNetwork
// (examples/chaos/e2e): run in a network namespace of its own on the
// cluster's bridge, it records the members' traffic from the moment it
// starts and, from SIGUSR1 on, attacks at once in three ways:
//
//   - ack spray: datagrams packed with acks and nacks, with random nonces
//     and with the small ones (0 to 127) that sequence numbers used to be,
//     from its own address and, with -spoof, from the members' addresses;
//   - replay: the recorded packets, whole IPv4 packets with their original
//     source, sent again in rotation to the other members, by pairs (see
//     replay);
//   - fake members: sync requests carrying many records and alive messages
//     about made-up names, from its own address (echoing the cookie a
//     member answers with, announcing itself as it goes, and answering
//     pings to its own address so that it stays a member), and, with
//     -spoof, from the members' addresses.
//
// With -sealed the cluster has keys and the attacker has none: what it
// writes itself is sealed with a key of its own or sent in clear, and
// only its replays are the cluster's sealed datagrams. On SIGTERM it
// writes what it sent (JSON) to -report and exits.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

type options struct {
	iface      string
	self       netip.Addr
	members    []netip.AddrPort
	ports      int
	spoof      bool
	sealed     bool
	label      string
	ackRate    int
	replayRate int
	fakeRate   int
	recordMax  int
	report     string
}

func parseFlags() (options, error) {
	var o options
	var self, members string
	flag.StringVar(&o.iface, "iface", "eth0", "interface to record on")
	flag.StringVar(&self, "self", "", "this host's IPv4 address")
	flag.StringVar(&members, "members", "", "comma-separated host:port of the cluster's members")
	flag.IntVar(&o.ports, "ports", 4, "UDP ports of its own to send from (7946 and up)")
	flag.BoolVar(&o.spoof, "spoof", false, "also send acks and fake members from the members' addresses (raw IP)")
	flag.BoolVar(&o.sealed, "sealed", false, "the cluster has keys: seal what it writes with a key of its own")
	flag.StringVar(&o.label, "label", "", "the cluster's label")
	flag.IntVar(&o.ackRate, "ack-rate", 200, "ack-spray datagrams per second")
	flag.IntVar(&o.replayRate, "replay-rate", 300, "replayed datagrams per second")
	flag.IntVar(&o.fakeRate, "fake-rate", 200, "fake-member datagrams per second")
	flag.IntVar(&o.recordMax, "record", 20000, "datagrams to record at most")
	flag.StringVar(&o.report, "report", "", "file to write the report to on SIGTERM")
	flag.Parse()
	var err error
	if o.self, err = netip.ParseAddr(self); err != nil || !o.self.Is4() {
		return o, fmt.Errorf("-self %q: want an IPv4 address", self)
	}
	for _, s := range strings.Split(members, ",") {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || !ap.Addr().Is4() {
			return o, fmt.Errorf("-members: %q: want IPv4 host:port", s)
		}
		o.members = append(o.members, ap)
	}
	if o.ports < 1 || o.ports > 64 {
		return o, fmt.Errorf("-ports %d: want 1 to 64", o.ports)
	}
	return o, nil
}

// tally counts what one kind of traffic sent.
type tally struct {
	Datagrams, Bytes, Messages atomic.Uint64
}

func (t *tally) add(bytes, msgs int) {
	t.Datagrams.Add(1)
	t.Bytes.Add(uint64(bytes))
	t.Messages.Add(uint64(msgs))
}

// Report is what the attacker sent and received; bytes are UDP payload
// bytes (add 28 per datagram for the IPv4 and UDP headers).
type Report struct {
	Recorded, RecordedBytes int
	// Acks and AcksSpoofed: ack-spray datagrams from its own address and
	// from members' addresses; Messages counts the acks and nacks.
	Acks, AcksSpoofed Count
	// Replays: recorded packets sent again.
	Replays Count
	// Fakes and FakesSpoofed: fake-member datagrams; Messages counts the
	// made-up names they carry.
	Fakes, FakesSpoofed Count
	// Received: datagrams the members sent to its own ports; Cookies the
	// cookies among them, PingsAnswered the pings it answered.
	Received                       Count
	Cookies, PingsAnswered, Errors uint64
	// To: everything sent to each member, by its IP.
	To map[string]Count
}

// Count is a tally's figures.
type Count struct{ Datagrams, Bytes, Messages uint64 }

func (t *tally) count() Count {
	return Count{t.Datagrams.Load(), t.Bytes.Load(), t.Messages.Load()}
}

type attacker struct {
	o        options
	plain    *frame.Codec
	foreign  *frame.Codec // sealed with a key the cluster does not have
	socks    []*net.UDPConn
	raw      *rawSender
	started  time.Time
	fakeSeq  atomic.Uint64
	errs     atomic.Uint64
	cookies  atomic.Uint64
	answered atomic.Uint64

	acks, acksSpoofed, replays, fakes, fakesSpoofed, received tally
	to                                                        map[netip.Addr]*tally // by member IP; filled before any use

	mu        sync.Mutex
	recording [][][]byte // by the index of the member that sent it
	recorded  int
	recBytes  int
	cookie    map[netip.Addr][]byte // by member IP: the cookie it gave us
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(2)
	}
	a, err := newAttacker(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		if err := capture(o.iface, a.record); err != nil {
			fmt.Fprintln(os.Stderr, "hostile: capture:", err)
			os.Exit(1)
		}
	}()
	for i := range a.socks {
		go a.listen(i)
	}
	fmt.Println("hostile: recording")
	stop := make(chan struct{})
	for s := range sigs {
		if s == syscall.SIGUSR1 {
			if !a.started.IsZero() {
				continue
			}
			a.started = time.Now()
			fmt.Printf("hostile: attacking with %d recorded datagrams\n", a.recordedCount())
			go paced(stop, o.ackRate, a.sprayAcks)
			go paced(stop, o.replayRate, a.replay)
			go paced(stop, o.fakeRate, a.fakeMembers)
			continue
		}
		close(stop)
		break
	}
	if o.report != "" {
		b, _ := json.MarshalIndent(a.report(), "", "  ")
		if err := os.WriteFile(o.report, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			os.Exit(1)
		}
	}
}

func newAttacker(o options) (*attacker, error) {
	a := &attacker{o: o, cookie: make(map[netip.Addr][]byte), to: make(map[netip.Addr]*tally), recording: make([][][]byte, len(o.members))}
	for _, m := range o.members {
		a.to[m.Addr()] = new(tally)
	}
	var err error
	if a.plain, err = frame.NewCodec(o.label, nil); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	kr, err := frame.NewKeyring(key)
	if err != nil {
		return nil, err
	}
	if a.foreign, err = frame.NewCodec(o.label, kr); err != nil {
		return nil, err
	}
	for i := range o.ports {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(o.self, uint16(7946+i))))
		if err != nil {
			return nil, err
		}
		a.socks = append(a.socks, c)
	}
	if a.raw, err = newRawSender(); err != nil {
		return nil, err
	}
	return a, nil
}

// paced calls f rate times a second until stop is closed, catching up at
// most a second's worth when it falls behind.
func paced(stop <-chan struct{}, rate int, f func(k int)) {
	if rate <= 0 {
		return
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	start := time.Now()
	sent := 0
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			due := int(now.Sub(start).Seconds() * float64(rate))
			if due-sent > rate {
				sent = due - rate
			}
			for ; sent < due; sent++ {
				f(sent)
			}
		}
	}
}

// record keeps a copy of a member's UDP packet (not our own, not the
// test's HTTP), up to recordMax.
func (a *attacker) record(ip []byte) {
	src, dst, payload, ok := udpOf(ip)
	if !ok || len(payload) == 0 {
		return
	}
	sender := a.member(src.Addr())
	if sender < 0 || a.member(dst.Addr()) < 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.recorded >= a.o.recordMax {
		return
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	a.recording[sender] = append(a.recording[sender], append([]byte(nil), ip[:total]...))
	a.recorded++
	a.recBytes += len(payload)
}

func (a *attacker) recordedCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.recorded
}

// member is the index of the member at ip, -1 for none.
func (a *attacker) member(ip netip.Addr) int {
	for i, m := range a.o.members {
		if m.Addr() == ip {
			return i
		}
	}
	return -1
}

// seal frames a payload the attacker wrote: in clear for a cluster without
// keys; for one with keys, by turns in clear and sealed with its own key.
func (a *attacker) seal(payload []byte, k int) []byte {
	if a.o.sealed && k%2 == 0 {
		return a.foreign.Seal(nil, payload)
	}
	return a.plain.Seal(nil, payload)
}

// send sends a datagram from its own port i.
func (a *attacker) send(i int, to netip.AddrPort, d []byte) bool {
	if _, err := a.socks[i%len(a.socks)].WriteToUDPAddrPort(d, to); err != nil {
		a.errs.Add(1)
		return false
	}
	a.sent(to.Addr(), len(d))
	return true
}

// sendSpoofed sends a datagram as if from the address from.
func (a *attacker) sendSpoofed(from, to netip.AddrPort, d []byte, k int) bool {
	if err := a.raw.send(buildUDP(nil, from, to, uint16(k), d)); err != nil {
		a.errs.Add(1)
		return false
	}
	a.sent(to.Addr(), len(d))
	return true
}

// sent counts a datagram of n payload bytes sent to the member at ip.
func (a *attacker) sent(ip netip.Addr, n int) {
	if t, ok := a.to[ip]; ok {
		t.add(n, 1)
	}
}

// otherMember is a member's address other than to's, chosen by k.
func (a *attacker) otherMember(to netip.AddrPort, k int) netip.AddrPort {
	for i := range a.o.members {
		m := a.o.members[(k+i)%len(a.o.members)]
		if m != to {
			return m
		}
	}
	return to
}

// budget is how much of a datagram the attacker fills: the core's default
// packet budget.
const budget = 1300

// sprayAcks sends the k-th ack-spray datagram.
func (a *attacker) sprayAcks(k int) {
	to := a.o.members[k%len(a.o.members)]
	b := []byte{wireVersion}
	n := 0
	if k%2 == 0 {
		for len(b)+22 <= budget {
			b = appendAck(b, mrand.Uint64())
			b = appendAck(b, mrand.Uint64())
			n += 2
		}
	} else {
		for s := range uint64(128) {
			b = appendAck(b, s)
			n++
		}
		for s := range uint64(16) {
			b = appendNack(b, s)
			n++
		}
	}
	d := a.seal(b, k/len(a.o.members))
	if a.o.spoof && k%3 != 0 {
		if a.sendSpoofed(a.otherMember(to, k), to, d, k) {
			a.acksSpoofed.add(len(d), n)
		}
		return
	}
	if a.send(k, to, d) {
		a.acks.add(len(d), n)
	}
}

// replay sends the k-th replayed datagram. The recording is kept by
// sender, and replayed by pairs of members: the i-th datagram A sent goes
// to B, and at once the i-th datagram B sent goes to A, for every pair,
// for i from the first datagram each member sent on. A sealed datagram
// replayed to a member it was not meant for has never been seen there, so
// no replay filter refuses it; and the two members of a pair each receive
// the other's datagrams of the same moment of its life (the join, say) at
// the same time.
func (a *attacker) replay(k int) {
	m := len(a.o.members)
	pairs := m * (m - 1) / 2
	step := k / 2
	i, p := step/pairs, step%pairs
	// The p-th unordered pair {x, y}, x < y.
	x, y := 0, 0
	for x = 0; x < m; x++ {
		if p < m-1-x {
			y = x + 1 + p
			break
		}
		p -= m - 1 - x
	}
	from, to := x, y
	if k%2 == 1 {
		from, to = y, x
	}
	a.mu.Lock()
	rec := a.recording[from]
	var ip []byte
	if len(rec) > 0 {
		ip = append([]byte(nil), rec[i%len(rec)]...)
	}
	a.mu.Unlock()
	if ip == nil {
		return
	}
	dst := a.o.members[to].Addr()
	redirect(ip, dst)
	if err := a.raw.send(ip); err != nil {
		a.errs.Add(1)
		return
	}
	_, _, payload, _ := udpOf(ip)
	a.replays.add(len(payload), 1)
	a.sent(dst, len(payload))
}

// fakeName returns a made-up member and an address nobody answers at.
func (a *attacker) fakeName() (string, netip.AddrPort) {
	n := a.fakeSeq.Add(1)
	return fmt.Sprintf("fake-%06d", n), netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 99, byte(n >> 8), byte(n)}), 7946)
}

func (a *attacker) identity(port int) (string, netip.AddrPort) {
	return fmt.Sprintf("intruder-%d", 7946+port), netip.AddrPortFrom(a.o.self, uint16(7946+port))
}

var smallMeta = []byte("role=fake,zone=nowhere")

// fakeMembers sends the k-th fake-member datagram, by turns: a sync request
// with many records (behind the member's cookie when it gave one, led by
// its own record), alive messages with small metadata, an alive message
// with the largest metadata, and (with -spoof) alive messages or a sync
// from another member's address.
func (a *attacker) fakeMembers(k int) {
	m := len(a.o.members)
	to := a.o.members[k%m]
	port := (k / m) % len(a.socks)
	b := []byte{wireVersion}
	names := 0
	kind := (k / m) % 4
	switch kind {
	case 0:
		a.mu.Lock()
		cookie := a.cookie[to.Addr()]
		a.mu.Unlock()
		if cookie != nil {
			b = appendCookie(b, cookie)
		}
		self, at := a.identity(port)
		inc := uint64(time.Now().UnixMilli())
		count := (budget - len(b) - 40 - recordSize(self, smallMeta, inc)) / (recordSize("fake-000000", smallMeta, 1) + 1)
		b = appendSyncStart(b, syncWantReply|syncLast, self, count+1)
		b = appendRecord(b, self, at, smallMeta, inc, stateAlive)
		for range count {
			name, addr := a.fakeName()
			b = appendRecord(b, name, addr, smallMeta, 1, stateAlive)
			names++
		}
	case 1, 3:
		for len(b)+60 <= budget {
			name, addr := a.fakeName()
			b = appendAlive(b, name, addr, smallMeta, 1)
			names++
		}
	case 2:
		meta := make([]byte, 1024)
		for i := range meta {
			meta[i] = 'x'
		}
		name, addr := a.fakeName()
		b = appendAlive(b, name, addr, meta, 1)
		names++
	}
	d := a.seal(b, k/m)
	if a.o.spoof && kind == 3 {
		if a.sendSpoofed(a.otherMember(to, k), to, d, k) {
			a.fakesSpoofed.add(len(d), names)
		}
		return
	}
	if a.send(port, to, d) {
		a.fakes.add(len(d), names)
	}
}

// listen reads what the members send to its port i: it keeps their
// cookies and answers their pings, as a member would.
func (a *attacker) listen(i int) {
	buf := make([]byte, 65536)
	for {
		n, from, err := a.socks[i].ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		a.received.add(n, 0)
		p, err := a.plain.Open(nil, buf[:n])
		if err != nil {
			continue
		}
		in := parsePacket(p)
		if in.cookie != nil {
			a.cookies.Add(1)
			a.mu.Lock()
			a.cookie[from.Addr()] = in.cookie
			a.mu.Unlock()
		}
		for _, nonce := range in.pings {
			b := appendAck([]byte{wireVersion}, nonce)
			if a.send(i, from, a.plain.Seal(nil, b)) {
				a.answered.Add(1)
			}
		}
	}
}

func (a *attacker) report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	to := make(map[string]Count)
	for ip, t := range a.to {
		to[ip.String()] = t.count()
	}
	return Report{
		To:            to,
		Recorded:      a.recorded,
		RecordedBytes: a.recBytes,
		Acks:          a.acks.count(),
		AcksSpoofed:   a.acksSpoofed.count(),
		Replays:       a.replays.count(),
		Fakes:         a.fakes.count(),
		FakesSpoofed:  a.fakesSpoofed.count(),
		Received:      a.received.count(),
		Cookies:       a.cookies.Load(),
		PingsAnswered: a.answered.Load(),
		Errors:        a.errs.Load(),
	}
}
