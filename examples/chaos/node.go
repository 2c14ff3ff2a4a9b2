package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

// config builds the node's configuration: the environment (with its
// defaults: the LAN profile, the host name) first, then the flags over it.
func config(o options) (runtime.Config, error) {
	cfg, err := runtime.ConfigFromEnv()
	if err != nil {
		return cfg, err
	}
	if o.name != "" {
		cfg.Name = o.name
	}
	if o.bind != "" {
		if err := checkHostPort(o.bind, true); err != nil {
			return cfg, fmt.Errorf("-bind %q: %w", o.bind, err)
		}
		cfg.BindAddr = o.bind
	}
	if o.advertise != "" {
		if err := checkHostPort(o.advertise, false); err != nil {
			return cfg, fmt.Errorf("-advertise %q: %w", o.advertise, err)
		}
		cfg.AdvertiseAddr = o.advertise
	}
	if o.seeds != "" {
		d, err := discovery.ParseStatic(strings.Split(o.seeds, ",")...)
		if err != nil {
			return cfg, fmt.Errorf("-seeds: %w", err)
		}
		cfg.Discovery = d
	}
	if o.dns != "" {
		port := 7946
		if p, err := strconv.Atoi(os.Getenv("MEMBERLIST_DNS_PORT")); err == nil {
			port = p
		} else if _, p, err := net.SplitHostPort(cfg.BindAddr); err == nil {
			if n, err := strconv.Atoi(p); err == nil && n > 0 {
				port = n
			}
		}
		cfg.Discovery = discovery.DNS(o.dns, port)
	}
	return cfg, cfg.Validate()
}

// checkHostPort accepts "host:port" with an IP literal host (empty too when
// anyHost) and a port from 0 to 65535.
func checkHostPort(s string, anyHost bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port, such as 10.0.0.1:7946: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want 0 to 65535", port)
	}
	if host == "" && anyHost {
		return nil
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Errorf("host %q: want an IP address", host)
	}
	return nil
}

// runNode runs one node until ctx ends, then leaves gracefully and, with
// ln, keeps serving HTTP for drain; with ln, it serves the probes, the
// member list and the node's counters (/stats) there.
func runNode(ctx context.Context, cfg runtime.Config, ln net.Listener, drain time.Duration, out io.Writer) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	node, err := runtime.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer node.Close()
	self := node.LocalMember()
	fmt.Fprintf(out, "%s listening on %v\n", self.Name, self.Addr)
	stopHandlers := handleChaos(node, out, self.Name)
	defer stopHandlers()

	if ln != nil {
		// Without seeds or a DNS name the node is alone by
		// configuration, and ready as it is.
		h := httpapi.New(node, httpapi.Options{Alone: cfg.Discovery == nil})
		srv := &http.Server{Handler: withStats(node, h), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(out, "member list on http://%s/\n", ln.Addr())
	}

	sub := node.Subscribe()
	defer sub.Close()
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				sub = node.Subscribe()
				continue
			}
			fmt.Fprintf(out, "%s: %s %s at %v\n", self.Name, ev.Member.Name, ev.Type, ev.Member.Addr)
		case <-ctx.Done():
			fmt.Fprintf(out, "%s leaving\n", self.Name)
			leaveCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := node.Leave(leaveCtx); err != nil {
				fmt.Fprintf(out, "%s: leave: %v\n", self.Name, err)
			}
			if ln != nil && drain > 0 {
				fmt.Fprintf(out, "%s left; draining for %v\n", self.Name, drain)
				time.Sleep(drain)
			}
			return nil
		}
	}
}
