//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/miekg/dns"

	"github.com/memberlist-go/memberlist/examples/chaos/internal/manifest"
)

// podsLab runs chaos processes the way examples/chaos/k8s runs pods: the
// image's ENTRYPOINT and the container's args, and nothing but the
// container's environment, worked out from the manifest as the kubelet
// would (the downward API's pod name, namespace and IP, the ConfigMap's
// cluster domain, $(VAR) references); the keys in a file where the
// Secret's volume puts them; and a DNS server standing for the cluster
// DNS, publishing each running pod under the headless service's SRV name,
// ready or not, as publishNotReadyAddresses does.
type podsLab struct {
	*lab
	set       *manifest.Set
	container manifest.Container
	argv      []string // ENTRYPOINT[1:] + args
	keyPath   string   // where the container reads its keys

	logs          string // the processes' output, shown if the test fails
	clusterDomain string

	dnsMu     sync.Mutex
	published map[string]string // pod name -> IP
	srvName   string            // the SRV name, lower case, with the final dot
	domain    string            // <service>.<namespace>.svc.<cluster domain>.
}

// The pods run the manifest's settings (the LAN profile), not the faster
// ones of the other e2e test: a join is answered at once, a leave spreads
// within a few gossip rounds; these bounds leave ample room for a loaded
// machine.
const (
	podJoinBound  = 10 * time.Second
	podLeaveBound = 10 * time.Second
)

const (
	podNamespace = "default"
	dnsAddr      = "10.77.0.254"
)

func TestPodsAsTheManifestRunsThem(t *testing.T) {
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
	p := newPodsLab(t)

	// 1: the first pod of a new cluster is alone: alive, not ready.
	p.start(0, p.keys("right"))
	step(t, "1 chaos-0 alive", 10*time.Second, func() bool { return p.code(0, "/healthz") == 200 })
	for range 10 {
		require.Equal(t, 503, p.code(0, "/readyz"), "1: chaos-0 alone answers /readyz")
		time.Sleep(100 * time.Millisecond)
	}

	// 2: a second pod joins through DNS: both flip to ready.
	p.start(1, p.keys("right"))
	step(t, "2 chaos-0 and chaos-1 ready", podJoinBound, func() bool { return p.allReady(0, 1) })

	// 3: a third: ready once in, and all three see each other alive.
	p.start(2, p.keys("right"))
	step(t, "3 chaos-2 ready, three alive everywhere", podJoinBound, func() bool {
		return p.allReady(0, 1, 2) && p.allSee([]int{0, 1, 2}, []int{0, 1, 2}, "alive")
	})

	// 4: a pod with another key (a Secret from another cluster) is
	// published like the others but never joins: never ready, in no one's
	// list.
	p.start(3, p.keys("wrong"))
	step(t, "4 intruder alive", 10*time.Second, func() bool { return p.code(3, "/healthz") == 200 })
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		require.Equal(t, 503, p.code(3, "/readyz"), "4: the pod with the wrong key answers /readyz")
		for _, v := range []int{0, 1, 2} {
			for _, m := range p.members(v) {
				require.NotEqual(t, "chaos-3", m.Name, "4: chaos-%d lists the pod with the wrong key: %+v", v, m)
			}
		}
	}
	p.stop(3, syscall.SIGKILL)

	// 5: SIGTERM: the pod leaves, answers 503 while it drains, the others
	// report it left and stay ready.
	p.terminate(2)
	step(t, "5 chaos-2 not ready after leaving", podLeaveBound, func() bool { return p.reason(2) == "left" })
	step(t, "5 chaos-2 left, not failed", podLeaveBound, func() bool { return p.allSee([]int{0, 1}, []int{2}, "left") })
	require.True(t, p.allReady(0, 1), "5: a member that stayed is not ready")
	p.waitExit(2)

	// 6: down to one: the last member stays ready (it has joined and not
	// left), so that a shrinking cluster keeps serving.
	p.terminate(1)
	step(t, "6 chaos-1 not ready after leaving", podLeaveBound, func() bool { return p.reason(1) == "left" })
	p.waitExit(1)
	require.Equal(t, 200, p.code(0, "/readyz"), "6: the last member answers /readyz")

	// 7: the pod comes back (a StatefulSet recreates it under its name):
	// not ready until it has joined, then ready.
	p.start(1, p.keys("right"))
	step(t, "7 chaos-1 back and ready", podJoinBound, func() bool {
		return p.allReady(0, 1) && p.allSee([]int{0, 1}, []int{0, 1}, "alive")
	})
}

func newPodsLab(t *testing.T) *podsLab {
	set, err := manifest.Load("../k8s")
	require.NoError(t, err)
	sts := set.StatefulSet
	c := sts.Spec.Template.Spec.Containers[0]
	entry := dockerEntrypoint(t)
	files, err := set.SecretFiles(c)
	require.NoError(t, err)
	require.Len(t, files, 1, "want one Secret file in the manifest")
	cm, ok := set.ConfigMap("chaos-cluster")
	require.True(t, ok, "no ConfigMap chaos-cluster")
	svc := sts.Spec.ServiceName
	domain := fmt.Sprintf("%s.%s.svc.%s.", svc, podNamespace, cm.Data["cluster-domain"])
	p := &podsLab{
		lab:           &lab{t: t, prefix: fmt.Sprintf("mlek%d", os.Getpid()%10000), procs: map[int]*exec.Cmd{}, addr: map[int]string{}},
		set:           set,
		container:     c,
		argv:          append(entry[1:], c.Args...),
		keyPath:       files[0].Path,
		logs:          t.TempDir(),
		clusterDomain: cm.Data["cluster-domain"],
		published:     map[string]string{},
		srvName:       fmt.Sprintf("_%s._udp.%s", set.Service.Spec.Ports[0].Name, domain),
		domain:        domain,
	}
	p.build()
	p.network()
	p.serveDNS()
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(p.logs, "*.log"))
			for _, f := range logs {
				b, _ := os.ReadFile(f)
				t.Logf("--- %s\n%s", filepath.Base(f), b)
			}
		}
	})
	return p
}

// dockerEntrypoint is the image's ENTRYPOINT, in exec form.
func dockerEntrypoint(t *testing.T) []string {
	b, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^ENTRYPOINT\s+(\[.*\])$`).FindSubmatch(b)
	var argv []string
	require.NotNil(t, m, "no ENTRYPOINT in exec form in the Dockerfile")
	require.NoError(t, json.Unmarshal(m[1], &argv), "the Dockerfile's ENTRYPOINT is not in exec form")
	require.NotEmpty(t, argv, "the Dockerfile's ENTRYPOINT is empty")
	return argv
}

// keys writes the Secret's file for a cluster ("right") or another one,
// with the volume's mode, and returns its path on this host.
func (p *podsLab) keys(which string) string {
	keys := map[string]string{
		"right": "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=\nMDEyMzQ1Njc4OWFiY2RlZg==\n",
		"wrong": "dnV0c3JxcG9ubWxramloZ2ZlZGNiYTk4NzY1NDMyMTA=\n",
	}[which]
	dir := filepath.Join(p.t.TempDir(), which)
	require.NoError(p.t, os.MkdirAll(dir, 0o755))
	files, _ := p.set.SecretFiles(p.container)
	path := filepath.Join(dir, filepath.Base(p.keyPath))
	require.NoError(p.t, os.WriteFile(path, []byte(keys), os.FileMode(files[0].Mode)))
	return path
}

// start runs pod i (chaos-i) on host i+1 with the container's environment.
func (p *podsLab) start(i int, keyFile string) {
	h, name := i+1, fmt.Sprintf("chaos-%d", i)
	ip := p.addr[h]
	env, err := p.set.Environ(p.container, manifest.Pod{Name: name, Namespace: podNamespace, IP: ip})
	require.NoError(p.t, err)
	for j, kv := range env {
		if kv == "MEMBERLIST_KEYS_FILE="+p.keyPath {
			env[j] = "MEMBERLIST_KEYS_FILE=" + keyFile
		}
	}
	p.resolvConf(h)
	cmd := exec.Command("ip", append([]string{"netns", "exec", p.ns(h), p.bin}, p.argv...)...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(p.logs, name+".log"))
	require.NoError(p.t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(p.t, cmd.Start())
	p.procs[h] = cmd
	p.dnsMu.Lock()
	p.published[name] = ip
	p.dnsMu.Unlock()
}

// terminate sends SIGTERM, as the kubelet does to a pod being deleted.
func (p *podsLab) terminate(i int) {
	if cmd, ok := p.procs[i+1]; ok {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
}

// waitExit waits for pod i's process after terminate, within the pod's
// grace period, and unpublishes it.
func (p *podsLab) waitExit(i int) {
	cmd, ok := p.procs[i+1]
	if !ok {
		return
	}
	delete(p.procs, i+1)
	grace := time.Duration(p.set.StatefulSet.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(p.t, err, "chaos-%d exited after SIGTERM", i)
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		p.t.Errorf("chaos-%d still running after the grace period of %v", i, grace)
	}
	p.unpublish(i)
}

func (p *podsLab) stop(i int, sig syscall.Signal) {
	p.kill(i+1, sig)
	p.unpublish(i)
}

func (p *podsLab) unpublish(i int) {
	p.dnsMu.Lock()
	delete(p.published, fmt.Sprintf("chaos-%d", i))
	p.dnsMu.Unlock()
}

// resolvConf gives host h a pod's resolv.conf, pointing at the test's DNS
// server with the cluster's search path; ip netns exec mounts it over
// /etc/resolv.conf for the processes it starts.
func (p *podsLab) resolvConf(h int) {
	dir := filepath.Join("/etc/netns", p.ns(h))
	require.NoError(p.t, os.MkdirAll(dir, 0o755))
	p.t.Cleanup(func() { os.RemoveAll(dir) })
	conf := fmt.Sprintf("nameserver %s\nsearch %s.svc.%s svc.%s %s\noptions ndots:5\n",
		dnsAddr, podNamespace, p.clusterDomain, p.clusterDomain, p.clusterDomain)
	require.NoError(p.t, os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(conf), 0o644))
}

// serveDNS answers the SRV name with one record a published pod, each
// target with the pod's A record, and NXDOMAIN for anything else.
func (p *podsLab) serveDNS() {
	pc, err := net.ListenPacket("udp4", dnsAddr+":53")
	require.NoError(p.t, err, "DNS server")
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(p.answer), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	p.t.Cleanup(func() { _ = srv.Shutdown() })
}

func (p *podsLab) answer(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	p.dnsMu.Lock()
	defer p.dnsMu.Unlock()
	name := strings.ToLower(q.Question[0].Name)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Question[0].Name, Rrtype: t, Class: dns.ClassINET, Ttl: 5}
	}
	found := false
	switch {
	case name == p.srvName:
		found = true
		if q.Question[0].Qtype == dns.TypeSRV {
			for pod := range p.published {
				m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: 0, Weight: 100, Port: 7946, Target: pod + "." + p.domain})
			}
		}
	default:
		for pod, ip := range p.published {
			if name == pod+"."+p.domain {
				found = true
				if q.Question[0].Qtype == dns.TypeA {
					m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP(ip)})
				}
			}
		}
	}
	if !found {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// get asks pod i's HTTP port for path, returning the status (0 if it does
// not answer) and the body.
func (p *podsLab) get(i int, path string) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s:8080%s", p.addr[i+1], path), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b
}

func (p *podsLab) code(i int, path string) int {
	c, _ := p.get(i, path)
	return c
}

// reason is why pod i is not ready: "left", "not joined", "" when ready
// or not answering.
func (p *podsLab) reason(i int) string {
	c, b := p.get(i, "/readyz")
	if c != 503 {
		return ""
	}
	var probe struct{ Reason string }
	_ = json.Unmarshal(b, &probe)
	switch {
	case strings.Contains(probe.Reason, "left"):
		return "left"
	case strings.Contains(probe.Reason, "not joined"):
		return "not joined"
	}
	return probe.Reason
}

func (p *podsLab) allReady(pods ...int) bool {
	for _, i := range pods {
		if p.code(i, "/readyz") != 200 {
			return false
		}
	}
	return true
}

func (p *podsLab) members(i int) []member {
	c, b := p.get(i, "/members")
	var ms []member
	if c != 200 || json.Unmarshal(b, &ms) != nil {
		return nil
	}
	return ms
}

// allSee reports whether every viewer pod holds every target pod in state.
func (p *podsLab) allSee(viewers, targets []int, state string) bool {
	for _, v := range viewers {
		ms := p.members(v)
		for _, x := range targets {
			ok := false
			for _, m := range ms {
				if m.Name == fmt.Sprintf("chaos-%d", x) {
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
