package swim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errors.As finds the field of every setting Validate refuses, with the
// value and what the field accepts, and the message reads as it always
// has: "swim: invalid config: Field = Value; want Want".
func TestValidateConfigError(t *testing.T) {
	for _, tc := range []struct {
		mod     func(*Config)
		field   string
		value   string
		want    string
		related []string
	}{
		{func(c *Config) { c.ProbeInterval = 0 }, "ProbeInterval", "0s", "a positive duration", nil},
		{func(c *Config) { c.ProbeTimeout = -time.Second }, "ProbeTimeout", "-1s", "a positive duration", nil},
		{func(c *Config) { c.ProbeTimeout = 900 * time.Millisecond }, "ProbeTimeout", "900ms",
			"at most 4/5 of ProbeInterval (800ms), so that indirect probes fit in the rest of the period", []string{"ProbeInterval"}},
		{func(c *Config) { c.ProbeInterval, c.ProbeTimeout = time.Millisecond, 500*time.Microsecond }, "ProbeTimeout", "500µs", "at least 1ms", nil},
		{func(c *Config) { c.GossipInterval = 0 }, "GossipInterval", "0s", "a positive duration", nil},
		{func(c *Config) { c.GossipInterval = time.Microsecond }, "GossipInterval", "1µs", "at least 1ms", nil},
		{func(c *Config) { c.GossipToTheDeadTime = 0 }, "GossipToTheDeadTime", "0s", "a positive duration", nil},
		{func(c *Config) { c.SyncInterval = 0 }, "SyncInterval", "0s", "a positive duration", nil},
		{func(c *Config) { c.ReconnectInterval = 0 }, "ReconnectInterval", "0s", "a positive duration", nil},
		{func(c *Config) { c.DeadRetention = 0 }, "DeadRetention", "0s", "a positive duration", nil},
		{func(c *Config) { c.JoinRetryMin = 0 }, "JoinRetryMin", "0s", "a positive duration", nil},
		{func(c *Config) { c.JoinRetryMin = 5 * time.Millisecond }, "JoinRetryMin", "5ms", "at least 10ms", nil},
		{func(c *Config) { c.JoinRetryMax = 0 }, "JoinRetryMax", "0s", "a positive duration", nil},
		{func(c *Config) { c.JoinRetryMax = 500 * time.Millisecond }, "JoinRetryMax", "500ms", "at least JoinRetryMin (1s)", []string{"JoinRetryMin"}},
		{func(c *Config) { c.IndirectChecks = 17 }, "IndirectChecks", "17", "0 to 16", nil},
		{func(c *Config) { c.RetransmitMult = 0 }, "RetransmitMult", "0", "1 to 64", nil},
		{func(c *Config) { c.SuspicionMult = 65 }, "SuspicionMult", "65", "1 to 64", nil},
		{func(c *Config) { c.SuspicionMaxTimeoutMult = 0 }, "SuspicionMaxTimeoutMult", "0", "1 to 64", nil},
		{func(c *Config) { c.AwarenessMaxMultiplier = -1 }, "AwarenessMaxMultiplier", "-1", "1 to 64", nil},
		{func(c *Config) { c.GossipNodes = 0 }, "GossipNodes", "0", "1 to 64", nil},
		{func(c *Config) { c.MaxMembers = 1 }, "MaxMembers", "1", "2 to 1048576, or 0 for the default", nil},
		{func(c *Config) { c.PacketBudget = MaxPacketBudget + 1 }, "PacketBudget", "65001", "1200 to 65000 bytes", nil},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			cfg := DefaultLANConfig()
			tc.mod(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, &ConfigError{Field: tc.field, Value: tc.value, Want: tc.want, Related: tc.related}, ce)
			assert.Equal(t, "swim: invalid config: "+tc.field+" = "+tc.value+"; want "+tc.want, err.Error())
		})
	}
}

// A ConfigError wrapped further is still found, and still wraps the
// sentinel.
func TestConfigErrorWrapped(t *testing.T) {
	cfg := DefaultLANConfig()
	cfg.GossipNodes = 100
	err := fmt.Errorf("start: %w", cfg.Validate())
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "GossipNodes", ce.Field)
	assert.ErrorIs(t, err, ErrInvalidConfig)
}
