//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
)

// The attacker's host, on the cluster's bridge beside the six members.
const attackerIP = "10.77.0.66"

// The attack's timing, in protocol periods: the baseline memory is the
// largest of the samples over baselineFor before the attack; the attack runs
// warmupFor before a member is killed, long enough for the budgets of new
// names (512 a period) to be spent twenty times over; after the kill, the
// healthy members are watched for detectBound, and then for watchAfter
// more, for any of them declared failed.
const (
	baselineFor = 10
	warmupFor   = 20
	watchAfter  = 10
)

// TestHostileNetwork runs six members and, on a seventh host, an attacker
// (internal/hostile) that sprays acks, replays recorded traffic and floods
// fake members while member h3 is killed with SIGKILL. Every healthy member
// must declare h3 failed within the bound the configuration gives, no
// healthy member may be declared failed by anyone, no member's resident
// memory may reach twice what it was before the attack, and no member may
// send more than twice the bytes the attacker sent it beyond its honest
// traffic. It runs three times: without keys, the attacker also spoofing
// members' source addresses; without keys, the attacker sending from its
// own address only (what it gets by echoing cookies); and with
// MEMBERLIST_KEYS, where the attacker has no key and its replays are
// recordings of sealed datagrams.
func TestHostileNetwork(t *testing.T) {
	needNamespaces(t)
	cleanStale("mle")
	dir := t.TempDir()
	chaos := goBuild(t, dir, "chaos", "github.com/memberlist-go/memberlist/examples/chaos")
	hostile := goBuild(t, dir, "hostile", "github.com/memberlist-go/memberlist/examples/chaos/e2e/internal/hostile")
	for _, mode := range []struct {
		name        string
		keys, spoof bool
	}{
		{"plaintext", false, true},
		{"plaintext-own-address", false, false},
		{"encrypted", true, false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			if mode.keys {
				key := make([]byte, 32)
				_, _ = rand.Read(key)
				t.Setenv("MEMBERLIST_KEYS", base64.StdEncoding.EncodeToString(key))
			}
			l := &lab{t: t, prefix: fmt.Sprintf("mle%d%c", os.Getpid()%1000, mode.name[0]), bin: chaos, procs: map[int]*exec.Cmd{}, addr: map[int]string{}}
			runHostile(t, l, hostile, mode.keys, mode.spoof)
		})
	}
}

func needNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root to create network namespaces and raw sockets (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("e2e: needs iproute2's ip command")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("e2e: ip netns unusable: %v %s", err, out)
	}
}

func goBuild(t *testing.T, dir, name, pkg string) string {
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	require.NoError(t, err, "build %s:\n%s", name, out)
	return bin
}

// hostileReport is the attacker's report (internal/hostile's Report).
type hostileReport struct {
	Recorded, RecordedBytes                         int
	Acks, AcksSpoofed, Replays, Fakes, FakesSpoofed count
	Received                                        count
	Cookies, PingsAnswered, Errors                  uint64
	To                                              map[string]count
}

type count struct{ Datagrams, Bytes, Messages uint64 }

// wire is the bytes on the wire: payload plus IPv4 and UDP headers.
func (c count) wire() uint64 { return c.Bytes + 28*c.Datagrams }

// statsPage is the chaos example's GET /stats.
type statsPage struct {
	Node             runtime.Stats `json:"node"`
	HeapObjectsBytes uint64        `json:"heap_objects_bytes"`
	TotalBytes       uint64        `json:"total_bytes"`
}

func runHostile(t *testing.T, l *lab, hostileBin string, keys, spoof bool) {
	l.network()
	// The bridge forgets every address at once, so that it floods every
	// frame to every port, the attacker's included: what a hub, a
	// mirrored switch port or a tap on the path shows an eavesdropper.
	l.run("ip", "-n", l.prefix+"-sw", "link", "set", "br0", "type", "bridge", "ageing_time", "0")
	x := l.attackerHost()

	var members []string
	for i := 1; i <= hosts; i++ {
		members = append(members, l.addr[i]+":7946")
	}
	report := filepath.Join(t.TempDir(), "hostile.json")
	logPath := filepath.Join(t.TempDir(), "hostile.log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	attacker := exec.Command("ip", "netns", "exec", x, hostileBin,
		"-self", attackerIP, "-members", strings.Join(members, ","),
		"-spoof="+strconv.FormatBool(spoof), "-sealed="+strconv.FormatBool(keys),
		"-report", report)
	attacker.Stdout, attacker.Stderr = logf, logf
	attacker.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, attacker.Start())
	t.Cleanup(func() { _ = attacker.Process.Kill(); _ = attacker.Wait() })
	step(t, "0 attacker recording", 10*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "hostile: recording")
	})

	for i := 1; i <= hosts; i++ {
		l.start(i)
	}
	all := []int{1, 2, 3, 4, 5, 6}
	step(t, "1 converge", joinBound, func() bool { return l.allSee(all, all, "alive") })

	// The baseline is the largest resident size of each member over a few
	// periods of a quiet cluster; peak, the largest under attack.
	base, peak := map[int]int{}, map[int]int{}
	watch := func(nodes []int) {
		for _, i := range nodes {
			rss := l.rss(i)
			require.NotZero(t, rss, "h%d: no VmRSS", i)
			peak[i] = max(peak[i], rss)
		}
	}
	quiet, before := map[int]statsPage{}, map[int]statsPage{}
	healthy := []int{1, 2, 4, 5, 6}
	var falseFailures []string
	suspected := map[string]bool{}
	// check records every healthy member that any viewer holds dead (a
	// false failure) or suspect, and returns each viewer's view of h3,
	// which is healthy until it is killed.
	h3Killed := false
	check := func(viewers []int, at time.Duration) map[int]string {
		h3 := map[int]string{}
		for _, v := range viewers {
			ms := l.members(v)
			if ms == nil {
				continue
			}
			for _, m := range ms {
				n, err := strconv.Atoi(strings.TrimPrefix(m.Name, "h"))
				if !strings.HasPrefix(m.Name, "h") || err != nil || n < 1 || n > hosts {
					continue
				}
				if n == 3 {
					h3[v] = m.State
				}
				switch {
				case n == 3 && h3Killed:
				case m.State == "dead":
					falseFailures = append(falseFailures, fmt.Sprintf("h%d holds %s dead at %v", v, m.Name, at.Round(time.Millisecond)))
				case m.State == "suspect":
					suspected[fmt.Sprintf("h%d suspected %s", v, m.Name)] = true
				}
			}
		}
		return h3
	}

	// The baseline polls the members as the attack phase does, so that
	// the test's own load is in both figures.
	for _, i := range all {
		quiet[i] = l.stats(i)
	}
	quietFrom := time.Now()
	for end := time.Now().Add(baselineFor * probe); time.Now().Before(end); time.Sleep(probe / 2) {
		check(all, 0)
		watch(all)
	}
	for _, i := range all {
		base[i] = peak[i]
		before[i] = l.stats(i)
	}
	quietFor := time.Since(quietFrom)
	clear(peak)
	require.Empty(t, falseFailures, "a member failed before the attack")

	require.NoError(t, attacker.Process.Signal(syscall.SIGUSR1))
	attackStart := time.Now()
	t.Logf("2 attack started (keys %v, spoofing members' addresses %v)", keys, spoof)
	for time.Since(attackStart) < warmupFor*probe {
		check(all, time.Since(attackStart))
		watch(all)
		time.Sleep(probe / 2)
	}

	l.kill(3, syscall.SIGKILL)
	h3Killed = true
	killed := time.Now()
	detected := map[int]time.Duration{}
	unanswered := map[int]int{}
	for time.Since(killed) < detectBound+watchAfter*probe {
		at := time.Since(killed)
		h3 := check(healthy, at)
		for _, v := range healthy {
			if _, ok := h3[v]; !ok {
				unanswered[v]++
			}
			if _, done := detected[v]; !done && h3[v] == "dead" {
				detected[v] = at
			}
		}
		watch(healthy)
		time.Sleep(probe / 2)
	}
	attackFor := time.Since(attackStart)
	require.NoError(t, attacker.Process.Signal(syscall.SIGTERM))
	_ = attacker.Wait()
	var rep hostileReport
	b, err := os.ReadFile(report)
	require.NoError(t, err, "the attacker's report")
	require.NoError(t, json.Unmarshal(b, &rep))

	// The figures, for the record, before any assertion can stop the test.
	t.Logf("attacker, %v of attack: recorded %d datagrams (%d bytes) before and during it", attackFor.Round(time.Millisecond), rep.Recorded, rep.RecordedBytes)
	for _, c := range []struct {
		what string
		c    count
	}{
		{"ack spray, own address", rep.Acks}, {"ack spray, members' addresses", rep.AcksSpoofed},
		{"replays", rep.Replays},
		{"fake members, own address", rep.Fakes}, {"fake members, members' addresses", rep.FakesSpoofed},
		{"received from the members", rep.Received},
	} {
		t.Logf("  %-34s %7d datagrams %10d bytes on the wire (%d messages or names)", c.what, c.c.Datagrams, c.c.wire(), c.c.Messages)
	}
	t.Logf("  cookies received %d, pings answered %d, send errors %d", rep.Cookies, rep.PingsAnswered, rep.Errors)
	t.Logf("detection bound %v (config: probe %v, suspicion %d..%dx, %d hosts)", detectBound, probe, cfg.SuspicionMult, cfg.SuspicionMaxTimeoutMult, hosts)

	// What each healthy member sent during the attack beyond its honest
	// traffic (its rate over the quiet baseline, for as long as the attack
	// ran), against what the attacker sent it: a hostile datagram may draw
	// an answer, never much more than itself. Bytes on the wire, headers
	// included.
	extra, fed := map[int]int64{}, map[int]int64{}
	after := map[int]statsPage{}
	for _, v := range healthy {
		after[v] = l.stats(v)
		a, b, q := after[v].Node, before[v].Node, quiet[v].Node
		honest := float64((b.BytesOut-q.BytesOut)+28*(b.PacketsOut-q.PacketsOut)) / quietFor.Seconds()
		extra[v] = int64(a.BytesOut-b.BytesOut+28*(a.PacketsOut-b.PacketsOut)) - int64(honest*attackFor.Seconds())
		fed[v] = int64(rep.To[l.addr[v]].wire())
	}
	for _, v := range healthy {
		d, ok := detected[v]
		s := after[v]
		a, b := s.Node, before[v].Node
		det := "never"
		if ok {
			det = d.Round(time.Millisecond).String()
		}
		t.Logf("h%d: h3 failed after %s; RSS %d -> peak %d kB (%.2fx); Go heap objects %d -> %d kB; members alive/suspect/dead/left %d/%d/%d/%d; unanswered polls %d",
			v, det, base[v], peak[v], float64(peak[v])/float64(base[v]), before[v].HeapObjectsBytes>>10, s.HeapObjectsBytes>>10,
			a.Alive, a.Suspect, a.Dead, a.Left, unanswered[v])
		t.Logf("    during the attack: in %d datagrams / %d bytes, out %d / %d; beyond honest traffic %d bytes out for %d bytes from the attacker (%.2fx); dropped %d (decrypt failed %d, unencrypted %d, replayed %d)",
			a.PacketsIn-b.PacketsIn, a.BytesIn-b.BytesIn, a.PacketsOut-b.PacketsOut, a.BytesOut-b.BytesOut,
			extra[v], fed[v], float64(extra[v])/float64(max(fed[v], 1)),
			a.Dropped-b.Dropped, a.Transport.DecryptFailed-b.Transport.DecryptFailed, a.Transport.Unencrypted-b.Transport.Unencrypted,
			a.Transport.Replayed-b.Transport.Replayed)
		p, q := a.Protocol, b.Protocol
		t.Logf("    core: malformed %d, acks rejected %d, stranger dropped %d, members refused %d, incarnations refused %d, cookies sent %d, state answers limited %d, address checks %d (refused %d), suspicions %d, refutations %d, health %d",
			p.Malformed-q.Malformed, p.AcksRejected-q.AcksRejected, p.StrangerDropped-q.StrangerDropped, p.MembersRefused-q.MembersRefused,
			p.IncarnationsRefused-q.IncarnationsRefused, p.CookiesSent-q.CookiesSent, p.StateAnswersLimited-q.StateAnswersLimited,
			p.AddressChecks-q.AddressChecks, p.ChecksRefused-q.ChecksRefused, p.Suspicions-q.Suspicions, p.Refutations-q.Refutations, p.Health)
	}
	for _, s := range slices.Sorted(maps.Keys(suspected)) {
		t.Logf("  suspicion of a healthy member (refuted, not a failure): %s", s)
	}

	assert.Empty(t, falseFailures, "healthy members declared failed")
	var seen uint64
	for _, v := range healthy {
		d, ok := detected[v]
		if assert.True(t, ok, "h%d never declared h3 failed (bound %v)", v, detectBound) {
			assert.LessOrEqual(t, d, detectBound, "h%d declared h3 failed after %v; bound %v", v, d, detectBound)
		}
		assert.Less(t, peak[v], 2*base[v], "h%d: resident memory peaked at %d kB, twice its %d kB before the attack or more", v, peak[v], base[v])
		assert.LessOrEqual(t, extra[v], 2*fed[v], "h%d sent %d bytes beyond its honest traffic for the %d the attacker sent it", v, extra[v], fed[v])
		a, b := after[v].Node, before[v].Node
		seen += a.Dropped - b.Dropped + a.Protocol.AcksRejected - b.Protocol.AcksRejected + a.Protocol.StrangerDropped - b.Protocol.StrangerDropped
	}
	// The attack must have been real: the members saw it.
	assert.NotZero(t, seen, "no member counted a single hostile datagram: the attack did not reach them")
	assert.NotZero(t, rep.Replays.Datagrams, "the attacker replayed nothing")
}

// attackerHost adds the attacker's namespace on the bridge, at attackerIP,
// its interface promiscuous so that its packet socket sees the frames the
// bridge floods to it, and returns the namespace's name.
func (l *lab) attackerHost() string {
	ns, sw := l.prefix+"-x", l.prefix+"-sw"
	l.t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	l.run("ip", "netns", "add", ns)
	l.run("ip", "link", "add", l.prefix+"px", "type", "veth", "peer", "name", l.prefix+"epx")
	l.run("ip", "link", "set", l.prefix+"epx", "netns", ns)
	l.run("ip", "-n", ns, "link", "set", l.prefix+"epx", "name", "eth0")
	l.run("ip", "link", "set", l.prefix+"px", "netns", sw)
	l.run("ip", "-n", sw, "link", "set", l.prefix+"px", "master", "br0", "up")
	l.run("ip", "-n", ns, "addr", "add", attackerIP+"/24", "dev", "eth0")
	l.run("ip", "-n", ns, "link", "set", "eth0", "promisc", "on", "up")
	l.run("ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// rss is host i's resident set in kB (VmRSS), 0 if unknown. The process
// started is `ip netns exec`, which execs the chaos binary in place.
func (l *lab) rss(i int) int {
	cmd, ok := l.procs[i]
	if !ok {
		return 0
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)); err != nil || strings.TrimSpace(string(comm)) != "chaos" {
		return 0 // not (yet) the chaos binary
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// stats is host i's /stats page, zero if it does not answer.
func (l *lab) stats(i int) statsPage {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var s statsPage
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s:8080/stats", l.addr[i]), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return s
	}
	defer res.Body.Close()
	_ = json.NewDecoder(res.Body).Decode(&s)
	return s
}
