//go:build e2e && e2escale

package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// TestScale128's knobs (make e2e-scale SCALEFLAGS='-scale.n=16'): the
// defaults are issue 12's run.
var (
	scaleN       = flag.Int("scale.n", 128, "member processes, each in its own network namespace (at most 250)")
	scaleKill    = flag.Int("scale.kill", 0, "members to SIGKILL after the steady window (0: a tenth of -scale.n, rounded, at least 1)")
	scaleLoss    = flag.Int("scale.loss", 10, "percent of memberlist packets every host's input hook drops")
	scaleTCPLoss = flag.Bool("scale.tcploss", true, "drop the same share of TCP segments to and from the memberlist port, not UDP alone")
	scaleSteady  = flag.Duration("scale.steady", 2*time.Minute, "how long the converged cluster runs under loss before the kill")
	scaleJoin    = flag.Duration("scale.join", 3*time.Minute, "deadline for every process to hold every other alive")
)

// scaleCfg is what every process runs: the LAN preset, unchanged
// (MEMBERLIST_PROFILE=lan and no other protocol variable).
var scaleCfg = runtime.DefaultLANConfig()

// scaleSubnet is this test's own /24, apart from the other e2e tests'
// 10.77.0.0/24: host i is .i, the test's own end of the bridge .254.
const scaleSubnet = "10.78.0."

// scaleDetectBound is how long after a SIGKILL every survivor may take to
// hold the killed member dead, from the config and the cluster size n:
//
//   - first probe: 10 protocol periods. Every survivor probes one member a
//     period, in a shuffled round over all; the chance that none of ~0.9n
//     survivors picks a given member in 10 periods is about e^(-9) at 128.
//   - the suspicion reaches every survivor: RetransmitMult·ceil(log10(n+1))
//     gossip rounds, the sends each holder makes of a piece of news (to
//     GossipNodes members a round, so the news more than doubles a round).
//   - each survivor's own suspicion timer runs out: at the latest after
//     Lifeguard's longest timeout, SuspicionMaxTimeoutMult·SuspicionMult·
//     max(1, log10 n)·ProbeInterval, the timeout when no other member
//     confirms the suspicion (confirmations bring it down to a sixth).
//   - the dead news reaches survivors whose timer started late: again the
//     retransmit rounds.
//
// At n = 128 on the LAN preset: 10 s + 2·12·200 ms + 6·4·2.11·1 s = 65.4 s.
func scaleDetectBound(c runtime.Config, n int) time.Duration {
	firstProbe := 10 * c.ProbeInterval
	spread := time.Duration(c.RetransmitMult*int(math.Ceil(math.Log10(float64(n+1))))) * c.GossipInterval
	longest := time.Duration(float64(c.SuspicionMaxTimeoutMult*c.SuspicionMult) * math.Max(1, math.Log10(float64(n))) * float64(c.ProbeInterval))
	return firstProbe + 2*spread + longest
}

// TestScale128 (issue 12): 128 chaos processes, each in its own network
// namespace on one bridge, every host's nftables input hook dropping 10 %
// of the memberlist packets at random (UDP, and TCP unless
// -scale.tcploss=false, so the TCP fallback probe cannot hide the UDP
// loss). After every process holds every other alive, the cluster runs two
// minutes under that loss, and no member may be declared failed; then 13
// are SIGKILLed at once, and every survivor must hold each of them dead
// within scaleDetectBound. The processes' event lines on standard output,
// timestamped as they arrive, give the states, false failures, suspicions
// and detection times; the /members pages confirm the states at the end of
// each phase. It reports detection times per (survivor, killed) pair, the
// resident set of each process and the CPU they used. docs/E2E-SCALE.md
// has the method and the numbers measured.
func TestScale128(t *testing.T) {
	begin := time.Now()
	needNamespaces(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("e2e: needs the nft command (Debian package nftables) for the packet loss")
	}
	n, k := *scaleN, *scaleKill
	if k == 0 {
		k = max(1, int(math.Round(float64(n)/10)))
	}
	require.True(t, n >= 3 && n <= 250, "-scale.n %d: want 3 to 250", n)
	require.True(t, k >= 1 && k <= n-2, "-scale.kill %d: want 1 to %d", k, n-2)
	cleanStale("mls") // its own prefix: the other tests take mle
	s := &scaleLab{
		lab:    &lab{t: t, prefix: fmt.Sprintf("mls%d", os.Getpid()%10000), procs: map[int]*exec.Cmd{}, addr: map[int]string{}},
		n:      n,
		ev:     newScaleEvents(),
		cmds:   map[int]*exec.Cmd{},
		logDir: t.TempDir(),
	}
	s.bin = goBuild(t, t.TempDir(), "chaos", "github.com/memberlist-go/memberlist/examples/chaos")
	setup := time.Now()
	s.network()
	require.False(t, t.Failed(), "0 network: not set up")
	t.Logf("0 network: %d namespaces on one bridge, %d %% loss (tcp too: %v), in %v", n, *scaleLoss, *scaleTCPLoss, time.Since(setup).Round(time.Millisecond))

	all := make([]int, n)
	for i := range all {
		all[i] = i + 1
		s.start(i + 1)
	}
	s.t.Cleanup(func() {
		if t.Failed() {
			for _, i := range all {
				counts := map[string]int{}
				for _, m := range s.members(i) {
					counts[m.State]++
				}
				t.Logf("at the end, h%d's /members: %v", i, counts)
			}
		}
	})
	// A process's event lines start once it has joined, so they miss
	// the members it learnt in its first exchange: the pages tell when
	// all are in.
	step(t, "1 join: every process holds every other alive", *scaleJoin, func() bool { return s.pagesAgree(all, all, nil) })

	s.ev.setPhase(phaseSteady)
	cpu0 := s.cpuTicks(all)
	time.Sleep(*scaleSteady) // the window under loss is a duration, not an assertion
	cpuSteady := float64(s.cpuTicks(all)-cpu0) / 100 / scaleSteady.Seconds()
	require.Eventually(t, func() bool { return s.pagesAgree(all, all, nil) }, 30*time.Second, time.Second, "2 steady: the /members pages do not show all alive")
	rss := s.rssAll(all)
	stats := s.sumStats(all)
	drops := s.nftDrops(all)
	if *scaleLoss > 0 {
		assert.Positive(t, drops, "2 steady: the nftables rules dropped nothing: no loss was applied")
	}
	t.Logf("2 steady %v under loss: false failures %d, suspicions %d (events; /stats Suspicions %d), failed probes %d, stream probe acks %d, packets dropped by nftables %d, CPU %.2f cores",
		*scaleSteady, len(s.ev.falseFailures()), s.ev.suspicions(phaseSteady), stats.Protocol.Suspicions, stats.Protocol.FailedProbes, stats.Protocol.StreamProbeAcks, drops, cpuSteady)
	t.Logf("2 RSS per process: median %.1f MB, max %.1f MB (VmRSS of %d processes)", float64(rss[len(rss)/2])/1024, float64(rss[len(rss)-1])/1024, len(rss))
	require.Empty(t, s.ev.falseFailures(), "2 steady: members declared failed")

	bound := scaleDetectBound(scaleCfg, n)
	victims, survivors := pickVictims(all, k)
	s.ev.setPhase(phaseKill)
	s.killAll(victims)
	t.Logf("3 SIGKILLed %v", victims)
	step(t, fmt.Sprintf("3 SIGKILL %d: every survivor holds each dead", k), bound.Round(time.Millisecond), func() bool { return s.ev.allDead(survivors, victims) })
	require.Eventually(t, func() bool { return s.pagesAgree(survivors, survivors, victims) }, 30*time.Second, time.Second, "3 kill: the /members pages do not show the killed dead and the rest alive")
	times := s.ev.detectionTimes(survivors, victims, s.killedAt)
	require.Len(t, times, len(survivors)*len(victims))
	slices.Sort(times)
	t.Logf("3 detection per (survivor, killed) pair, %d pairs: min %v, median %v, max %v (bound %v); suspicions after the kill %d",
		len(times), times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), bound.Round(time.Millisecond), s.ev.suspicions(phaseKill))
	assert.LessOrEqual(t, times[len(times)-1], bound, "3 a pair took longer than the bound")
	require.Empty(t, s.ev.falseFailures(), "3 kill: members not killed declared failed")

	for _, i := range survivors {
		s.lab.kill(i, syscall.SIGKILL)
	}
	t.Logf("4 total CPU of the %d processes %v; wall time %v", n, s.totalCPU().Round(time.Millisecond), time.Since(begin).Round(time.Second))
}

// pickVictims chooses k of all at random, and returns them and the rest.
func pickVictims(all []int, k int) (victims, rest []int) {
	perm := rand.Perm(len(all))
	for j, p := range perm {
		if j < k {
			victims = append(victims, all[p])
		} else {
			rest = append(rest, all[p])
		}
	}
	slices.Sort(victims)
	slices.Sort(rest)
	return victims, rest
}

// scaleLab is the lab of e2e_test.go at n hosts, with each process's
// standard output read line by line into ev.
type scaleLab struct {
	*lab
	n        int
	ev       *scaleEvents
	cmds     map[int]*exec.Cmd // every process started, killed ones too
	killedAt map[int]time.Time
	logDir   string
}

// neighSysctls are the kernel's neighbour-table thresholds. The table is
// shared by every namespace: n hosts that each talk to all others hold
// about n² entries, and past the default 1024 (some 30 hosts) sends fail
// with ENOBUFS.
var neighSysctls = []string{"gc_thresh1", "gc_thresh2", "gc_thresh3"}

// network raises the neighbour thresholds, and makes a switch namespace
// with a bridge, n host namespaces wired to it (scaleSubnet 1 to n), each
// with its nftables loss rules, and a veth from this namespace (.254) for
// the test to reach their HTTP pages. Everything goes away, and the
// thresholds come back, when the test ends, failed or not.
func (s *scaleLab) network() {
	sw, root := s.prefix+"-sw", s.prefix+"-r"
	s.t.Cleanup(func() {
		for i := range s.procs {
			s.lab.kill(i, syscall.SIGKILL)
		}
		for i := 1; i <= s.n; i++ {
			_ = exec.Command("ip", "netns", "del", s.ns(i)).Run()
		}
		_ = exec.Command("ip", "netns", "del", sw).Run()
		_ = exec.Command("ip", "link", "del", root).Run()
	})
	for j, name := range neighSysctls {
		path := "/proc/sys/net/ipv4/neigh/default/" + name
		old, err := os.ReadFile(path)
		require.NoError(s.t, err)
		want := s.n * s.n * (1 << j) // 1, 2 and 4 times n²
		if cur, _ := strconv.Atoi(strings.TrimSpace(string(old))); cur < want {
			require.NoError(s.t, os.WriteFile(path, []byte(strconv.Itoa(want)), 0o644))
			s.t.Cleanup(func() { _ = os.WriteFile(path, old, 0o644) })
		}
	}
	// One ip -batch for the namespaces and the veths, one for the
	// bridge's ports, one each for the hosts' addresses: a few hundred
	// commands instead of some 1,500, which take a minute on a busy
	// machine.
	var roots, ports strings.Builder
	fmt.Fprintf(&roots, "netns add %s\n", sw)
	fmt.Fprintf(&ports, "link add br0 type bridge\nlink set br0 up\n")
	for i := 1; i <= s.n; i++ {
		port := fmt.Sprintf("%sp%d", s.prefix, i)
		fmt.Fprintf(&roots, "netns add %s\nlink add %s netns %s type veth peer name eth0 netns %s\n", s.ns(i), port, sw, s.ns(i))
		fmt.Fprintf(&ports, "link set %s master br0 up\n", port)
		s.addr[i] = fmt.Sprintf("%s%d", scaleSubnet, i)
	}
	fmt.Fprintf(&roots, "link add %s type veth peer name %srp netns %s\naddr add %s254/24 dev %s\nlink set %s up\n", root, s.prefix, sw, scaleSubnet, root, root)
	fmt.Fprintf(&ports, "link set %srp master br0 up\n", s.prefix)
	require.True(s.t, s.stdin(roots.String(), "ip", "-batch", "-"))
	require.True(s.t, s.stdin(ports.String(), "ip", "-n", sw, "-batch", "-"))
	var wg sync.WaitGroup
	hosts := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range hosts {
				s.host(i)
			}
		}()
	}
	for i := 1; i <= s.n; i++ {
		hosts <- i
	}
	close(hosts)
	wg.Wait()
}

// stdin runs a command with input and reports whether it succeeded; a
// failure is marked on the test with assert, which any goroutine may
// call (the caller stops the test on its own goroutine).
func (s *scaleLab) stdin(input string, args ...string) bool {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return assert.NoError(s.t, err, "%s: %s", strings.Join(args, " "), out)
}

// host gives host i's end its address, and adds the loss rules.
func (s *scaleLab) host(i int) {
	h := s.ns(i)
	if !s.stdin(fmt.Sprintf("addr add %s/24 dev eth0\nlink set eth0 up\nlink set lo up\n", s.addr[i]), "ip", "-n", h, "-batch", "-") {
		return
	}
	// The input hook sees every packet for this host once. UDP arrives
	// on the memberlist port; TCP on it when this host answers a stream,
	// from it when this host opened one. The HTTP port stays whole, so
	// that the test's own reads are not what is measured.
	rule := fmt.Sprintf("numgen random mod 100 < %d counter drop", *scaleLoss)
	rules := "udp dport 7946 " + rule + "\n"
	if *scaleTCPLoss {
		rules += "tcp dport 7946 " + rule + "\ntcp sport 7946 " + rule + "\n"
	}
	s.stdin("table inet mlscale {\n chain input {\n  type filter hook input priority 0; policy accept;\n"+rules+" }\n}\n", "ip", "netns", "exec", h, "nft", "-f", "-")
}

// start runs host i's chaos process on the LAN preset, joining through
// hosts 1 and 2, its output read into s.ev and kept in a log file.
func (s *scaleLab) start(i int) {
	ip := s.addr[i]
	cmd := exec.Command("ip", "netns", "exec", s.ns(i), s.bin,
		"-name", fmt.Sprintf("h%d", i),
		"-bind", ip+":7946",
		"-seeds", scaleSubnet+"1:7946,"+scaleSubnet+"2:7946",
		"-http", ip+":8080")
	cmd.Env = append(os.Environ(), "MEMBERLIST_PROFILE=lan")
	// If the test dies without its cleanup, the processes die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(s.logDir, fmt.Sprintf("h%d.log", i)))
	require.NoError(s.t, err)
	s.t.Cleanup(func() { _ = logf.Close() })
	w := &eventWriter{host: i, ev: s.ev, log: logf}
	cmd.Stdout, cmd.Stderr = w, logf
	require.NoError(s.t, cmd.Start())
	s.procs[i] = cmd
	s.cmds[i] = cmd
}

// killAll SIGKILLs the victims back to back, noting when each was killed,
// then reaps them.
func (s *scaleLab) killAll(victims []int) {
	s.ev.markVictims(victims)
	s.killedAt = map[int]time.Time{}
	for _, v := range victims {
		s.killedAt[v] = time.Now()
		_ = s.procs[v].Process.Signal(syscall.SIGKILL)
	}
	for _, v := range victims {
		s.lab.kill(v, syscall.SIGKILL)
	}
}

// pagesAgree reports whether every viewer's /members page holds every
// member of alive alive and every member of dead dead.
func (s *scaleLab) pagesAgree(viewers, alive, dead []int) bool {
	for _, v := range viewers {
		ms := s.members(v)
		if ms == nil {
			return false
		}
		state := map[string]string{}
		for _, m := range ms {
			state[m.Name] = m.State
		}
		for _, x := range alive {
			if state[fmt.Sprintf("h%d", x)] != "alive" {
				return false
			}
		}
		for _, x := range dead {
			if state[fmt.Sprintf("h%d", x)] != "dead" {
				return false
			}
		}
	}
	return true
}

// rssAll is the resident set of each process in kB, sorted.
func (s *scaleLab) rssAll(hosts []int) []int {
	var rss []int
	for _, i := range hosts {
		if r := s.rss(i); r > 0 {
			rss = append(rss, r)
		}
	}
	require.Len(s.t, rss, len(hosts), "VmRSS unreadable for some processes")
	slices.Sort(rss)
	return rss
}

// cpuTicks sums the user and system time of the processes, in clock ticks
// (USER_HZ, 100 a second on Linux), from /proc/PID/stat.
func (s *scaleLab) cpuTicks(hosts []int) int {
	sum := 0
	for _, i := range hosts {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.procs[i].Process.Pid))
		require.NoError(s.t, err)
		// Fields after the command name in parentheses: state is the
		// first, utime the 12th and stime the 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		u, _ := strconv.Atoi(f[11])
		st, _ := strconv.Atoi(f[12])
		sum += u + st
	}
	return sum
}

// totalCPU is the user and system time of every process started, all of
// which must have been reaped.
func (s *scaleLab) totalCPU() time.Duration {
	var sum time.Duration
	for _, cmd := range s.cmds {
		if cmd.ProcessState != nil {
			sum += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}
	return sum
}

// sumStats adds up the protocol counters of the hosts' /stats pages.
func (s *scaleLab) sumStats(hosts []int) runtime.Stats {
	var sum runtime.Stats
	for _, i := range hosts {
		p := s.stats(i).Node.Protocol
		sum.Protocol.Suspicions += p.Suspicions
		sum.Protocol.FailedProbes += p.FailedProbes
		sum.Protocol.StreamProbeAcks += p.StreamProbeAcks
	}
	return sum
}

// nftDrops sums the packets the hosts' loss rules dropped.
func (s *scaleLab) nftDrops(hosts []int) int {
	sum := 0
	for _, i := range hosts {
		out, err := exec.Command("ip", "netns", "exec", s.ns(i), "nft", "list", "table", "inet", "mlscale").CombinedOutput()
		require.NoError(s.t, err, "%s", out)
		f := strings.Fields(string(out))
		for j := range f {
			if f[j] == "packets" && j+1 < len(f) {
				c, _ := strconv.Atoi(f[j+1])
				sum += c
			}
		}
	}
	return sum
}

// The phases whose suspicions are counted apart.
const (
	phaseJoin = iota
	phaseSteady
	phaseKill
	phases
)

// scaleEvents is every process's view of the others, from their event
// lines ("h3: h7 failed at 10.78.0.7:7946"), with when each was read.
type scaleEvents struct {
	mu        sync.Mutex
	state     map[int]map[string]string    // viewer, member: alive, suspect, dead or left
	failedAt  map[int]map[string]time.Time // viewer, member: first failed event
	victims   map[string]bool
	falseFail []string
	phase     int
	suspected [phases]int
}

func newScaleEvents() *scaleEvents {
	return &scaleEvents{state: map[int]map[string]string{}, failedAt: map[int]map[string]time.Time{}, victims: map[string]bool{}}
}

// line takes one output line of host's process, read at.
func (e *scaleEvents) line(host int, line string, at time.Time) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != fmt.Sprintf("h%d:", host) {
		return
	}
	states := map[string]string{"joined": "alive", "updated": "alive", "suspected": "suspect", "failed": "dead", "left": "left"}
	st, ok := states[f[2]]
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state[host] == nil {
		e.state[host], e.failedAt[host] = map[string]string{}, map[string]time.Time{}
	}
	e.state[host][f[1]] = st
	switch f[2] {
	case "suspected":
		e.suspected[e.phase]++
	case "failed":
		if _, seen := e.failedAt[host][f[1]]; !seen {
			e.failedAt[host][f[1]] = at
		}
		if !e.victims[f[1]] {
			e.falseFail = append(e.falseFail, fmt.Sprintf("h%d declared %s failed at %s", host, f[1], at.Format("15:04:05.000")))
		}
	case "left":
		e.falseFail = append(e.falseFail, fmt.Sprintf("h%d saw %s leave at %s", host, f[1], at.Format("15:04:05.000")))
	}
}

func (e *scaleEvents) setPhase(p int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.phase = p
}

func (e *scaleEvents) markVictims(victims []int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range victims {
		e.victims[fmt.Sprintf("h%d", v)] = true
	}
}

func (e *scaleEvents) suspicions(phase int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.suspected[phase]
}

func (e *scaleEvents) falseFailures() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.falseFail)
}

// allDead reports whether each viewer holds every target dead.
func (e *scaleEvents) allDead(viewers, targets []int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range viewers {
		for _, x := range targets {
			if e.state[v][fmt.Sprintf("h%d", x)] != "dead" {
				return false
			}
		}
	}
	return true
}

// detectionTimes is, for each (viewer, target) pair, the time from the
// target's kill to the viewer's failed event for it.
func (e *scaleEvents) detectionTimes(viewers, targets []int, killedAt map[int]time.Time) []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	var d []time.Duration
	for _, v := range viewers {
		for _, x := range targets {
			if at, ok := e.failedAt[v][fmt.Sprintf("h%d", x)]; ok && at.After(killedAt[x]) {
				d = append(d, at.Sub(killedAt[x]))
			}
		}
	}
	return d
}

// eventWriter is a process's standard output: kept in log, and each line
// handed to ev with the time it was read.
type eventWriter struct {
	host int
	ev   *scaleEvents
	log  io.Writer
	buf  []byte
}

func (w *eventWriter) Write(p []byte) (int, error) {
	at := time.Now()
	_, _ = w.log.Write(p)
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.ev.line(w.host, string(w.buf[:i]), at)
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
