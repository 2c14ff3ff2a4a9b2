package discovery

import (
	"context"
	"net/netip"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			assert.Equal(t, want, seeds(t, Static(tc.entries...)), "Static(%q).Seeds", tc.entries)
			d, err := ParseStatic(tc.entries...)
			require.NoError(t, err, "ParseStatic(%q)", tc.entries)
			assert.Equal(t, want, seeds(t, d), "ParseStatic(%q).Seeds", tc.entries)
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
				require.ErrorIs(t, err, ErrInvalidConfig, what)
				for _, want := range []string{strconv.Quote(tc.entry), tc.reason, "host:port", "1-65535"} {
					assert.Contains(t, err.Error(), want, what)
				}
			}
			entries := []string{"10.0.0.9:7946", tc.entry}
			d, err := ParseStatic(entries...)
			assert.Nil(t, d, "ParseStatic(%q) returned a Discovery with its error", entries)
			check("ParseStatic", err)

			got, err := Static(entries...).Seeds(context.Background())
			assert.Nil(t, got, "Static(%q).Seeds returned seeds with its error", entries)
			check("Static.Seeds", err)
		})
	}
}

func TestStaticReportsEveryMalformedEntry(t *testing.T) {
	_, err := ParseStatic("10.0.0.1", "10.0.0.2:7946", "10.0.0.3:0")
	require.Error(t, err)
	for _, want := range []string{`"10.0.0.1"`, `"10.0.0.3:0"`} {
		assert.Contains(t, err.Error(), want, "ParseStatic error names every bad entry")
	}
	assert.NotContains(t, err.Error(), `"10.0.0.2:7946"`, "ParseStatic error names the good entry")
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
	got, err := Static("10.0.0.1:7946").Seeds(ctx)
	assert.ErrorIs(t, err, context.Canceled, "Seeds(canceled)")
	assert.Nil(t, got, "Seeds(canceled)")
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
	require.ErrorIs(t, err, ErrNoSeeds, "Seeds")
	assert.Nil(t, got, "Seeds returned seeds with its error")
	for _, e := range entries {
		assert.Contains(t, err.Error(), strconv.Quote(e), "Seeds error names every entry")
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
	require.ErrorIs(t, waitSeeds(t, done), context.Canceled, "Seeds")
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
			require.ErrorIs(t, err, ErrInvalidConfig, "parseEntry(%q)", raw)
			require.Contains(t, err.Error(), strconv.Quote(raw), "parseEntry(%q) error names the entry", raw)
			return
		}
		if e.addr.IsValid() {
			a := e.addr.Addr()
			require.NotZero(t, e.addr.Port(), "parseEntry(%q) = %v", raw, e.addr)
			require.False(t, a.IsUnspecified(), "parseEntry(%q) = %v", raw, e.addr)
			require.False(t, a.Is4In6(), "parseEntry(%q) = %v", raw, e.addr)
			back, err := netip.ParseAddrPort(e.addr.String())
			require.NoError(t, err, "parseEntry(%q) = %v, which does not parse back", raw, e.addr)
			require.Equal(t, e.addr, back, "parseEntry(%q) parsed back", raw)
			return
		}
		require.NotEmpty(t, e.host, "parseEntry(%q) host", raw)
		require.NotZero(t, e.port, "parseEntry(%q) port", raw)
	})
}
