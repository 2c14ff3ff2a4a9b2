package udp

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdvertiseOverride(t *testing.T) {
	for _, tc := range []struct {
		advertise string
		want      string // "PORT" stands for the bound port
	}{
		{"203.0.113.7:9000", "203.0.113.7:9000"},
		{"203.0.113.7", "203.0.113.7:PORT"},
		{"203.0.113.7:0", "203.0.113.7:PORT"},
		{"203.0.113.7:", "203.0.113.7:PORT"},
		{"[2001:db8::7]", "[2001:db8::7]:PORT"},
		{"[2001:db8::7]:9000", "[2001:db8::7]:9000"},
		{"[::ffff:203.0.113.7]:9000", "203.0.113.7:9000"},
		{"127.0.0.1:9000", "127.0.0.1:9000"},
	} {
		t.Run(tc.advertise, func(t *testing.T) {
			tr := listen(t, Config{Bind: "127.0.0.1:0", Advertise: tc.advertise})
			want := netip.MustParseAddrPort(strings.Replace(tc.want, "PORT", strconv.Itoa(int(tr.LocalAddr().Port())), 1))
			assert.Equal(t, want, tr.AdvertiseAddr(), "AdvertiseAddr()")
		})
	}
}

func TestAdvertiseDefaults(t *testing.T) {
	check := func(t *testing.T, tr *Transport) {
		t.Helper()
		local, adv := tr.LocalAddr(), tr.AdvertiseAddr()
		assert.NotZero(t, local.Port(), "LocalAddr %v; want a real port", local)
		assert.Equal(t, local.Port(), adv.Port(), "AdvertiseAddr %v; want LocalAddr's port", adv)
		assert.True(t, adv.Addr().IsValid() && !adv.Addr().IsUnspecified() && !adv.Addr().IsMulticast(),
			"AdvertiseAddr() = %v; want a unicast address", adv)
	}
	t.Run("specific", func(t *testing.T) {
		tr := listen(t, Config{Bind: "127.0.0.1:0"})
		check(t, tr)
		assert.Equal(t, tr.LocalAddr(), tr.AdvertiseAddr(), "AdvertiseAddr; want the bound address")
	})
	t.Run("0.0.0.0", func(t *testing.T) {
		tr := listen(t, Config{Bind: "0.0.0.0:0"})
		check(t, tr)
		assert.True(t, tr.LocalAddr().Addr().IsUnspecified(), "LocalAddr %v; want 0.0.0.0", tr.LocalAddr())
		assert.True(t, tr.AdvertiseAddr().Addr().Is4(), "AdvertiseAddr %v; want an IPv4 address", tr.AdvertiseAddr())
		// What was chosen must be this host's: a datagram to it arrives.
		in := collect(t, tr)
		peer := listen(t, Config{Bind: "127.0.0.1:0"})
		require.NoError(t, peer.WriteTo([]byte("hi"), tr.AdvertiseAddr()))
		receive(t, in)
	})
	t.Run("dual stack", func(t *testing.T) {
		check(t, listen(t, Config{Bind: ":0"}))
	})
	t.Run("::", func(t *testing.T) {
		needIPv6Loopback(t)
		tr := listen(t, Config{Bind: "[::]:0"})
		check(t, tr)
		assert.True(t, tr.AdvertiseAddr().Addr().Is6(), "AdvertiseAddr() = %v; want IPv6 for an IPv6-only socket", tr.AdvertiseAddr())
	})
}

func TestChooseAdvertise(t *testing.T) {
	up, lo := net.FlagUp|net.FlagRunning, net.FlagUp|net.FlagLoopback
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	loop := iface{"lo", lo, addrs("127.0.0.1", "::1")}
	down := iface{"down0", 0, addrs("10.9.9.9", "fd99::9")}
	public := iface{"eth0", up, addrs("fe80::1", "169.254.1.1", "192.0.2.2", "2001:db8::2")}
	cgnat := iface{"eth1", up, addrs("100.64.1.1", "fd00::1")}
	rfc1918 := iface{"eth2", up, addrs("10.1.2.3")}
	linkLocal := iface{"eth3", up, addrs("fe80::3", "169.254.3.3")}
	v4, v6 := netip.IPv4Unspecified(), netip.IPv6Unspecified()

	for _, tc := range []struct {
		name   string
		bound  netip.Addr
		dual   bool
		ifs    []iface
		want   string
		wantOK bool
	}{
		{"private beats global on an earlier interface", v4, false, []iface{loop, down, public, cgnat}, "100.64.1.1", true},
		{"first private in interface order", v4, false, []iface{rfc1918, cgnat}, "10.1.2.3", true},
		{"global when no private", v4, false, []iface{loop, down, public}, "192.0.2.2", true},
		{"down and loopback skipped", v4, false, []iface{loop, down}, "127.0.0.1", false},
		{"link-local is not enough", v4, false, []iface{linkLocal}, "127.0.0.1", false},
		{"no interfaces", v4, false, nil, "127.0.0.1", false},
		{"ULA beats global", v6, false, []iface{public, cgnat}, "fd00::1", true},
		{"global IPv6", v6, false, []iface{public, rfc1918}, "2001:db8::2", true},
		{"IPv6-only ignores IPv4", v6, false, []iface{rfc1918, linkLocal}, "::1", false},
		{"dual prefers IPv6", v6, true, []iface{rfc1918, public}, "2001:db8::2", true},
		{"dual falls back to IPv4", v6, true, []iface{linkLocal, rfc1918}, "10.1.2.3", true},
		{"dual falls back to IPv4 loopback", v6, true, []iface{loop, linkLocal}, "127.0.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, ok := chooseAdvertise(tc.bound, tc.dual, tc.ifs)
			assert.Equal(t, netip.MustParseAddr(tc.want), got, "chooseAdvertise (from %q)", from)
			assert.Equal(t, tc.wantOK, ok, "chooseAdvertise's ok")
		})
	}
}

func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Bind: ""}, `Bind ""`},
		{Config{Bind: "foo"}, `Bind "foo"`},
		{Config{Bind: "localhost:7946"}, `Bind "localhost:7946"`},
		{Config{Bind: "127.0.0.1"}, `Bind "127.0.0.1"`},
		{Config{Bind: "::1"}, `Bind "::1"`},
		{Config{Bind: "[::1"}, `Bind "[::1"`},
		{Config{Bind: "127.0.0.1:65536"}, `Bind "127.0.0.1:65536"`},
		{Config{Bind: "127.0.0.1:-1"}, `Bind "127.0.0.1:-1"`},
		{Config{Bind: "127.0.0.1:http"}, `Bind "127.0.0.1:http"`},
		{Config{Bind: "256.0.0.1:0"}, `Bind "256.0.0.1:0"`},
		{Config{Bind: "224.0.0.1:7946"}, `Bind "224.0.0.1:7946"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "0.0.0.0:7946"}, `Advertise "0.0.0.0:7946"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "[::]:7946"}, `Advertise "[::]:7946"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "node1.example:7946"}, `Advertise "node1.example:7946"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "node1.example"}, `Advertise "node1.example"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "fd00::1"}, `Advertise "fd00::1"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "10.0.0.1:70000"}, `Advertise "10.0.0.1:70000"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "[fe80::1%eth0]:7946"}, `Advertise "[fe80::1%eth0]:7946"`},
		{Config{Bind: "127.0.0.1:0", Advertise: "224.0.0.1"}, `Advertise "224.0.0.1"`},
		{Config{Bind: "127.0.0.1:0", ReadBuffer: -1}, `ReadBuffer = -1`},
		{Config{Bind: "127.0.0.1:0", WriteBuffer: -1}, `WriteBuffer = -1`},
	} {
		t.Run(tc.field, func(t *testing.T) {
			tr, err := Listen(context.Background(), tc.cfg)
			if err == nil {
				tr.Close()
			}
			require.ErrorIs(t, err, ErrInvalidConfig, "Listen(%+v)", tc.cfg)
			assert.Contains(t, err.Error(), tc.field, "the error names the field")
			assert.Contains(t, err.Error(), "want", "the error names the accepted form")
		})
	}
}

func TestBindNetwork(t *testing.T) {
	for _, tc := range []struct{ bind, network, listenOn string }{
		{"0.0.0.0:7946", "udp4", "0.0.0.0:7946"},
		{"10.0.0.1:0", "udp4", "10.0.0.1:0"},
		{"[::ffff:10.0.0.1]:7946", "udp4", "10.0.0.1:7946"},
		{"[::]:7946", "udp6", "[::]:7946"},
		{"[fd00::1]:7946", "udp6", "[fd00::1]:7946"},
		{"[fe80::1%eth0]:7946", "udp6", "[fe80::1%eth0]:7946"},
		{":7946", "udp", ":7946"},
	} {
		b, err := parseBind(tc.bind)
		if !assert.NoError(t, err, "parseBind(%q)", tc.bind) {
			continue
		}
		assert.Equal(t, tc.network, b.network(), "parseBind(%q)'s network", tc.bind)
		assert.Equal(t, tc.listenOn, b.String(), "parseBind(%q)'s listen address", tc.bind)
	}
}
