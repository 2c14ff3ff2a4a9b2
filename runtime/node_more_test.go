package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// cluster starts n nodes joined through the first and waits for them.
func cluster(t *testing.T, n int, mod func(*runtime.Config)) []*runtime.Node {
	t.Helper()
	cfg := fastConfig("node-0")
	if mod != nil {
		mod(&cfg)
	}
	nodes := []*runtime.Node{start(t, cfg)}
	for i := 1; i < n; i++ {
		cfg := fastConfig(fmt.Sprintf("node-%d", i))
		if mod != nil {
			mod(&cfg)
		}
		cfg.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		nodes = append(nodes, start(t, cfg))
	}
	eventually(t, 20*time.Second, "cluster converged", func() bool {
		for _, x := range nodes {
			if countAlive(x) != n {
				return false
			}
		}
		return true
	})
	return nodes
}

// Every subscriber gets every event, in order; none takes events from
// another.
func TestSubscribersDoNotStealEvents(t *testing.T) {
	a := start(t, fastConfig("a"))
	s1, s2 := a.Subscribe(), a.Subscribe()
	defer s1.Close()
	defer s2.Close()
	for _, name := range []string{"b", "c"} {
		cfg := fastConfig(name)
		cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
		start(t, cfg)
	}
	for _, s := range []*runtime.Subscription{s1, s2} {
		joined := map[string]bool{}
		deadline := time.After(10 * time.Second)
		for len(joined) < 2 {
			select {
			case ev := <-s.C:
				if ev.Type == runtime.EventJoined {
					joined[ev.Member.Name] = true
				}
			case <-deadline:
				t.Fatalf("subscriber saw joins of %v, want b and c", joined)
			}
		}
	}
}

// A subscriber that stops reading is cut off with ErrSlowSubscriber; the
// protocol and the other subscribers carry on.
func TestSlowSubscriberIsCutOff(t *testing.T) {
	cfg := fastConfig("a")
	cfg.EventBuffer = 16
	a := start(t, cfg)
	slow, fast := a.Subscribe(), a.Subscribe()
	defer fast.Close()
	var mu sync.Mutex
	updates := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range fast.C {
			mu.Lock()
			if ev.Type == runtime.EventUpdated {
				updates++
			}
			mu.Unlock()
		}
	}()
	bcfg := fastConfig("b")
	bcfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b := start(t, bcfg)
	eventually(t, 10*time.Second, "b alive at a", func() bool { return countAlive(a) == 2 })
	// Forty metadata changes at b: forty events at a, more than the
	// slow subscriber's buffer, one at a time for the fast one.
	for i := range 40 {
		require.NoError(t, b.UpdateMeta(context.Background(), fmt.Appendf(nil, "v%d", i)))
		want := i + 1
		eventually(t, 5*time.Second, "update seen by the fast subscriber", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return updates >= want
		})
	}
	require.ErrorIs(t, slow.Err(), runtime.ErrSlowSubscriber, "slow subscriber's Err()")
	for range slow.C { // drains what was buffered, then ends: C is closed
	}
	require.Equal(t, 2, countAlive(a), "the protocol stalled")
	fast.Close()
	<-done
}

// Raw messages: Send reaches one member, Broadcast every other member once,
// each to the handlers of its family only; oversized messages are refused.
func TestRawMessages(t *testing.T) {
	nodes := cluster(t, 4, nil)
	type got struct {
		from, msg string
	}
	var mu sync.Mutex
	recv := map[string][]got{}
	for _, n := range nodes {
		name := n.LocalMember().Name
		n.Handle(7, func(from runtime.Member, p []byte) {
			mu.Lock()
			recv[name] = append(recv[name], got{from.Name, string(p)})
			mu.Unlock()
		})
		n.Handle(8, func(runtime.Member, []byte) { t.Errorf("family 8 handler got a family 7 message") })
	}
	ctx := context.Background()
	require.NoError(t, nodes[0].Send(ctx, "node-2", 7, []byte("direct")))
	require.NoError(t, nodes[1].Broadcast(ctx, 7, []byte("to all")))
	eventually(t, 10*time.Second, "messages delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(recv["node-0"]) == 1 && len(recv["node-2"]) == 2 && len(recv["node-3"]) == 1
	})
	mu.Lock()
	assert.Contains(t, recv["node-2"], got{"node-0", "direct"}, "node-2's messages")
	assert.Empty(t, recv["node-1"], "the broadcaster received its own broadcast")
	mu.Unlock()
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"oversized send", nodes[0].Send(ctx, "node-1", 7, make([]byte, runtime.MaxMessageSize+1)), runtime.ErrTooLarge},
		{"oversized broadcast", nodes[0].Broadcast(ctx, 7, make([]byte, runtime.MaxMessageSize+1)), runtime.ErrTooLarge},
		{"send to unknown", nodes[0].Send(ctx, "nobody", 7, nil), runtime.ErrUnknownMember},
	} {
		assert.ErrorIs(t, tc.err, tc.want, tc.name)
	}
	assert.NoError(t, nodes[0].Send(ctx, "node-3", 7, bytes.Repeat([]byte{1}, runtime.MaxMessageSize)), "largest message")
}

// CountUndecodable counts a payload once however many of its handlers
// call it, and nothing for a payload none calls it for.
func TestCountUndecodable(t *testing.T) {
	nodes := cluster(t, 2, nil)
	n := nodes[1]
	var mu sync.Mutex
	seen := 0
	fail := func(_ runtime.Member, p []byte) {
		if string(p) == "bad" {
			n.CountUndecodable(9, errors.New("bad"))
		}
	}
	n.Handle(9, fail)
	n.Handle(9, fail)
	// Handlers run in order: when the last has seen a payload, the
	// others are done with it.
	n.Handle(9, func(runtime.Member, []byte) {
		mu.Lock()
		seen++
		mu.Unlock()
	})
	for _, p := range []string{"bad", "good", "bad"} {
		require.NoError(t, nodes[0].Send(context.Background(), "node-1", 9, []byte(p)))
	}
	eventually(t, 10*time.Second, "3 payloads dispatched", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen == 3
	})
	assert.EqualValues(t, 2, n.Stats().Undecodable, "Undecodable after 2 bad payloads, each failing 2 handlers")
}

// Garbage: 10,000 random datagrams, and truncated, oversized and
// bit-flipped copies of a valid packet, sent to one node of five: nothing
// panics, every member stays alive in every view, and the drop counter
// shows the garbage.
func TestGarbageIsDropped(t *testing.T) {
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	// The raw socket poses as a seed of a sixth node, which sends it a
	// valid sync request to start from.
	cfg := fastConfig("probe")
	cfg.Discovery = discovery.Static(raw.LocalAddr().String())
	start(t, cfg)
	valid := make([]byte, 2048)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := raw.ReadFromUDP(valid)
	require.NoError(t, err, "the probe node's sync request")
	valid = valid[:n]

	nodes := cluster(t, 5, nil)
	target := nodes[2]
	to := net.UDPAddrFromAddrPort(target.LocalMember().Addr)
	before := target.Stats().Dropped
	rng := rand.New(rand.NewPCG(1, 2))
	sent := 0
	send := func(b []byte) {
		_, err := raw.WriteToUDP(b, to)
		require.NoError(t, err)
		sent++
		if sent%500 == 0 {
			time.Sleep(5 * time.Millisecond) // pace it below the socket buffer
		}
	}
	for range 10_000 {
		b := make([]byte, 1+rng.IntN(1400))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if b[0] == 1 {
			b[0] = 2 // our version byte: keep random garbage undecodable
		}
		send(b)
	}
	for i := 1; i < len(valid); i++ {
		send(valid[:i])
	}
	send(append(bytes.Repeat(valid, 1), make([]byte, 2000)...))
	flips := 0
	for range 500 {
		b := bytes.Clone(valid)
		b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
		send(b)
		flips++
	}
	want := uint64(10_000 + len(valid) - 1 + 1)
	eventually(t, 10*time.Second, "garbage counted as dropped", func() bool { return target.Stats().Dropped-before >= want })
	t.Logf("sent %d, dropped %d (bit flips that still decode are valid packets)", sent, target.Stats().Dropped-before)
	for _, v := range nodes {
		for _, x := range nodes {
			name := x.LocalMember().Name
			assert.True(t, allSee([]*runtime.Node{v}, name, runtime.StateAlive, nil), "%s no longer holds %s alive", v.LocalMember().Name, name)
		}
	}
}
