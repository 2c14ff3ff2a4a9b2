package report

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Equal(t, Unmeasured, goalByID(Goals(d), "s7-throughput").Verdict, "S7 without runs")
	d.Reliable = &ReliableScenario{Spec: scenario.ReliableSpec{Size: 1 << 20, Messages: 4, Samples: 4}, Runs: map[string][]scenario.ReliableResult{
		Ours:   {{MBPerSecond: 150, P50Ms: 3, P99Ms: 9}, {MBPerSecond: 190}, {MBPerSecond: 170}},
		Theirs: {{MBPerSecond: 100, P50Ms: 50, P99Ms: 500}},
	}}
	d.PushPull = &PushPullScenario{Spec: scenario.PushPullSpec{N: 32, StateSize: 1 << 20, Interval: 2 * time.Second}, Runs: map[string][]scenario.PushPullResult{
		Ours:   {{Exchanges: 100, CPUMsPerExchange: 4, BytesPerExchange: 2.1e6}},
		Theirs: {{Exchanges: 80, CPUMsPerExchange: 10, BytesPerExchange: 2.9e6}, {Exchanges: 0, CPUMsPerExchange: 0}},
	}}
	gs := Goals(d)
	for _, c := range []struct {
		id, what string
		verdict  Verdict
		measured string
	}{
		{"s7-throughput", "S7 at 170 vs 100 MB/s", Missed, "1.70x"},
		{"s8-cpu", "S8 at 4 vs 10 ms (a run without exchanges left out)", Met, "0.400x"},
	} {
		g := goalByID(gs, c.id)
		assert.Equal(t, c.verdict, g.Verdict, c.what)
		assert.True(t, strings.HasPrefix(g.Measured, c.measured), "%s: measured %q, want %s", c.what, g.Measured, c.measured)
	}
	d.Reliable.Runs[Theirs][0].MBPerSecond = 80
	assert.Equal(t, Met, goalByID(Goals(d), "s7-throughput").Verdict, "S7 at 170 vs 80 MB/s")

	var b strings.Builder
	require.NoError(t, WriteMarkdown(&b, d, "img", nil))
	for _, want := range []string{"## S7: SendReliable of 1024 KiB messages", "## S8: push/pull of 1024 KiB application states, 32 members", "| S7 SendReliable, 1024 KiB messages | throughput (MB/s, higher is better) | 170.0 (150.0–190.0) | 80.0 |"} {
		assert.Contains(t, b.String(), want, "BENCHMARKS.md")
	}
}
