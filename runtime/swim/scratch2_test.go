package swim_test

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

func TestScratchSteady(t *testing.T) {
	for _, n := range []int{32, 1000} {
		start := time.Now()
		cfg := swim.DefaultLANConfig()
		c := swimtest.New(swimtest.Options{Config: cfg, Seed: 1})
		nodes := c.AddN(n)
		c.JoinAll(nodes[0])
		ok, took := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) })
		t.Logf("n=%d conv %v %v wall %v", n, ok, took, time.Since(start))
		c.Run(60 * time.Second)
		b0 := c.BytesOut()
		w := time.Now()
		c.Run(10 * time.Minute)
		t.Logf("n=%d: bytes/member/period: %.1f; wall for 10 min %v", n, float64(c.BytesOut()-b0)/float64(n)/600, time.Since(w))
	}
}
