package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// A chaos node with -http serves /metrics: Prometheus' text format, which
// the Prometheus parser reads, with the node's metrics under their names
// and types, the member count of a node alone, and the Go runtime's.
func TestServesMetrics(t *testing.T) {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = "m"
	cfg.BindAddr = "127.0.0.1:0"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runNode(ctx, cfg, ln, 0, io.Discard) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	var mfs map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		mfs, err = scrapeMetrics("http://" + ln.Addr().String() + "/metrics")
		if err == nil && mfs["memberlist_udp_packets_sent_total"] != nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "no metrics served: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
	for name, typ := range map[string]dto.MetricType{
		"memberlist_members":                      dto.MetricType_GAUGE,
		"memberlist_health_score":                 dto.MetricType_GAUGE,
		"memberlist_queue_broadcasts":             dto.MetricType_GAUGE,
		"memberlist_udp_packets_sent_total":       dto.MetricType_COUNTER,
		"memberlist_packets_dropped_total":        dto.MetricType_COUNTER,
		"memberlist_user_messages_received_total": dto.MetricType_COUNTER,
		"memberlist_probe_rtt_seconds":            dto.MetricType_HISTOGRAM,
		"memberlist_handler_duration_seconds":     dto.MetricType_HISTOGRAM,
		"go_goroutines":                           dto.MetricType_GAUGE,
	} {
		if assert.Contains(t, mfs, name) {
			assert.Equal(t, typ, mfs[name].GetType(), name)
		}
	}
	for _, m := range mfs["memberlist_members"].GetMetric() {
		want := 0.0
		if m.GetLabel()[0].GetValue() == "alive" {
			want = 1 // alone
		}
		assert.Equal(t, want, m.GetGauge().GetValue(), m.String())
	}
	// The chaos family registers itself: its messages count under its name.
	var labels []string
	for _, m := range mfs["memberlist_user_messages_received_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "family" {
				labels = append(labels, l.GetValue())
			}
		}
	}
	assert.Contains(t, labels, "github.com/memberlist-go/memberlist/examples/chaos.ChaosMonkey")
}

func scrapeMetrics(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}
