package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

// config builds the node's configuration: the environment first, then the
// flags over it.
func config(o options) (runtime.Config, error) {
	cfg := runtime.DefaultLANConfig()
	if fromEnvironment() {
		var err error
		if cfg, err = runtime.ConfigFromEnv(); err != nil {
			return cfg, err
		}
	}
	if o.name != "" {
		cfg.Name = o.name
	}
	if o.bind != "" {
		cfg.BindAddr = o.bind
	}
	if o.advertise != "" {
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
		if _, p, err := net.SplitHostPort(cfg.BindAddr); err == nil {
			if n, err := strconv.Atoi(p); err == nil && n > 0 {
				port = n
			}
		}
		cfg.Discovery = discovery.DNS(o.dns, port)
	}
	if cfg.Name == "" {
		return cfg, errors.New("no name: set -name or MEMBERLIST_NAME")
	}
	return cfg, cfg.Validate()
}

// runNode runs one node until ctx ends, then leaves gracefully.
func runNode(ctx context.Context, o options, out io.Writer) error {
	cfg, err := config(o)
	if err != nil {
		return err
	}
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

	if o.http != "" {
		srv := &http.Server{Addr: o.http, Handler: httpapi.Handler(node), ReadHeaderTimeout: 5 * time.Second}
		ln, err := net.Listen("tcp", o.http)
		if err != nil {
			return fmt.Errorf("-http: %w", err)
		}
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
			return nil
		}
	}
}
