package swim_test

import (
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

func TestSmoke(t *testing.T) {
	c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 1})
	nodes := c.AddN(20)
	c.JoinAll(nodes[0])
	ok, took := c.RunUntil(60*time.Second, func() bool { return c.AllSeeAlive(nodes) })
	t.Logf("converged=%v in %v; bytes=%d", ok, took, c.BytesOut())
	c.Crash(nodes[5])
	ok, took = c.RunUntil(120*time.Second, func() bool { return c.AllSee(nodes, nodes[5], swim.StateDead) })
	t.Logf("detected=%v in %v; failed events=%d suspects=%d", ok, took, c.CountEvents(swim.EventFailed, ""), c.CountEvents(swim.EventSuspected, ""))
}
