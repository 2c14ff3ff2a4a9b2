package swim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/swim/swimtest"
)

// BenchmarkSimulate1000Members10Minutes is the wall-clock cost of
// simulating 1,000 members at LAN defaults: joining through one seed, then
// ten simulated minutes of steady state. Goal: under 60 s on 2 cores.
func BenchmarkSimulate1000Members10Minutes(b *testing.B) {
	for range b.N {
		c := swimtest.New(swimtest.Options{Config: swim.DefaultLANConfig(), Seed: 1})
		nodes := c.AddN(1000)
		c.JoinAll(nodes[0])
		c.Run(10 * time.Minute)
		if !c.AllSeeAlive(nodes) {
			b.Fatal("not converged")
		}
	}
}

// BenchmarkSteadyBytes measures the traffic of a quiet cluster: bytes sent
// per member per probe period, IPv4 and UDP headers included, over ten
// simulated minutes after convergence, anti-entropy included. The
// incumbent's figures in ../shared/SCENARIOS.md come to 147 bytes per member
// per probe period for both S1 (735 bytes/s at 200 ms probes) and S3 (147
// bytes/s at 1 s); the goal is at most 0.6x.
func BenchmarkSteadyBytes(b *testing.B) {
	s1 := fastTimings()
	for _, bc := range []struct {
		name string
		cfg  swim.Config
		n    int
	}{
		{"S1/N=32", s1, 32},
		{"S2/N=128", s1, 128},
		{"S3/N=128", swim.DefaultLANConfig(), 128},
		{"LAN/N=1000", swim.DefaultLANConfig(), 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var perPeriod float64
			for range b.N {
				c := swimtest.New(swimtest.Options{Config: bc.cfg, Seed: 1})
				nodes := c.AddN(bc.n)
				c.JoinAll(nodes[0])
				if ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) }); !ok {
					b.Fatal("not converged")
				}
				c.Run(time.Minute) // let the join news drain
				before := c.BytesOut()
				window := 10 * time.Minute
				c.Run(window)
				periods := float64(window / bc.cfg.ProbeInterval)
				perPeriod = float64(c.BytesOut()-before) / float64(bc.n) / periods
			}
			b.ReportMetric(perPeriod, "bytes/member/period")
			b.ReportMetric(perPeriod*float64(time.Second/bc.cfg.ProbeInterval), "bytes/member/s")
			b.ReportMetric(perPeriod/147, "x-incumbent")
		})
	}
}

// BenchmarkCrashDetection reports, in protocol periods, how long 1,000
// simulated members take to declare a crashed member failed: first
// detection and detection by all.
func BenchmarkCrashDetection(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint("N=", n), func(b *testing.B) {
			cfg := swim.DefaultLANConfig()
			var first, all time.Duration
			for range b.N {
				c := swimtest.New(swimtest.Options{Config: cfg, Seed: 2})
				nodes := c.AddN(n)
				c.JoinAll(nodes[0])
				if ok, _ := c.RunUntil(time.Minute, func() bool { return c.AllSeeAlive(nodes) }); !ok {
					b.Fatal("not converged")
				}
				victim := nodes[n/2]
				c.Crash(victim)
				start := c.Elapsed()
				first = 0
				c.OnEvent = func(_ *swimtest.Node, ev swim.Event) {
					if ev.Type == swim.EventFailed && ev.Member.Name == victim.Name && first == 0 {
						first = c.Elapsed() - start
					}
				}
				_, all = c.RunUntil(5*time.Minute, func() bool { return c.AllSee(c.Up(), victim, swim.StateDead) })
			}
			b.ReportMetric(float64(first)/float64(cfg.ProbeInterval), "periods-first")
			b.ReportMetric(float64(all)/float64(cfg.ProbeInterval), "periods-all")
		})
	}
}
