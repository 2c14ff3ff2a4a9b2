package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// BenchmarkScenario runs ../shared/SCENARIOS.md's set-up with real UDP
// sockets on loopback, all nodes in this process: join through node 0,
// steady traffic over 10 s starting 2 s after convergence (payload plus 28
// header bytes per datagram), false failures in that window, then crash
// detection by all for three crashes, and CPU (user+sys over wall). The
// side-by-side comparison with hashicorp/memberlist lives in bench/.
func BenchmarkScenario(b *testing.B) {
	// S1/encrypted is S1 with AES-256-GCM and a label, for the CPU cost of
	// encryption: compare its cpu-cores with S1's.
	key := bytes.Repeat([]byte{0x5e}, 32)
	for _, sc := range []struct {
		name  string
		n     int
		probe time.Duration
		keys  [][]byte
	}{
		{"S1/N=32", 32, 200 * time.Millisecond, nil},
		{"S1/encrypted/N=32", 32, 200 * time.Millisecond, [][]byte{key}},
		{"S2/N=128", 128, 200 * time.Millisecond, nil},
		{"S3/N=128", 128, time.Second, nil},
		{"S4/N=512", 512, 200 * time.Millisecond, nil},
	} {
		b.Run(sc.name, func(b *testing.B) {
			for range b.N {
				runScenario(b, sc.n, sc.probe, sc.keys)
			}
		})
	}
}

func runScenario(b *testing.B, n int, probe time.Duration, keys [][]byte) {
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	wall0 := time.Now()
	cfgFor := func(name string) runtime.Config {
		cfg := runtime.DefaultLANConfig()
		cfg.Name = name
		cfg.BindAddr = "127.0.0.1:0"
		cfg.ProbeInterval = probe
		cfg.ProbeTimeout = probe / 2
		cfg.GossipInterval = probe / 4
		if keys != nil {
			cfg.Keys, cfg.Label = keys, "bench"
		}
		return cfg
	}
	var nodes []*runtime.Node
	defer func() {
		for _, x := range nodes {
			x.Close()
		}
	}()
	seed, err := runtime.Start(context.Background(), cfgFor("node-0"))
	require.NoError(b, err)
	nodes = append(nodes, seed)
	joinStart := time.Now()
	for i := 1; i < n; i++ {
		cfg := cfgFor(fmt.Sprintf("node-%d", i))
		cfg.Discovery = discovery.Static(seed.LocalMember().Addr.String())
		x, err := runtime.Start(context.Background(), cfg)
		require.NoError(b, err)
		nodes = append(nodes, x)
	}
	converged := func(ns []*runtime.Node, want int) bool {
		for _, x := range ns {
			if s := x.Stats(); s.Alive != want {
				return false
			}
		}
		return true
	}
	for !converged(nodes, n) {
		if time.Since(joinStart) > 3*time.Minute {
			b.Fatal("no convergence")
		}
		time.Sleep(50 * time.Millisecond)
	}
	join := time.Since(joinStart)
	time.Sleep(2 * time.Second)
	var failed0, bytes0 uint64
	for _, x := range nodes {
		s := x.Stats()
		failed0 += uint64(s.Dead)
		bytes0 += s.BytesOut + 28*s.PacketsOut
	}
	time.Sleep(10 * time.Second)
	var failed1, bytes1 uint64
	for _, x := range nodes {
		s := x.Stats()
		failed1 += uint64(s.Dead)
		bytes1 += s.BytesOut + 28*s.PacketsOut
	}
	steady := float64(bytes1-bytes0) / float64(n) / 10
	var detect []time.Duration
	alive := nodes
	for k := range 3 {
		victim := alive[1+k*(len(alive)-2)/3]
		name := victim.LocalMember().Name
		victim.Close()
		var rest []*runtime.Node
		for _, x := range alive {
			if x != victim {
				rest = append(rest, x)
			}
		}
		alive = rest
		t0 := time.Now()
		for !allSee(alive, name, runtime.StateDead, nil) {
			if time.Since(t0) > time.Minute {
				b.Fatal("crash not detected")
			}
			time.Sleep(20 * time.Millisecond)
		}
		detect = append(detect, time.Since(t0))
		time.Sleep(time.Second)
	}
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	wall := time.Since(wall0)
	b.ReportMetric(join.Seconds(), "join-s")
	b.ReportMetric(steady, "bytes/node/s")
	b.ReportMetric(float64(failed1-failed0), "false-failures")
	b.ReportMetric(median(detect).Seconds(), "detect-all-s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu-cores")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
