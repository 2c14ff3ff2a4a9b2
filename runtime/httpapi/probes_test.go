package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

func nodeConfig(name string) runtime.Config {
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	return cfg
}

func startNode(t *testing.T, cfg runtime.Config) *runtime.Node {
	t.Helper()
	n, err := runtime.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// get serves one request to h and decodes its probe body.
func get(t *testing.T, h http.Handler, path string) (int, httpapi.Probe) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var p httpapi.Probe
	if rec.Code != http.StatusNotFound {
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"), path)
		require.Equal(t, "no-store", rec.Header().Get("Cache-Control"), path)
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), "%s: %s", path, rec.Body)
	}
	return rec.Code, p
}

func TestReadyzFollowsJoinAndLeave(t *testing.T) {
	a := startNode(t, nodeConfig("a"))
	b := startNode(t, nodeConfig("b"))
	h := httpapi.Handler(b)

	code, p := get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "before join")
	assert.Equal(t, "not ready", p.Status)
	assert.Contains(t, p.Reason, "not joined")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.Join(ctx, a.LocalMember().Addr.String())
	require.NoError(t, err)
	code, p = get(t, h, "/readyz")
	assert.Equal(t, http.StatusOK, code, "after join")
	assert.Equal(t, httpapi.Probe{Status: "ready"}, p)

	require.NoError(t, b.Leave(ctx))
	code, p = get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "after Leave")
	assert.Contains(t, p.Reason, "left")

	b.Close()
	code, p = get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "after Close")
	assert.Contains(t, p.Reason, "closed")
	code, _ = get(t, h, "/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "a closed node is not alive")
}

func TestReadyzAloneByConfiguration(t *testing.T) {
	a := startNode(t, nodeConfig("a"))
	h := httpapi.New(a, httpapi.Options{Alone: true})
	code, _ := get(t, h, "/readyz")
	assert.Equal(t, http.StatusOK, code, "alone by configuration")
	code, _ = get(t, httpapi.Handler(a), "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "the same node without Alone")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.Leave(ctx))
	code, p := get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "after Leave, even alone")
	assert.Contains(t, p.Reason, "left")
}

// blockingMetrics wedges the node's loop the first time it is called, as
// a stuck metrics exporter would.
type blockingMetrics struct{ entered, release chan struct{} }

func (m blockingMetrics) Observe(runtime.Stats) {
	select {
	case m.entered <- struct{}{}:
	default:
	}
	<-m.release
}

func TestHealthzFailsWithinItsDeadlineWhenTheLoopIsBlocked(t *testing.T) {
	m := blockingMetrics{entered: make(chan struct{}, 1), release: make(chan struct{})}
	cfg := nodeConfig("a")
	cfg.Metrics = m
	a := startNode(t, cfg)
	const deadline = 200 * time.Millisecond
	h := httpapi.New(a, httpapi.Options{HealthTimeout: deadline})

	code, p := get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, httpapi.Probe{Status: "ok"}, p)

	<-m.entered // the loop is stuck from here
	began := time.Now()
	code, p = get(t, h, "/healthz")
	took := time.Since(began)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "unhealthy", p.Status)
	assert.Contains(t, p.Reason, "did not answer")
	assert.GreaterOrEqual(t, took, deadline, "it waited for the loop")
	assert.Less(t, took, deadline+3*time.Second, "and no longer than its deadline")
	t.Logf("/healthz failed after %v (deadline %v): %s", took, deadline, p.Reason)

	// The readiness probe does not wait on the loop.
	code, _ = get(t, h, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)

	close(m.release)
	code, _ = get(t, h, "/healthz")
	assert.Equal(t, http.StatusOK, code, "healthy again once the loop runs")
}

// stuck is a Source whose loop never answers.
type stuck struct{ fixed }

func (stuck) Healthy(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// The request's own deadline bounds /healthz too: a probe client that
// gives up sooner than HealthTimeout is answered by then.
func TestHealthzHonoursTheRequestDeadline(t *testing.T) {
	h := httpapi.New(stuck{fixed{{Name: "a"}}}, httpapi.Options{HealthTimeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	began := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil).WithContext(ctx))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Less(t, time.Since(began), 10*time.Second)
}

func TestMembersHiddenOrWrapped(t *testing.T) {
	src := fixed{{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), State: runtime.StateAlive}}

	hidden := httpapi.New(src, httpapi.Options{HideMembers: true})
	for _, path := range []string{"/members", "/"} {
		rec := httptest.NewRecorder()
		hidden.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
	}
	code, _ := get(t, hidden, "/readyz")
	assert.Equal(t, http.StatusOK, code, "probes stay")

	// The application's own handler in front: a bearer token here.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	wrapped := httpapi.New(src, httpapi.Options{WrapMembers: auth})
	for _, path := range []string{"/members", "/"} {
		rec := httptest.NewRecorder()
		wrapped.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		assert.Equal(t, http.StatusUnauthorized, rec.Code, path)
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		rec = httptest.NewRecorder()
		wrapped.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, path)
	}
	for _, path := range []string{"/readyz", "/healthz"} {
		code, _ := get(t, wrapped, path)
		assert.Equal(t, http.StatusOK, code, "%s is not behind the application's handler", path)
	}
}
