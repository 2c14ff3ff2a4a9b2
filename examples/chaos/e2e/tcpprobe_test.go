//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTCPFallbackProbe (issue 11): nftables on one host's input hook drops
// the UDP sent to its memberlist port while TCP stays open. The others'
// probes of it go unanswered over UDP, directly and through relays, but
// are answered over streams: nobody declares it failed, and the fallback
// counters on /stats rise. Then TCP is dropped too, and it is declared
// failed within the bound the config gives for a crash.
func TestTCPFallbackProbe(t *testing.T) {
	needNamespaces(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("e2e: needs the nft command (Debian package nftables) to drop UDP alone")
	}
	cleanStale("mle")
	l := &lab{t: t, prefix: fmt.Sprintf("mle%dt", os.Getpid()%1000), procs: map[int]*exec.Cmd{}, addr: map[int]string{}}
	l.build()
	l.network()
	for i := 1; i <= hosts; i++ {
		l.start(i)
	}
	all := []int{1, 2, 3, 4, 5, 6}
	step(t, "1 converge", joinBound, func() bool { return l.allSee(all, all, "alive") })

	const x = 4
	rest := []int{1, 2, 3, 5, 6}
	acks := func() uint64 {
		var sum uint64
		for _, v := range rest {
			sum += l.stats(v).Node.Protocol.StreamProbeAcks
		}
		return sum
	}
	l.nft(x, "add table inet mlprobe")
	l.nft(x, "add chain inet mlprobe input { type filter hook input priority 0 ; policy accept ; }")
	l.nft(x, "add rule inet mlprobe input udp dport 7946 drop")
	before := acks()
	start := time.Now()
	watch := 2 * detectBound
	var samples []uint64
	for time.Since(start) < watch {
		for _, v := range rest {
			for _, m := range l.members(v) {
				require.NotEqual(t, "dead", m.State, "2 UDP to h%d dropped, TCP open: h%d holds %s dead after %v", x, v, m.Name, time.Since(start).Round(time.Millisecond))
			}
		}
		samples = append(samples, acks())
		time.Sleep(time.Second)
	}
	after := acks()
	t.Logf("2 UDP to h%d dropped for %v: nobody declared failed; stream probe acks of the others %d -> %d (per second: %v)", x, watch, before, after, samples)
	require.Greater(t, after, before, "2 the fallback counter did not rise: were the probes answered over UDP (is the drop rule in place)?")
	require.Greater(t, after, samples[len(samples)/2], "2 the fallback counter stopped rising: at the end against half time")

	l.nft(x, "add rule inet mlprobe input tcp dport 7946 drop")
	step(t, "3 UDP and TCP dropped: declared failed", detectBound, func() bool { return l.allSee(rest, []int{x}, "dead") })
}

// nft runs one nft command in host i's namespace.
func (l *lab) nft(i int, cmd string) {
	l.t.Helper()
	l.run("ip", "netns", "exec", l.ns(i), "nft", cmd)
}
