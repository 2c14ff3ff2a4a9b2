package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
)

// handleChaos registers this node's reactions to every ChaosMonkey message;
// each receipt is logged with its sender. It returns a function that
// unregisters them.
func handleChaos(n *runtime.Node, out io.Writer, self string) (stop func()) {
	var mu sync.Mutex // keeps lines whole when handlers of several nodes print
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format+"\n", args...)
	}
	stops := []func(){
		OnSimulateCpuSpike(n, func(from runtime.Member, m SimulateCpuSpike) {
			// A demo should not really starve its own cluster: burn a
			// tenth of what was asked, at most half a second.
			d := min(time.Duration(m.Seconds)*100*time.Millisecond, 500*time.Millisecond)
			say("  %s <- %s: cpu spike of %ds (burning %v)", self, from.Name, m.Seconds, d)
			go burn(d)
		}),
		OnSimulateLatency(n, func(from runtime.Member, m SimulateLatency) {
			say("  %s <- %s: latency +%dms", self, from.Name, m.Millis)
		}),
		OnNote(n, func(from runtime.Member, m Note) {
			say("  %s <- %s: note %q [%s]", self, from.Name, m.Text, strings.Join(m.Labels, ","))
		}),
		OnDump(n, func(from runtime.Member, m Dump) {
			size := 0
			for _, e := range m.Entries {
				size += len(e)
			}
			say("  %s <- %s: state dump over a stream, %d entries, %d KB", self, from.Name, len(m.Entries), size/1024)
		}),
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// burn keeps one core busy for d: a small, visible misbehaviour.
func burn(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}

// randomMonkey picks a message to send, from a counter so runs are varied
// but need no global randomness.
func randomMonkey(i int) ChaosMonkey {
	switch i % 3 {
	case 0:
		return SimulateCpuSpike{Seconds: uint16(1 + i%5)}
	case 1:
		return SimulateLatency{Millis: uint32(50 * (1 + i%4))}
	}
	return Note{Text: fmt.Sprintf("hello #%d", i), Labels: []string{"demo"}}
}

// sendTo sends m to the member named to, or to everyone when to is empty.
func sendTo(ctx context.Context, n *runtime.Node, to string, m ChaosMonkey) error {
	if to == "" {
		return BroadcastChaosMonkey(ctx, n, m)
	}
	return SendChaosMonkey(ctx, n, to, m)
}
