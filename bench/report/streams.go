package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/memberlist-go/memberlist/bench/scenario"
)

// ReliableRows are S7's rows.
func ReliableRows(d *Data) []Row {
	sc := d.Reliable
	if sc == nil {
		return nil
	}
	sec := fmt.Sprintf("S7 SendReliable, %d KiB messages", sc.Spec.Size>>10)
	o, t := sc.Runs[Ours], sc.Runs[Theirs]
	var rows []Row
	add := func(fig string, prec int, f func(scenario.ReliableResult) float64) {
		get := func(rs []scenario.ReliableResult) []float64 {
			out := make([]float64, len(rs))
			for i, r := range rs {
				out[i] = f(r)
			}
			return out
		}
		rows = append(rows, Row{Section: sec, Figure: fig, Ours: spreadOf(get(o)), Theirs: spreadOf(get(t)), Prec: prec})
	}
	add("throughput (MB/s, higher is better)", 1, func(r scenario.ReliableResult) float64 { return r.MBPerSecond })
	add("latency p50 (ms)", 2, func(r scenario.ReliableResult) float64 { return r.P50Ms })
	add("latency p99 (ms)", 2, func(r scenario.ReliableResult) float64 { return r.P99Ms })
	add("CPU per message, both members (ms)", 2, func(r scenario.ReliableResult) float64 { return r.CPUMsPerMessage })
	add("wire bytes per message, both members", 0, func(r scenario.ReliableResult) float64 { return r.WireBytesPerMessage })
	rows[len(rows)-1].Note = runsNote(len(o), len(t))
	return rows
}

// PushPullRows are S8's rows.
func PushPullRows(d *Data) []Row {
	sc := d.PushPull
	if sc == nil {
		return nil
	}
	sec := fmt.Sprintf("S8 push/pull, N=%d, %d KiB states every %v", sc.Spec.N, sc.Spec.StateSize>>10, sc.Spec.Interval)
	o, t := sc.Runs[Ours], sc.Runs[Theirs]
	var rows []Row
	add := func(fig string, prec int, f func(scenario.PushPullResult) float64) {
		get := func(rs []scenario.PushPullResult) []float64 {
			out := make([]float64, len(rs))
			for i, r := range rs {
				out[i] = f(r)
				if r.Exchanges == 0 && (strings.Contains(fig, "per exchange")) {
					out[i] = math.NaN()
				}
			}
			return out
		}
		rows = append(rows, Row{Section: sec, Figure: fig, Ours: spreadOf(get(o)), Theirs: spreadOf(get(t)), Prec: prec})
	}
	add("bytes per exchange (KB, both ways)", 0, func(r scenario.PushPullResult) float64 { return r.BytesPerExchange / 1e3 })
	add("CPU per exchange (ms)", 2, func(r scenario.PushPullResult) float64 { return r.CPUMsPerExchange })
	add("exchanges per second, whole cluster", 1, func(r scenario.PushPullResult) float64 { return r.ExchangesPerSecond })
	add("CPU (cores, window)", 3, func(r scenario.PushPullResult) float64 { return r.CPUCores })
	add("join convergence (s)", 2, func(r scenario.PushPullResult) float64 { return r.JoinSeconds })
	add("false failures (in the window)", 0, func(r scenario.PushPullResult) float64 { return float64(r.FalseFailures) })
	rows[len(rows)-1].Note = runsNote(len(o), len(t))
	return rows
}

func runsNote(ours, theirs int) string {
	return fmt.Sprintf("%d runs of ours, %d of the incumbent's", ours, theirs)
}

// minRatioGoal checks ours/theirs against a lower bound, for figures
// where higher is better.
func minRatioGoal(id, name string, rows []Row, sec, fig string, bound float64) Goal {
	g := Goal{ID: id, Name: name, Target: fmt.Sprintf("ours/theirs at least %.1fx", bound)}
	r, ok := findRow(rows, sec, fig)
	ratio := r.Ratio()
	if ok && !math.IsNaN(ratio) {
		g.Measured = fmt.Sprintf("%.2fx (%s vs %s)", ratio, fmtNum(r.Ours.Median, r.Prec), fmtNum(r.Theirs.Median, r.Prec))
	}
	g.Verdict = verdict(ok && !math.IsNaN(ratio), ratio >= bound)
	return g
}

// streamGoals are S7's and S8's goals (issue 11).
func streamGoals(d *Data) []Goal {
	rows := append(ReliableRows(d), PushPullRows(d)...)
	return []Goal{
		minRatioGoal("s7-throughput", "S7 SendReliable throughput, 1 MiB messages", rows, "S7", "throughput (MB/s, higher is better)", 2),
		ratioGoal("s8-cpu", "S8 CPU per push/pull exchange of 1 MiB states, 32 members", rows, "S8", "CPU per exchange (ms)", 0.5),
	}
}

// writeStreams writes the S7 and S8 sections: how each was run, and every
// run's figures.
func writeStreams(b *strings.Builder, d *Data) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if sc := d.Reliable; sc != nil {
		p("## S7: SendReliable of %d KiB messages between two members\n\n", sc.Spec.Size>>10)
		p("A receiver and a sender on loopback at the LAN preset; payloads are random bytes, which the incumbent's default LZW compression does not shrink. ")
		p("One message opens the way (ours keeps its connection in a pool; the incumbent dials one per message). ")
		p("Throughput: %d messages sent back to back from one goroutine, 10^6 bytes of payload per second from the first call until the receiver's application had the last. ", sc.Spec.Messages)
		p("Latency: %d more, one at a time, each from the call until the receiver's application had it (ours' SendReliable returns once the receiver has taken it, the incumbent's once it has written it: the clock stops at the receiver for both). ", sc.Spec.Samples)
		p("CPU and wire bytes are both members' over the throughput phase, per message.\n\n")
		p("| implementation | run | MB/s | p50 (ms) | p99 (ms) | CPU ms/message | wire bytes/message |\n|---|---|---|---|---|---|---|\n")
		for _, impl := range []string{Ours, Theirs} {
			for i, r := range sc.Runs[impl] {
				p("| %s | %d | %.1f | %.2f | %.2f | %.2f | %.0f |\n", impl, i+1, r.MBPerSecond, r.P50Ms, r.P99Ms, r.CPUMsPerMessage, r.WireBytesPerMessage)
			}
		}
		p("\n")
	}
	if sc := d.PushPull; sc != nil {
		p("## S8: push/pull of %d KiB application states, %d members\n\n", sc.Spec.StateSize>>10, sc.Spec.N)
		p("Every member has a state of its own (random bytes) and both libraries' PushPullInterval is %v; a %v window starts %v after convergence. ", sc.Spec.Interval, sc.Spec.Window, sc.Spec.Settle)
		p("Exchanges are the states merged by all members in the window, halved (an exchange merges one on each side); bytes (UDP with headers, and TCP) and the process's CPU over the window are divided by them, ")
		p("and include the probes and gossip that ran meanwhile (a few KB/s for the cluster at 1 s probes). How often each library exchanges is its own: ours along a ring in name order, the incumbent with a random member.\n\n")
		p("| implementation | run | join (s) | exchanges | per second | KB/exchange | CPU ms/exchange | CPU cores | false failures |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, impl := range []string{Ours, Theirs} {
			for i, r := range sc.Runs[impl] {
				p("| %s | %d | %.1f | %.0f | %.1f | %.0f | %.2f | %.3f | %d |\n", impl, i+1, r.JoinSeconds, r.Exchanges, r.ExchangesPerSecond, r.BytesPerExchange/1e3, r.CPUMsPerExchange, r.CPUCores, r.FalseFailures)
			}
		}
		p("\n")
	}
}
