package report

import (
	"strings"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/bench/scenario"
)

func goalByID(gs []Goal, id string) Goal {
	for _, g := range gs {
		if g.ID == id {
			return g
		}
	}
	return Goal{}
}

// S7's throughput goal is a lower bound on ours/theirs, S8's CPU goal an
// upper one; both are unmeasured until both implementations ran.
func TestStreamGoals(t *testing.T) {
	d := &Data{}
	if g := goalByID(Goals(d), "s7-throughput"); g.Verdict != Unmeasured {
		t.Errorf("S7 without runs: %v", g.Verdict)
	}
	d.Reliable = &ReliableScenario{Spec: scenario.ReliableSpec{Size: 1 << 20, Messages: 4, Samples: 4}, Runs: map[string][]scenario.ReliableResult{
		Ours:   {{MBPerSecond: 150, P50Ms: 3, P99Ms: 9}, {MBPerSecond: 190}, {MBPerSecond: 170}},
		Theirs: {{MBPerSecond: 100, P50Ms: 50, P99Ms: 500}},
	}}
	d.PushPull = &PushPullScenario{Spec: scenario.PushPullSpec{N: 32, StateSize: 1 << 20, Interval: 2 * time.Second}, Runs: map[string][]scenario.PushPullResult{
		Ours:   {{Exchanges: 100, CPUMsPerExchange: 4, BytesPerExchange: 2.1e6}},
		Theirs: {{Exchanges: 80, CPUMsPerExchange: 10, BytesPerExchange: 2.9e6}, {Exchanges: 0, CPUMsPerExchange: 0}},
	}}
	gs := Goals(d)
	if g := goalByID(gs, "s7-throughput"); g.Verdict != Missed || !strings.HasPrefix(g.Measured, "1.70x") {
		t.Errorf("S7 at 170 vs 100 MB/s: %v %q, want missed at 1.70x", g.Verdict, g.Measured)
	}
	if g := goalByID(gs, "s8-cpu"); g.Verdict != Met || !strings.HasPrefix(g.Measured, "0.400x") {
		t.Errorf("S8 at 4 vs 10 ms (a run without exchanges left out): %v %q, want met at 0.400x", g.Verdict, g.Measured)
	}
	d.Reliable.Runs[Theirs][0].MBPerSecond = 80
	if g := goalByID(Goals(d), "s7-throughput"); g.Verdict != Met {
		t.Errorf("S7 at 170 vs 80 MB/s: %v, want met", g.Verdict)
	}

	var b strings.Builder
	if err := WriteMarkdown(&b, d, "img", nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## S7: SendReliable of 1024 KiB messages", "## S8: push/pull of 1024 KiB application states, 32 members", "| S7 SendReliable, 1024 KiB messages | throughput (MB/s, higher is better) | 170.0 (150.0–190.0) | 80.0 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
}
