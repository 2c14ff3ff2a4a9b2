package runtime_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/udp"
	"github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// testKey returns a fixed key of n bytes, different for each name.
func testKey(name string, n int) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:n]
}

// secured sets keys and a label on a config, for cluster's mod.
func secured(label string, keys ...[]byte) func(*runtime.Config) {
	return func(c *runtime.Config) {
		c.Keys = keys
		c.Label = label
	}
}

// refused sums the datagrams a transport refused, for any reason.
func refused(s udp.Stats) uint64 {
	return s.BadFrame + s.BadVersion + s.BadLabel + s.BadChecksum + s.Unencrypted + s.DecryptFailed + s.Replayed + s.Stale
}

// failures counts EventFailed and EventSuspected on the nodes from now on.
type failures struct {
	failed, suspected atomic.Int64
	subs              []*runtime.Subscription
	wg                sync.WaitGroup
	mu                sync.Mutex
	about             []string
}

func watchFailures(nodes []*runtime.Node) *failures {
	f := &failures{}
	for _, n := range nodes {
		s := n.Subscribe()
		f.subs = append(f.subs, s)
		f.wg.Go(func() {
			for ev := range s.C {
				switch ev.Type {
				case runtime.EventFailed:
					f.failed.Add(1)
					f.mu.Lock()
					f.about = append(f.about, ev.Member.Name)
					f.mu.Unlock()
				case runtime.EventSuspected:
					f.suspected.Add(1)
				}
			}
		})
	}
	return f
}

// stop ends the subscriptions and waits for their readers.
func (f *failures) stop() {
	for _, s := range f.subs {
		s.Close()
	}
	f.wg.Wait()
}

// memberSet is a view as "name:state" strings, sorted, for comparisons.
func memberSet(n *runtime.Node) []string {
	var out []string
	for _, m := range n.Members() {
		out = append(out, m.Name+":"+m.State.String())
	}
	return out
}

// allAlive reports whether every node holds exactly the given names, all
// alive.
func allAlive(nodes []*runtime.Node, names ...string) bool {
	var want []string
	for _, name := range names {
		want = append(want, name+":"+runtime.StateAlive.String())
	}
	slices.Sort(want)
	for _, n := range nodes {
		if !slices.Equal(memberSet(n), want) {
			return false
		}
	}
	return true
}

func names(nodes []*runtime.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.LocalMember().Name)
	}
	return out
}

// capture returns a plain UDP socket that a member of the cluster
// (started here, joined through seed) takes for a second seed, and the
// first datagram that member sent it: a real sync request, sealed as the
// cluster seals, which carries only that member's own record, so that
// sending it again changes no view.
func capture(t *testing.T, seed *runtime.Node, cfg runtime.Config) (*net.UDPConn, []byte, *runtime.Node) {
	t.Helper()
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	cfg.Discovery = discovery.Static(seed.LocalMember().Addr.String(), raw.LocalAddr().String())
	member := start(t, cfg)
	buf := make([]byte, 2048)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := raw.ReadFromUDP(buf)
	require.NoError(t, err, "the member's first datagram to its second seed")
	raw.SetReadDeadline(time.Time{})
	return raw, buf[:n], member
}

// The transport's worst framing fits the room the core leaves in a
// datagram, so the largest message goes through an encrypted cluster with
// the longest label allowed.
func TestLargestMessageWithWorstFraming(t *testing.T) {
	room := udp.MaxPacketSize - swim.DefaultPacketBudget
	require.LessOrEqual(t, frame.MaxOverhead, room, "frame.MaxOverhead against the bytes left by the core's budget")
	nodes := cluster(t, 2, secured(strings.Repeat("L", frame.MaxLabelLen), testKey("k", 32), testKey("old", 16)))
	got := make(chan int, 2)
	nodes[1].Handle(9, func(_ runtime.Member, p []byte) { got <- len(p) })
	ctx := context.Background()
	require.NoError(t, nodes[0].Send(ctx, "node-1", 9, make([]byte, runtime.MaxMessageSize)))
	require.NoError(t, nodes[0].Broadcast(ctx, 9, make([]byte, runtime.MaxMessageSize)))
	for range 2 {
		select {
		case n := <-got:
			require.Equal(t, runtime.MaxMessageSize, n, "bytes delivered")
		case <-time.After(10 * time.Second):
			t.Fatal("largest message not delivered")
		}
	}
	s := nodes[1].Stats().Transport
	assert.Zero(t, s.Oversized+refused(s), "datagrams dropped: %+v", s)
}

func TestConfigValidatesKeysAndLabel(t *testing.T) {
	secret := []byte("0123456789abcdef0123") // 20 bytes
	for _, tc := range []struct {
		name string
		mod  func(*runtime.Config)
		want []string
	}{
		{"key size", secured("", testKey("a", 16), secret), []string{"Keys[1] is 20 bytes", "16, 24 or 32"}},
		{"repeated key", secured("", testKey("a", 16), testKey("a", 16)), []string{"Keys[1] repeats Keys[0]"}},
		{"label too long", secured(strings.Repeat("x", 65)), []string{"Label = ", "(65 bytes); want at most 64 bytes"}},
		{"label not UTF-8", secured("a\xff"), []string{"Label = ", "want valid UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig("n")
			tc.mod(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, runtime.ErrInvalidConfig, "Validate")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), string(secret[:8]), "the error shows a key")
			_, err = runtime.Start(context.Background(), cfg)
			assert.ErrorIs(t, err, runtime.ErrInvalidConfig, "Start")
		})
	}
}

// A node without the cluster's key, without any key, or with the right key
// but another label cannot join: the cluster drops its packets and counts
// them, it drops the cluster's (it decrypts nothing), and no view changes.
func TestStrangersCannotJoin(t *testing.T) {
	key := testKey("cluster", 32)
	for _, tc := range []struct {
		name     string
		stranger func(*runtime.Config)
		// clusterSees and strangerSees pick the counters that must show
		// each side's packets refused by the other.
		clusterSees, strangerSees func(udp.Stats) uint64
	}{
		{"wrong key", secured("prod", testKey("guess", 32)),
			func(s udp.Stats) uint64 { return s.DecryptFailed }, func(s udp.Stats) uint64 { return s.DecryptFailed }},
		{"no key", secured("prod"),
			func(s udp.Stats) uint64 { return s.Unencrypted }, func(s udp.Stats) uint64 { return s.DecryptFailed }},
		{"right key, other label", secured("staging", key),
			func(s udp.Stats) uint64 { return s.BadLabel }, func(s udp.Stats) uint64 { return s.BadLabel }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := cluster(t, 3, secured("prod", key))
			watch := watchFailures(nodes)
			defer watch.stop()

			scfg := fastConfig("stranger")
			tc.stranger(&scfg)
			scfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
			stranger := start(t, scfg)
			sub := stranger.Subscribe()
			defer sub.Close()
			// A member that also takes the stranger for a seed sends it the
			// cluster's packets, which the stranger must not open.
			mcfg := fastConfig("node-3")
			secured("prod", key)(&mcfg)
			mcfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String(), stranger.LocalMember().Addr.String())
			nodes = append(nodes, start(t, mcfg))

			eventually(t, 15*time.Second, "both sides refusing each other's packets, the stranger retrying", func() bool {
				return tc.clusterSees(nodes[0].Stats().Transport) >= 2 && tc.strangerSees(stranger.Stats().Transport) >= 1
			})
			eventually(t, 10*time.Second, "node-3 joined the cluster", func() bool { return allAlive(nodes, names(nodes)...) })
			assert.Equal(t, []string{"stranger:alive"}, memberSet(stranger), "the stranger knows only itself")
			s := stranger.Stats()
			assert.Zero(t, s.Transport.PacketsIn, "datagrams the stranger opened")
			assert.Zero(t, s.Protocol.PacketsIn, "datagrams that reached the stranger's protocol")
			select {
			case ev := <-sub.C:
				t.Errorf("the stranger saw %v about %s", ev.Type, ev.Member.Name)
			default:
			}
			assert.Zero(t, watch.failed.Load(), "failure events in the cluster")
		})
	}
}

// Keys rotate in a running cluster of ten over real UDP, by the README's
// three steps, each on every member in turn while traffic flows: no member
// is declared failed, no packet fails to open, and afterwards a node with
// only the old key is a stranger.
func TestKeyRotationTenNodes(t *testing.T) {
	oldKey, newKey := testKey("2025", 16), testKey("2026", 32)
	nodes := cluster(t, 10, secured("prod", oldKey))
	watch := watchFailures(nodes)
	defer watch.stop()
	ctx := context.Background()

	// settle waits until every node has opened 20 more datagrams: traffic
	// has flowed in every direction under what the last step set up.
	settle := func(step string) {
		t.Helper()
		var base []uint64
		for _, n := range nodes {
			base = append(base, n.Stats().Transport.PacketsIn)
		}
		eventually(t, 20*time.Second, step+": traffic flowing", func() bool {
			for i, n := range nodes {
				if n.Stats().Transport.PacketsIn < base[i]+20 {
					return false
				}
			}
			return true
		})
		for _, n := range nodes {
			s := n.Stats().Transport
			require.Zero(t, refused(s), "%s: %s refused datagrams: %+v", step, n.LocalMember().Name, s)
		}
	}
	for _, step := range []struct {
		name string
		do   func(*runtime.Node) error
		want [][]byte
	}{
		{"install the new key everywhere", func(n *runtime.Node) error { return n.InstallKey(ctx, newKey) }, [][]byte{oldKey, newKey}},
		{"make it primary everywhere", func(n *runtime.Node) error { return n.UseKey(ctx, newKey) }, [][]byte{newKey, oldKey}},
		{"remove the old key everywhere", func(n *runtime.Node) error { return n.RemoveKey(ctx, oldKey) }, [][]byte{newKey}},
	} {
		for _, n := range nodes {
			require.NoError(t, step.do(n), "%s: %s", step.name, n.LocalMember().Name)
			require.Equal(t, step.want, n.Keys(), "%s: %s's keys", step.name, n.LocalMember().Name)
		}
		settle(step.name)
	}
	assert.True(t, allAlive(nodes, names(nodes)...), "after the rotation, views differ from ten alive members")
	assert.Zero(t, watch.failed.Load(), "false failures during the rotation (about %v)", watch.about)
	t.Logf("suspicions during the rotation: %d", watch.suspected.Load())

	// The old key opens nothing any more.
	lcfg := fastConfig("late")
	secured("prod", oldKey)(&lcfg)
	lcfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
	late := start(t, lcfg)
	eventually(t, 10*time.Second, "the old key's packets refused", func() bool { return nodes[0].Stats().Transport.DecryptFailed > 0 })
	assert.Len(t, memberSet(late), 1, "a node with the removed key knows others")
	assert.True(t, allAlive(nodes, names(nodes)...), "a node with the removed key changed the cluster's views")
}

func TestKeyMethodErrors(t *testing.T) {
	ctx := context.Background()
	plain := start(t, fastConfig("plain"))
	for name, op := range map[string]func(context.Context, []byte) error{
		"InstallKey": plain.InstallKey, "UseKey": plain.UseKey, "RemoveKey": plain.RemoveKey,
	} {
		assert.ErrorIs(t, op(ctx, testKey("k", 16)), runtime.ErrNotEncrypted, "%s on a node without keys", name)
	}
	assert.Nil(t, plain.Keys(), "Keys() of a node without keys")

	cfg := fastConfig("enc")
	primary := testKey("primary", 24)
	secured("", primary)(&cfg)
	n := start(t, cfg)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"InstallKey of 7 bytes", n.InstallKey(ctx, make([]byte, 7)), runtime.ErrKeySize},
		{"UseKey of a key not installed", n.UseKey(ctx, testKey("absent", 16)), runtime.ErrKeyNotInstalled},
		{"RemoveKey of the primary", n.RemoveKey(ctx, primary), runtime.ErrRemovePrimary},
		{"InstallKey with a canceled context", n.InstallKey(canceled, testKey("k", 16)), context.Canceled},
	} {
		assert.ErrorIs(t, tc.err, tc.want, tc.name)
	}
	n.Close()
	assert.ErrorIs(t, n.InstallKey(ctx, testKey("k", 16)), runtime.ErrClosed, "InstallKey after Close")
}

// Tampered, truncated, replayed, relabelled, wrong-version, unencrypted
// and foreign-key copies of a real datagram of the cluster, sent to one
// member, are each refused and counted under their reason; the genuine
// datagram is accepted once, its copies refused as replays.
func TestRefusedPacketsCounted(t *testing.T) {
	key := testKey("k", 16)
	nodes := cluster(t, 3, secured("prod", key))
	mcfg := fastConfig("node-3")
	secured("prod", key)(&mcfg)
	raw, valid, member := capture(t, nodes[0], mcfg)
	nodes = append(nodes, member)
	eventually(t, 10*time.Second, "four members", func() bool { return allAlive(nodes, names(nodes)...) })
	target := nodes[1]
	to := net.UDPAddrFromAddrPort(target.LocalMember().Addr)

	reseal := func(label string, kr *frame.Keyring, payload []byte) []byte {
		c, err := frame.NewCodec(label, kr)
		require.NoError(t, err)
		return c.Seal(nil, payload)
	}
	mustKeyring := func(k []byte) *frame.Keyring {
		kr, err := frame.NewKeyring(k)
		require.NoError(t, err)
		return kr
	}
	// The payload is opaque to us but for its size; any core packet does
	// for the datagrams that must be refused before it is read.
	payload := []byte{1, 2, 0x91, 0x05}
	tampered := bytes.Clone(valid)
	tampered[len(tampered)/2] ^= 0x10
	wrongVersion := bytes.Clone(valid)
	wrongVersion[0] = 0x21
	sends := []struct {
		name    string
		p       []byte
		n       int
		counter func(*udp.Stats) *uint64
	}{
		{"tampered", tampered, 5, func(s *udp.Stats) *uint64 { return &s.DecryptFailed }},
		{"truncated", valid[:len(valid)-1], 5, func(s *udp.Stats) *uint64 { return &s.DecryptFailed }},
		{"truncated into the header", valid[:3], 5, func(s *udp.Stats) *uint64 { return &s.BadFrame }},
		{"other label", reseal("staging", mustKeyring(key), payload), 5, func(s *udp.Stats) *uint64 { return &s.BadLabel }},
		{"wrong version", wrongVersion, 5, func(s *udp.Stats) *uint64 { return &s.BadVersion }},
		{"unencrypted", reseal("prod", nil, payload), 5, func(s *udp.Stats) *uint64 { return &s.Unencrypted }},
		{"other key", reseal("prod", mustKeyring(testKey("other", 16)), payload), 5, func(s *udp.Stats) *uint64 { return &s.DecryptFailed }},
		{"replayed", valid, 6, func(s *udp.Stats) *uint64 { return &s.Replayed }}, // the first copy is accepted
	}
	before := target.Stats()
	var want udp.Stats
	for _, s := range sends {
		for range s.n {
			_, err := raw.WriteToUDP(s.p, to)
			require.NoError(t, err, s.name)
		}
		*s.counter(&want) += uint64(s.n)
	}
	want.Replayed-- // the genuine copy
	delta := func() udp.Stats {
		a, b := target.Stats().Transport, before.Transport
		return udp.Stats{
			BadFrame: a.BadFrame - b.BadFrame, BadVersion: a.BadVersion - b.BadVersion, BadLabel: a.BadLabel - b.BadLabel,
			BadChecksum: a.BadChecksum - b.BadChecksum, Unencrypted: a.Unencrypted - b.Unencrypted,
			DecryptFailed: a.DecryptFailed - b.DecryptFailed, Replayed: a.Replayed - b.Replayed,
		}
	}
	eventually(t, 10*time.Second, "every datagram counted", func() bool { return refused(delta()) >= refused(want) })
	assert.Equal(t, want, delta(), "refused by reason")
	assert.Equal(t, before.Protocol.Malformed, target.Stats().Protocol.Malformed,
		"packets reached the protocol malformed; the transport should have refused them all")
	assert.True(t, allAlive(nodes, names(nodes)...), "the datagrams changed a view")
}

// Fifty thousand datagrams of garbage at one member of five: random bytes,
// random bytes behind a valid header, mutated copies of a real datagram,
// and either well-framed random payloads (without encryption, where anyone
// can frame) or exact copies (with it). Nothing panics, no member is
// declared failed, the views do not change, and every datagram is
// accounted for: refused by the transport, refused by the protocol as
// malformed, or a harmless copy of a genuine one.
func TestFlood(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys [][]byte
	}{
		{"plain", nil},
		{"encrypted", [][]byte{testKey("k", 32)}},
	} {
		t.Run(tc.name, func(t *testing.T) { flood(t, tc.keys) })
	}
}

func flood(t *testing.T, keys [][]byte) {
	const total, batch = 50_000, 500
	mod := secured("prod", keys...)
	nodes := cluster(t, 4, mod)
	mcfg := fastConfig("node-4")
	mod(&mcfg)
	raw, valid, member := capture(t, nodes[0], mcfg)
	nodes = append(nodes, member)
	eventually(t, 10*time.Second, "five members", func() bool { return allAlive(nodes, names(nodes)...) })
	watch := watchFailures(nodes)
	defer watch.stop()
	target := nodes[2]
	to := net.UDPAddrFromAddrPort(target.LocalMember().Addr)
	before := target.Stats()

	var kr *frame.Keyring
	if len(keys) > 0 {
		var err error
		kr, err = frame.NewKeyring(keys...)
		require.NoError(t, err)
	}
	codec, err := frame.NewCodec("prod", kr)
	require.NoError(t, err)
	header := valid[:2+len("prod")]
	rng := rand.New(rand.NewPCG(7, 11))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var garbage, framed, copies int
	next := func() []byte {
		switch k := rng.IntN(4); {
		case k == 0: // random bytes of any length
			garbage++
			return randomBytes(1 + rng.IntN(udp.MaxPacketSize))
		case k == 1: // a valid header, then random bytes
			garbage++
			return append(bytes.Clone(header), randomBytes(rng.IntN(udp.MaxPacketSize-len(header)))...)
		case k == 2: // a real datagram, mutated
			garbage++
			return mutate(rng, valid)
		case kr == nil: // well framed random payloads for the protocol
			framed++
			p := randomBytes(40 + rng.IntN(1200))
			p[0] = 1 // the core's version byte, so the decoder runs
			p[1] = byte(1 + rng.IntN(12))
			return codec.Seal(nil, p)
		default: // exact copies of a genuine datagram
			copies++
			return valid
		}
	}
	processed := func() uint64 {
		s := target.Stats()
		return s.Transport.PacketsIn + refused(s.Transport) - before.Transport.PacketsIn - refused(before.Transport)
	}
	start := time.Now()
	for sent := 0; sent < total; {
		for range batch {
			_, err := raw.WriteToUDP(next(), to)
			require.NoError(t, err)
			sent++
		}
		// Pace by what the node has read, so that the test is of the node,
		// not of the socket buffer.
		deadline := time.Now().Add(20 * time.Second)
		for processed() < uint64(sent) {
			if time.Now().After(deadline) {
				t.Fatalf("the node fell behind: %d of %d datagrams read", processed(), sent)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	t.Logf("%d datagrams in %v: %d garbage, %d framed for the protocol, %d copies", total, time.Since(start).Round(time.Millisecond), garbage, framed, copies)

	// The pacing above counts the cluster's own datagrams too, so the last
	// few of ours may still be in flight: wait until all are accounted for,
	// or the deadline shows that some were not.
	// A datagram the transport had to drop unread (Overrun: the loop held
	// every receive buffer) is counted as dropped without being examined,
	// garbage or not.
	var refusedN, malformed, loopDrops, replayed, overrun uint64
	accounted := func() bool {
		after := target.Stats()
		refusedN = refused(after.Transport) - refused(before.Transport)
		malformed = after.Protocol.Malformed - before.Protocol.Malformed
		loopDrops = after.Dropped - before.Dropped - refusedN - malformed
		replayed = after.Transport.Replayed - before.Transport.Replayed
		overrun = after.Transport.Overrun - before.Transport.Overrun
		return refusedN+overrun >= uint64(garbage) && malformed+loopDrops >= uint64(framed) && (kr == nil || replayed+overrun >= uint64(copies-1))
	}
	for deadline := time.Now().Add(10 * time.Second); !accounted() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("refused by the transport %d (replays %d), malformed for the protocol %d, dropped by a busy loop %d", refusedN, replayed, malformed, loopDrops)
	assert.GreaterOrEqual(t, refusedN+overrun, uint64(garbage),
		"the transport refused %d datagrams (and dropped %d unread); want at least the %d of garbage", refusedN, overrun, garbage)
	assert.GreaterOrEqual(t, malformed+loopDrops, uint64(framed),
		"the protocol refused %d framed datagrams (and %d were dropped); want all %d", malformed, loopDrops, framed)
	if kr != nil {
		assert.GreaterOrEqual(t, replayed+overrun, uint64(copies-1), "replays refused; want all copies but the first")
	}
	if !assert.True(t, allAlive(nodes, names(nodes)...), "views changed under the flood") {
		for _, n := range nodes {
			t.Logf("%s sees %v", n.LocalMember().Name, memberSet(n))
		}
	}
	assert.Zero(t, watch.failed.Load(), "false failures under the flood (about %v)", watch.about)
}

// mutate returns a damaged copy of p: bits flipped, cut, extended, bytes
// inserted or deleted, or spliced with itself.
func mutate(rng *rand.Rand, p []byte) []byte {
	q := bytes.Clone(p)
	switch rng.IntN(6) {
	case 0:
		for range 1 + rng.IntN(4) {
			q[rng.IntN(len(q))] ^= 1 << rng.IntN(8)
		}
	case 1:
		q = q[:rng.IntN(len(q))]
	case 2:
		q = append(q, make([]byte, 1+rng.IntN(64))...)
	case 3:
		i := rng.IntN(len(q))
		q = slices.Insert(q, i, byte(rng.Uint32()))
	case 4:
		i := rng.IntN(len(q))
		q = slices.Delete(q, i, i+1)
	default:
		i := rng.IntN(len(q))
		q = append(q[:i:i], p[rng.IntN(len(p)):]...)
	}
	if bytes.Equal(q, p) || len(q) == 0 {
		q = append(q, 0)
	}
	return q
}
