package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	mlruntime "github.com/memberlist-go/memberlist/runtime"
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
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: memberlist-gen [-C dir] [-v] [packages]\n\n"+
			"Writes typed messages for each //memberlist:messages family of the packages\n"+
			"(default: the package in the current directory). See go doc\n"+
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
	plan, err := generate(abs, patterns, mlruntime.MaxMessageSize)
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
	changed, err := plan.apply()
	if err != nil {
		fmt.Fprintf(stderr, "memberlist-gen: %v\n", err)
		return 1
	}
	if *verbose {
		for _, c := range changed {
			rel, err := filepath.Rel(abs, c)
			if err != nil {
				rel = c
			}
			fmt.Fprintln(stdout, rel)
		}
	}
	return 0
}
