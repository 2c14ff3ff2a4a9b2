package gentest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

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
// each holds the other alive.
func pair(t *testing.T) (a, b *runtime.Node) {
	t.Helper()
	start := func(cfg runtime.Config) *runtime.Node {
		n, err := runtime.Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
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
	deadline := time.Now().Add(10 * time.Second)
	for !alive(a, "b") || !alive(b, "a") {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not see each other alive within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		in.mu.Lock()
		got := in.got
		if len(got) >= len(want) {
			in.got = nil
		}
		in.mu.Unlock()
		if len(got) >= len(want) {
			if !sameItems(got, want) {
				t.Fatalf("received\n%q\nwant\n%q", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %q within 10s, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sameItems(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, c := range count {
		if c != 0 {
			return false
		}
	}
	return len(a) == len(b)
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
		if err := chaos.SendChaosMonkey(ctx, a, "b", v); err != nil {
			t.Fatal(err)
		}
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
		if err := chaos.BroadcastChaosMonkey(ctx, a, v); err != nil {
			t.Fatal(err)
		}
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}

	// From a newer version: tag 99. And bytes that are no message at all.
	newer := msgp.AppendArrayHeader(msgp.AppendUint16(nil, 99), 0)
	if err := a.Send(ctx, "b", chaos.ChaosMonkeyFamily, newer); err != nil {
		t.Fatal(err)
	}
	in.waitFor(t, `error string from a: "chaos.ChaosMonkey: unknown tag 99, perhaps from a newer version of the program"`)
	garbage := []byte{0xc1}
	_, decodeErr := chaos.DecodeChaosMonkey(garbage)
	if err := a.Broadcast(ctx, chaos.ChaosMonkeyFamily, garbage); err != nil {
		t.Fatal(err)
	}
	in.waitFor(t, fmt.Sprintf("error string from a: %q", decodeErr.Error()))

	// A message over its bounds is refused before it is sent.
	if err := chaos.SendChaosMonkey(ctx, a, "b", chaos.Note{Labels: make([]string, 5)}); err == nil {
		t.Fatal("sent a Note with 5 labels, max=4")
	}

	// After stop, spikes go nowhere; the Note sent after the spike shows
	// that the spike had its chance to arrive (b dispatches in order).
	stopSpike()
	if err := chaos.SendChaosMonkey(ctx, a, "b", chaos.SimulateCpuSpike{Seconds: 1}); err != nil {
		t.Fatal(err)
	}
	note := chaos.Note{Text: "after stop"}
	if err := chaos.SendChaosMonkey(ctx, a, "b", note); err != nil {
		t.Fatal(err)
	}
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
		if err := multi.SendControl(ctx, a, "b", v.(multi.Control)); err != nil {
			t.Fatal(err)
		}
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}
	for _, v := range []any{multi.Load{Header: h, Percent: [4]uint8{1, 2, 3, 4}}, multi.Alarm{Header: h, Reason: "hot", Tags: map[string]uint32{"cpu": 99}}} {
		if err := multi.BroadcastStatus(ctx, a, v.(multi.Status)); err != nil {
			t.Fatal(err)
		}
		in.waitFor(t, fmt.Sprintf("on %s from a: %#v", reflect.TypeOf(v).Name(), v))
	}
	// The user code of package multi calls the generated Broadcast.
	if err := multi.PauseAll(ctx, a, 5); err != nil {
		t.Fatal(err)
	}
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
	defer b.Handle(chaos.ChaosMonkeyFamily, func(runtime.Member, []byte) {
		mu.Lock()
		seen++
		mu.Unlock()
	})()
	// send sends the payloads and waits until b has dispatched them all,
	// then returns how many more b counted as undecodable.
	send := func(payloads ...[]byte) uint64 {
		t.Helper()
		before := b.Stats().Undecodable
		mu.Lock()
		seen = 0
		mu.Unlock()
		for _, p := range payloads {
			if err := a.Send(ctx, "b", chaos.ChaosMonkeyFamily, p); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := seen
			mu.Unlock()
			if n == len(payloads) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("b dispatched %d of %d payloads within 10s", n, len(payloads))
			}
			time.Sleep(10 * time.Millisecond)
		}
		return b.Stats().Undecodable - before
	}
	tagged := func(tag uint16, body ...byte) []byte { return append(msgp.AppendUint16(nil, tag), body...) }
	spike, err := chaos.SimulateCpuSpike{Seconds: 7}.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}

	// A Note's tag followed by garbage: the spike handlers stop at the tag
	// and neither decode nor count it.
	if got := send(tagged(2, 0xc1), tagged(2)); got != 0 {
		t.Errorf("Note tags with garbage after them: %d counted undecodable by the spike handlers, want 0", got)
	}
	// A spike's tag with a body that does not decode, or with a byte after
	// it; a tag no variant has; no tag at all: each counted once, though
	// both spike handlers fail on it.
	if got := send(tagged(1, 0xc1), tagged(1, append(spike, 0)...), tagged(99), []byte{0xc1}, nil); got != 5 {
		t.Errorf("5 undecodable payloads: %d counted, want 5", got)
	}
	// A good spike reaches both handlers and counts nothing.
	if got := send(tagged(1, spike...)); got != 0 {
		t.Errorf("a valid spike: %d counted undecodable", got)
	}
	m := chaos.SimulateCpuSpike{Seconds: 7}
	in.waitFor(t, fmt.Sprintf("on SimulateCpuSpike from a: %#v", m), fmt.Sprintf("again SimulateCpuSpike from a: %#v", m))

	// With OnChaosMonkeyError, which decodes everything, the Note with
	// garbage is counted, once, and reported.
	defer chaos.OnChaosMonkeyError(b, func(from runtime.Member, err error) { in.add(from, "error", err.Error()) })()
	bad := tagged(2, 0xc1)
	_, decodeErr := chaos.DecodeChaosMonkey(bad)
	if decodeErr == nil {
		t.Fatal("a Note tag with garbage decoded")
	}
	if got := send(bad); got != 1 {
		t.Errorf("a Note tag with garbage, with OnChaosMonkeyError: %d counted, want 1", got)
	}
	in.waitFor(t, fmt.Sprintf("error string from a: %q", decodeErr.Error()))
	// An unknown tag: both spike handlers and the error handler fail on
	// it, and it still counts once.
	if got := send(tagged(99)); got != 1 {
		t.Errorf("an unknown tag, with OnChaosMonkeyError: %d counted, want 1", got)
	}
	in.waitFor(t, `error string from a: "chaos.ChaosMonkey: unknown tag 99, perhaps from a newer version of the program"`)
}
