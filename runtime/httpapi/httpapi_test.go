package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

type fixed []runtime.Member

func (f fixed) Members() []runtime.Member         { return f }
func (f fixed) LocalMember() runtime.Member       { return f[0] }
func (f fixed) Ready() error                      { return nil }
func (f fixed) Healthy(ctx context.Context) error { return nil }

func TestMembersJSON(t *testing.T) {
	src := fixed{
		{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), State: runtime.StateAlive, Incarnation: 7, Meta: []byte("role=db")},
		{Name: "b", Addr: netip.MustParseAddrPort("[fd00::2]:7946"), State: runtime.StateDead, Incarnation: 3, Meta: []byte{0xff}},
	}
	srv := httptest.NewServer(httpapi.Handler(src))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/members")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	var got []map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	require.Len(t, got, 2)
	assert.Subset(t, got[0], map[string]any{"name": "a", "addr": "10.0.0.1:7946", "state": "alive", "incarnation": float64(7), "meta": "role=db"}, "first member")
	assert.Subset(t, got[1], map[string]any{"addr": "[fd00::2]:7946", "state": "dead", "meta_bytes": "/w=="}, "second member")
}

func TestHealthzAndPage(t *testing.T) {
	src := fixed{{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), State: runtime.StateAlive}}
	srv := httptest.NewServer(httpapi.Handler(src))
	defer srv.Close()
	for path, want := range map[string]string{"/healthz": `"status":"ok"`, "/readyz": `"status":"ready"`, "/": "<table>"} {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err, path)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err, path)
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s: %q", path, body)
		assert.Contains(t, string(body), want, path)
	}
	res, err := http.Get(srv.URL + "/nope")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "/nope")
}
