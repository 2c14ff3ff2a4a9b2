package swim

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetsAreValid(t *testing.T) {
	for name, c := range map[string]Config{"lan": DefaultLANConfig(), "wan": DefaultWANConfig(), "local": DefaultLocalConfig()} {
		assert.NoError(t, c.Validate(), name)
	}
}

// The presets carry the incumbent's values (../shared/ANCHORS.md).
func TestPresetsMatchIncumbent(t *testing.T) {
	lan, wan, local := DefaultLANConfig(), DefaultWANConfig(), DefaultLocalConfig()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"lan probe", [2]time.Duration{lan.ProbeInterval, lan.ProbeTimeout}, [2]time.Duration{time.Second, 500 * time.Millisecond}},
		{"wan probe", [2]time.Duration{wan.ProbeInterval, wan.ProbeTimeout}, [2]time.Duration{5 * time.Second, 3 * time.Second}},
		{"local probe", [2]time.Duration{local.ProbeInterval, local.ProbeTimeout}, [2]time.Duration{time.Second, 200 * time.Millisecond}},
		{"indirect", [3]int{lan.IndirectChecks, wan.IndirectChecks, local.IndirectChecks}, [3]int{3, 3, 1}},
		{"retransmit", [3]int{lan.RetransmitMult, wan.RetransmitMult, local.RetransmitMult}, [3]int{4, 4, 2}},
		{"suspicion", [3]int{lan.SuspicionMult, wan.SuspicionMult, local.SuspicionMult}, [3]int{4, 6, 3}},
		{"suspicion max", [3]int{lan.SuspicionMaxTimeoutMult, wan.SuspicionMaxTimeoutMult, local.SuspicionMaxTimeoutMult}, [3]int{6, 6, 6}},
		{"gossip", [3]time.Duration{lan.GossipInterval, wan.GossipInterval, local.GossipInterval}, [3]time.Duration{200 * time.Millisecond, 500 * time.Millisecond, 100 * time.Millisecond}},
		{"gossip nodes", [3]int{lan.GossipNodes, wan.GossipNodes, local.GossipNodes}, [3]int{3, 4, 3}},
		{"to the dead", [3]time.Duration{lan.GossipToTheDeadTime, wan.GossipToTheDeadTime, local.GossipToTheDeadTime}, [3]time.Duration{30 * time.Second, 60 * time.Second, 15 * time.Second}},
		{"sync", [3]time.Duration{lan.SyncInterval, wan.SyncInterval, local.SyncInterval}, [3]time.Duration{30 * time.Second, 60 * time.Second, 15 * time.Second}},
		{"awareness", lan.AwarenessMaxMultiplier, 8},
	} {
		assert.Equal(t, c.want, c.got, c.name)
	}
}

// Every invalid field is named in the error, with what it accepts.
func TestValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		field string
		mod   func(*Config)
		want  string
	}{
		{"ProbeInterval", func(c *Config) { c.ProbeInterval = 0 }, "positive duration"},
		{"ProbeTimeout", func(c *Config) { c.ProbeTimeout = -time.Second }, "positive duration"},
		{"ProbeTimeout", func(c *Config) { c.ProbeTimeout = 2 * c.ProbeInterval }, "at most 4/5 of ProbeInterval"},
		{"ProbeTimeout", func(c *Config) { c.ProbeTimeout = 990 * time.Millisecond }, "at most 4/5 of ProbeInterval"},
		{"GossipInterval", func(c *Config) { c.GossipInterval = 0 }, "positive duration"},
		{"GossipToTheDeadTime", func(c *Config) { c.GossipToTheDeadTime = 0 }, "positive duration"},
		{"SyncInterval", func(c *Config) { c.SyncInterval = 0 }, "positive duration"},
		{"ReconnectInterval", func(c *Config) { c.ReconnectInterval = 0 }, "positive duration"},
		{"DeadRetention", func(c *Config) { c.DeadRetention = 0 }, "positive duration"},
		{"JoinRetryMin", func(c *Config) { c.JoinRetryMin = 0 }, "positive duration"},
		{"JoinRetryMax", func(c *Config) { c.JoinRetryMax = c.JoinRetryMin / 2 }, "at least JoinRetryMin"},
		{"IndirectChecks", func(c *Config) { c.IndirectChecks = -1 }, "0 to 16"},
		{"RetransmitMult", func(c *Config) { c.RetransmitMult = 0 }, "1 to 64"},
		{"SuspicionMult", func(c *Config) { c.SuspicionMult = 100 }, "1 to 64"},
		{"SuspicionMaxTimeoutMult", func(c *Config) { c.SuspicionMaxTimeoutMult = 0 }, "1 to 64"},
		{"AwarenessMaxMultiplier", func(c *Config) { c.AwarenessMaxMultiplier = 0 }, "1 to 64"},
		{"GossipNodes", func(c *Config) { c.GossipNodes = 0 }, "1 to 64"},
		{"PacketBudget", func(c *Config) { c.PacketBudget = 100 }, "1200 to 65000 bytes"},
	} {
		t.Run(c.field, func(t *testing.T) {
			cfg := DefaultLANConfig()
			c.mod(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, c.field+" = ", "the error names the field")
			assert.ErrorContains(t, err, c.want, "the error says what the field accepts")
		})
	}
}

// Lifeguard 4.3: the timeout starts at max, falls with the log of the
// confirmations, and reaches min at k confirmations.
func TestLifeguard43_SuspicionTimeout(t *testing.T) {
	min, max := 8*time.Second, 48*time.Second
	s := &suspicion{k: 2, min: min, max: max, confirmers: []string{"a"}}
	require.Equal(t, max, s.timeout(), "no confirmation")
	require.True(t, s.confirm("b"), "first confirmation not counted")
	// max - (max-min)·ln(2)/ln(3)
	frac := math.Log(2) / math.Log(3)
	want := max - time.Duration(frac*float64(max-min))
	require.InDelta(t, want, s.timeout(), float64(time.Millisecond), "one confirmation: %v, want %v", s.timeout(), want)
	require.False(t, s.confirm("b"), "a repeated accuser counted twice")
	require.False(t, s.confirm("a"), "the first accuser counted again")
	s.confirm("c")
	require.Equal(t, min, s.timeout(), "k confirmations")
	assert.False(t, s.confirm("d"), "confirmations past k counted")
	assert.Equal(t, min, (&suspicion{k: 0, min: min, max: max, confirmers: []string{"a"}}).timeout(), "k=0 (too few members to confirm)")
}

func TestQueueLeastTransmittedFirstAndReplace(t *testing.T) {
	var q queue
	q.push("a", []byte("AAAA"), nil)
	q.push("b", []byte("BBBB"), nil)
	require.Equal(t, "BBBB", string(q.fill(nil, 4, 10)), "first fill: the newest item")
	require.Equal(t, "AAAA", string(q.fill(nil, 4, 10)), "second fill: the least transmitted")
	q.push("a", []byte("aaaa"), nil) // newer news about a replaces the old
	require.Equal(t, 2, q.len(), "len after replacing")
	require.Equal(t, "aaaaBBBB", string(q.fill(nil, 100, 10)))
	done := false
	q.push("c", []byte("CCCC"), func() { done = true })
	for range 3 {
		q.fill(nil, 100, 3)
	}
	assert.True(t, done, "the done callback after the limit")
	assert.Zero(t, q.len(), "the queue after the limit")
}
