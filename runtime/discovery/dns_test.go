package discovery

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promptly bounds how long a Seeds call may take to return once its context
// is done. It is far below the seconds *net.Resolver would wait for an
// unanswered query by itself (5s a try, by default), so a Seeds that waited
// for the resolver instead of the context fails.
const promptly = 3 * time.Second

func addrPorts(t *testing.T, ss ...string) []netip.AddrPort {
	t.Helper()
	out := make([]netip.AddrPort, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParseAddrPort(s))
	}
	return out
}

func seeds(t *testing.T, d Discovery) []netip.AddrPort {
	t.Helper()
	got, err := d.Seeds(context.Background())
	require.NoError(t, err, "Seeds")
	return got
}

func wantSeeds(t *testing.T, d Discovery, want ...string) {
	t.Helper()
	require.Equal(t, addrPorts(t, want...), seeds(t, d), "Seeds")
}

func TestDNSAddressRecords(t *testing.T) {
	s := startTestDNS(t)
	s.add(t,
		"seeds.chaos.test. 60 IN A 10.0.0.2",
		"seeds.chaos.test. 60 IN A 10.0.0.1",
		"seeds.chaos.test. 60 IN AAAA fd00::1",
		// The same member as an A record above, in IPv4-mapped form.
		"seeds.chaos.test. 60 IN AAAA ::ffff:10.0.0.2",
		"other.chaos.test. 60 IN A 10.9.9.9",
	)
	d := DNS("seeds.chaos.test", 7946, WithResolver(s.resolver()))
	wantSeeds(t, d, "10.0.0.1:7946", "10.0.0.2:7946", "[fd00::1]:7946")

	// A pod that starts later is in the next answer.
	s.add(t, "seeds.chaos.test. 60 IN A 10.0.0.3", "seeds.chaos.test. 60 IN AAAA fd00::2")
	wantSeeds(t, d, "10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.3:7946", "[fd00::1]:7946", "[fd00::2]:7946")
}

func TestDNSOnlyIPv6(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "v6.chaos.test. 60 IN AAAA fd00::7")
	wantSeeds(t, DNS("v6.chaos.test.", 65535, WithResolver(s.resolver())), "[fd00::7]:65535")
}

func TestDNSSRV(t *testing.T) {
	s := startTestDNS(t)
	const name = "_swim._udp.chaos.test."
	s.add(t,
		name+" 60 IN SRV 0 0 7946 b.chaos.test.",
		name+" 60 IN SRV 0 0 7946 a.chaos.test.",
		name+" 60 IN SRV 10 0 7947 a.chaos.test.",
		"a.chaos.test. 60 IN A 10.0.1.1",
		"b.chaos.test. 60 IN A 10.0.1.2",
		"b.chaos.test. 60 IN AAAA fd00::12",
	)
	// The port argument is not used for SRV: each record has its own.
	d := DNS(name, 0, WithResolver(s.resolver()))
	wantSeeds(t, d, "10.0.1.1:7946", "10.0.1.1:7947", "10.0.1.2:7946", "[fd00::12]:7946")

	// A new member's SRV record and address appear on the next call.
	s.add(t, name+" 60 IN SRV 0 0 8000 c.chaos.test.", "c.chaos.test. 60 IN A 10.0.1.3")
	wantSeeds(t, d, "10.0.1.1:7946", "10.0.1.1:7947", "10.0.1.2:7946", "10.0.1.3:8000", "[fd00::12]:7946")

	// A record whose target has no address yet (a pod being scheduled)
	// does not hide the others.
	s.add(t, name+" 60 IN SRV 0 0 7946 pending.chaos.test.")
	wantSeeds(t, d, "10.0.1.1:7946", "10.0.1.1:7947", "10.0.1.2:7946", "10.0.1.3:8000", "[fd00::12]:7946")
}

func TestDNSSRVNoUsableTarget(t *testing.T) {
	s := startTestDNS(t)
	const name = "_swim._udp.empty.test."
	s.add(t,
		name+" 60 IN SRV 0 0 7946 gone.empty.test.",
		name+" 60 IN SRV 0 0 7946 noaddr.empty.test.",
		"noaddr.empty.test. 60 IN TXT \"not an address\"",
	)
	_, err := DNS(name, 0, WithResolver(s.resolver())).Seeds(context.Background())
	require.ErrorIs(t, err, ErrNoSeeds, "Seeds")
	for _, want := range []string{name, "gone.empty.test.", "noaddr.empty.test."} {
		assert.Contains(t, err.Error(), want, "Seeds error names every name it tried")
	}

	// Port 0 and target "." say there is no service (RFC 2782).
	const dead = "_swim._udp.dead.test."
	s.add(t, dead+" 60 IN SRV 0 0 0 a.dead.test.", dead+" 60 IN SRV 0 0 7946 .", "a.dead.test. 60 IN A 10.0.2.1")
	_, err = DNS(dead, 0, WithResolver(s.resolver())).Seeds(context.Background())
	assert.ErrorIs(t, err, ErrNoSeeds, "Seeds of a dead service")
}

func TestDNSNotFound(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "txt.chaos.test. 60 IN TXT \"no address here\"")
	for _, tc := range []struct {
		desc string
		name string
	}{
		{"NXDOMAIN", "missing.chaos.test"},
		{"no A or AAAA records", "txt.chaos.test"},
		{"SRV NXDOMAIN", "_swim._udp.missing.chaos.test"},
		{"no SRV records", "_swim._udp.txt.chaos.test"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.desc == "no SRV records" {
				s.add(t, "_swim._udp.txt.chaos.test. 60 IN TXT \"no SRV here\"")
			}
			got, err := DNS(tc.name, 7946, WithResolver(s.resolver())).Seeds(context.Background())
			require.ErrorIs(t, err, ErrNoSeeds, "Seeds")
			assert.Contains(t, err.Error(), tc.name, "Seeds error names the DNS name")
			assert.Nil(t, got, "Seeds returned seeds with its error")
		})
	}
}

func TestDNSServerFailure(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "broken.chaos.test. 60 IN A 10.0.0.1")
	s.failing("broken.chaos.test")
	_, err := DNS("broken.chaos.test", 7946, WithResolver(s.resolver())).Seeds(context.Background())
	require.Error(t, err, "Seeds succeeded against a failing server")
	// A broken server is not "no members": the caller should hear the
	// difference.
	assert.NotErrorIs(t, err, ErrNoSeeds)
	var dnsErr *net.DNSError
	assert.ErrorAs(t, err, &dnsErr, "Seeds error wraps the resolver's *net.DNSError")
	assert.Contains(t, err.Error(), "broken.chaos.test", "Seeds error names the DNS name")
}

func TestDNSInvalidConfig(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "seeds.chaos.test. 60 IN A 10.0.0.1")
	for _, tc := range []struct {
		name string
		port int
	}{
		{"seeds.chaos.test", 0},
		{"seeds.chaos.test", -1},
		{"seeds.chaos.test", 65536},
		{"", 7946},
	} {
		_, err := DNS(tc.name, tc.port, WithResolver(s.resolver())).Seeds(context.Background())
		if assert.ErrorIs(t, err, ErrInvalidConfig, "DNS(%q, %d).Seeds", tc.name, tc.port) && tc.name != "" {
			assert.Contains(t, err.Error(), `"`+tc.name+`"`, "DNS(%q, %d).Seeds error names the DNS name", tc.name, tc.port)
		}
	}
	assert.Empty(t, s.queried(), "invalid configurations sent queries")
}

func TestDNSDefaultResolver(t *testing.T) {
	// An IP literal resolves without a query, so this reaches
	// net.DefaultResolver without depending on the machine's DNS.
	wantSeeds(t, DNS("127.0.0.1", 7946), "127.0.0.1:7946")
	wantSeeds(t, DNS("127.0.0.1", 7946, WithResolver(nil)), "127.0.0.1:7946")
}

func TestDNSContextDoneBeforeCall(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "seeds.chaos.test. 60 IN A 10.0.0.1", "_swim._udp.chaos.test. 60 IN SRV 0 0 7946 seeds.chaos.test.")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, name := range []string{"seeds.chaos.test", "_swim._udp.chaos.test"} {
		got, err := DNS(name, 7946, WithResolver(s.resolver())).Seeds(ctx)
		assert.ErrorIs(t, err, context.Canceled, "DNS(%q).Seeds(canceled)", name)
		assert.Nil(t, got, "DNS(%q).Seeds(canceled)", name)
	}
	assert.Empty(t, s.queried(), "a canceled context sent queries")
}

// seedsAsync runs d.Seeds(ctx) in the background and returns where its
// result will arrive.
func seedsAsync(d Discovery, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := d.Seeds(ctx)
		done <- err
	}()
	return done
}

func waitSeeds(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(promptly):
		t.Fatalf("Seeds still running %v after its context was done", promptly)
		return nil
	}
}

// deafResolver is a real resolver that does not see its caller's
// cancellation, as some resolvers do not: Seeds must return when its context
// is done whatever the resolver does.
type deafResolver struct{ r *net.Resolver }

func (d deafResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return d.r.LookupNetIP(context.WithoutCancel(ctx), network, host)
}

func (d deafResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return d.r.LookupSRV(context.WithoutCancel(ctx), service, proto, name)
}

func TestDNSCancelInFlight(t *testing.T) {
	for _, tc := range []struct {
		desc, name, held string
	}{
		{"A", "seeds.chaos.test", "seeds.chaos.test."},
		{"SRV", "_swim._udp.chaos.test", "_swim._udp.chaos.test."},
		// The SRV query is answered; the target's lookup is left hanging.
		{"SRV target", "_swim._udp.chaos.test", "seeds.chaos.test."},
	} {
		for _, deaf := range []bool{false, true} {
			desc := tc.desc
			if deaf {
				desc += " deaf resolver"
			}
			t.Run(desc, func(t *testing.T) {
				s := startTestDNS(t)
				s.add(t,
					"seeds.chaos.test. 60 IN A 10.0.0.1",
					"_swim._udp.chaos.test. 60 IN SRV 0 0 7946 seeds.chaos.test.",
				)
				var r Resolver = s.resolver()
				if deaf {
					r = deafResolver{s.resolver()}
				}
				s.holdQueries(tc.held)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := seedsAsync(DNS(tc.name, 7946, WithResolver(r)), ctx)
				s.waitQuery(t, tc.held)
				cancel()
				err := waitSeeds(t, done)
				require.ErrorIs(t, err, context.Canceled, "Seeds")
				assert.Contains(t, err.Error(), tc.name, "Seeds error names the DNS name")
			})
		}
	}
}

func TestDNSTimeout(t *testing.T) {
	for _, name := range []string{"seeds.chaos.test", "_swim._udp.chaos.test"} {
		t.Run(name, func(t *testing.T) {
			s := startTestDNS(t)
			s.add(t,
				"seeds.chaos.test. 60 IN A 10.0.0.1",
				"_swim._udp.chaos.test. 60 IN SRV 0 0 7946 seeds.chaos.test.",
			)
			s.holdQueries()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err := waitSeeds(t, seedsAsync(DNS(name, 7946, WithResolver(s.resolver())), ctx))
			require.ErrorIs(t, err, context.DeadlineExceeded, "Seeds")
			assert.Contains(t, err.Error(), name, "Seeds error names the DNS name")
		})
	}
}
