package swim

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig is wrapped by every error Config.Validate returns.
var ErrInvalidConfig = errors.New("swim: invalid config")

// ConfigError is the error Config.Validate returns: the field refused, its
// value and what the field accepts, so that a caller that maps fields to
// its own names (flags, environment variables) finds the field with
// errors.As instead of reading the message. It wraps ErrInvalidConfig.
type ConfigError struct {
	// Field is the Config field refused, such as "ProbeTimeout".
	Field string
	// Value is the refused value as the message shows it.
	Value string
	// Want says what Field accepts.
	Want string
	// Related are the other fields Want speaks of, whose values set the
	// bound Field broke ("ProbeInterval" for a ProbeTimeout over 4/5 of
	// it): changing one of them fixes the error too.
	Related []string
}

// Error reads "swim: invalid config: Field = Value; want Want".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("%v: %s = %s; want %s", ErrInvalidConfig, e.Field, e.Value, e.Want)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Packet budget limits. The budget is the number of bytes of one packet the
// core fills (version byte and messages); the transport adds its framing
// (checksum, label, encryption) on top.
const (
	// DefaultPacketBudget leaves 100 bytes of a 1,400-byte UDP payload (the
	// incumbent's default, safe on any Ethernet path, IPv6 included) for the
	// transport's worst-case framing.
	DefaultPacketBudget = 1300
	// MinPacketBudget is the smallest budget that still fits an announcement
	// with the longest name and metadata allowed.
	MinPacketBudget = 1200
	// MaxPacketBudget is the largest budget a UDP datagram can carry.
	MaxPacketBudget = 65000
)

// Config holds the SWIM and Lifeguard knobs of one core. Start from
// DefaultLANConfig, DefaultWANConfig or DefaultLocalConfig; their values are
// the incumbent's (hashicorp/memberlist) presets of the same names, plus the
// knobs it lacks.
type Config struct {
	// ProbeInterval is the protocol period: one member is probed per period.
	// Lifeguard scales it by the local health multiplier.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct ping waits for its ack before the
	// probe asks IndirectChecks other members; scaled like ProbeInterval.
	ProbeTimeout time.Duration
	// IndirectChecks is how many members relay a ping-req (SWIM's k).
	IndirectChecks int
	// RetransmitMult sets how often one piece of news is sent:
	// RetransmitMult·ceil(log10(N+1)) times by each member that holds it.
	RetransmitMult int
	// SuspicionMult sets the shortest suspicion timeout,
	// SuspicionMult·max(1, log10 N)·ProbeInterval, and the independent
	// confirmations that shrink a suspicion to it (SuspicionMult-2).
	SuspicionMult int
	// SuspicionMaxTimeoutMult sets the longest suspicion timeout, as a
	// multiple of the shortest.
	SuspicionMaxTimeoutMult int
	// AwarenessMaxMultiplier bounds Lifeguard's local health multiplier: the
	// health score ranges over 0..AwarenessMaxMultiplier-1.
	AwarenessMaxMultiplier int
	// GossipInterval is how often queued news is sent to GossipNodes random
	// members, beyond what rides on probes; a verdict or a refutation may
	// get one early round in between.
	GossipInterval time.Duration
	// GossipNodes is how many members each gossip round reaches.
	GossipNodes int
	// GossipToTheDeadTime is how long a dead member still gets gossip, so it
	// can learn that it was declared dead and refute.
	GossipToTheDeadTime time.Duration
	// SyncInterval is the anti-entropy period for N <= 32: a digest of the
	// view goes to one random member, and a full state exchange follows if
	// the views differ. Above 32 members it grows like the incumbent's
	// push/pull, by ceil(log2 N - 5) + 1.
	SyncInterval time.Duration
	// ReconnectInterval is how often the core tries one member it holds as
	// dead, or one seed that is not an alive member, so that a partitioned
	// cluster merges again by itself.
	ReconnectInterval time.Duration
	// DeadRetention is how long a dead or left member is remembered before it
	// is forgotten; it bounds state under churn. Reconnection to dead members
	// works within this window; beyond it, through the seeds.
	DeadRetention time.Duration
	// JoinRetryMin and JoinRetryMax bound the backoff between join attempts
	// while no seed has answered.
	JoinRetryMin time.Duration
	JoinRetryMax time.Duration
	// PacketBudget is the size of the largest packet the core produces.
	PacketBudget int
	// Admit, if set, is asked before a member unknown to this view is
	// added, by any path (a join, gossip, a state transfer); an error
	// refuses it: it is not added, so never probed nor reported, and the
	// refusal is counted (Stats.AdmitRefused). It runs on the core's
	// caller (a runtime.Node's loop), so it must return quickly and not
	// call back into the core, nor into a Node method that waits for the
	// loop (Members may, after ten seconds without a call).
	Admit func(Member) error
	// DisableTCPProbe turns off the TCP fallback probe. By default, when a
	// direct ping goes unanswered, the core asks its caller to try the
	// member over a stream too (Ready.StreamProbes), alongside the
	// ping-reqs, and an answer keeps the member alive: members behind a
	// firewall that drops UDP, or on a lossy UDP path, are not declared
	// failed while TCP reaches them (Stats.StreamProbeAcks counts them).
	DisableTCPProbe bool
	// MaxMembers bounds the members one view holds, dead and left ones
	// included; news of more is refused and counted (Stats.MembersRefused),
	// so no sender can grow the table past it. Zero means
	// DefaultMaxMembers.
	MaxMembers int
}

// DefaultMaxMembers is the member table's bound when Config.MaxMembers is 0.
const DefaultMaxMembers = 10000

// maxMembers is the effective member table bound.
func (c Config) maxMembers() int {
	if c.MaxMembers == 0 {
		return DefaultMaxMembers
	}
	return c.MaxMembers
}

// DefaultLANConfig returns the settings for a cluster inside one data
// centre: the incumbent's DefaultLANConfig.
func DefaultLANConfig() Config {
	return Config{
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		RetransmitMult:          4,
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 6,
		AwarenessMaxMultiplier:  8,
		GossipInterval:          200 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     30 * time.Second,
		SyncInterval:            30 * time.Second,
		ReconnectInterval:       10 * time.Second,
		DeadRetention:           5 * time.Minute,
		JoinRetryMin:            time.Second,
		JoinRetryMax:            30 * time.Second,
		PacketBudget:            DefaultPacketBudget,
		MaxMembers:              DefaultMaxMembers,
	}
}

// DefaultWANConfig returns settings for members spread over wide-area links:
// the incumbent's DefaultWANConfig.
func DefaultWANConfig() Config {
	c := DefaultLANConfig()
	c.ProbeInterval = 5 * time.Second
	c.ProbeTimeout = 3 * time.Second
	c.SuspicionMult = 6
	c.GossipInterval = 500 * time.Millisecond
	c.GossipNodes = 4
	c.GossipToTheDeadTime = 60 * time.Second
	c.SyncInterval = 60 * time.Second
	c.ReconnectInterval = 30 * time.Second
	c.DeadRetention = 10 * time.Minute
	c.JoinRetryMin = 2 * time.Second
	c.JoinRetryMax = 60 * time.Second
	return c
}

// DefaultLocalConfig returns settings for members on one host or a fast
// local network: the incumbent's DefaultLocalConfig.
func DefaultLocalConfig() Config {
	c := DefaultLANConfig()
	c.ProbeTimeout = 200 * time.Millisecond
	c.IndirectChecks = 1
	c.RetransmitMult = 2
	c.SuspicionMult = 3
	c.GossipInterval = 100 * time.Millisecond
	c.GossipToTheDeadTime = 15 * time.Second
	c.SyncInterval = 15 * time.Second
	c.ReconnectInterval = 5 * time.Second
	c.DeadRetention = 2 * time.Minute
	c.JoinRetryMin = 500 * time.Millisecond
	c.JoinRetryMax = 15 * time.Second
	return c
}

// Validate reports the first setting that is out of range, naming the field
// and what it accepts. Every error is a *ConfigError, which wraps
// ErrInvalidConfig.
func (c Config) Validate() error {
	bad := func(field string, v any, want string, related ...string) error {
		return &ConfigError{Field: field, Value: fmt.Sprint(v), Want: want, Related: related}
	}
	dur := func(field string, d time.Duration) error {
		if d <= 0 {
			return bad(field, d, "a positive duration")
		}
		return nil
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ProbeInterval", c.ProbeInterval},
		{"ProbeTimeout", c.ProbeTimeout},
		{"GossipInterval", c.GossipInterval},
		{"GossipToTheDeadTime", c.GossipToTheDeadTime},
		{"SyncInterval", c.SyncInterval},
		{"ReconnectInterval", c.ReconnectInterval},
		{"DeadRetention", c.DeadRetention},
		{"JoinRetryMin", c.JoinRetryMin},
		{"JoinRetryMax", c.JoinRetryMax},
	} {
		if err := dur(f.name, f.d); err != nil {
			return err
		}
	}
	switch {
	case c.ProbeTimeout > c.ProbeInterval*4/5:
		// The rest of the period is the indirect probe's window: the
		// ping-reqs, the relays' pings and their acks or nacks must fit.
		return bad("ProbeTimeout", c.ProbeTimeout, fmt.Sprintf("at most 4/5 of ProbeInterval (%v), so that indirect probes fit in the rest of the period", c.ProbeInterval*4/5), "ProbeInterval")
	case c.JoinRetryMin < 10*time.Millisecond:
		return bad("JoinRetryMin", c.JoinRetryMin, "at least 10ms")
	case c.GossipInterval < time.Millisecond:
		return bad("GossipInterval", c.GossipInterval, "at least 1ms")
	case c.ProbeTimeout < time.Millisecond:
		return bad("ProbeTimeout", c.ProbeTimeout, "at least 1ms")
	case c.JoinRetryMax < c.JoinRetryMin:
		return bad("JoinRetryMax", c.JoinRetryMax, fmt.Sprintf("at least JoinRetryMin (%v)", c.JoinRetryMin), "JoinRetryMin")
	case c.IndirectChecks < 0 || c.IndirectChecks > 16:
		return bad("IndirectChecks", c.IndirectChecks, "0 to 16")
	case c.RetransmitMult < 1 || c.RetransmitMult > 64:
		return bad("RetransmitMult", c.RetransmitMult, "1 to 64")
	case c.SuspicionMult < 1 || c.SuspicionMult > 64:
		return bad("SuspicionMult", c.SuspicionMult, "1 to 64")
	case c.SuspicionMaxTimeoutMult < 1 || c.SuspicionMaxTimeoutMult > 64:
		return bad("SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult, "1 to 64")
	case c.AwarenessMaxMultiplier < 1 || c.AwarenessMaxMultiplier > 64:
		return bad("AwarenessMaxMultiplier", c.AwarenessMaxMultiplier, "1 to 64")
	case c.GossipNodes < 1 || c.GossipNodes > 64:
		return bad("GossipNodes", c.GossipNodes, "1 to 64")
	case c.MaxMembers < 0 || c.MaxMembers == 1 || c.MaxMembers > 1<<20:
		return bad("MaxMembers", c.MaxMembers, "2 to 1048576, or 0 for the default")
	case c.PacketBudget < MinPacketBudget || c.PacketBudget > MaxPacketBudget:
		return bad("PacketBudget", c.PacketBudget, fmt.Sprintf("%d to %d bytes", MinPacketBudget, MaxPacketBudget))
	}
	return nil
}
