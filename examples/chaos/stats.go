package main

import (
	"encoding/json"
	"net/http"
	"runtime/metrics"

	"github.com/memberlist-go/memberlist/runtime"
)

// statsPage is what GET /stats serves: the node's counters and the Go
// heap of this process, so that a test or an operator can watch what an
// attack costs the node without reading its member list.
type statsPage struct {
	Node runtime.Stats `json:"node"`
	// HeapObjectsBytes is the Go heap held by live and not yet swept
	// objects (runtime/metrics /memory/classes/heap/objects:bytes).
	HeapObjectsBytes uint64 `json:"heap_objects_bytes"`
	// TotalBytes is all memory the Go runtime has mapped and not released
	// (/memory/classes/total:bytes).
	TotalBytes uint64 `json:"total_bytes"`
}

// withStats serves GET /stats beside h.
func withStats(node *runtime.Node, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		samples := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/total:bytes"},
		}
		metrics.Read(samples)
		page := statsPage{Node: node.Stats()}
		if samples[0].Value.Kind() == metrics.KindUint64 {
			page.HeapObjectsBytes = samples[0].Value.Uint64()
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			page.TotalBytes = samples[1].Value.Uint64()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(page)
	})
	return mux
}
