// Command chaos is the example from the seed README made runnable: members
// of a cluster send each other ChaosMonkey messages and act on them.
//
// With no flags and no MEMBERLIST_* environment it runs a local demo: five
// nodes in this process on loopback form a cluster, send messages to
// random members and by broadcast, then one node stops abruptly and the
// others detect it; Ctrl-C leaves gracefully and exits 0, under `go run`
// too. It prints when each thing happened, and which timings it shortens.
//
//	go run ./examples/chaos
//
// With flags, or the environment of runtime.ConfigFromEnv, it runs one node
// for a real deployment; flags win over the environment:
//
//	chaos -name a -bind 10.0.0.1:7946 -seeds 10.0.0.2:7946 -http :8080
//	chaos -name b -dns _swim._udp.chaos.default.svc.cluster.local -http :8080
//
// With -http it serves /readyz (200 once joined; at once if no seeds or
// DNS name were given, as the node is then alone by configuration),
// /healthz and the member list (see package httpapi).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	name, bind, advertise, seeds, dns, http string
	// drain is how long the node keeps serving HTTP after leaving, so
	// that probes and scrapers see it leave.
	drain time.Duration
	set   int // how many flags were given
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.name, "name", "", "this node's name (default: MEMBERLIST_NAME, else the host name)")
	fs.StringVar(&o.bind, "bind", "", "UDP `host:port` to listen on (default 0.0.0.0:7946)")
	fs.StringVar(&o.advertise, "advertise", "", "`host:port` other members send to (default: worked out)")
	fs.StringVar(&o.seeds, "seeds", "", "comma-separated `host:port` list of members to join through")
	fs.StringVar(&o.dns, "dns", "", "DNS `name` to find members (SRV if it starts with _, else A/AAAA on the bind port)")
	fs.StringVar(&o.http, "http", "", "serve the probes (/readyz, /healthz), the member list and the node's counters (/stats) over HTTP on `host:port`")
	fs.DurationVar(&o.drain, "drain", 0, "after leaving on SIGTERM, keep serving HTTP (/readyz answering 503) this `long` before exiting")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: chaos [flags]\n\nWith no flags and no MEMBERLIST_* environment, runs a five-node demo on loopback.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	fs.Visit(func(*flag.Flag) { o.set++ })
	var bad error
	fs.Visit(func(f *flag.Flag) {
		if f.Value.String() == "" && bad == nil {
			bad = fmt.Errorf("-%s: empty value", f.Name)
		}
	})
	if o.drain < 0 && bad == nil {
		bad = fmt.Errorf("-drain %v: want 0 or a positive duration", o.drain)
	}
	if bad != nil {
		return o, bad
	}
	if o.seeds != "" && o.dns != "" {
		return o, errors.New("-seeds and -dns exclude each other")
	}
	return o, nil
}

// fromEnvironment reports whether any MEMBERLIST_* variable is set.
func fromEnvironment() bool {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MEMBERLIST_") {
			return true
		}
	}
	return false
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.set == 0 && !fromEnvironment() {
		restore := takeTerminal()
		err = runDemo(ctx, os.Stdout)
		restore()
	} else {
		// Every flag and variable is checked, and the HTTP port taken,
		// before the node starts: a mistake is a message and exit 2, not
		// a node that joins and then vanishes.
		cfg, cerr := config(o)
		var ln net.Listener
		if cerr == nil && o.http != "" {
			if ln, cerr = net.Listen("tcp", o.http); cerr != nil {
				cerr = fmt.Errorf("-http: %w", cerr)
			}
		}
		if cerr != nil {
			fmt.Fprintln(os.Stderr, "chaos:", cerr)
			os.Exit(2)
		}
		err = runNode(ctx, cfg, ln, o.drain, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}
