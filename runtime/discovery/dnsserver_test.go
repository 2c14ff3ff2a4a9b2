package discovery

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// testDNS is a real DNS server on loopback UDP, answering from a zone that
// the test changes while it runs.
type testDNS struct {
	addr string

	mu sync.Mutex
	// rrs holds the records by lower-case FQDN. A name is present, possibly
	// with no records (NODATA), or absent (NXDOMAIN).
	rrs  map[string][]dns.RR
	fail map[string]bool // names answered with SERVFAIL
	// hold, while non-nil, keeps queries for held (or, if held is empty,
	// every query) unanswered until it is closed, standing for a DNS server
	// that does not answer.
	hold chan struct{}
	held map[string]bool

	// queries receives each question's name as the query arrives (dropped
	// when full), so that a test can wait for a lookup to be in flight.
	queries chan string
}

// startTestDNS starts the server and stops it when the test ends, after
// checking that no lookup the test started is still running.
func startTestDNS(t *testing.T) *testDNS {
	t.Helper()
	before := goleak.IgnoreCurrent()
	s := &testDNS{
		rrs:     make(map[string][]dns.RR),
		fail:    make(map[string]bool),
		queries: make(chan string, 256),
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err, "listen")
	s.addr = pc.LocalAddr().String()
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: func() { close(started) }}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("DNS server: %v", err)
	}
	t.Cleanup(func() {
		// Unanswered queries would keep their lookups, and the server's
		// shutdown, waiting: answer them first.
		s.release()
		// Lookups abandoned by a canceled Seeds end once answered; the
		// server must still be up to answer their retries.
		goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/miekg/dns.(*Server).ActivateAndServe"))
		assert.NoError(t, srv.Shutdown(), "DNS server shutdown")
		assert.NoError(t, <-done, "DNS server")
	})
	return s
}

// resolver is a *net.Resolver that sends every query to s.
func (s *testDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "udp", s.addr)
		},
	}
}

// add adds records in zone-file form, such as "a.test. 60 IN A 10.0.0.1".
func (s *testDNS) add(t *testing.T, records ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, text := range records {
		rr, err := dns.NewRR(text)
		require.NoError(t, err, "record %q", text)
		name := strings.ToLower(rr.Header().Name)
		s.rrs[name] = append(s.rrs[name], rr)
	}
}

// failing makes queries for name answer SERVFAIL.
func (s *testDNS) failing(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[strings.ToLower(dns.Fqdn(name))] = true
}

// holdQueries leaves queries for names (FQDNs), or every query if none is
// given, unanswered until the test ends.
func (s *testDNS) holdQueries(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = make(chan struct{})
	}
	s.held = make(map[string]bool)
	for _, n := range names {
		s.held[strings.ToLower(n)] = true
	}
}

func (s *testDNS) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// waitQuery waits for a query for name (an FQDN) to reach the server.
func (s *testDNS) waitQuery(t *testing.T, name string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case q := <-s.queries:
			if strings.EqualFold(q, name) {
				return
			}
		case <-timeout:
			t.Fatalf("no query for %s reached the server", name)
		}
	}
}

// queried reports the names queried so far, emptying the record.
func (s *testDNS) queried() []string {
	var names []string
	for {
		select {
		case q := <-s.queries:
			names = append(names, q)
		default:
			return names
		}
	}
}

func (s *testDNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	// Go's resolver takes a non-authoritative, non-recursive empty answer
	// for a lame referral, not for "no records".
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	select {
	case s.queries <- q.Name:
	default:
	}

	name := strings.ToLower(q.Name)
	s.mu.Lock()
	hold := s.hold
	if len(s.held) > 0 && !s.held[name] {
		hold = nil
	}
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}

	s.mu.Lock()
	rrs, ok := s.rrs[name]
	switch {
	case s.fail[name]:
		m.Rcode = dns.RcodeServerFailure
	case !ok:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	s.mu.Unlock()
	_ = w.WriteMsg(m)
}
