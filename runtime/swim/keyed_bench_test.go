package swim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// BenchmarkKeyedBurstBytes measures what issue 13's burst costs on the
// wire: 10 members (S1 timing), 10,000 keyed broadcasts of 8-byte
// payloads over 1,000 keys in one second, on a clean link and at 10 %
// loss. It reports the bytes all members sent from the burst's start
// until every member held the latest of every key (or five minutes), per
// member, and the steady bytes per member per probe period in the ten
// minutes after, with every store holding the 1,000 keys.
func BenchmarkKeyedBurstBytes(b *testing.B) {
	cfg := fastTimings()
	for _, bc := range []struct {
		name string
		link swimtest.Link
	}{
		{"clean", swimtest.Link{Delay: time.Millisecond, Jitter: time.Millisecond}},
		{"loss 10%", swimtest.Link{Delay: time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.10}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const members, keys, updates = 10, 1000, 10000
			var burst, steady, took float64
			for range b.N {
				c := swimtest.New(swimtest.Options{Config: cfg, Seed: 1})
				nodes := c.AddN(members)
				c.JoinAll(nodes[0])
				if ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) }); !ok {
					b.Fatal("not converged")
				}
				c.SetDefaultLink(bc.link)
				c.Run(time.Minute)
				l := newLatest(c, nodes, keys)
				before := c.BytesOut()
				for i := range updates {
					key, version := i%keys, i/keys+1
					if err := c.BroadcastKeyed(nodes[0], fmt.Sprint(key), keyedPayload(key, version)); err != nil {
						b.Fatal(err)
					}
					if i%10 == 9 {
						c.Run(time.Millisecond)
					}
				}
				_, d := c.RunUntil(5*time.Minute, func() bool { return l.has(nodes[1:], updates/keys) })
				took = (d + time.Second).Seconds()
				burst = float64(c.BytesOut()-before) / members
				c.Run(time.Minute)
				before = c.BytesOut()
				window := 10 * time.Minute
				c.Run(window)
				steady = float64(c.BytesOut()-before) / members / float64(window/cfg.ProbeInterval)
			}
			b.ReportMetric(burst, "burst-bytes/member")
			b.ReportMetric(took, "burst-s")
			b.ReportMetric(steady, "steady-bytes/member/period")
		})
	}
}
