// Command bench runs the scenarios of docs/SCENARIOS.md for this
// repository's library and for hashicorp/memberlist v0.7.0 side by side,
// prints a table (figure, ours, theirs, ratio) and the goals, and writes
// docs/BENCHMARKS.md with its plots in docs/img.
//
//	go run . -docs ../docs        # everything (make bench), under 20 minutes on 2 cores
//	go run . -quick -docs ''      # a short development run that writes nothing
//	go run . -only s1,s5          # some scenarios only
//	go run . -only s6 -sim-ns 1000,3000 -sim-seeds 1 -docs ''   # S6 at chosen sizes
//
// Every trial of S1 to S4, S7 and S8 runs in a child process (this program again,
// with -trial), one after another, so that each process's CPU time,
// goroutines and sockets belong to one implementation alone.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/bench/report"
)

func main() {
	var (
		trial      = flag.String("trial", "", "internal: run the one trial given as JSON and print its result")
		quick      = flag.Bool("quick", false, "a short development run: one trial each, small clusters")
		docs       = flag.String("docs", "../docs", "write BENCHMARKS.md, benchmarks.json and img/ here; empty writes nothing")
		only       = flag.String("only", "", "comma-separated parts to run: s1,s2,s3,s4,s5,s6,s7,s8 (default all)")
		rerender   = flag.String("render", "", "only re-render the report from this benchmarks.json")
		cpuprofile = flag.String("cpuprofile", "", "write a CPU profile of each of our trials into this directory")
		simNs      = flag.String("sim-ns", "", "comma-separated S6 cluster sizes, overriding the plan's (and its time allowance): 1000,3000")
		simSeeds   = flag.Int("sim-seeds", 0, "S6 seeds per cluster size, overriding the plan's; 0 keeps them")
	)
	flag.Parse()
	if *trial != "" {
		if err := runChild(*trial); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := simOverride{seeds: *simSeeds}
	if *simNs != "" {
		ns, err := parseSizes(*simNs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		o.ns = ns
	}
	if err := run(ctx, *quick, *docs, *only, *rerender, *cpuprofile, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, quick bool, docs, only, rerender, cpuprofile string, so simOverride) error {
	var d *report.Data
	if rerender != "" {
		b, err := os.ReadFile(rerender)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		d = new(report.Data)
		if err := json.Unmarshal(b, d); err != nil {
			return fmt.Errorf("bench: %s: %w", rerender, err)
		}
	} else {
		parts, err := parseOnly(only)
		if err != nil {
			return err
		}
		p := fullPlan()
		if quick {
			p = quickPlan()
		}
		so.apply(&p)
		r := &runner{plan: p, parts: parts, profileDir: cpuprofile, start: time.Now()}
		d, err = r.run(ctx)
		if err != nil {
			return err
		}
		d.Quick = quick
	}
	fmt.Println()
	if err := report.WriteTable(os.Stdout, d); err != nil {
		return err
	}
	if docs == "" {
		return nil
	}
	return writeDocs(d, docs)
}

var allParts = []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}

func parseOnly(only string) (map[string]bool, error) {
	parts := map[string]bool{}
	if only == "" {
		for _, p := range allParts {
			parts[p] = true
		}
		return parts, nil
	}
	for _, p := range strings.Split(only, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		known := false
		for _, a := range allParts {
			known = known || a == p
		}
		if !known {
			return nil, fmt.Errorf("bench: -only %q: unknown part %q; want some of %s", only, p, strings.Join(allParts, ","))
		}
		parts[p] = true
	}
	return parts, nil
}

// simOverride is what -sim-ns and -sim-seeds change in a plan.
type simOverride struct {
	ns    []int
	seeds int
}

// apply sets S6's sizes and seeds. Sizes given on the command line are
// run whatever they cost: the plan's allowance, which drops sizes
// estimated too slow, is for the unattended full run.
func (o simOverride) apply(p *plan) {
	if len(o.ns) > 0 {
		p.simNs = o.ns
		p.simAllowance = 0
	}
	if o.seeds > 0 {
		seeds := o.seeds
		p.simSeeds = func(int) int { return seeds }
	}
}

// parseSizes parses -sim-ns: comma-separated cluster sizes of at least 3
// members (the simulation's least).
func parseSizes(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bench: -sim-ns %q: %w", s, err)
		}
		if n < 3 {
			return nil, fmt.Errorf("bench: -sim-ns %q: size %d; want at least 3", s, n)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// writeDocs writes BENCHMARKS.md, the plots and the raw figures.
func writeDocs(d *report.Data, docs string) error {
	img := filepath.Join(docs, "img")
	plots, err := report.WritePlots(d, img)
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(d, "", "\t")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(docs, "benchmarks.json"), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	f, err := os.Create(filepath.Join(docs, "BENCHMARKS.md"))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := report.WriteMarkdown(f, d, "img", plots); err != nil {
		f.Close()
		return fmt.Errorf("bench: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s, benchmarks.json and %d plots in %s\n", filepath.Join(docs, "BENCHMARKS.md"), len(plots), img)
	return nil
}

// errInterrupted is returned when the run was interrupted.
var errInterrupted = errors.New("bench: interrupted")
