package httpapi_test

import (
	"encoding/json"
	"io"
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

// /members says when each member last changed state, and which member
// serves the page, for the page's "last change" column and its summary.
func TestMembersSinceAndSelf(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
	src := fixed{
		{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), State: runtime.StateAlive, Since: since},
		{Name: "b", Addr: netip.MustParseAddrPort("10.0.0.2:7946"), State: runtime.StateSuspect},
	}
	srv := httptest.NewServer(httpapi.Handler(src))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/members")
	require.NoError(t, err)
	defer res.Body.Close()
	var got []map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	require.Len(t, got, 2)
	assert.Equal(t, "2026-12-01T10:30:00Z", got[0]["since"])
	assert.Equal(t, true, got[0]["self"])
	assert.NotContains(t, got[1], "since", "a zero time is left out")
	assert.NotContains(t, got[1], "self")
}

// The page is one self-contained file: no script, style or font from
// elsewhere, no framework, and a viewport for phones.
func TestPageSelfContained(t *testing.T) {
	srv := httptest.NewServer(httpapi.Handler(fixed{{Name: "a", State: runtime.StateAlive}}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	page := string(body)
	assert.Contains(t, page, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
	assert.NotRegexp(t, `<script[^>]+src=|<link[^>]+stylesheet|@import|https?://`, page)
	assert.Contains(t, page, `fetch("members"`, "reads /members relative to itself")
	assert.Contains(t, page, "<noscript>")
}
