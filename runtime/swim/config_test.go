package swim

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPresetsAreValid(t *testing.T) {
	for name, c := range map[string]Config{"lan": DefaultLANConfig(), "wan": DefaultWANConfig(), "local": DefaultLocalConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
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
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
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
		cfg := DefaultLANConfig()
		c.mod(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("%s: err = %v, want ErrInvalidConfig", c.field, err)
		}
		if !strings.Contains(err.Error(), c.field+" = ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q does not name the field and %q", c.field, err, c.want)
		}
	}
}

// Lifeguard 4.3: the timeout starts at max, falls with the log of the
// confirmations, and reaches min at k confirmations.
func TestLifeguard43_SuspicionTimeout(t *testing.T) {
	min, max := 8*time.Second, 48*time.Second
	s := &suspicion{k: 2, min: min, max: max, confirmers: []string{"a"}}
	if got := s.timeout(); got != max {
		t.Fatalf("no confirmation: %v, want %v", got, max)
	}
	if !s.confirm("b") {
		t.Fatal("first confirmation not counted")
	}
	// max - (max-min)·ln(2)/ln(3)
	frac := math.Log(2) / math.Log(3)
	if got, want := s.timeout(), max-time.Duration(frac*float64(max-min)); (got - want).Abs() > time.Millisecond {
		t.Fatalf("one confirmation: %v, want %v", got, want)
	}
	if s.confirm("b") || s.confirm("a") {
		t.Fatal("a repeated accuser counted twice")
	}
	s.confirm("c")
	if got := s.timeout(); got != min {
		t.Fatalf("k confirmations: %v, want %v", got, min)
	}
	if s.confirm("d") {
		t.Fatal("confirmations past k counted")
	}
	if got := (&suspicion{k: 0, min: min, max: max, confirmers: []string{"a"}}).timeout(); got != min {
		t.Fatalf("k=0 (too few members to confirm): %v, want min %v", got, min)
	}
}

func TestQueueLeastTransmittedFirstAndReplace(t *testing.T) {
	var q queue
	q.push("a", []byte("AAAA"), nil)
	q.push("b", []byte("BBBB"), nil)
	if got := string(q.fill(nil, 4, 10)); got != "BBBB" {
		t.Fatalf("first fill %q, want the newest item", got)
	}
	if got := string(q.fill(nil, 4, 10)); got != "AAAA" {
		t.Fatalf("second fill %q, want the least transmitted", got)
	}
	q.push("a", []byte("aaaa"), nil) // newer news about a replaces the old
	if q.len() != 2 {
		t.Fatalf("len %d after replacing, want 2", q.len())
	}
	if got := string(q.fill(nil, 100, 10)); got != "aaaaBBBB" {
		t.Fatalf("fill %q", got)
	}
	done := false
	q.push("c", []byte("CCCC"), func() { done = true })
	for range 3 {
		q.fill(nil, 100, 3)
	}
	if !done || q.len() != 0 {
		t.Fatalf("after the limit: done=%v len=%d, want the queue empty", done, q.len())
	}
}
