// Package httpapi serves a node's view of the cluster and its probes over
// HTTP, so that any application can mount them next to its own handlers:
//
//	http.Handle("/cluster/", http.StripPrefix("/cluster", httpapi.Handler(node)))
//
// It serves:
//
//   - GET /readyz, a readiness probe: 200 once the node has joined a cluster
//     (it holds another alive member, see runtime.Node.Joined), or at once
//     with Options.Alone; 503 before, and after Leave. A rollout gated on it
//     moves on only when the new member is in the cluster.
//   - GET /healthz, a liveness probe: 200 if the node's protocol loop
//     answers within Options.HealthTimeout (and the request's own
//     deadline), 503 if it is stuck, which a restart cures.
//   - GET /members, the member list as JSON, and at / a small page showing
//     it. They give names, addresses and metadata to whoever can reach the
//     port: Options.HideMembers turns them off, Options.WrapMembers puts
//     them behind the application's own handler (authentication, say).
//
// Every answer is JSON but the page, and none may be cached.
package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
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

// Probe is the body of /readyz and /healthz.
type Probe struct {
	// Status is "ready" or "not ready" for /readyz, "ok" or "unhealthy"
	// for /healthz.
	Status string `json:"status"`
	// Reason says why the probe failed; empty when it passed.
	Reason string `json:"reason,omitempty"`
}

// The paths of the probes and the member list, for a deployment's probes
// and the checks of its manifests.
const (
	ReadyPath   = "/readyz"
	HealthPath  = "/healthz"
	MembersPath = "/members"
)

// Source is what the handler reads: *runtime.Node satisfies it.
type Source interface {
	Members() []runtime.Member
	LocalMember() runtime.Member
	// Ready is nil while the node is in a cluster; runtime.ErrNotJoined
	// before it has joined, another error after it left or closed. It
	// must not wait for the protocol loop.
	Ready() error
	// Healthy is nil if the protocol loop answers before ctx ends.
	Healthy(ctx context.Context) error
}

// DefaultHealthTimeout is how long /healthz waits for the protocol loop
// unless Options.HealthTimeout says otherwise. A loop that answers in
// microseconds when well has not answered in a second only when stuck or
// starved; a liveness probe's timeoutSeconds should be longer, so that the
// probe reads the handler's reason rather than its own timeout.
const DefaultHealthTimeout = time.Second

// Options change what Handler serves; the zero value is Handler's.
type Options struct {
	// Alone makes /readyz answer 200 before any other member has joined,
	// for a node that forms a cluster of one by configuration (a node
	// with no Discovery, say). After Leave it answers 503 all the same.
	Alone bool
	// HealthTimeout bounds how long /healthz waits for the protocol loop;
	// zero means DefaultHealthTimeout. The request's own deadline, if
	// sooner, wins.
	HealthTimeout time.Duration
	// HideMembers stops serving /members and the page at / (they answer
	// 404), for a port that more than the operators can reach.
	HideMembers bool
	// WrapMembers, when set, is given the handler of /members and the
	// page, and what it returns serves them: an application's
	// authentication or authorization in front of the member list. The
	// probes are never wrapped, as the kubelet does not authenticate.
	WrapMembers func(http.Handler) http.Handler
}

//go:embed index.html
var indexHTML []byte

// Handler serves n's probes and member list with the default Options.
func Handler(n Source) http.Handler { return New(n, Options{}) }

// New serves n's probes and member list as o says.
func New(n Source, o Options) http.Handler {
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = DefaultHealthTimeout
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		err := n.Ready()
		if o.Alone && errors.Is(err, runtime.ErrNotJoined) {
			err = nil
		}
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, Probe{Status: "not ready", Reason: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, Probe{Status: "ready"})
	})
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), o.HealthTimeout)
		defer cancel()
		if err := n.Healthy(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, Probe{Status: "unhealthy", Reason: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, Probe{Status: "ok"})
	})
	if o.HideMembers {
		return mux
	}
	members := http.NewServeMux()
	members.HandleFunc("GET "+MembersPath, func(w http.ResponseWriter, r *http.Request) {
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
		writeJSON(w, http.StatusOK, out)
	})
	members.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(indexHTML)
	})
	var h http.Handler = members
	if o.WrapMembers != nil {
		h = o.WrapMembers(members)
	}
	mux.Handle("GET "+MembersPath, h)
	mux.Handle("GET /{$}", h)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
