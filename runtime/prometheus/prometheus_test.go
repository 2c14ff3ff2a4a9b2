package prometheus_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
	mlprom "github.com/memberlist-go/memberlist/runtime/prometheus"
)

// No goroutine of a node or a server outlives the test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// family is a registered message family, so that its label is its name.
const family uint32 = 0x7e57_0001

func init() {
	if err := runtime.RegisterFamily(family, "example.com/test.Family"); err != nil {
		panic(err)
	}
}

// recorder is a Source that keeps the Stats it handed out, so that the
// test compares a scrape with exactly what it was made of.
type recorder struct {
	node *runtime.Node
	mu   sync.Mutex
	last []runtime.Stats
}

func (r *recorder) Stats() runtime.Stats {
	s := r.node.Stats()
	r.mu.Lock()
	r.last = append(r.last, s)
	r.mu.Unlock()
	return s
}

func config(name string) runtime.Config {
	cfg := runtime.DefaultLANConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	return cfg
}

// twoNodes starts two nodes on loopback and waits until each sees the
// other alive.
func twoNodes(t *testing.T) (a, b *runtime.Node) {
	t.Helper()
	ctx := context.Background()
	a, err := runtime.Start(ctx, config("a"))
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	cfg := config("b")
	cfg.Discovery = discovery.Static(a.LocalMember().Addr.String())
	b, err = runtime.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for a.Stats().Alive != 2 || b.Stats().Alive != 2 {
		require.True(t, time.Now().Before(deadline), "the nodes did not see each other")
		time.Sleep(20 * time.Millisecond)
	}
	return a, b
}

// scrape fetches url and parses it with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"), resp.Header.Get("Content-Type"))
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// series finds the metric of mf whose labels are exactly want (the
// const label node=a included).
func series(t *testing.T, mf *dto.MetricFamily, want map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if assert.ObjectsAreEqual(want, got) {
			return m
		}
	}
	t.Fatalf("%s: no series %v", mf.GetName(), want)
	return nil
}

// The must-show of issue 13: /metrics of a running node, scraped over
// HTTP and read with the Prometheus text parser, has the expected names,
// each with its type, and values equal to the Stats the scrape was made
// of.
func TestScrape(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	b.Handle(family, func(runtime.Member, []byte) {})
	for range 3 {
		require.NoError(t, a.Send(ctx, "b", family, []byte("direct")))
	}
	require.NoError(t, a.Broadcast(ctx, family, []byte("to all")))
	require.NoError(t, a.BroadcastKeyed(ctx, family, "k", []byte("v1")))
	require.NoError(t, a.BroadcastKeyed(ctx, family, "k", []byte("v2")))
	require.NoError(t, a.Send(ctx, "b", 99, []byte("unregistered, unhandled")))
	_, err := a.Join(ctx, b.LocalMember().Addr.String())
	require.NoError(t, err)
	// Wait for b to receive, and for a to probe b: the scrape then shows
	// traffic of every kind, not only zeros.
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().Families[family].Received < 4 || a.Stats().Protocol.Probes == 0 {
		require.True(t, time.Now().Before(deadline), "b did not receive")
		time.Sleep(20 * time.Millisecond)
	}

	src := &recorder{node: a}
	reg := prom.NewPedanticRegistry() // checks every metric against its description
	reg.MustRegister(mlprom.New(src, mlprom.Options{ConstLabels: prom.Labels{"node": "a"}}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.PanicOnError}))
	defer srv.Close()
	mfs := scrape(t, srv.URL+"/metrics")
	require.Len(t, src.last, 1, "one scrape reads Stats once")
	s := src.last[0]
	p, tr, st := s.Protocol, s.Transport, s.Stream

	type want struct {
		typ    dto.MetricType
		labels map[string]string
		value  float64
	}
	l := func(kv ...string) map[string]string {
		m := map[string]string{"node": "a"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	gauge, counter := dto.MetricType_GAUGE, dto.MetricType_COUNTER
	fam := "example.com/test.Family"
	f := s.Families[family]
	wants := map[string][]want{
		"memberlist_members": {
			{gauge, l("state", "alive"), float64(s.Alive)}, {gauge, l("state", "suspect"), float64(s.Suspect)},
			{gauge, l("state", "dead"), float64(s.Dead)}, {gauge, l("state", "left"), float64(s.Left)},
		},
		"memberlist_health_score":               {{gauge, l(), float64(p.Health)}},
		"memberlist_queue_broadcasts":           {{gauge, l(), float64(p.QueueDepth)}},
		"memberlist_candidates":                 {{gauge, l(), float64(p.Candidates)}},
		"memberlist_stream_probes_total":        {{counter, l(), float64(p.StreamProbes)}},
		"memberlist_stream_probe_acks_total":    {{counter, l(), float64(p.StreamProbeAcks)}},
		"memberlist_stream_probes_failed_total": {{counter, l(), float64(p.StreamProbesFailed)}},
		"memberlist_stream_connections_total": {
			{counter, l("op", "accepted"), float64(st.Accepted)}, {counter, l("op", "dialed"), float64(st.Dialed)},
			{counter, l("op", "dial_failed"), float64(st.DialFailed)}, {counter, l("op", "evicted"), float64(st.Evicted)},
		},
		"memberlist_stream_messages_received_total": {{counter, l(), float64(st.MessagesIn)}},
		"memberlist_stream_messages_sent_total":     {{counter, l(), float64(st.MessagesOut)}},
		"memberlist_stream_received_bytes_total":    {{counter, l(), float64(st.BytesIn)}},
		"memberlist_stream_sent_bytes_total":        {{counter, l(), float64(st.BytesOut)}},
		"memberlist_streams_refused_total": {
			{counter, l("reason", "not_member"), float64(s.StreamNotMember)}, {counter, l("reason", "bad_hello"), float64(st.BadHello)},
			{counter, l("reason", "bad_version"), float64(st.BadVersion)}, {counter, l("reason", "bad_label"), float64(st.BadLabel)},
			{counter, l("reason", "unencrypted"), float64(st.Unencrypted)}, {counter, l("reason", "decrypt_failed"), float64(st.DecryptFailed)},
			{counter, l("reason", "tls_failed"), float64(st.TLSFailed)}, {counter, l("reason", "oversized"), float64(st.Oversized)},
			{counter, l("reason", "truncated"), float64(st.Truncated)}, {counter, l("reason", "timeout"), float64(st.Timeouts)},
		},
		"memberlist_reliable_messages_received_total": {{counter, l(), float64(s.ReliableIn)}},
		"memberlist_reliable_messages_sent_total":     {{counter, l(), float64(s.ReliableOut)}},
		"memberlist_state_exchanges_total":            {{counter, l("result", "ok"), float64(s.StateExchanges)}, {counter, l("result", "failed"), float64(s.StateExchangeFailures)}},
		"memberlist_state_merges_total":               {{counter, l("result", "merged"), float64(s.StateMerges)}, {counter, l("result", "dropped"), float64(s.StateMergesDropped)}},
		"memberlist_state_too_large_total":            {{counter, l(), float64(s.StateTooLarge)}},
		"memberlist_udp_packets_received_total":       {{counter, l(), float64(s.PacketsIn)}},
		"memberlist_udp_packets_sent_total":           {{counter, l(), float64(s.PacketsOut)}},
		"memberlist_udp_received_bytes_total":         {{counter, l(), float64(s.BytesIn)}},
		"memberlist_udp_sent_bytes_total":             {{counter, l(), float64(s.BytesOut)}},
		"memberlist_udp_errors_total":                 {{counter, l("op", "read"), float64(tr.ReadErrors)}, {counter, l("op", "write"), float64(tr.WriteErrors)}},
		"memberlist_probes_total":                     {{counter, l(), float64(p.Probes)}},
		"memberlist_probes_failed_total":              {{counter, l(), float64(p.FailedProbes)}},
		"memberlist_probes_paired_total":              {{counter, l(), float64(p.PairedProbes)}},
		"memberlist_indirect_probes_total":            {{counter, l(), float64(p.IndirectProbes)}},
		"memberlist_suspicions_total":                 {{counter, l(), float64(p.Suspicions)}},
		"memberlist_refutations_total":                {{counter, l(), float64(p.Refutations)}},
		"memberlist_late_timers_total":                {{counter, l(), float64(p.LateTimers)}},
		"memberlist_inconclusive_probes_total":        {{counter, l(), float64(p.InconclusiveProbes)}},
		"memberlist_address_checks_total":             {{counter, l(), float64(p.AddressChecks)}},
		"memberlist_cookies_sent_total":               {{counter, l(), float64(p.CookiesSent)}},
		"memberlist_broadcasts_replaced_total":        {{counter, l(), float64(p.BroadcastsReplaced)}},
		"memberlist_packets_dropped_total": {
			{counter, l("reason", "inbound_overflow"), float64(s.InboundOverflow)}, {counter, l("reason", "malformed"), float64(p.Malformed)},
			{counter, l("reason", "oversized"), float64(tr.Oversized)}, {counter, l("reason", "empty"), float64(tr.Empty)},
			{counter, l("reason", "bad_frame"), float64(tr.BadFrame)}, {counter, l("reason", "bad_version"), float64(tr.BadVersion)},
			{counter, l("reason", "bad_label"), float64(tr.BadLabel)}, {counter, l("reason", "bad_checksum"), float64(tr.BadChecksum)},
			{counter, l("reason", "unencrypted"), float64(tr.Unencrypted)}, {counter, l("reason", "decrypt_failed"), float64(tr.DecryptFailed)},
			{counter, l("reason", "replayed"), float64(tr.Replayed)}, {counter, l("reason", "stale"), float64(tr.Stale)},
			{counter, l("reason", "overrun"), float64(tr.Overrun)},
		},
		"memberlist_messages_dropped_total": {
			{counter, l("reason", "stranger"), float64(p.StrangerDropped)}, {counter, l("reason", "ack_rejected"), float64(p.AcksRejected)},
			{counter, l("reason", "member_refused"), float64(p.MembersRefused)}, {counter, l("reason", "incarnation_refused"), float64(p.IncarnationsRefused)},
			{counter, l("reason", "broadcast_not_relayed"), float64(p.BroadcastsDropped)},
		},
		"memberlist_limited_total": {
			{counter, l("reason", "state_answer"), float64(p.StateAnswersLimited)}, {counter, l("reason", "correction"), float64(p.CorrectionsLimited)},
			{counter, l("reason", "address_check"), float64(p.ChecksRefused)}, {counter, l("reason", "ping_req"), float64(p.PingReqsRefused)},
		},
		"memberlist_user_messages_sent_total": {
			{counter, l("family", fam, "mode", "direct"), 3}, {counter, l("family", fam, "mode", "broadcast"), 3},
			{counter, l("family", "99", "mode", "direct"), 1}, {counter, l("family", "99", "mode", "broadcast"), 0},
			{counter, l("family", "other", "mode", "direct"), 0},
		},
		"memberlist_user_messages_received_total": {
			{counter, l("family", fam, "mode", "direct"), float64(f.Received - f.ReceivedBroadcast)},
			{counter, l("family", "other", "mode", "broadcast"), float64(s.OtherFamilies.ReceivedBroadcast)},
		},
		"memberlist_user_messages_dropped_total": {
			{counter, l("family", fam, "reason", "no_handler"), 0}, {counter, l("family", "other", "reason", "short"), float64(s.ShortMessages)},
		},
	}
	histograms := map[string]runtime.Histogram{
		"memberlist_probe_rtt_seconds":        s.Timings.ProbeRTT,
		"memberlist_sync_duration_seconds":    s.Timings.Sync,
		"memberlist_join_duration_seconds":    s.Timings.Join,
		"memberlist_handler_duration_seconds": s.Timings.Handler,
	}
	require.Equal(t, uint64(1), s.Timings.Join.Count, "the Join above is timed")

	var names, expected []string
	for name := range mfs {
		names = append(names, name)
	}
	for name := range wants {
		expected = append(expected, name)
	}
	for name := range histograms {
		expected = append(expected, name)
	}
	sort.Strings(names)
	sort.Strings(expected)
	assert.Equal(t, expected, names, "the metric names")

	for name, ws := range wants {
		mf := mfs[name]
		require.NotNil(t, mf, name)
		assert.NotEmpty(t, mf.GetHelp(), name)
		for _, w := range ws {
			require.Equal(t, w.typ, mf.GetType(), name)
			m := series(t, mf, w.labels)
			v := m.GetGauge().GetValue()
			if w.typ == counter {
				v = m.GetCounter().GetValue()
			}
			assert.Equal(t, w.value, v, "%s%v", name, w.labels)
		}
	}
	for name, h := range histograms {
		mf := mfs[name]
		require.NotNil(t, mf, name)
		require.Equal(t, dto.MetricType_HISTOGRAM, mf.GetType(), name)
		got := series(t, mf, l()).GetHistogram()
		assert.Equal(t, h.Count, got.GetSampleCount(), name)
		assert.InDelta(t, h.Sum.Seconds(), got.GetSampleSum(), 1e-9, name)
		bounds := runtime.TimingBounds()
		// The text format ends with the +Inf bucket, which is the count.
		buckets := got.GetBucket()
		require.Len(t, buckets, runtime.TimingBuckets+1, name)
		assert.True(t, math.IsInf(buckets[runtime.TimingBuckets].GetUpperBound(), 1), name)
		assert.Equal(t, h.Count, buckets[runtime.TimingBuckets].GetCumulativeCount(), name)
		for i, bk := range buckets[:runtime.TimingBuckets] {
			assert.Equal(t, bounds[i].Seconds(), bk.GetUpperBound(), name)
			assert.Equal(t, h.Buckets[i], bk.GetCumulativeCount(), "%s le=%v", name, bk.GetUpperBound())
		}
	}

	// The reasons of a drop add up to Stats.Dropped.
	var dropped float64
	for _, m := range mfs["memberlist_packets_dropped_total"].GetMetric() {
		dropped += m.GetCounter().GetValue()
	}
	assert.Equal(t, float64(s.Dropped), dropped, "packets_dropped_total by reason against Stats.Dropped")
	// The traffic above shows in the values, not only zeros.
	assert.Positive(t, s.PacketsIn)
	assert.Positive(t, p.Probes)
	assert.Equal(t, uint64(1), p.BroadcastsReplaced, "v2 replaced v1")
	assert.Equal(t, float64(2), series(t, mfs["memberlist_members"], l("state", "alive")).GetGauge().GetValue())
}

// The metrics follow Prometheus' naming conventions (promlint), and two
// nodes register in one registry when their const labels differ.
func TestLintAndTwoNodes(t *testing.T) {
	a, b := twoNodes(t)
	problems, err := testutil.CollectAndLint(mlprom.New(a, mlprom.Options{}))
	require.NoError(t, err)
	assert.Empty(t, problems)

	reg := prom.NewPedanticRegistry()
	require.NoError(t, reg.Register(mlprom.New(a, mlprom.Options{ConstLabels: prom.Labels{"node": "a"}})))
	require.NoError(t, reg.Register(mlprom.New(b, mlprom.Options{ConstLabels: prom.Labels{"node": "b"}})))
	err = reg.Register(mlprom.New(b, mlprom.Options{ConstLabels: prom.Labels{"node": "b"}}))
	require.Error(t, err, "the same node twice")
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "memberlist_health_score" {
			assert.Len(t, mf.GetMetric(), 2)
		}
	}
}

// A scrape of a closed node still answers, with zeros: Stats of a closed
// node are empty, never an error that would fail the whole scrape.
func TestClosedNode(t *testing.T) {
	a, err := runtime.Start(context.Background(), config("a"))
	require.NoError(t, err)
	a.Close()
	n, err := testutil.GatherAndCount(func() prom.Gatherer {
		reg := prom.NewPedanticRegistry()
		reg.MustRegister(mlprom.New(a, mlprom.Options{}))
		return reg
	}(), "memberlist_members")
	require.NoError(t, err)
	assert.Equal(t, 4, n)
}
