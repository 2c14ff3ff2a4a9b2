//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// The protocol settings every process runs with (the LAN preset with
// faster probes, set through the environment), and the deadlines that
// follow from them.
var (
	cfg = func() runtime.Config {
		c := runtime.DefaultLANConfig()
		c.ProbeInterval = 200 * time.Millisecond
		c.ProbeTimeout = c.ProbeInterval / 2
		c.GossipInterval = c.ProbeInterval / 4
		c.ReconnectInterval = 2 * time.Second
		c.DiscoveryInterval = 2 * time.Second
		return c
	}()
	probe = cfg.ProbeInterval
	// Lifeguard's longest suspicion at 6 members.
	maxSuspect = time.Duration(float64(cfg.SuspicionMaxTimeoutMult*cfg.SuspicionMult) * math.Max(1, math.Log10(hosts)) * float64(probe))
	// A crash is first probed within a few periods (a 6-member round is 5
	// periods), suspected, declared dead at the latest after maxSuspect,
	// and the news reaches everyone within a few gossip rounds.
	detectBound = 2*hosts*probe + maxSuspect + 10*cfg.GossipInterval
	// A member (re)joins at its first join attempt, answered at once, and
	// its news spreads within a few gossip rounds; allow one retry.
	joinBound = 2*cfg.JoinRetryMin + 10*cfg.GossipInterval + 2*time.Second
	// A healed partition merges within a reconnect round or a discovery
	// refresh, after which each side refutes and the news spreads.
	healBound = 2*max(cfg.ReconnectInterval, cfg.DiscoveryInterval) + detectBound
)

var env = []string{
	"MEMBERLIST_PROBE_INTERVAL=" + cfg.ProbeInterval.String(),
	"MEMBERLIST_PROBE_TIMEOUT=" + cfg.ProbeTimeout.String(),
	"MEMBERLIST_GOSSIP_INTERVAL=" + cfg.GossipInterval.String(),
	"MEMBERLIST_RECONNECT_INTERVAL=" + cfg.ReconnectInterval.String(),
	"MEMBERLIST_DISCOVERY_INTERVAL=" + cfg.DiscoveryInterval.String(),
}

const hosts = 6

type lab struct {
	t      *testing.T
	prefix string
	bin    string
	procs  map[int]*exec.Cmd
	addr   map[int]string // current IP of each host
}

func TestChaosInNetworkNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root to create network namespaces (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("e2e: needs iproute2's ip command")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("e2e: ip netns unusable: %v %s", err, out)
	}
	cleanStale("mle")
	l := &lab{t: t, prefix: fmt.Sprintf("mle%d", os.Getpid()%10000), procs: map[int]*exec.Cmd{}, addr: map[int]string{}}
	l.build()
	l.network()
	for i := 1; i <= hosts; i++ {
		l.start(i)
	}
	all := []int{1, 2, 3, 4, 5, 6}

	step(t, "1 converge", joinBound, func() bool { return l.allSee(all, all, "alive") })

	l.kill(3, syscall.SIGKILL)
	rest := []int{1, 2, 4, 5, 6}
	step(t, "2 kill -9 detected", detectBound, func() bool { return l.allSee(rest, []int{3}, "dead") })

	l.run("ip", "-n", l.ns(3), "addr", "add", "10.77.0.13/24", "dev", "eth0")
	l.addr[3] = "10.77.0.13"
	l.start(3)
	step(t, "3 restart at a new address", joinBound, func() bool { return l.allSee(all, all, "alive") && l.allAt(all, 3) })

	a, b := []int{1, 2, 3}, []int{4, 5, 6}
	l.partition(a, b, "add")
	step(t, "4a partition: each side fails the other", healBound, func() bool {
		return l.allSee(a, b, "dead") && l.allSee(b, a, "dead")
	})
	l.partition(a, b, "del")
	step(t, "4b heal: all alive again", healBound, func() bool { return l.allSee(all, all, "alive") })

	// 5: host 6 sends but receives nothing: every other host's route to it
	// is a blackhole, while its own packets still arrive. The healthy five
	// must not be declared failed by anyone; host 6 itself may be.
	healthy := []int{1, 2, 3, 4, 5}
	l.oneWay(healthy, 6, "add")
	start := time.Now()
	cutOff := false // the cut is real: the healthy five stop hearing h6 as alive
	for time.Since(start) < 2*detectBound {
		for _, v := range healthy {
			ms := l.members(v)
			require.NotNil(t, ms, "5 one-way: h%d's member list does not answer", v)
			for _, m := range ms {
				require.False(t, m.State == "dead" && m.Name != "h6", "5 one-way: h%d holds healthy %s dead", v, m.Name)
			}
		}
		cutOff = cutOff || l.allSee(healthy, []int{6}, "dead")
		time.Sleep(200 * time.Millisecond)
	}
	require.True(t, cutOff, "5 one-way: the healthy five never declared h6 failed: the cut did not take")
	t.Logf("5 one-way loss: no healthy member declared failed in %v; h6 was", time.Since(start).Round(time.Millisecond))
	l.oneWay(healthy, 6, "del")
	step(t, "5b one-way healed", healBound, func() bool { return l.allSee(all, all, "alive") })

	l.kill(5, syscall.SIGTERM)
	rest = []int{1, 2, 3, 4, 6}
	step(t, "6 SIGTERM: left, not failed", detectBound, func() bool { return l.allSee(rest, []int{5}, "left") })
}

// cleanStale removes the namespaces and links named with prefix that an
// earlier run left behind when it was killed before its cleanup ran.
func cleanStale(prefix string) {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			_ = exec.Command("ip", "netns", "del", f[0]).Run()
		}
	}
	out, _ = exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], prefix) {
			_ = exec.Command("ip", "link", "del", strings.TrimSuffix(strings.Split(f[1], "@")[0], ":")).Run()
		}
	}
}

// step waits for cond and logs how long the scenario took.
func step(t *testing.T, name string, within time.Duration, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		require.LessOrEqual(t, time.Since(start), within, "%s: not within %v", name, within)
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %v (bound %v)", name, time.Since(start).Round(time.Millisecond), within)
}

func (l *lab) ns(i int) string { return fmt.Sprintf("%s-h%d", l.prefix, i) }

func (l *lab) run(args ...string) {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(l.t, err, "%s:\n%s", strings.Join(args, " "), out)
}

func (l *lab) build() {
	l.bin = filepath.Join(l.t.TempDir(), "chaos")
	cmd := exec.Command("go", "build", "-o", l.bin, "github.com/memberlist-go/memberlist/examples/chaos")
	out, err := cmd.CombinedOutput()
	require.NoError(l.t, err, "build chaos:\n%s", out)
}

// network makes a switch namespace with a bridge, six host namespaces
// wired to it (10.77.0.1-6), and a veth from this namespace (10.77.0.254)
// so the test can reach the hosts' HTTP pages. Everything goes away when
// the test ends, failed or not.
func (l *lab) network() {
	sw := l.prefix + "-sw"
	root := l.prefix + "-r"
	l.t.Cleanup(func() {
		for i := range l.procs {
			l.kill(i, syscall.SIGKILL)
		}
		for i := 1; i <= hosts; i++ {
			_ = exec.Command("ip", "netns", "del", l.ns(i)).Run()
		}
		_ = exec.Command("ip", "netns", "del", sw).Run()
		_ = exec.Command("ip", "link", "del", root).Run()
	})
	l.run("ip", "netns", "add", sw)
	l.run("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
	l.run("ip", "-n", sw, "link", "set", "br0", "up")
	for i := 1; i <= hosts; i++ {
		h, port := l.ns(i), fmt.Sprintf("p%d", i)
		l.run("ip", "netns", "add", h)
		l.run("ip", "link", "add", l.prefix+port, "type", "veth", "peer", "name", l.prefix+"e"+port)
		l.run("ip", "link", "set", l.prefix+"e"+port, "netns", h)
		l.run("ip", "-n", h, "link", "set", l.prefix+"e"+port, "name", "eth0")
		l.run("ip", "link", "set", l.prefix+port, "netns", sw)
		l.run("ip", "-n", sw, "link", "set", l.prefix+port, "master", "br0", "up")
		l.addr[i] = fmt.Sprintf("10.77.0.%d", i)
		l.run("ip", "-n", h, "addr", "add", l.addr[i]+"/24", "dev", "eth0")
		l.run("ip", "-n", h, "link", "set", "eth0", "up")
		l.run("ip", "-n", h, "link", "set", "lo", "up")
	}
	l.run("ip", "link", "add", root, "type", "veth", "peer", "name", l.prefix+"rp")
	l.run("ip", "link", "set", l.prefix+"rp", "netns", sw)
	l.run("ip", "-n", sw, "link", "set", l.prefix+"rp", "master", "br0", "up")
	l.run("ip", "addr", "add", "10.77.0.254/24", "dev", root)
	l.run("ip", "link", "set", root, "up")
}

// start runs host i's chaos process at its current address.
func (l *lab) start(i int) {
	ip := l.addr[i]
	cmd := exec.Command("ip", "netns", "exec", l.ns(i), l.bin,
		"-name", fmt.Sprintf("h%d", i),
		"-bind", ip+":7946",
		"-seeds", "10.77.0.1:7946,10.77.0.2:7946",
		"-http", ip+":8080")
	cmd.Env = append(os.Environ(), env...)
	// If the test dies without its cleanup, the processes die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(l.t.TempDir(), fmt.Sprintf("h%d.log", i)))
	require.NoError(l.t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(l.t, cmd.Start())
	l.procs[i] = cmd
}

func (l *lab) kill(i int, sig syscall.Signal) {
	cmd, ok := l.procs[i]
	if !ok {
		return
	}
	delete(l.procs, i)
	_ = cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// partition adds or deletes blackhole routes between the two groups, both
// ways.
func (l *lab) partition(a, b []int, op string) {
	for _, x := range a {
		for _, y := range b {
			l.run("ip", "-n", l.ns(x), "route", op, "blackhole", l.addr[y]+"/32")
			l.run("ip", "-n", l.ns(y), "route", op, "blackhole", l.addr[x]+"/32")
		}
	}
}

// oneWay adds or deletes blackhole routes from each of from to host x, so
// that x still sends to them but hears nothing back.
func (l *lab) oneWay(from []int, x int, op string) {
	for _, y := range from {
		l.run("ip", "-n", l.ns(y), "route", op, "blackhole", l.addr[x]+"/32")
	}
}

type member struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	State string `json:"state"`
}

// members is host i's view, or nil if its page does not answer.
func (l *lab) members(i int) []member {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s:8080/members", l.addr[i]), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var ms []member
	if json.NewDecoder(res.Body).Decode(&ms) != nil {
		return nil
	}
	return ms
}

// allSee reports whether every viewer holds every target in state.
func (l *lab) allSee(viewers, targets []int, state string) bool {
	for _, v := range viewers {
		ms := l.members(v)
		if ms == nil {
			return false
		}
		for _, x := range targets {
			ok := false
			for _, m := range ms {
				if m.Name == fmt.Sprintf("h%d", x) {
					ok = m.State == state
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// allAt reports whether every viewer holds host x at its current address.
func (l *lab) allAt(viewers []int, x int) bool {
	for _, v := range viewers {
		for _, m := range l.members(v) {
			if m.Name == fmt.Sprintf("h%d", x) && m.Addr != l.addr[x]+":7946" {
				return false
			}
		}
	}
	return true
}
