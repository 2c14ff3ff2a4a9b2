package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	for _, g := range gs {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no goal %q", id)
	return Goal{}
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
		if g := goal(t, gs, id); g.Verdict != want {
			t.Errorf("goal %s: %v (%s), want %v", id, g.Verdict, g.Measured, want)
		}
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
	if got := ns(Theirs); len(got) != 4 || got[3] != 128 {
		t.Errorf("incumbent's curve at N = %v, want 32, 64, 96, 128 (collapsed at 128)", got)
	}
	for _, p := range Sweep(d, Theirs) {
		if p.N == 128 && (len(p.Collapsed) != 1 || len(p.Healthy) != 0 || !p.HasCollapse()) {
			t.Errorf("incumbent at 128: %d healthy, %d collapsed trials; want 0 and 1", len(p.Healthy), len(p.Collapsed))
		}
		if p.N == 64 && (p.Bytes().Median != 400 || p.HasCollapse()) {
			t.Errorf("incumbent at 64: bytes %+v, collapse %v", p.Bytes(), p.HasCollapse())
		}
	}
	if got := ns(Ours); len(got) != 6 || got[5] != 1024 {
		t.Errorf("our curve at N = %v, want up to 1024", got)
	}
}

func TestWriteReport(t *testing.T) {
	d := sample()
	dir := t.TempDir()
	plots, err := WritePlots(d, filepath.Join(dir, "img"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plots) != 4 {
		t.Errorf("wrote %v, want 4 plots", plots)
	}
	for _, p := range plots {
		f, err := os.Open(filepath.Join(dir, "img", p))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 500 {
			t.Errorf("%s is %v, too small to read", p, b)
		}
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, d, "img", plots); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| Test CPU | 2 | go1.26 |", "abc1234", "## Goals", "❌ missed", "✅ met",
		"| S1 N=32 (200ms/100ms/50ms) | join convergence (s) |", "![crash_detection](img/crash_detection.png)",
		"## S4: every trial of the search", "healthy at 96, not at 112", "## S6: the simulator", "## How to reproduce",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("BENCHMARKS.md lacks %q", want)
		}
	}
	var table bytes.Buffer
	if err := WriteTable(&table, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "0.54x") { // S1 bytes: 400/735
		t.Errorf("table lacks the S1 traffic ratio:\n%s", table.String())
	}
}

// Every relative link of BENCHMARKS.md points at a file in docs/, the
// directory `make bench` writes it to, so that the report reads the same on
// a clean clone: the scenario definitions live in docs/SCENARIOS.md.
func TestMarkdownLinksStayInDocs(t *testing.T) {
	var md bytes.Buffer
	if err := WriteMarkdown(&md, sample(), "img", nil); err != nil {
		t.Fatal(err)
	}
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
		if strings.HasPrefix(filepath.Clean(target), "..") || filepath.IsAbs(target) {
			t.Errorf("link %q leaves docs/", target)
			continue
		}
		if _, err := os.Stat(filepath.Join("..", "..", "docs", target)); err != nil {
			t.Errorf("link %q: %v", target, err)
		}
	}
	if !found {
		t.Error("BENCHMARKS.md does not link the scenario definitions, SCENARIOS.md")
	}
}
