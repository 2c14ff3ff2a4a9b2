package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/bench/cluster"
	"github.com/memberlist-go/memberlist/bench/scenario"
	"github.com/memberlist-go/memberlist/bench/sim"
)

var fast = cluster.Settings{ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, GossipInterval: 50 * time.Millisecond}

func result(impl string, n int, bytes float64, ff int, all float64, cpu float64) scenario.Result {
	r := scenario.Result{Impl: impl, N: n, Converged: true, JoinSeconds: 0.2, BytesPerMemberSecond: bytes,
		FalseFailures: ff, WindowFalseFailures: ff, CPUCores: cpu, SteadyCPUCores: cpu}
	for range 3 {
		r.Crashes = append(r.Crashes, scenario.Crash{First: all - 0.1, All: all, Complete: true})
	}
	return r
}

// sample is a run in which ours meets some goals and misses others.
func sample() *Data {
	spec := scenario.Spec{N: 32, Settings: fast, Steady: 10 * time.Second, Window: 10 * time.Second}
	s2 := spec
	s2.N = 128
	probe := func(impl string, n int, healthy bool) scenario.Probe {
		ff := 0
		if !healthy {
			ff = 50
		}
		return scenario.Probe{N: n, Healthy: healthy, Result: result(impl, n, 400, ff, 0, 0.1)}
	}
	d := &Data{
		Machine: Machine{CPU: "Test CPU", Cores: 2, GoVersion: "go1.26", OS: "linux/amd64", Commit: "abc1234"},
		Started: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Seconds: 1100, Repeats: 3,
		Scenarios: []Scenario{
			{ID: "S1", Spec: spec, Runs: map[string][]scenario.Result{
				Ours:   {result(Ours, 32, 400, 0, 1.5, 0.03), result(Ours, 32, 410, 0, 1.6, 0.03), result(Ours, 32, 390, 0, 1.4, 0.03)},
				Theirs: {result(Theirs, 32, 730, 0, 1.8, 0.1), result(Theirs, 32, 735, 0, 1.7, 0.1), result(Theirs, 32, 740, 0, 1.9, 0.1)},
			}},
			{ID: "S2", Spec: s2, Runs: map[string][]scenario.Result{
				Ours:   {result(Ours, 128, 400, 0, 2, 0.1)},
				Theirs: {result(Theirs, 128, 20000, 500, 4, 1.9)},
			}},
		},
		Search: map[string]scenario.SearchResult{
			Ours:   {Largest: 512, SmallestUnhealthy: 1024, Probes: []scenario.Probe{probe(Ours, 64, true), probe(Ours, 256, true), probe(Ours, 512, true), probe(Ours, 1024, false)}},
			Theirs: {Largest: 96, SmallestUnhealthy: 112, Probes: []scenario.Probe{probe(Theirs, 64, true), probe(Theirs, 96, true), probe(Theirs, 112, false)}},
		},
		SearchSpec: scenario.Spec{Settings: fast, JoinCap: 30 * time.Second, Window: 20 * time.Second, Steady: 10 * time.Second, Settle: 2 * time.Second},
		SweepNs:    []int{32, 64, 96, 128, 256, 512, 1024},
		Codec: []Bench{
			{Impl: Ours, Op: "encode+decode", NsPerOp: 80, AllocsPerOp: 2, WireBytes: 106},
			{Impl: Ours, Op: "encode", NsPerOp: 16},
			{Impl: Theirs, Op: "encode+decode", NsPerOp: 2300, AllocsPerOp: 39, WireBytes: 125},
		},
		Sim: []sim.Result{
			{N: 100, JoinPeriods: 1, LatePeriods: 0.7, FirstPeriods: 10, AllPeriods: 11, Converged: true, LateConverged: true, Detected: true},
			{N: 1000, JoinPeriods: 15, LatePeriods: 0.9, FirstPeriods: 14, AllPeriods: 15, Converged: true, LateConverged: true, Detected: true, VirtualSeconds: 650, WallSeconds: 20},
		},
	}
	return d
}

func goal(t *testing.T, gs []Goal, id string) Goal {
	t.Helper()
	i := slices.IndexFunc(gs, func(g Goal) bool { return g.ID == id })
	require.NotEqual(t, -1, i, "no goal %q", id)
	return gs[i]
}

func TestGoals(t *testing.T) {
	gs := Goals(sample())
	for id, want := range map[string]Verdict{
		"s1-bytes":  Met,        // 400/735
		"s1-detect": Met,        // 1.5/1.8
		"s1-cpu":    Met,        // 0.03/0.1
		"s3-bytes":  Unmeasured, // no S3
		"s2-false":  Met,
		"s4-scale":  Missed, // 512/96 = 5.3x
		"s5-codec":  Met,    // 28.8x, no allocations on encode
		"s6-join":   Missed, // 15x while log N grew 1.5x
		"s6-late":   Met,
		"s6-crash":  Met,
		"s6-cost":   Met,
		"duration":  Met,
	} {
		g := goal(t, gs, id)
		assert.Equal(t, want, g.Verdict, "goal %s (measured %s)", id, g.Measured)
	}
}

func TestSweepStopsAtCollapse(t *testing.T) {
	d := sample()
	ns := func(impl string) []int {
		var out []int
		for _, p := range Sweep(d, impl) {
			out = append(out, p.N)
		}
		return out
	}
	assert.Equal(t, []int{32, 64, 96, 128}, ns(Theirs), "incumbent's curve at N (collapsed at 128)")
	for _, p := range Sweep(d, Theirs) {
		switch p.N {
		case 128:
			assert.Empty(t, p.Healthy, "incumbent at 128: healthy trials")
			assert.Len(t, p.Collapsed, 1, "incumbent at 128: collapsed trials")
			assert.True(t, p.HasCollapse(), "incumbent at 128: collapse")
		case 64:
			assert.Equal(t, 400.0, p.Bytes().Median, "incumbent at 64: median bytes")
			assert.False(t, p.HasCollapse(), "incumbent at 64: collapse")
		}
	}
	got := ns(Ours)
	if assert.Len(t, got, 6, "our curve at N = %v", got) {
		assert.Equal(t, 1024, got[5], "our curve's largest N")
	}
}

func TestWriteReport(t *testing.T) {
	d := sample()
	dir := t.TempDir()
	plots, err := WritePlots(d, filepath.Join(dir, "img"))
	require.NoError(t, err)
	assert.Len(t, plots, 4, "plots written")
	for _, p := range plots {
		f, err := os.Open(filepath.Join(dir, "img", p))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err, "%s", p)
		b := img.Bounds()
		assert.GreaterOrEqual(t, b.Dx(), 800, "%s's width: smaller is too small to read", p)
		assert.GreaterOrEqual(t, b.Dy(), 500, "%s's height: smaller is too small to read", p)
	}
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, d, "img", plots))
	for _, want := range []string{
		"| Test CPU | 2 | go1.26 |", "abc1234", "## Goals", "❌ missed", "✅ met",
		"| S1 N=32 (200ms/100ms/50ms) | join convergence (s) |", "![crash_detection](img/crash_detection.png)",
		"## S4: every trial of the search", "healthy at 96, not at 112", "## S6: the simulator", "## How to reproduce",
	} {
		assert.Contains(t, md.String(), want, "BENCHMARKS.md")
	}
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, d))
	assert.Contains(t, table.String(), "0.54x", "table lacks the S1 traffic ratio (bytes: 400/735)")
}

// Every relative link of BENCHMARKS.md points at a file in docs/, the
// directory `make bench` writes it to, so that the report reads the same on
// a clean clone: the scenario definitions live in docs/SCENARIOS.md.
func TestMarkdownLinksStayInDocs(t *testing.T) {
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, sample(), "img", nil))
	links := regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(md.String(), -1)
	found := false
	for _, l := range links {
		target := l[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "img/") {
			continue
		}
		if target == "SCENARIOS.md" {
			found = true
		}
		if !assert.False(t, strings.HasPrefix(filepath.Clean(target), "..") || filepath.IsAbs(target), "link %q leaves docs/", target) {
			continue
		}
		assert.FileExists(t, filepath.Join("..", "..", "docs", target), "link %q", target)
	}
	assert.True(t, found, "BENCHMARKS.md does not link the scenario definitions, SCENARIOS.md")
}
