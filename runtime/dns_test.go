package runtime_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/discovery"
)

// zone is a real DNS server on loopback whose records the test changes
// while the nodes run, as a Kubernetes headless service's change when pods
// come and go.
type zone struct {
	mu  sync.Mutex
	rrs map[string][]dns.RR
	res *net.Resolver
}

func startZone(t *testing.T) *zone {
	t.Helper()
	z := &zone{rrs: make(map[string][]dns.RR)}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: z, NotifyStartedFunc: func() { close(started) }}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	addr := pc.LocalAddr().String()
	z.res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
	return z
}

// add adds a record in zone-file syntax.
func (z *zone) add(t *testing.T, rr string) {
	t.Helper()
	r, err := dns.NewRR(rr)
	require.NoError(t, err)
	z.mu.Lock()
	defer z.mu.Unlock()
	name := strings.ToLower(r.Header().Name)
	z.rrs[name] = append(z.rrs[name], r)
}

func (z *zone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	z.mu.Lock()
	for _, q := range req.Question {
		rrs, ok := z.rrs[strings.ToLower(q.Name)]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	z.mu.Unlock()
	_ = w.WriteMsg(m)
}

// SRV records, as a headless service publishes them: the nodes join through
// them, and a node whose record appears later is found on refresh and joins.
func TestDNSDiscoverySRV(t *testing.T) {
	z := startZone(t)
	const name = "_swim._udp.chaos.default.svc.cluster.local."
	a := start(t, fastConfig("a"))
	z.add(t, "a.pods.local. 5 IN A 127.0.0.1")
	z.add(t, fmt.Sprintf("%s 5 IN SRV 0 0 %d a.pods.local.", name, a.LocalMember().Addr.Port()))

	cfg := fastConfig("b")
	cfg.Discovery = discovery.DNS(name, 0, discovery.WithResolver(z.res))
	b := start(t, cfg)
	eventually(t, 10*time.Second, "b joined a through SRV", func() bool { return countAlive(a) == 2 && countAlive(b) == 2 })

	// c starts alone; its record appears later, and b's next refresh
	// brings it in.
	c := start(t, fastConfig("c"))
	z.add(t, "c.pods.local. 5 IN A 127.0.0.1")
	z.add(t, fmt.Sprintf("%s 5 IN SRV 0 0 %d c.pods.local.", name, c.LocalMember().Addr.Port()))
	eventually(t, 10*time.Second, "c joined after its record was added", func() bool {
		return countAlive(a) == 3 && countAlive(b) == 3 && countAlive(c) == 3
	})
}

// A and AAAA records with a fixed port, each node on its own loopback
// address.
func TestDNSDiscoveryA(t *testing.T) {
	z := startZone(t)
	port := freePortOn(t, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	node := func(name, ip string, withDNS bool) *runtime.Node {
		cfg := fastConfig(name)
		cfg.BindAddr = fmt.Sprintf("%s:%d", ip, port)
		if withDNS {
			cfg.Discovery = discovery.DNS("nodes.test.", port, discovery.WithResolver(z.res))
		}
		return start(t, cfg)
	}
	z.add(t, "nodes.test. 5 IN A 127.0.0.2")
	x := node("x", "127.0.0.2", true) // finds only itself: a cluster of one
	y := node("y", "127.0.0.3", true)
	eventually(t, 10*time.Second, "y joined x", func() bool { return countAlive(x) == 2 && countAlive(y) == 2 })
	w := node("w", "127.0.0.4", false)
	z.add(t, "nodes.test. 5 IN A 127.0.0.4")
	eventually(t, 10*time.Second, "w joined once its A record appeared", func() bool { return countAlive(w) == 3 && countAlive(x) == 3 })
}

// freePortOn finds a UDP port free on every given loopback address.
func freePortOn(t *testing.T, ips ...string) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", ips[0]+":0")
		require.NoError(t, err)
		port := netip.MustParseAddrPort(pc.LocalAddr().String()).Port()
		pc.Close()
		ok := true
		for _, ip := range ips {
			c, err := net.ListenPacket("udp", fmt.Sprintf("%s:%d", ip, port))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return int(port)
		}
	}
	t.Fatal("no port free on every address")
	return 0
}
