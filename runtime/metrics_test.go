package runtime_test

import (
	"sync"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime"
)

type recordMetrics struct {
	mu   sync.Mutex
	last runtime.Stats
	n    int
}

func (r *recordMetrics) Observe(s runtime.Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.n = s, r.n+1
}

// Config.Metrics receives the node's counters once a second.
func TestMetricsObserved(t *testing.T) {
	rec := &recordMetrics{}
	nodes := cluster(t, 3, func(c *runtime.Config) {
		if c.Name == "node-0" {
			c.Metrics = rec
		}
	})
	_ = nodes
	eventually(t, 10*time.Second, "metrics with three alive and traffic", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		s := rec.last
		return rec.n > 0 && s.Alive == 3 && s.PacketsIn > 0 && s.PacketsOut > 0 && s.Protocol.Probes > 0
	})
}
