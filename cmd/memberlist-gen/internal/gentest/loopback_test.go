package gentest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/testdata/gen/chaos"
	"github.com/memberlist-go/memberlist/testdata/gen/multi"
	"github.com/tinylib/msgp/msgp"
)

// fastConfig is a LAN config with 200 ms probes, so tests over real
// sockets finish quickly.
func fastConfig(name string) runtime.Config {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.ReconnectInterval = 2 * time.Second
	cfg.DiscoveryInterval = time.Second
	return cfg
}

// pair starts two nodes on loopback, b joining through a, and waits until
// each holds the other alive; tweaks adjust both configs.
func pair(t *testing.T, tweaks ...func(*runtime.Config)) (a, b *runtime.Node) {
	t.Helper()
	start := func(cfg runtime.Config) *runtime.Node {
		for _, tweak := range tweaks {
			tweak(&cfg)
		}
		n, err := runtime.Start(context.Background(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { n.Close() })
		return n
	}
	a = start(fastConfig("a"))
	cfg := fastConfig("b")
	cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b = start(cfg)
	alive := func(n *runtime.Node, name string) bool {
		for _, m := range n.Members() {
			if m.Name == name && m.State == runtime.StateAlive {
				return true
			}
		}
		return false
	}
	require.Eventually(t, func() bool { return alive(a, "b") && alive(b, "a") }, 10*time.Second, 20*time.Millisecond,
		"the nodes did not see each other alive within 10s")
	return a, b
}

// inbox collects what handlers receive.
type inbox struct {
	mu  sync.Mutex
	got []string
}

func (in *inbox) add(from runtime.Member, what string, m any) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.got = append(in.got, fmt.Sprintf("%s %s from %s: %#v", what, reflect.TypeOf(m).Name(), from.Name, m))
}

// waitFor waits until the inbox holds want, then empties it; anything
// else there is an error.
func (in *inbox) waitFor(t *testing.T, want ...string) {
	t.Helper()
	arrived := assert.Eventually(t, func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return len(in.got) >= len(want)
	}, 10*time.Second, 10*time.Millisecond)
	in.mu.Lock()
	got := in.got
	in.got = nil
	in.mu.Unlock()
	require.True(t, arrived, "received %q within 10s, want %q", got, want)
	require.ElementsMatch(t, want, got, "received")
}

// Two nodes on loopback exchange every variant of the chaos family
// through Send, Broadcast and On; what does not decode (an unknown tag,
// garbage) reaches only the error handler; stop unregisters a handler.
func TestLoopbackChaos(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var in inbox
	stopSpike := chaos.OnSimulateCpuSpike(b, func(from runtime.Member, m chaos.SimulateCpuSpike) { in.add(from, "on", m) })
	defer chaos.OnNote(b, func(from runtime.Member, m chaos.Note) { in.add(from, "on", m) })()
	defer chaos.OnChaosMonkeyError(b, func(from runtime.Member, err error) { in.add(from, "error", err.Error()) })()

	r := rand.New(rand.NewPCG(14, 15))
	values := []chaos.ChaosMonkey{
		chaos.SimulateCpuSpike{Seconds: 65535},
		(&maker{r: r, worst: true}).make(reflect.TypeFor[chaos.Note](), bounds{}).Interface().(chaos.Note),
		chaos.Note{Text: "hello", Labels: []string{"a", "b"}},
	}
	for _, v := range values {
		require.NoError(t, chaos.SendChaosMonkey(ctx, a, "b", v))
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
		require.NoError(t, chaos.BroadcastChaosMonkey(ctx, a, v))
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}

	// From a newer version: tag 99. And bytes that are no message at all.
	newer := msgp.AppendArrayHeader(msgp.AppendUint16(nil, 99), 0)
	require.NoError(t, a.Send(ctx, "b", chaos.ChaosMonkeyFamily, newer))
	in.waitFor(t, `error string from a: "chaos.ChaosMonkey: unknown tag 99, perhaps from a newer version of the program"`)
	garbage := []byte{0xc1}
	_, decodeErr := chaos.DecodeChaosMonkey(garbage)
	require.NoError(t, a.Broadcast(ctx, chaos.ChaosMonkeyFamily, garbage))
	in.waitFor(t, fmt.Sprintf("error string from a: %q", decodeErr.Error()))

	// A message over its bounds is refused before it is sent.
	require.Error(t, chaos.SendChaosMonkey(ctx, a, "b", chaos.Note{Labels: make([]string, 5)}), "sent a Note with 5 labels, max=4")

	// After stop, spikes go nowhere; the Note sent after the spike shows
	// that the spike had its chance to arrive (b dispatches in order).
	stopSpike()
	require.NoError(t, chaos.SendChaosMonkey(ctx, a, "b", chaos.SimulateCpuSpike{Seconds: 1}))
	note := chaos.Note{Text: "after stop"}
	require.NoError(t, chaos.SendChaosMonkey(ctx, a, "b", note))
	in.waitFor(t, fmt.Sprintf("on Note from a: %#v", note))
}

// Two families on one node keep apart: each variant reaches the handlers
// of its own family only.
func TestLoopbackTwoFamilies(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var in inbox
	defer multi.OnPause(b, func(from runtime.Member, m multi.Pause) { in.add(from, "on", m) })()
	defer multi.OnResume(b, func(from runtime.Member, m multi.Resume) { in.add(from, "on", m) })()
	defer multi.OnLoad(b, func(from runtime.Member, m multi.Load) { in.add(from, "on", m) })()
	defer multi.OnAlarm(b, func(from runtime.Member, m multi.Alarm) { in.add(from, "on", m) })()
	defer multi.OnControlError(b, func(from runtime.Member, err error) { in.add(from, "error", err.Error()) })()
	defer multi.OnStatusError(b, func(from runtime.Member, err error) { in.add(from, "error", err.Error()) })()

	h := multi.Header{Seq: 1 << 40, Origin: "a"}
	for _, v := range []any{multi.Pause{Header: h, Millis: 10}, multi.Resume{Header: h}} {
		require.NoError(t, multi.SendControl(ctx, a, "b", v.(multi.Control)))
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}
	for _, v := range []any{multi.Load{Header: h, Percent: [4]uint8{1, 2, 3, 4}}, multi.Alarm{Header: h, Reason: "hot", Tags: map[string]uint32{"cpu": 99}}} {
		require.NoError(t, multi.BroadcastStatus(ctx, a, v.(multi.Status)))
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}
	// The user code of package multi calls the generated Broadcast.
	require.NoError(t, multi.PauseAll(ctx, a, 5))
	in.waitFor(t, fmt.Sprintf("on Pause from a: %#v", multi.Pause{Millis: 5}))
}

// What an On function does with a message that is not its variant's or
// does not decode, seen from the node's counters. A raw handler
// registered after the On functions records every payload: handlers run
// in order, so once it has seen a payload the On functions are done with
// it, and the counter can be checked exactly whatever the order of
// arrival.
func TestLoopbackUndecodable(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var in inbox
	// Two On functions of one variant, so that a message both fail on
	// shows it is counted once.
	defer chaos.OnSimulateCpuSpike(b, func(from runtime.Member, m chaos.SimulateCpuSpike) { in.add(from, "on", m) })()
	defer chaos.OnSimulateCpuSpike(b, func(from runtime.Member, m chaos.SimulateCpuSpike) { in.add(from, "again", m) })()
	var mu sync.Mutex
	seen := 0
	watch := func() func() {
		return b.Handle(chaos.ChaosMonkeyFamily, func(runtime.Member, []byte) {
			mu.Lock()
			seen++
			mu.Unlock()
		})
	}
	unwatch := watch()
	defer func() { unwatch() }()
	// send sends the payloads and waits until b has dispatched them all,
	// then returns how many more b counted as undecodable.
	send := func(payloads ...[]byte) uint64 {
		t.Helper()
		before := b.Stats().Undecodable
		mu.Lock()
		seen = 0
		mu.Unlock()
		for _, p := range payloads {
			require.NoError(t, a.Send(ctx, "b", chaos.ChaosMonkeyFamily, p))
		}
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return seen == len(payloads)
		}, 10*time.Second, 10*time.Millisecond, "b did not dispatch all %d payloads within 10s", len(payloads))
		return b.Stats().Undecodable - before
	}
	tagged := func(tag uint16, body ...byte) []byte { return append(msgp.AppendUint16(nil, tag), body...) }
	spike, err := chaos.SimulateCpuSpike{Seconds: 7}.MarshalMsg(nil)
	require.NoError(t, err)

	// A Note's tag followed by garbage: the spike handlers stop at the tag
	// and neither decode nor count it.
	assert.Zero(t, send(tagged(2, 0xc1), tagged(2)), "Note tags with garbage after them: counted undecodable by the spike handlers")
	// A spike's tag with a body that does not decode, or with a byte after
	// it; a tag no variant has; no tag at all: each counted once, though
	// both spike handlers fail on it.
	assert.Equal(t, uint64(5), send(tagged(1, 0xc1), tagged(1, append(spike, 0)...), tagged(99), []byte{0xc1}, nil),
		"5 undecodable payloads: counted")
	// A good spike reaches both handlers and counts nothing.
	assert.Zero(t, send(tagged(1, spike...)), "a valid spike: counted undecodable")
	m := chaos.SimulateCpuSpike{Seconds: 7}
	in.waitFor(t, fmt.Sprintf("on SimulateCpuSpike from a: %#v", m), fmt.Sprintf("again SimulateCpuSpike from a: %#v", m))

	// With OnChaosMonkeyError, which decodes everything, the Note with
	// garbage is counted, once, and reported.
	defer chaos.OnChaosMonkeyError(b, func(from runtime.Member, err error) { in.add(from, "error", err.Error()) })()
	// The watcher must run after the error handler too, or send could
	// read the counter before the error handler has counted.
	unwatch()
	unwatch = watch()
	bad := tagged(2, 0xc1)
	_, decodeErr := chaos.DecodeChaosMonkey(bad)
	require.Error(t, decodeErr, "a Note tag with garbage decoded")
	assert.Equal(t, uint64(1), send(bad), "a Note tag with garbage, with OnChaosMonkeyError: counted")
	in.waitFor(t, fmt.Sprintf("error string from a: %q", decodeErr.Error()))
	// An unknown tag: both spike handlers and the error handler fail on
	// it, and it still counts once.
	assert.Equal(t, uint64(1), send(tagged(99)), "an unknown tag, with OnChaosMonkeyError: counted")
	in.waitFor(t, `error string from a: "chaos.ChaosMonkey: unknown tag 99, perhaps from a newer version of the program"`)
}
