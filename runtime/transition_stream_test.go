package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// Streams follow a Transition as datagrams do: two members one step apart
// in switching encryption and a label on (none and accept, accept and
// send, send and done) exchange reliable messages both ways, and the
// member that accepts the previous framing counts it.
func TestTransitionStreams(t *testing.T) {
	key := bytes.Repeat([]byte{0x3c}, 32)
	step := func(name, phase string) runtime.Config {
		cfg := fastConfig(name)
		if phase != "none" {
			cfg.Keys, cfg.Label = [][]byte{key}, "prod"
		}
		if phase == "accept" || phase == "send" {
			cfg.Transition = runtime.Transition{Phase: runtime.TransitionPhase(phase)}
		}
		return cfg
	}
	for _, pair := range [][2]string{{"none", "accept"}, {"accept", "send"}, {"send", "after"}} {
		t.Run(pair[0]+"-"+pair[1], func(t *testing.T) {
			a := start(t, step("a", pair[0]))
			cfg := step("b", pair[1])
			cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
			b := start(t, cfg)
			eventually(t, 10*time.Second, "joined", func() bool { return countAlive(a) == 2 && countAlive(b) == 2 })
			var mu sync.Mutex
			got := map[string]bool{}
			for _, n := range []*runtime.Node{a, b} {
				name := n.LocalMember().Name
				n.Handle(9, func(from runtime.Member, p []byte) {
					mu.Lock()
					got[from.Name+">"+name+":"+string(p)] = true
					mu.Unlock()
				})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, a.SendReliable(ctx, "b", 9, []byte("x")), "%s to %s", pair[0], pair[1])
			require.NoError(t, b.SendReliable(ctx, "a", 9, []byte("y")), "%s to %s", pair[1], pair[0])
			eventually(t, 10*time.Second, "both delivered", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return got["a>b:x"] && got["b>a:y"]
			})
			// Who accepted the previous framing: the member in the accept
			// or send phase, from the one a step behind.
			prev := map[string]uint64{"a": a.Stats().Stream.Previous, "b": b.Stats().Stream.Previous}
			switch pair {
			case [2]string{"none", "accept"}:
				assert.NotZero(t, prev["b"], "the accept-phase member took an unsealed stream")
			case [2]string{"accept", "send"}:
				assert.NotZero(t, prev["b"], "the send-phase member took the accept-phase member's unsealed stream")
			case [2]string{"send", "after"}:
				assert.Zero(t, prev["a"]+prev["b"], fmt.Sprint("both seal: ", prev))
			}
		})
	}
}
