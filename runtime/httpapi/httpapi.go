// Package httpapi serves a node's view of the cluster over HTTP, so that
// any application can mount it next to its own handlers:
//
//	http.Handle("/cluster/", http.StripPrefix("/cluster", httpapi.Handler(node)))
//
// It serves GET /members (JSON), GET /healthz and, at /, a small page with
// the member table that refreshes itself.
package httpapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/memberlist-go/memberlist/runtime"
)

// Member is one member as /members reports it.
type Member struct {
	Name        string `json:"name"`
	Addr        string `json:"addr"`
	State       string `json:"state"`
	Incarnation uint64 `json:"incarnation"`
	// Meta is the metadata as text when it is valid UTF-8; otherwise it is
	// empty and MetaBytes holds it (base64 in JSON).
	Meta      string `json:"meta"`
	MetaBytes []byte `json:"meta_bytes,omitempty"`
	// Since is when the serving node's view of the member last changed
	// state (RFC 3339).
	Since time.Time `json:"since,omitzero"`
	// Self marks the serving node's own record.
	Self bool `json:"self,omitempty"`
}

// Source is what the handler reads: *runtime.Node satisfies it.
type Source interface {
	Members() []runtime.Member
	LocalMember() runtime.Member
}

//go:embed index.html
var indexHTML []byte

// Handler serves n's member list.
func Handler(n Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, r *http.Request) {
		ms := n.Members()
		self := n.LocalMember().Name
		out := make([]Member, 0, len(ms))
		for _, m := range ms {
			j := Member{Name: m.Name, Addr: m.Addr.String(), State: m.State.String(), Incarnation: m.Incarnation, Since: m.Since, Self: m.Name == self}
			if utf8.Valid(m.Meta) {
				j.Meta = string(m.Meta)
			} else {
				j.MetaBytes = m.Meta
			}
			out = append(out, j)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		self := n.LocalMember()
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "name": self.Name, "state": self.State.String()})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(indexHTML)
	})
	return mux
}
