package discovery

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestStatic(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		entries []string
		want    []string
	}{
		{"IPv4", []string{"10.0.0.1:7946"}, []string{"10.0.0.1:7946"}},
		{"IPv6 in brackets", []string{"[fd00::1]:7946", "[::1]:1"}, []string{"[fd00::1]:7946", "[::1]:1"}},
		{"IPv6 with zone", []string{"[fe80::1%eth0]:65535"}, []string{"[fe80::1%eth0]:65535"}},
		{"IPv4-mapped is unmapped", []string{"[::ffff:10.0.0.1]:7946"}, []string{"10.0.0.1:7946"}},
		{
			"duplicates dropped, order kept",
			[]string{"10.0.0.2:7946", "10.0.0.1:7946", "10.0.0.2:7946", "[::ffff:10.0.0.1]:7946", "10.0.0.1:7947"},
			[]string{"10.0.0.2:7946", "10.0.0.1:7946", "10.0.0.1:7947"},
		},
		{"no entries", nil, nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			want := addrPorts(t, tc.want...)
			if got := seeds(t, Static(tc.entries...)); !slices.Equal(got, want) {
				t.Errorf("Static(%q).Seeds = %v, want %v", tc.entries, got, want)
			}
			d, err := ParseStatic(tc.entries...)
			if err != nil {
				t.Fatalf("ParseStatic(%q): %v", tc.entries, err)
			}
			if got := seeds(t, d); !slices.Equal(got, want) {
				t.Errorf("ParseStatic(%q).Seeds = %v, want %v", tc.entries, got, want)
			}
		})
	}
}

func TestStaticMalformed(t *testing.T) {
	for _, tc := range []struct {
		entry, reason string
	}{
		{"10.0.0.1", "missing port"},
		{"[fd00::1]", "missing port"},
		{"seed.example", "missing port"},
		{"", "missing port"},
		{"fd00::1:7946", "too many colons"},
		{"10.0.0.1:7946:1", "too many colons"},
		{"10.0.0.1:", `port ""`},
		{"10.0.0.1:0", `port "0"`},
		{"10.0.0.1:65536", `port "65536"`},
		{"10.0.0.1:-1", `port "-1"`},
		{"10.0.0.1:memberlist", `port "memberlist"`},
		{"10.0.0.1:0x1e", `port "0x1e"`},
		{":7946", "missing host"},
		{"[]:7946", "missing host"},
		{"0.0.0.0:7946", "not an address to contact"},
		{"[::]:7946", "not an address to contact"},
	} {
		t.Run(tc.entry, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("%s error = %v, want one wrapping ErrInvalidConfig", what, err)
				}
				for _, want := range []string{strconv.Quote(tc.entry), tc.reason, "host:port", "1-65535"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s error %q does not contain %q", what, err, want)
					}
				}
			}
			entries := []string{"10.0.0.9:7946", tc.entry}
			d, err := ParseStatic(entries...)
			if d != nil {
				t.Errorf("ParseStatic(%q) returned a Discovery with its error", entries)
			}
			check("ParseStatic", err)

			got, err := Static(entries...).Seeds(context.Background())
			if got != nil {
				t.Errorf("Static(%q).Seeds returned %v with its error", entries, got)
			}
			check("Static.Seeds", err)
		})
	}
}

func TestStaticReportsEveryMalformedEntry(t *testing.T) {
	_, err := ParseStatic("10.0.0.1", "10.0.0.2:7946", "10.0.0.3:0")
	for _, want := range []string{`"10.0.0.1"`, `"10.0.0.3:0"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseStatic error %v does not name %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), `"10.0.0.2:7946"`) {
		t.Errorf("ParseStatic error %q names the good entry", err)
	}
}

func TestStaticAnswerIsTheCallers(t *testing.T) {
	d := Static("10.0.0.1:7946", "10.0.0.2:7946")
	first := seeds(t, d)
	first[0] = netip.MustParseAddrPort("192.0.2.1:1")
	wantSeeds(t, d, "10.0.0.1:7946", "10.0.0.2:7946")
}

func TestStaticCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := Static("10.0.0.1:7946").Seeds(ctx); !errors.Is(err, context.Canceled) || got != nil {
		t.Fatalf("Seeds(canceled) = %v, %v; want context.Canceled", got, err)
	}
}

func TestStaticHostnames(t *testing.T) {
	s := startTestDNS(t)
	s.add(t,
		"seed-b.static.test. 60 IN A 10.0.3.2",
		"seed-b.static.test. 60 IN A 10.0.0.1",
		"seed-b.static.test. 60 IN AAAA fd00::32",
		"seed-a.static.test. 60 IN A 10.0.3.1",
	)
	d := newStatic(s.resolver(), []string{
		"seed-b.static.test:7946",
		"10.0.0.1:7946", // also an address of seed-b: dropped
		"seed-a.static.test:7000",
		"seed-b.static.test:7946",
		"missing.static.test:7946", // not there: the rest still count
	})
	wantSeeds(t, d, "10.0.0.1:7946", "10.0.3.2:7946", "[fd00::32]:7946", "10.0.3.1:7000")

	// A hostname is looked up again on every call.
	s.add(t, "seed-a.static.test. 60 IN A 10.0.3.9", "missing.static.test. 60 IN A 10.0.3.3")
	wantSeeds(t, d, "10.0.0.1:7946", "10.0.3.2:7946", "[fd00::32]:7946", "10.0.3.1:7000", "10.0.3.9:7000", "10.0.3.3:7946")
}

func TestStaticHostnamesNotFound(t *testing.T) {
	s := startTestDNS(t)
	entries := []string{"gone-1.static.test:7946", "gone-2.static.test:7946"}
	got, err := newStatic(s.resolver(), entries).Seeds(context.Background())
	if !errors.Is(err, ErrNoSeeds) || got != nil {
		t.Fatalf("Seeds = %v, %v; want an error wrapping ErrNoSeeds", got, err)
	}
	for _, e := range entries {
		if !strings.Contains(err.Error(), strconv.Quote(e)) {
			t.Errorf("Seeds error %q does not name %s", err, e)
		}
	}
}

func TestStaticHostnameCancelInFlight(t *testing.T) {
	s := startTestDNS(t)
	s.add(t, "seed.static.test. 60 IN A 10.0.3.1")
	s.holdQueries()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newStatic(deafResolver{s.resolver()}, []string{"10.0.0.1:7946", "seed.static.test:7946"})
	done := seedsAsync(d, ctx)
	s.waitQuery(t, "seed.static.test.")
	cancel()
	if err := waitSeeds(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Seeds error = %v, want context.Canceled", err)
	}
}

// FuzzParseEntry checks that any string is either refused with an error
// naming it or accepted as something that can be contacted.
func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"10.0.0.1:7946", "[fd00::1]:7946", "seed.example:7946", "[::ffff:1.2.3.4]:1", "10.0.0.1", ":0", "[fe80::1%eth0]:7946"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := parseEntry(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), strconv.Quote(raw)) {
				t.Fatalf("parseEntry(%q) error %q does not wrap ErrInvalidConfig and name the entry", raw, err)
			}
			return
		}
		if e.addr.IsValid() {
			a := e.addr.Addr()
			if e.addr.Port() == 0 || a.IsUnspecified() || a.Is4In6() {
				t.Fatalf("parseEntry(%q) = %v", raw, e.addr)
			}
			if back, err := netip.ParseAddrPort(e.addr.String()); err != nil || back != e.addr {
				t.Fatalf("parseEntry(%q) = %v, which parses back as %v, %v", raw, e.addr, back, err)
			}
			return
		}
		if e.host == "" || e.port == 0 {
			t.Fatalf("parseEntry(%q) = host %q port %d", raw, e.host, e.port)
		}
	})
}
