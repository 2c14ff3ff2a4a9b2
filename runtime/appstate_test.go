package runtime_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// kv is an AppState as a "memberlist KV" store keeps one: a map that
// merges by union, so every node's entry spreads to every node.
type kv struct {
	mu      sync.Mutex
	entries map[string]string
	merges  []mergeRecord
	// block, when set, makes the next merge hold the lock until it is
	// closed; entered is closed when that merge starts.
	block, entered chan struct{}
}

type mergeRecord struct {
	from string
	join bool
	keys []string // the entries held right after the merge
	at   time.Time
}

func newKV(name string) *kv {
	return &kv{entries: map[string]string{name: "value of " + name}}
}

func (s *kv) LocalState(bool) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.entries)) {
		fmt.Fprintf(&b, "%s=%s\n", k, s.entries[k])
	}
	return []byte(b.String())
}

func (s *kv) MergeRemoteState(from runtime.Member, state []byte, join bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.block != nil {
		block := s.block
		s.block = nil
		close(s.entered)
		<-block // a slow merge, holding the state's lock all along
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(state)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			s.entries[k] = v
		}
	}
	s.merges = append(s.merges, mergeRecord{from: from.Name, join: join, keys: slices.Sorted(maps.Keys(s.entries)), at: time.Now()})
}

func (s *kv) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// firstJoinMerge returns the first merge made at join.
func (s *kv) firstJoinMerge() (mergeRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.merges {
		if m.join {
			return m, true
		}
	}
	return mergeRecord{}, false
}

func (s *kv) joinMergesFrom() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := make(map[string]bool)
	for _, m := range s.merges {
		if m.join {
			from[m.from] = true
		}
	}
	return from
}

// Twenty nodes with a KV AppState on loopback. Each joining node holds its
// admitter's state as soon as it has joined, merged with join set, and the
// admitter the newcomer's; once every view holds all twenty, every node
// holds every entry within two PushPullIntervals (the ring schedule's
// bound). Then one node's MergeRemoteState blocks for 5 s, holding its
// state's lock: no node suspects it, and its protocol loop answers at
// once all along, as the merge runs on a goroutine of its own.
func TestAppStateTwentyNodes(t *testing.T) {
	const N = 20
	const interval = 2 * time.Second
	states := make([]*kv, N)
	nodes := make([]*runtime.Node, N)
	cfg := func(i int) runtime.Config {
		c := fastConfig(fmt.Sprintf("a-%02d", i))
		states[i] = newKV(c.Name)
		c.AppState = states[i]
		c.PushPullInterval = interval
		return c
	}
	nodes[0] = start(t, cfg(0))
	for i := 1; i < N; i++ {
		c := cfg(i)
		c.Discovery = discovery.Static(nodes[0].LocalMember().Addr.String())
		nodes[i] = start(t, c)
		// The exchange at join: the newcomer merges the admitter's state,
		// with join set, as soon as it has joined.
		eventually(t, 10*time.Second, c.Name+" merged its admitter's state at join", func() bool {
			_, ok := states[i].firstJoinMerge()
			return ok
		})
		m, _ := states[i].firstJoinMerge()
		assert.Equal(t, "a-00", m.from, "%s's first join merge", c.Name)
		assert.Contains(t, m.keys, "a-00", "%s holds its admitter's entry", c.Name)
		assert.Subset(t, m.keys, []string{"a-00", c.Name})
	}
	eventually(t, 10*time.Second, "the admitter merged every newcomer's state at join", func() bool {
		return len(states[0].joinMergesFrom()) == N-1
	})

	eventually(t, 30*time.Second, "20 alive in every view", func() bool {
		for _, n := range nodes {
			if countAlive(n) != N {
				return false
			}
		}
		return true
	})
	took := eventually(t, 2*interval, "every node holds all 20 entries within 2 PushPullIntervals", func() bool {
		for _, s := range states {
			if s.size() != N {
				return false
			}
		}
		return true
	})
	t.Logf("all states everywhere %v after the views agreed (PushPullInterval %v)", took, interval)

	// A merge that blocks for 5 s.
	subs := make([]*runtime.Subscription, N)
	for i, n := range nodes {
		subs[i] = n.Subscribe()
		defer subs[i].Close()
	}
	slow := states[7]
	slow.mu.Lock()
	release := make(chan struct{})
	slow.block, slow.entered = release, make(chan struct{})
	entered := slow.entered
	slow.mu.Unlock()
	select {
	case <-entered:
	case <-time.After(3 * interval):
		t.Fatal("no merge on a-07 within 3 PushPullIntervals")
	}
	blockedAt := time.Now()
	var worst time.Duration
	for time.Since(blockedAt) < 5*time.Second {
		begin := time.Now()
		require.NotEmpty(t, nodes[7].Members())
		worst = max(worst, time.Since(begin))
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	t.Logf("a-07's loop answered within %v while its merge was blocked", worst)
	assert.Less(t, worst, time.Second, "the protocol loop waited for the merge")
	time.Sleep(500 * time.Millisecond) // let a late suspicion show
	for i, s := range subs {
		for len(s.C) > 0 {
			ev := <-s.C
			if ev.Member.Name == "a-07" {
				assert.NotContains(t, []runtime.EventType{runtime.EventSuspected, runtime.EventFailed}, ev.Type,
					"a-%02d: a-07 %v during its slow merge", i, ev.Type)
			}
		}
	}
	assert.Equal(t, N, countAlive(nodes[0]))
}

// bigState returns a state larger than any node accepts.
type bigState struct{ *kv }

func (s *bigState) LocalState(bool) []byte { return make([]byte, 2048) }

// A LocalState over MaxStreamMessageSize is not sent, and counted; a
// member without AppState refuses exchanges; neither disturbs the rest.
func TestAppStateLimits(t *testing.T) {
	big := &bigState{newKV("big")}
	small := newKV("small")
	nodes := joinedCluster(t, 3, func(i int) runtime.Config {
		c := fastConfig(fmt.Sprintf("l-%d", i))
		c.MaxStreamMessageSize = 1024
		c.PushPullInterval = 300 * time.Millisecond
		switch i {
		case 0:
			c.AppState = small
		case 1:
			c.AppState = big
		}
		return c
	})
	eventually(t, 10*time.Second, "the big state refused and counted", func() bool {
		return nodes[1].Stats().StateTooLarge > 0
	})
	eventually(t, 10*time.Second, "exchanges with the node without AppState fail", func() bool {
		return nodes[0].Stats().StateExchangeFailures > 0
	})
	assert.Equal(t, 1, small.size(), "nothing of the big state arrived")
	for _, n := range nodes {
		assert.Equal(t, 3, countAlive(n))
	}
}
