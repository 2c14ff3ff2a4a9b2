package runtime

import (
	"context"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/swim"
)

// environ turns a map into the "KEY=value" list ConfigFromEnviron takes,
// with a variable of another program thrown in, which must be ignored.
func environ(vars map[string]string) []string {
	out := []string{"PATH=/usr/bin:/bin", "HOME=/root"}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func mustConfig(t *testing.T, vars map[string]string) Config {
	t.Helper()
	cfg, err := ConfigFromEnviron(environ(vars))
	require.NoError(t, err, "ConfigFromEnviron(%v)", vars)
	return cfg
}

func named(c Config, name string) Config {
	c.Name = name
	return c
}

func TestEnvDefaults(t *testing.T) {
	got := mustConfig(t, map[string]string{"MEMBERLIST_NAME": "n1"})
	// The whole Config, embedded swim.Config included: nothing may differ
	// from the preset but the name.
	assert.Equal(t, named(DefaultLANConfig(), "n1"), got, "want DefaultLANConfig with Name n1")
	assert.Nil(t, got.Discovery, "Discovery")
	assert.Nil(t, got.Logger, "Logger")
}

func TestEnvNameDefaultsToHostname(t *testing.T) {
	host, err := os.Hostname()
	if err != nil || host == "" || len(host) > swim.MaxNameLen {
		t.Skipf("no usable host name here (%q, %v)", host, err)
	}
	for _, vars := range []map[string]string{nil, {"MEMBERLIST_NAME": ""}} {
		assert.Equal(t, host, mustConfig(t, vars).Name, "ConfigFromEnviron(%v).Name, want the host name", vars)
	}
}

// envCase sets one variable to a valid value other than its default.
type envCase struct {
	name, value string
	// extra are other variables the value needs.
	extra map[string]string
	// want changes the default Config into the expected one.
	want func(c *Config)
	// check inspects what DeepEqual cannot compare (Logger, Discovery, TLS);
	// those fields are then left out of the comparison.
	check func(t *testing.T, c Config)
}

func wantSeeds(want ...string) func(*testing.T, Config) {
	return func(t *testing.T, c Config) {
		t.Helper()
		require.NotNil(t, c.Discovery, "Discovery")
		got, err := c.Discovery.Seeds(context.Background())
		require.NoError(t, err, "Seeds")
		var w []netip.AddrPort
		for _, s := range want {
			w = append(w, netip.MustParseAddrPort(s))
		}
		assert.Equal(t, w, got, "Seeds")
	}
}

func wantDNS(name string, port int) func(*testing.T, Config) {
	return func(t *testing.T, c Config) {
		t.Helper()
		// Both use net.DefaultResolver, so equal settings are equal values.
		assert.Equal(t, discovery.DNS(name, port), c.Discovery, "want discovery.DNS(%q, %d)", name, port)
	}
}

func wantLevel(level slog.Level) func(*testing.T, Config) {
	return func(t *testing.T, c Config) {
		t.Helper()
		require.NotNil(t, c.Logger, "Logger")
		ctx := context.Background()
		assert.True(t, c.Logger.Enabled(ctx, level), "Logger enabled at %v", level)
		assert.False(t, c.Logger.Enabled(ctx, level-1), "Logger enabled at %v, below %v", level-1, level)
	}
}

func envCases() []envCase {
	dur := func(f func(*Config) *time.Duration, d time.Duration) func(*Config) {
		return func(c *Config) { *f(c) = d }
	}
	num := func(f func(*Config) *int, n int) func(*Config) {
		return func(c *Config) { *f(c) = n }
	}
	cases := []envCase{
		{name: "MEMBERLIST_PROFILE", value: "wan", want: func(c *Config) { *c = named(DefaultWANConfig(), c.Name) }},
		{name: "MEMBERLIST_NAME", value: "node-7.eu", want: func(c *Config) { c.Name = "node-7.eu" }},
		{name: "MEMBERLIST_BIND_ADDR", value: "[::]:8000", want: func(c *Config) { c.BindAddr = "[::]:8000" }},
		{name: "MEMBERLIST_BIND_ADDR", value: ":0", want: func(c *Config) { c.BindAddr = ":0" }},
		{name: "MEMBERLIST_ADVERTISE_ADDR", value: "10.0.0.5:8000", want: func(c *Config) { c.AdvertiseAddr = "10.0.0.5:8000" }},
		{name: "MEMBERLIST_ADVERTISE_ADDR", value: "[10.0.0.5]:8000", want: func(c *Config) { c.AdvertiseAddr = "10.0.0.5:8000" }},
		{name: "MEMBERLIST_ADVERTISE_ADDR", value: "[fd00::5]:7946", want: func(c *Config) { c.AdvertiseAddr = "[fd00::5]:7946" }},
		{name: "MEMBERLIST_META", value: "zone=eu-west-1a", want: func(c *Config) { c.Meta = []byte("zone=eu-west-1a") }},
		{name: "MEMBERLIST_META", value: strings.Repeat("m", swim.MaxMetaLen), want: func(c *Config) { c.Meta = []byte(strings.Repeat("m", swim.MaxMetaLen)) }},
		{name: "MEMBERLIST_SEEDS", value: "10.0.0.1:7946, [fd00::1]:7947,", check: wantSeeds("10.0.0.1:7946", "[fd00::1]:7947")},
		{name: "MEMBERLIST_DNS", value: "seeds.default.svc.cluster.local", check: wantDNS("seeds.default.svc.cluster.local", 7946)},
		{name: "MEMBERLIST_DNS", value: "_swim._udp.seeds.default.svc.cluster.local.", check: wantDNS("_swim._udp.seeds.default.svc.cluster.local.", 7946)},
		{name: "MEMBERLIST_DNS_PORT", value: "8000", extra: map[string]string{"MEMBERLIST_DNS": "seeds.example"}, check: wantDNS("seeds.example", 8000)},
		{name: "MEMBERLIST_DISCOVERY_INTERVAL", value: "5s", want: dur(func(c *Config) *time.Duration { return &c.DiscoveryInterval }, 5*time.Second)},
		{name: "MEMBERLIST_JOIN_TIMEOUT", value: "10s", extra: map[string]string{"MEMBERLIST_SEEDS": "10.0.0.1:7946"}, check: wantSeeds("10.0.0.1:7946"),
			want: dur(func(c *Config) *time.Duration { return &c.JoinTimeout }, 10*time.Second)},
		{name: "MEMBERLIST_EVENT_BUFFER", value: "64", want: num(func(c *Config) *int { return &c.EventBuffer }, 64)},
		{name: "MEMBERLIST_LOG_LEVEL", value: "debug", check: wantLevel(slog.LevelDebug)},
		{name: "MEMBERLIST_LOG_LEVEL", value: "info", check: wantLevel(slog.LevelInfo)},
		{name: "MEMBERLIST_LOG_LEVEL", value: "WARN", check: wantLevel(slog.LevelWarn)},
		{name: "MEMBERLIST_LOG_LEVEL", value: "error", check: wantLevel(slog.LevelError)},
		{name: "MEMBERLIST_KEYS", value: testKeysB64[0], want: func(c *Config) { c.Keys = [][]byte{testKeys[0]} }},
		{name: "MEMBERLIST_KEYS", value: " " + testKeysB64[2] + ", " + testKeysB64[1] + "," + testKeysB64[0] + ",", want: func(c *Config) { c.Keys = [][]byte{testKeys[2], testKeys[1], testKeys[0]} }},
		{name: "MEMBERLIST_KEYS_FILE", value: "testdata/keys", want: func(c *Config) { c.Keys = [][]byte{testKeys[2], testKeys[0]} }},
		{name: "MEMBERLIST_LABEL", value: "prod-eu", want: func(c *Config) { c.Label = "prod-eu" }},
		{name: "MEMBERLIST_LABEL", value: strings.Repeat("é", 32), want: func(c *Config) { c.Label = strings.Repeat("é", 32) }},
		{name: "MEMBERLIST_CLOCK_SKEW", value: "1m", want: dur(func(c *Config) *time.Duration { return &c.ClockSkew }, time.Minute)},
		{name: "MEMBERLIST_TRANSITION", value: "Accept", extra: map[string]string{"MEMBERLIST_KEYS": testKeysB64[0]}, want: func(c *Config) {
			c.Keys = [][]byte{testKeys[0]}
			c.Transition.Phase = TransitionAccept
		}},
		{name: "MEMBERLIST_TRANSITION_FROM_LABEL", value: "old", want: func(c *Config) { c.Transition.FromLabel = "old" }},
		{name: "MEMBERLIST_TRANSITION_FROM_ENCRYPTED", value: "true", extra: map[string]string{"MEMBERLIST_KEYS": testKeysB64[0]}, want: func(c *Config) {
			c.Keys = [][]byte{testKeys[0]}
			c.Transition.FromEncrypted = true
		}},
		{name: "MEMBERLIST_ALLOWED_CIDRS", value: "10.0.0.0/8,fd00::/8", want: func(c *Config) {
			c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
		}},
		{name: "MEMBERLIST_PROBE_INTERVAL", value: "2s", want: dur(func(c *Config) *time.Duration { return &c.ProbeInterval }, 2*time.Second)},
		{name: "MEMBERLIST_PROBE_TIMEOUT", value: "300ms", want: dur(func(c *Config) *time.Duration { return &c.ProbeTimeout }, 300*time.Millisecond)},
		{name: "MEMBERLIST_INDIRECT_CHECKS", value: "0", want: num(func(c *Config) *int { return &c.IndirectChecks }, 0)},
		{name: "MEMBERLIST_RETRANSMIT_MULT", value: "5", want: num(func(c *Config) *int { return &c.RetransmitMult }, 5)},
		{name: "MEMBERLIST_SUSPICION_MULT", value: "7", want: num(func(c *Config) *int { return &c.SuspicionMult }, 7)},
		{name: "MEMBERLIST_SUSPICION_MAX_TIMEOUT_MULT", value: "3", want: num(func(c *Config) *int { return &c.SuspicionMaxTimeoutMult }, 3)},
		{name: "MEMBERLIST_AWARENESS_MAX_MULTIPLIER", value: "4", want: num(func(c *Config) *int { return &c.AwarenessMaxMultiplier }, 4)},
		{name: "MEMBERLIST_GOSSIP_INTERVAL", value: "250ms", want: dur(func(c *Config) *time.Duration { return &c.GossipInterval }, 250*time.Millisecond)},
		{name: "MEMBERLIST_GOSSIP_NODES", value: "5", want: num(func(c *Config) *int { return &c.GossipNodes }, 5)},
		{name: "MEMBERLIST_MAX_MEMBERS", value: "500", want: num(func(c *Config) *int { return &c.MaxMembers }, 500)},
		{name: "MEMBERLIST_GOSSIP_TO_THE_DEAD_TIME", value: "45s", want: dur(func(c *Config) *time.Duration { return &c.GossipToTheDeadTime }, 45*time.Second)},
		{name: "MEMBERLIST_SYNC_INTERVAL", value: "1m30s", want: dur(func(c *Config) *time.Duration { return &c.SyncInterval }, 90*time.Second)},
		{name: "MEMBERLIST_RECONNECT_INTERVAL", value: "20s", want: dur(func(c *Config) *time.Duration { return &c.ReconnectInterval }, 20*time.Second)},
		{name: "MEMBERLIST_DEAD_RETENTION", value: "1h", want: dur(func(c *Config) *time.Duration { return &c.DeadRetention }, time.Hour)},
		{name: "MEMBERLIST_JOIN_RETRY_MIN", value: "100ms", want: dur(func(c *Config) *time.Duration { return &c.JoinRetryMin }, 100*time.Millisecond)},
		{name: "MEMBERLIST_JOIN_RETRY_MAX", value: "2m", want: dur(func(c *Config) *time.Duration { return &c.JoinRetryMax }, 2*time.Minute)},
	}
	return append(cases, streamEnvCases()...)
}

// testKeys are one key of each size, and testKeysB64 the same in base64.
var testKeys = [][]byte{
	[]byte("0123456789abcdef"),
	[]byte("0123456789abcdefghijklmn"),
	[]byte("0123456789abcdefghijklmnopqrstuv"),
}

var testKeysB64 = []string{
	base64.StdEncoding.EncodeToString(testKeys[0]),
	base64.StdEncoding.EncodeToString(testKeys[1]),
	base64.StdEncoding.EncodeToString(testKeys[2]),
}

func TestEnvEveryVariable(t *testing.T) {
	for _, tc := range envCases() {
		t.Run(tc.name+"="+tc.value[:min(len(tc.value), 40)], func(t *testing.T) {
			vars := map[string]string{"MEMBERLIST_NAME": "n1", tc.name: tc.value}
			for k, v := range tc.extra {
				vars[k] = v
			}
			got := mustConfig(t, vars)
			if tc.check != nil {
				tc.check(t, got)
				got.Logger, got.Discovery, got.TLS = nil, nil, nil
			}
			want := named(DefaultLANConfig(), "n1")
			if tc.want != nil {
				tc.want(&want)
			}
			assert.Equal(t, want, got, "ConfigFromEnviron")
		})
	}
}

// A variable added to envVars without a case in envCases fails here.
func TestEnvEveryVariableCovered(t *testing.T) {
	covered := make(map[string]bool)
	for _, tc := range envCases() {
		covered[tc.name] = true
	}
	for _, ev := range envVars() {
		assert.True(t, covered[ev.name], "%s has no case in envCases", ev.name)
		delete(covered, ev.name)
	}
	assert.Empty(t, covered, "envCases covers variables that envVars does not know")
}

func TestEnvProfiles(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    Config
	}{
		{"lan", DefaultLANConfig()},
		{"wan", DefaultWANConfig()},
		{"local", DefaultLocalConfig()},
		{"WAN", DefaultWANConfig()},
		{"Local", DefaultLocalConfig()},
	} {
		got := mustConfig(t, map[string]string{"MEMBERLIST_PROFILE": tc.profile, "MEMBERLIST_NAME": "n1"})
		assert.Equal(t, named(tc.want, "n1"), got, "MEMBERLIST_PROFILE=%s", tc.profile)
	}
}

func TestEnvVariablesOverrideProfile(t *testing.T) {
	for _, profile := range []string{"wan", "local"} {
		vars := map[string]string{
			"MEMBERLIST_PROFILE":            profile,
			"MEMBERLIST_NAME":               "n1",
			"MEMBERLIST_PROBE_INTERVAL":     "7s",
			"MEMBERLIST_GOSSIP_NODES":       "9",
			"MEMBERLIST_DISCOVERY_INTERVAL": "1m",
		}
		// Listed before the profile, so that the outcome cannot depend on
		// the order of the environment.
		env := []string{"MEMBERLIST_PROBE_INTERVAL=7s", "MEMBERLIST_GOSSIP_NODES=9", "MEMBERLIST_DISCOVERY_INTERVAL=1m", "MEMBERLIST_NAME=n1", "MEMBERLIST_PROFILE=" + profile}
		got, err := ConfigFromEnviron(env)
		require.NoError(t, err, "ConfigFromEnviron(%v)", env)
		want := DefaultWANConfig()
		if profile == "local" {
			want = DefaultLocalConfig()
		}
		want.Name = "n1"
		want.ProbeInterval = 7 * time.Second
		want.GossipNodes = 9
		want.DiscoveryInterval = time.Minute
		assert.Equal(t, want, got, "%v", vars)
	}
}

func TestEnvEnvironForm(t *testing.T) {
	got, err := ConfigFromEnviron([]string{
		"MEMBERLIST_NAME=first",
		"MEMBERLIST_NAME=n1",       // the last of duplicates wins
		"MEMBERLIST_META=a=b=c",    // only the first '=' separates
		"MEMBERLIST_GOSSIP_NODES=", // empty counts as unset
		"NOT_AN_ENTRY",
		"memberlist_gossip_nodes=99", // names are case-sensitive: not ours
		"=C:=C:\\",                   // Windows keeps such entries
	})
	require.NoError(t, err)
	want := named(DefaultLANConfig(), "n1")
	want.Meta = []byte("a=b=c")
	assert.Equal(t, want, got)
}

func TestEnvRejects(t *testing.T) {
	for _, tc := range []struct {
		desc string
		vars map[string]string
		// wantIn are substrings of the error: the variable with its quoted
		// value, and what is accepted.
		wantIn []string
	}{
		{"bad duration", map[string]string{"MEMBERLIST_PROBE_INTERVAL": "fast"},
			[]string{`MEMBERLIST_PROBE_INTERVAL="fast": want a Go duration such as 200ms or 1s`}},
		{"duration without unit", map[string]string{"MEMBERLIST_SYNC_INTERVAL": "30"},
			[]string{`MEMBERLIST_SYNC_INTERVAL="30": want a Go duration`}},
		{"negative duration", map[string]string{"MEMBERLIST_GOSSIP_INTERVAL": "-1s"},
			[]string{`MEMBERLIST_GOSSIP_INTERVAL="-1s": want a positive Go duration`}},
		{"zero duration", map[string]string{"MEMBERLIST_DISCOVERY_INTERVAL": "0s"},
			[]string{`MEMBERLIST_DISCOVERY_INTERVAL="0s": want a positive Go duration`}},
		{"negative integer", map[string]string{"MEMBERLIST_GOSSIP_NODES": "-2"},
			[]string{`MEMBERLIST_GOSSIP_NODES="-2": want a decimal integer from 1 to 64, such as 3`}},
		{"non-integer", map[string]string{"MEMBERLIST_RETRANSMIT_MULT": "4.5"},
			[]string{`MEMBERLIST_RETRANSMIT_MULT="4.5": want a decimal integer`}},
		{"integer as word", map[string]string{"MEMBERLIST_EVENT_BUFFER": "lots"},
			[]string{`MEMBERLIST_EVENT_BUFFER="lots": want a decimal integer`}},
		{"integer overflow", map[string]string{"MEMBERLIST_INDIRECT_CHECKS": "99999999999999999999"},
			[]string{`MEMBERLIST_INDIRECT_CHECKS="99999999999999999999": want a decimal integer`}},
		{"bad profile", map[string]string{"MEMBERLIST_PROFILE": "datacenter"},
			[]string{`MEMBERLIST_PROFILE="datacenter": want lan, wan or local`}},
		{"bad bind address", map[string]string{"MEMBERLIST_BIND_ADDR": "7946"},
			[]string{`MEMBERLIST_BIND_ADDR="7946": want host:port`}},
		{"bind host not an IP", map[string]string{"MEMBERLIST_BIND_ADDR": "localhost:7946"},
			[]string{`MEMBERLIST_BIND_ADDR="localhost:7946": want host:port`}},
		{"bind port out of range", map[string]string{"MEMBERLIST_BIND_ADDR": ":70000"},
			[]string{`MEMBERLIST_BIND_ADDR=":70000": want host:port`}},
		{"advertise without port", map[string]string{"MEMBERLIST_ADVERTISE_ADDR": "10.0.0.5"},
			[]string{`MEMBERLIST_ADVERTISE_ADDR="10.0.0.5": want ip:port`}},
		{"advertise unspecified", map[string]string{"MEMBERLIST_ADVERTISE_ADDR": "0.0.0.0:7946"},
			[]string{`MEMBERLIST_ADVERTISE_ADDR="0.0.0.0:7946": want ip:port`}},
		{"meta too long", map[string]string{"MEMBERLIST_META": strings.Repeat("x", swim.MaxMetaLen+1)},
			[]string{`MEMBERLIST_META="xxxx`, "(1025 bytes)", "want at most 1024 bytes"}},
		{"bad seeds entry", map[string]string{"MEMBERLIST_SEEDS": "10.0.0.1:7946,10.0.0.2"},
			[]string{`MEMBERLIST_SEEDS="10.0.0.1:7946,10.0.0.2"`, `seed "10.0.0.2"`, "want host:port"}},
		{"seeds without entries", map[string]string{"MEMBERLIST_SEEDS": " , "},
			[]string{`MEMBERLIST_SEEDS=" , ": want a comma-separated list of host:port`}},
		{"seeds and dns together", map[string]string{"MEMBERLIST_SEEDS": "10.0.0.1:7946", "MEMBERLIST_DNS": "seeds.example"},
			[]string{`MEMBERLIST_SEEDS="10.0.0.1:7946" and MEMBERLIST_DNS="seeds.example" are both set`}},
		{"dns name with port", map[string]string{"MEMBERLIST_DNS": "seeds.example:7946"},
			[]string{`MEMBERLIST_DNS="seeds.example:7946": want a DNS name`, "MEMBERLIST_DNS_PORT"}},
		{"dns name as URL", map[string]string{"MEMBERLIST_DNS": "http://seeds.example/"},
			[]string{`MEMBERLIST_DNS="http://seeds.example/": want a DNS name`}},
		{"dns name with empty label", map[string]string{"MEMBERLIST_DNS": "seeds..example"},
			[]string{`MEMBERLIST_DNS="seeds..example": want a DNS name`}},
		{"bad dns port", map[string]string{"MEMBERLIST_DNS": "seeds.example", "MEMBERLIST_DNS_PORT": "0"},
			[]string{`MEMBERLIST_DNS_PORT="0": want a port number from 1 to 65535`}},
		{"dns port without dns", map[string]string{"MEMBERLIST_DNS_PORT": "7946"},
			[]string{`MEMBERLIST_DNS_PORT="7946" is set without MEMBERLIST_DNS`}},
		{"dns port with srv", map[string]string{"MEMBERLIST_DNS": "_swim._udp.seeds.example", "MEMBERLIST_DNS_PORT": "7946"},
			[]string{`MEMBERLIST_DNS_PORT="7946" is set with the SRV name MEMBERLIST_DNS="_swim._udp.seeds.example"`}},
		{"bad log level", map[string]string{"MEMBERLIST_LOG_LEVEL": "verbose"},
			[]string{`MEMBERLIST_LOG_LEVEL="verbose": want debug, info, warn or error`}},
		{"out of range", map[string]string{"MEMBERLIST_INDIRECT_CHECKS": "99"},
			[]string{`MEMBERLIST_INDIRECT_CHECKS="99": want a decimal integer from 0 to 16, such as 3`}},
		{"zero", map[string]string{"MEMBERLIST_EVENT_BUFFER": "0"},
			[]string{`MEMBERLIST_EVENT_BUFFER="0": want a decimal integer of at least 1, such as 1024`}},
		{"timeout not below interval, caught by Validate", map[string]string{"MEMBERLIST_PROBE_TIMEOUT": "2s"},
			[]string{"ProbeTimeout = 2s; want at most 4/5 of ProbeInterval (800ms)", `MEMBERLIST_PROBE_TIMEOUT="2s"`, "MEMBERLIST_PROBE_INTERVAL unset"}},
		{"interval below the profile's timeout, caught by Validate", map[string]string{"MEMBERLIST_PROBE_INTERVAL": "400ms"},
			[]string{"ProbeTimeout = 500ms", `MEMBERLIST_PROBE_INTERVAL="400ms"`, "MEMBERLIST_PROBE_TIMEOUT unset"}},
		{"join retry below 10ms, caught by Validate", map[string]string{"MEMBERLIST_JOIN_RETRY_MIN": "5ms"},
			[]string{"JoinRetryMin = 5ms; want at least 10ms", `MEMBERLIST_JOIN_RETRY_MIN="5ms"`}},
		{"name too long, caught by Validate", map[string]string{"MEMBERLIST_NAME": strings.Repeat("n", swim.MaxNameLen+1)},
			[]string{"Name = ", "want 1 to 128 bytes", `MEMBERLIST_NAME="nnnn`}},
		{"key not base64", map[string]string{"MEMBERLIST_KEYS": testKeysB64[0] + ",not*base64"},
			[]string{"MEMBERLIST_KEYS (value hidden, 35 bytes): entry 2 is not standard base64; want comma-separated standard base64 keys of 16, 24 or 32 bytes"}},
		{"key of the wrong size", map[string]string{"MEMBERLIST_KEYS": base64.StdEncoding.EncodeToString(make([]byte, 20))},
			[]string{"MEMBERLIST_KEYS (value hidden, 28 bytes): entry 1 decodes to 20 bytes; want"}},
		{"keys without entries", map[string]string{"MEMBERLIST_KEYS": " ,"},
			[]string{"MEMBERLIST_KEYS (value hidden, 2 bytes): want comma-separated standard base64 keys"}},
		{"key repeated", map[string]string{"MEMBERLIST_KEYS": testKeysB64[1] + "," + testKeysB64[1]},
			[]string{"MEMBERLIST_KEYS (value hidden, 65 bytes): entry 2 repeats entry 1; want"}},
		{"label too long", map[string]string{"MEMBERLIST_LABEL": strings.Repeat("l", 65)},
			[]string{`MEMBERLIST_LABEL="llll`, "(65 bytes): want at most 64 bytes of UTF-8, not 65"}},
		{"label not UTF-8", map[string]string{"MEMBERLIST_LABEL": "prod\xff"},
			[]string{`MEMBERLIST_LABEL="prod\xff": want at most 64 bytes of UTF-8`}},
		{"unknown variable", map[string]string{"MEMBERLIST_FOO": "1"},
			[]string{"unknown variable MEMBERLIST_FOO;", "ConfigFromEnv"}},
		{"unknown variables, even empty, all listed and sorted", map[string]string{"MEMBERLIST_PROBE_INTERVALL": "1s", "MEMBERLIST_FOO": "", "MEMBERLIST_BIND": "x"},
			[]string{"unknown variables MEMBERLIST_BIND (did you mean MEMBERLIST_BIND_ADDR?), MEMBERLIST_FOO, MEMBERLIST_PROBE_INTERVALL (did you mean MEMBERLIST_PROBE_INTERVAL?);"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			vars := map[string]string{"MEMBERLIST_NAME": "n1"}
			for k, v := range tc.vars {
				vars[k] = v
			}
			cfg, err := ConfigFromEnviron(environ(vars))
			require.Error(t, err, "ConfigFromEnviron(%v) = %+v", tc.vars, cfg)
			assert.ErrorIs(t, err, ErrInvalidConfig)
			for _, want := range tc.wantIn {
				assert.Contains(t, err.Error(), want)
			}
			assert.Equal(t, Config{}, cfg, "with an error, want the zero Config")
		})
	}
}

// A key is a secret: however MEMBERLIST_KEYS is wrong, no error shows any
// of it, in base64 or decoded.
func TestEnvKeysNeverShown(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("top secret key!!"))
	for _, v := range []string{
		secret + ",%%%",       // a bad entry after a good one
		secret + "," + secret, // a repeat, caught by Validate
		"%%%" + secret,        // not base64 at all
		secret[:20],           // cut short
		base64.StdEncoding.EncodeToString([]byte("top secret key!")), // 15 bytes
	} {
		_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", "MEMBERLIST_KEYS=" + v})
		if !assert.Error(t, err, "MEMBERLIST_KEYS=%s accepted", v) {
			continue
		}
		for _, leak := range []string{secret[:8], "top secret", "%%%"} {
			assert.NotContains(t, err.Error(), leak, "the error shows part of the key")
		}
	}
}

func TestEnvErrorMessage(t *testing.T) {
	_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", "MEMBERLIST_PROBE_INTERVAL=fast"})
	const want = `memberlist: invalid config: MEMBERLIST_PROBE_INTERVAL="fast": want a Go duration such as 200ms or 1s`
	assert.EqualError(t, err, want)
}

func TestEnvReportsEveryProblem(t *testing.T) {
	_, err := ConfigFromEnviron([]string{
		"MEMBERLIST_NAME=n1",
		"MEMBERLIST_PROBE_INTERVAL=fast",
		"MEMBERLIST_GOSSIP_NODES=x",
		"MEMBERLIST_LOG_LEVEL=loud",
		"MEMBERLIST_SEEDS=a:1",
		"MEMBERLIST_DNS=b",
		"MEMBERLIST_SUSPICION_MULT=100",
		"MEMBERLIST_FOO=1",
	})
	require.ErrorIs(t, err, ErrInvalidConfig)
	for _, want := range []string{
		`MEMBERLIST_PROBE_INTERVAL="fast"`,
		`MEMBERLIST_GOSSIP_NODES="x"`,
		`MEMBERLIST_LOG_LEVEL="loud"`,
		`MEMBERLIST_SEEDS="a:1" and MEMBERLIST_DNS="b"`,
		`MEMBERLIST_SUSPICION_MULT="100"`,
		"MEMBERLIST_FOO",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	// Stray variables of the shell that runs the tests must not decide the
	// outcome; t.Setenv restores them afterwards.
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, envPrefix) {
			t.Setenv(k, v)
			os.Unsetenv(k)
		}
	}
	t.Setenv("MEMBERLIST_NAME", "from-env")
	t.Setenv("MEMBERLIST_PROFILE", "local")
	got, err := ConfigFromEnv()
	require.NoError(t, err)
	assert.Equal(t, named(DefaultLocalConfig(), "from-env"), got, "ConfigFromEnv")

	t.Setenv("MEMBERLIST_PROBE_INTERVAL", "fast")
	_, err = ConfigFromEnv()
	require.ErrorIs(t, err, ErrInvalidConfig, "ConfigFromEnv with a bad variable")
	assert.Contains(t, err.Error(), "MEMBERLIST_PROBE_INTERVAL", "ConfigFromEnv with a bad variable")
}

// The table in ConfigFromEnv's documentation must list every variable
// once, and its per-profile defaults must be the presets' values, so that
// the documentation cannot drift from the code.
func TestEnvDocumentation(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "env.go", nil, parser.ParseComments)
	require.NoError(t, err)
	var doc string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "ConfigFromEnv" {
			doc = fn.Doc.Text()
		}
	}
	require.NotEmpty(t, doc, "no documentation on ConfigFromEnv")

	byName := make(map[string]envVar)
	for _, ev := range envVars() {
		byName[ev.name] = ev
	}
	presets := map[string]Config{"lan": DefaultLANConfig(), "wan": DefaultWANConfig(), "local": DefaultLocalConfig()}
	columns := regexp.MustCompile(`\s{2,}`)
	documented := make(map[string]int)
	var header []string
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(line, "\t") {
			continue
		}
		cols := columns.Split(strings.TrimSpace(line), -1)
		if cols[0] == "Variable" {
			header = cols
			continue
		}
		name := cols[0]
		documented[name]++
		ev, ok := byName[name]
		if !assert.True(t, ok, "documented %s is not a known variable", name) ||
			!assert.Len(t, cols, len(header), "documentation row of %s against its header", name) {
			continue
		}
		for i, h := range header {
			preset, ok := presets[h]
			if !ok {
				continue
			}
			field := reflect.ValueOf(preset).FieldByName(ev.field)
			if !assert.True(t, field.IsValid(), "%s has a %s default documented but no Config field", name, h) {
				continue
			}
			assert.Equal(t, docValue(field.Interface()), cols[i], "documented %s default of %s", h, name)
		}
	}
	for name := range byName {
		assert.Equal(t, 1, documented[name], "times %s is documented in ConfigFromEnv's table", name)
	}
}

// docValue writes a preset value as the documentation does: durations
// without the zero units that time.Duration.String adds ("5m", not "5m0s").
func docValue(v any) string {
	switch v := v.(type) {
	case time.Duration:
		s := v.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	case int:
		return strconv.Itoa(v)
	default:
		return "?"
	}
}
