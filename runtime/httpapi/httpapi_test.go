package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

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
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var got []map[string]any
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["name"] != "a" || got[0]["addr"] != "10.0.0.1:7946" || got[0]["state"] != "alive" ||
		got[0]["incarnation"] != float64(7) || got[0]["meta"] != "role=db" {
		t.Fatalf("first member %v", got[0])
	}
	if got[1]["addr"] != "[fd00::2]:7946" || got[1]["state"] != "dead" || got[1]["meta_bytes"] != "/w==" {
		t.Fatalf("second member %v", got[1])
	}
}

func TestHealthzAndPage(t *testing.T) {
	src := fixed{{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), State: runtime.StateAlive}}
	srv := httptest.NewServer(httpapi.Handler(src))
	defer srv.Close()
	for path, want := range map[string]string{"/healthz": `"status":"ok"`, "/readyz": `"status":"ready"`, "/": "<table>"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d %q", path, res.StatusCode, body)
		}
	}
	if res, _ := http.Get(srv.URL + "/nope"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/nope: %d, want 404", res.StatusCode)
	}
}
