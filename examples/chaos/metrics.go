package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/memberlist-go/memberlist/runtime"
	mlprom "github.com/memberlist-go/memberlist/runtime/prometheus"
)

// withMetrics serves GET /metrics beside h, in Prometheus' text format:
// the node's counters, gauges and timings (package runtime/prometheus),
// with the Go runtime's and the process's, from a registry of this
// handler's own (nothing global).
func withMetrics(node *runtime.Node, h http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		mlprom.New(node, mlprom.Options{}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
