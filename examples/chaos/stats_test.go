package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

// GET /stats serves the node's counters and this process's Go heap; every
// other path still reaches the member list's handler.
func TestStatsPage(t *testing.T) {
	cfg := runtime.DefaultLocalConfig()
	cfg.Name = "a"
	cfg.BindAddr = "127.0.0.1:0"
	node, err := runtime.Start(t.Context(), cfg)
	require.NoError(t, err)
	defer node.Close()
	srv := httptest.NewServer(withStats(node, httpapi.Handler(node)))
	defer srv.Close()

	res, err := http.Get(srv.URL + "/stats")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	var page statsPage
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	assert.Equal(t, 1, page.Node.Alive, "the node counts itself")
	assert.NotZero(t, page.HeapObjectsBytes)
	assert.GreaterOrEqual(t, page.TotalBytes, page.HeapObjectsBytes)

	res, err = http.Get(srv.URL + "/members")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}
