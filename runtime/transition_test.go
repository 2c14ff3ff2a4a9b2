package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// Encryption and a label switched on in a running 10-member cluster by
// three rolling restarts (Transition accept, then send, then none), one
// member at a time, each leaving gracefully and coming back at its
// address: no member is ever declared failed, and after each restart every
// member's message reaches every other.
func TestRollingEncryptionSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("30 restarts: skipped in -short")
	}
	const size = 10
	key := bytes.Repeat([]byte{0x5a}, 32)
	addrs := make([]string, size)
	cfgFor := func(i int, step string) runtime.Config {
		cfg := fastConfig(fmt.Sprintf("node-%d", i))
		cfg.BindAddr = addrs[i]
		if addrs[i] == "" {
			cfg.BindAddr = "127.0.0.1:0"
		}
		var seeds []string
		for j, a := range addrs {
			if j != i && a != "" {
				seeds = append(seeds, a)
			}
		}
		if len(seeds) > 0 {
			cfg.Discovery = discovery.Static(seeds...)
		}
		switch step {
		case "accept", "send":
			cfg.Keys, cfg.Label = [][]byte{key}, "prod"
			cfg.Transition = runtime.Transition{Phase: runtime.TransitionPhase(step)}
		case "after":
			cfg.Keys, cfg.Label = [][]byte{key}, "prod"
		}
		return cfg
	}

	var (
		failures atomic.Int64
		watchers sync.WaitGroup
		mu       sync.Mutex
		got      = map[string]bool{} // "from>to:round"
	)
	startNode := func(i int, step string) *runtime.Node {
		n, err := runtime.Start(context.Background(), cfgFor(i, step))
		require.NoError(t, err, "node-%d, step %s", i, step)
		addrs[i] = n.LocalMember().Addr.String()
		sub := n.Subscribe()
		watchers.Go(func() {
			for ev := range sub.C {
				if ev.Type == runtime.EventFailed {
					failures.Add(1)
					t.Errorf("%s declared %s failed (step %s)", n.LocalMember().Name, ev.Member.Name, step)
				}
			}
		})
		n.Handle(7, func(from runtime.Member, payload []byte) {
			mu.Lock()
			got[from.Name+">"+n.LocalMember().Name+":"+string(payload)] = true
			mu.Unlock()
		})
		return n
	}
	nodes := make([]*runtime.Node, size)
	for i := range nodes {
		nodes[i] = startNode(i, "before")
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Close()
		}
		watchers.Wait()
	})
	allAlive := func(what string) {
		t.Helper()
		eventually(t, 30*time.Second, what+": every member sees all alive", func() bool {
			for _, n := range nodes {
				alive := 0
				for _, m := range n.Members() {
					if m.State == runtime.StateAlive {
						alive++
					}
				}
				if alive != size {
					return false
				}
			}
			return true
		})
	}
	round := 0
	messages := func(what string) {
		t.Helper()
		round++
		tag := fmt.Sprint(round)
		for _, from := range nodes {
			for _, to := range nodes {
				if from != to {
					require.NoError(t, from.Send(context.Background(), to.LocalMember().Name, 7, []byte(tag)))
				}
			}
		}
		eventually(t, 10*time.Second, what+": every message delivered", func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, from := range nodes {
				for _, to := range nodes {
					if from != to && !got[from.LocalMember().Name+">"+to.LocalMember().Name+":"+tag] {
						return false
					}
				}
			}
			return true
		})
	}

	allAlive("before")
	messages("before")
	for _, step := range []string{"accept", "send", "after"} {
		for i := range nodes {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			require.NoError(t, nodes[i].Leave(ctx))
			cancel()
			require.NoError(t, nodes[i].Close())
			nodes[i] = startNode(i, step)
			what := fmt.Sprintf("step %s, node-%d restarted", step, i)
			allAlive(what)
			messages(what)
		}
	}
	var previous, unencrypted uint64
	for _, n := range nodes {
		s := n.Stats().Transport
		previous += s.Previous
		unencrypted += s.Unencrypted
	}
	assert.Zero(t, failures.Load(), "members declared failed")
	assert.Zero(t, previous, "datagrams of the old framing after the switch")
	t.Logf("%d restarts, %d message rounds, %d members declared failed", 3*size, round, failures.Load())
}
