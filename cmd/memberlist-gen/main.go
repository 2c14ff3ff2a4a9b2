package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memberlist-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("C", ".", "run in `dir`: patterns and output are relative to it")
	verbose := fs.Bool("v", false, "print the files written")
	check := fs.Bool("check", false, "write nothing; exit 1 naming each generated file that is stale")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: memberlist-gen [-C dir] [-v] [-check] [packages]\n\n"+
			"Writes typed messages for each //memberlist:messages family of the packages\n"+
			"(default: the package in the current directory). With -check, writes nothing\n"+
			"and fails if a generated file is not what go generate would write. See go doc\n"+
			"github.com/memberlist-go/memberlist/cmd/memberlist-gen.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "memberlist-gen: %v\n", err)
		return 1
	}
	plan, err := generate(abs, patterns, runtimeBudgets())
	var refused *errRefused
	if errors.As(err, &refused) {
		for _, d := range refused.diags {
			fmt.Fprintf(stderr, "%s\n", d.String(abs))
		}
		fmt.Fprintf(stderr, "memberlist-gen: nothing written: %d problem(s)\n", len(refused.diags))
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "memberlist-gen: %v\n", err)
		return 1
	}
	if *check {
		return reportStale(plan, abs, stderr)
	}
	changed, err := plan.apply()
	if err != nil {
		fmt.Fprintf(stderr, "memberlist-gen: %v\n", err)
		return 1
	}
	if *verbose {
		for _, c := range changed {
			fmt.Fprintln(stdout, relTo(abs, c))
		}
	}
	return 0
}

// reportStale prints each file that plan would change and returns the
// exit status of -check: 1 if there is one.
func reportStale(plan *plan, dir string, stderr io.Writer) int {
	stale := plan.stale()
	for _, path := range stale {
		what := "is stale"
		switch {
		case slices.Contains(plan.remove, path):
			what = "is no longer generated"
		case !exists(path):
			what = "is missing"
		}
		fmt.Fprintf(stderr, "memberlist-gen: %s %s: run go generate\n", relTo(dir, path), what)
	}
	if len(stale) > 0 {
		return 1
	}
	return 0
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// relTo writes path relative to dir, if it can.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}
