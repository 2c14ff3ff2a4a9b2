package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/runtime/swim"
	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// errors.As finds the field of every setting Config.Validate refuses, the
// protocol's included, with the value and what the field accepts; the
// message is "memberlist: invalid config: " and the problem, as it always
// was.
func TestValidateConfigError(t *testing.T) {
	key := make([]byte, 16)
	for _, tc := range []struct {
		mod     func(*Config)
		field   string
		value   string
		msg     string // the message after "memberlist: invalid config: "
		related []string
		swim    bool // a protocol knob: swim.ConfigError is found too
		cause   error
	}{
		{mod: func(c *Config) { c.ProbeTimeout = time.Second }, field: "ProbeTimeout", value: "1s",
			msg: "ProbeTimeout = 1s; want at most 4/5 of ProbeInterval (800ms), so that indirect probes fit in the rest of the period", related: []string{"ProbeInterval"}, swim: true},
		{mod: func(c *Config) { c.GossipNodes = 0 }, field: "GossipNodes", value: "0", msg: "GossipNodes = 0; want 1 to 64", swim: true},
		{mod: func(c *Config) { c.Name = "" }, field: "Name", value: `""`, msg: `Name = ""; want 1 to 128 bytes`},
		{mod: func(c *Config) { c.BindAddr = "" }, field: "BindAddr", value: `""`, msg: `BindAddr = ""; want "host:port", e.g. "0.0.0.0:7946"`},
		{mod: func(c *Config) { c.Meta = make([]byte, swim.MaxMetaLen+1) }, field: "Meta", value: "1025 bytes", msg: "Meta = 1025 bytes; want at most 1024 bytes"},
		{mod: func(c *Config) { c.DiscoveryInterval = 0 }, field: "DiscoveryInterval", value: "0s", msg: "DiscoveryInterval = 0s; want a positive duration"},
		{mod: func(c *Config) { c.JoinTimeout = -time.Second }, field: "JoinTimeout", value: "-1s", msg: "JoinTimeout = -1s; want 0 (do not wait) or a positive duration"},
		{mod: func(c *Config) { c.JoinTimeout = time.Second }, field: "JoinTimeout", value: "1s",
			msg: "JoinTimeout = 1s; want 0 without Discovery: with no seeds there is nothing to wait for", related: []string{"Discovery"}},
		{mod: func(c *Config) { c.EventBuffer = 0 }, field: "EventBuffer", value: "0", msg: "EventBuffer = 0; want at least 1"},
		{mod: func(c *Config) { c.Label = strings.Repeat("l", 65) }, field: "Label", value: `"` + strings.Repeat("l", 65) + `" (65 bytes)`,
			msg: `Label = "` + strings.Repeat("l", 65) + `" (65 bytes); want at most 64 bytes`},
		{mod: func(c *Config) { c.Label = "a\xff" }, field: "Label", value: `"a\xff"`, msg: `Label = "a\xff"; want valid UTF-8`},
		{mod: func(c *Config) { c.MaxStreamMessageSize = 0 }, field: "MaxStreamMessageSize", value: "0", msg: "MaxStreamMessageSize = 0; want 1 to 16777216 bytes"},
		{mod: func(c *Config) { c.StreamTimeout = 0 }, field: "StreamTimeout", value: "0s", msg: "StreamTimeout = 0s; want a positive duration"},
		{mod: func(c *Config) { c.MaxStreamConns = 65537 }, field: "MaxStreamConns", value: "65537", msg: "MaxStreamConns = 65537; want 1 to 65536"},
		{mod: func(c *Config) { c.PushPullInterval = -time.Second }, field: "PushPullInterval", value: "-1s",
			msg: "PushPullInterval = -1s; want a positive duration, or 0 for no periodic exchange"},
		{mod: func(c *Config) { c.TLS = &tls.Config{} }, field: "TLS", value: "a config without a certificate",
			msg: "TLS = a config without a certificate; want Certificates or GetCertificate set: the certificate serves both to accept and to dial"},
		{mod: func(c *Config) { c.Keys = [][]byte{key, make([]byte, 20)} }, field: "Keys", value: "a key of 20 bytes",
			msg: "Keys[1] is 20 bytes; want 16, 24 or 32 (AES-128, AES-192 or AES-256)", cause: udpframe.ErrKeySize},
		{mod: func(c *Config) { c.Keys = [][]byte{key, key} }, field: "Keys", value: "a repeat of Keys[0]", msg: "Keys[1] repeats Keys[0]; want each key once"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			cfg := named(DefaultLANConfig(), "n1")
			tc.mod(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Equal(t, "memberlist: invalid config: "+tc.msg, err.Error())
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, tc.value, ce.Value)
			assert.Equal(t, tc.related, ce.Related)
			assert.True(t, strings.HasSuffix(tc.msg, "; want "+ce.Want), "Want %q is not the end of %q", ce.Want, tc.msg)
			var se *swim.ConfigError
			assert.Equal(t, tc.swim, errors.As(err, &se), "swim.ConfigError found")
			assert.Equal(t, tc.swim, errors.Is(err, swim.ErrInvalidConfig), "wraps swim.ErrInvalidConfig")
			if tc.cause != nil {
				assert.ErrorIs(t, err, tc.cause)
			}
		})
	}
}

// Start refuses a packet budget other than the transport's with a
// ConfigError, before it binds anything.
func TestStartPacketBudgetConfigError(t *testing.T) {
	cfg := named(DefaultLocalConfig(), "n1")
	cfg.PacketBudget = swim.MinPacketBudget
	_, err := Start(context.Background(), cfg)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "PacketBudget", ce.Field)
	assert.Equal(t, "memberlist: invalid config: PacketBudget = 1200; want 1300 (the UDP transport's budget)", err.Error())
}

// A setting Config.Validate refuses from the environment is reported with
// the variables behind the field and behind the fields its bound depends
// on, found with errors.As: set ones with their values, unset ones as the
// variable to set.
func TestEnvValidateNamesVariables(t *testing.T) {
	for _, tc := range []struct {
		vars  map[string]string
		field string
		want  string // the end of the message
	}{
		{map[string]string{"MEMBERLIST_PROBE_TIMEOUT": "2s"}, "ProbeTimeout",
			`ProbeTimeout = 2s; want at most 4/5 of ProbeInterval (800ms), so that indirect probes fit in the rest of the period (MEMBERLIST_PROBE_INTERVAL unset, MEMBERLIST_PROBE_TIMEOUT="2s")`},
		{map[string]string{"MEMBERLIST_PROBE_INTERVAL": "400ms"}, "ProbeTimeout",
			`ProbeTimeout = 500ms; want at most 4/5 of ProbeInterval (320ms), so that indirect probes fit in the rest of the period (MEMBERLIST_PROBE_INTERVAL="400ms", MEMBERLIST_PROBE_TIMEOUT unset)`},
		{map[string]string{"MEMBERLIST_GOSSIP_INTERVAL": "500us"}, "GossipInterval",
			`GossipInterval = 500µs; want at least 1ms (MEMBERLIST_GOSSIP_INTERVAL="500us")`},
		{map[string]string{"MEMBERLIST_JOIN_RETRY_MIN": "5ms"}, "JoinRetryMin",
			`JoinRetryMin = 5ms; want at least 10ms (MEMBERLIST_JOIN_RETRY_MIN="5ms")`},
		{map[string]string{"MEMBERLIST_JOIN_RETRY_MAX": "500ms"}, "JoinRetryMax",
			`JoinRetryMax = 500ms; want at least JoinRetryMin (1s) (MEMBERLIST_JOIN_RETRY_MIN unset, MEMBERLIST_JOIN_RETRY_MAX="500ms")`},
		{map[string]string{"MEMBERLIST_NAME": strings.Repeat("n", swim.MaxNameLen+1)}, "Name",
			`want 1 to 128 bytes (MEMBERLIST_NAME="` + strings.Repeat("n", 64) + `"... (129 bytes))`},
		{map[string]string{"MEMBERLIST_JOIN_TIMEOUT": "10s"}, "JoinTimeout",
			`JoinTimeout = 10s; want 0 without Discovery: with no seeds there is nothing to wait for (MEMBERLIST_JOIN_TIMEOUT="10s")`},
	} {
		t.Run(tc.field, func(t *testing.T) {
			vars := map[string]string{"MEMBERLIST_NAME": "n1"}
			for k, v := range tc.vars {
				vars[k] = v
			}
			_, err := ConfigFromEnviron(environ(vars))
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "memberlist: invalid config: "+tc.field+" = "), "%q", err)
			assert.True(t, strings.HasSuffix(err.Error(), tc.want), "%q\ndoes not end with %q", err, tc.want)
		})
	}
}

// Every variable's field is a field of Config (or of the embedded
// swim.Config), spelt as ConfigError names it, so that no Validate error
// about it goes without the variable.
func TestEnvVarFieldsAreConfigFields(t *testing.T) {
	for _, ev := range envVars() {
		if ev.field == "" {
			continue
		}
		_, ok := reflect.TypeFor[Config]().FieldByName(ev.field)
		assert.True(t, ok, "%s: field %q is not a Config field", ev.name, ev.field)
	}
	// JoinTimeout's error names Discovery among its Related fields.
	_, ok := reflect.TypeFor[Config]().FieldByName("Discovery")
	assert.True(t, ok)
}
