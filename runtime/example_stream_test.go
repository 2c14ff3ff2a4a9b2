package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// Sending a message larger than a datagram: SendReliable returns once the
// receiving node has taken it, and the receiver's Handle functions get it
// as they get Send's messages. memberlist-gen writes typed wrappers for
// stream families over it.
func ExampleNode_SendReliable() {
	ctx := context.Background()
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = "a"
	cfg.BindAddr = "127.0.0.1:0"                    // TCP listens on the same port as UDP
	cfg.Keys = [][]byte{[]byte("0123456789abcdef")} // streams are sealed too
	a, _ := runtime.Start(ctx, cfg)
	defer a.Close()
	cfg.Name = "b"
	cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b, _ := runtime.Start(ctx, cfg)
	defer b.Close()

	got := make(chan string, 1)
	stop := a.Handle(42, func(from runtime.Member, payload []byte) {
		got <- fmt.Sprintf("%s sent %d bytes", from.Name, len(payload))
	})
	defer stop()

	dump := make([]byte, 5<<20) // far beyond runtime.MaxMessageSize
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// Until each knows the other, b's send fails with ErrUnknownMember
		// (b does not know a) or ErrRefused (a does not know b).
		err := b.SendReliable(ctx, "a", 42, dump)
		if err == nil || !errors.Is(err, runtime.ErrUnknownMember) && !errors.Is(err, runtime.ErrRefused) {
			break
		}
	}
	fmt.Println(<-got)
	// Output: b sent 5242880 bytes
}

// registry is an AppState: a set of entries that merges by union, as a
// "memberlist KV" store does; each node adds its own.
type registry struct {
	mu      sync.Mutex
	entries map[string]string
}

func (r *registry) LocalState(join bool) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(r.entries)) {
		fmt.Fprintf(&b, "%s=%s\n", k, r.entries[k])
	}
	return []byte(b.String())
}

func (r *registry) MergeRemoteState(from runtime.Member, state []byte, join bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(string(state)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			r.entries[k] = v
		}
	}
}

func (r *registry) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.entries)
}

// Application state exchanged at join: the newcomer and the member that
// admits it swap their states over a stream as soon as it has joined;
// afterwards every node exchanges with another every PushPullInterval.
func ExampleAppState() {
	ctx := context.Background()
	cfg := runtime.DefaultLocalConfig()
	cfg.BindAddr = "127.0.0.1:0"

	cfg.Name = "a"
	stateA := &registry{entries: map[string]string{"a": "10.0.0.1"}}
	cfg.AppState = stateA
	a, _ := runtime.Start(ctx, cfg)
	defer a.Close()

	cfg.Name = "b"
	stateB := &registry{entries: map[string]string{"b": "10.0.0.2"}}
	cfg.AppState = stateB
	cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b, _ := runtime.Start(ctx, cfg)
	defer b.Close()

	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if stateA.String() == stateB.String() {
			break
		}
	}
	fmt.Println("a holds", stateA)
	fmt.Println("b holds", stateB)
	// Output:
	// a holds map[a:10.0.0.1 b:10.0.0.2]
	// b holds map[a:10.0.0.1 b:10.0.0.2]
}
