package runtime

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/swim"
	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// envPrefix marks the variables ConfigFromEnviron owns. Any other variable
// with this prefix is taken for a typo and refused, because an ignored
// misspelt knob leaves a node running on a default nobody asked for.
const envPrefix = "MEMBERLIST_"

// defaultDNSPort is the port used with the addresses of an A/AAAA
// MEMBERLIST_DNS name when MEMBERLIST_DNS_PORT is unset: the port of the
// default BindAddr, so that members started alike find each other.
const defaultDNSPort = 7946

// ConfigFromEnv returns the Config described by the MEMBERLIST_* variables
// of the process environment, as ConfigFromEnviron does for os.Environ().
//
// Every variable is optional, and an empty one counts as unset, so that a
// deployment template can leave one blank. MEMBERLIST_PROFILE picks the
// preset first (DefaultLANConfig, DefaultWANConfig or DefaultLocalConfig);
// each other variable overrides that preset's value. Durations are in Go
// syntax (200ms, 1.5s, 2m); integers are decimal.
//
//	Variable                       Form                                   Default               Meaning
//	MEMBERLIST_PROFILE             lan, wan or local (any case)           lan                   the preset the other variables override
//	MEMBERLIST_NAME                1 to 128 bytes                         the host name         Name: this member's name, unique in the cluster
//	MEMBERLIST_BIND_ADDR           host:port, host an IP or empty         0.0.0.0:7946          BindAddr: where the UDP socket listens; port 0 picks one
//	MEMBERLIST_ADVERTISE_ADDR      ip:port                                worked out from bind  AdvertiseAddr: the address other members send to (NAT)
//	MEMBERLIST_META                at most 1024 bytes                     empty                 Meta: this member's metadata
//	MEMBERLIST_SEEDS               host:port,host:port,...                none                  Discovery: fixed seeds (discovery.ParseStatic)
//	MEMBERLIST_DNS                 DNS name; SRV if it starts with "_"    none                  Discovery: seeds looked up in DNS (discovery.DNS)
//	MEMBERLIST_DNS_PORT            1 to 65535                             7946                  port of the A/AAAA addresses of MEMBERLIST_DNS
//	MEMBERLIST_DISCOVERY_INTERVAL  positive duration                      30s                   DiscoveryInterval: how often discovery is asked again
//	MEMBERLIST_EVENT_BUFFER        integer, at least 1                    1024                  EventBuffer: events a subscriber may fall behind
//	MEMBERLIST_LOG_LEVEL           debug, info, warn or error (any case)  unset: no log         Logger: text log on standard error from that level up
//	MEMBERLIST_KEYS                base64 keys, comma-separated           none: no encryption   Keys: AES-GCM keys of 16, 24 or 32 bytes, the primary first
//	MEMBERLIST_LABEL               at most 64 bytes                       empty                 Label: the cluster's name; packets with another are dropped
//	MEMBERLIST_CLOCK_SKEW          duration, at least 1ms                 10s                   ClockSkew: how far another member's clock may be off (encryption)
//
// The protocol's knobs set the swim.Config fields of the same names, whose
// documentation says what each does. Their defaults depend on the profile:
//
//	Variable                               Form                 lan    wan    local  Meaning (swim.Config field)
//	MEMBERLIST_PROBE_INTERVAL              positive duration    1s     5s     1s     ProbeInterval: the protocol period, one probe each
//	MEMBERLIST_PROBE_TIMEOUT               duration < interval  500ms  3s     200ms  ProbeTimeout: wait for an ack before indirect probes
//	MEMBERLIST_INDIRECT_CHECKS             integer, 0 to 16     3      3      1      IndirectChecks: members asked to relay a probe
//	MEMBERLIST_RETRANSMIT_MULT             integer, 1 to 64     4      4      2      RetransmitMult: how often each piece of news is sent
//	MEMBERLIST_SUSPICION_MULT              integer, 1 to 64     4      6      3      SuspicionMult: scales the shortest suspicion timeout
//	MEMBERLIST_SUSPICION_MAX_TIMEOUT_MULT  integer, 1 to 64     6      6      6      SuspicionMaxTimeoutMult: longest over shortest suspicion timeout
//	MEMBERLIST_AWARENESS_MAX_MULTIPLIER    integer, 1 to 64     8      8      8      AwarenessMaxMultiplier: bound of Lifeguard's health multiplier
//	MEMBERLIST_GOSSIP_INTERVAL             positive duration    200ms  500ms  100ms  GossipInterval: period of gossip rounds
//	MEMBERLIST_GOSSIP_NODES                integer, 1 to 64     3      4      3      GossipNodes: members each gossip round reaches
//	MEMBERLIST_GOSSIP_TO_THE_DEAD_TIME     positive duration    30s    1m     15s    GossipToTheDeadTime: how long a dead member still gets gossip
//	MEMBERLIST_SYNC_INTERVAL               positive duration    30s    1m     15s    SyncInterval: anti-entropy period
//	MEMBERLIST_RECONNECT_INTERVAL          positive duration    10s    30s    5s     ReconnectInterval: period of attempts to reach dead members
//	MEMBERLIST_DEAD_RETENTION              positive duration    5m     10m    2m     DeadRetention: how long a dead or left member is remembered
//	MEMBERLIST_JOIN_RETRY_MIN              duration, >= 10ms    1s     2s     500ms  JoinRetryMin: shortest wait between join attempts
//	MEMBERLIST_JOIN_RETRY_MAX              duration, >= min     30s    1m     15s    JoinRetryMax: longest wait between join attempts
//
// MEMBERLIST_KEYS holds standard base64 (with padding), as from
// `openssl rand -base64 32`; no error ever shows its value, which is a
// secret, only the position and length of a bad entry.
//
// MEMBERLIST_SEEDS and MEMBERLIST_DNS are exclusive: with both set, which
// seeds to use would be a guess. MEMBERLIST_DNS_PORT is refused without an
// A/AAAA MEMBERLIST_DNS name, as an SRV record carries its own port. The
// packet budget is not a variable: the UDP transport accepts only its own.
//
// Every malformed value and unknown MEMBERLIST_* variable is reported, with
// the first setting Config.Validate refuses, all in one error that wraps
// ErrInvalidConfig and names each variable concerned.
func ConfigFromEnv() (Config, error) { return ConfigFromEnviron(os.Environ()) }

// ConfigFromEnviron is ConfigFromEnv reading environ, a list of "KEY=value"
// entries like that of os.Environ, instead of the process environment, so
// that a program or a test can build its Config from any source. Entries
// without the MEMBERLIST_ prefix are ignored; of duplicate keys the last
// wins, as in exec.Cmd.Env.
func ConfigFromEnviron(environ []string) (Config, error) {
	env := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			env[k] = v
		}
	}
	vars := envVars()

	var errs []error
	known := make(map[string]bool, len(vars))
	for _, ev := range vars {
		known[ev.name] = true
	}
	var unknown []string
	for k := range env {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		what := "unknown variable"
		if len(unknown) > 1 {
			what += "s"
		}
		errs = append(errs, fmt.Errorf("%w: %s %s; the known ones are listed in the documentation of ConfigFromEnv (go doc github.com/memberlist-go/memberlist/runtime.ConfigFromEnv)",
			ErrInvalidConfig, what, strings.Join(unknown, ", ")))
	}

	p := envParse{cfg: DefaultLANConfig(), dnsPort: defaultDNSPort}
	for _, ev := range vars {
		v := env[ev.name]
		if v == "" {
			continue
		}
		if err := ev.set(&p, v); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, ev.show(v), err))
		}
	}
	errs = append(errs, p.discovery(env)...)

	if p.cfg.Name == "" {
		host, err := os.Hostname()
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: MEMBERLIST_NAME is unset and the host name is unknown (%w); set MEMBERLIST_NAME", ErrInvalidConfig, err))
		}
		p.cfg.Name = host
	}

	if err := p.cfg.Validate(); err != nil {
		errs = append(errs, explainValidate(err, vars, env))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return p.cfg, nil
}

// envVar is one variable ConfigFromEnviron reads. The list of them is the
// one place that knows the variables: it drives both the parsing and the
// check for unknown names.
type envVar struct {
	name string
	// field is the Config field the variable sets, as Config.Validate
	// names it, so that a Validate error can be traced to the variable the
	// operator actually wrote; empty for variables without one field.
	field string
	// set parses a non-empty value into p. Its error says only what is
	// wanted; the caller adds the variable and the value.
	set func(p *envParse, v string) error
	// secret marks a value that no error may show.
	secret bool
}

// envParse is the state of one ConfigFromEnviron call. Discovery needs
// several variables at once, so their values wait here for the end.
type envParse struct {
	cfg     Config
	seeds   bool // MEMBERLIST_SEEDS gave cfg.Discovery
	dnsName string
	dnsPort int
}

// envVars lists the variables in the order they are applied.
// MEMBERLIST_PROFILE comes first because it replaces the whole Config.
func envVars() []envVar {
	return []envVar{
		{name: "MEMBERLIST_PROFILE", set: setProfile},
		{name: "MEMBERLIST_NAME", field: "Name", set: func(p *envParse, v string) error {
			p.cfg.Name = v
			return nil
		}},
		{name: "MEMBERLIST_BIND_ADDR", field: "BindAddr", set: setBindAddr},
		{name: "MEMBERLIST_ADVERTISE_ADDR", field: "AdvertiseAddr", set: setAdvertiseAddr},
		{name: "MEMBERLIST_META", field: "Meta", set: setMeta},
		{name: "MEMBERLIST_SEEDS", set: setSeeds},
		{name: "MEMBERLIST_DNS", set: setDNS},
		{name: "MEMBERLIST_DNS_PORT", set: setDNSPort},
		durationVar("MEMBERLIST_DISCOVERY_INTERVAL", "DiscoveryInterval", func(c *Config) *time.Duration { return &c.DiscoveryInterval }),
		intVar("MEMBERLIST_EVENT_BUFFER", "EventBuffer", func(c *Config) *int { return &c.EventBuffer }),
		{name: "MEMBERLIST_LOG_LEVEL", set: setLogLevel},
		{name: "MEMBERLIST_KEYS", field: "Keys", set: setKeys, secret: true},
		{name: "MEMBERLIST_LABEL", field: "Label", set: setLabel},
		durationVar("MEMBERLIST_CLOCK_SKEW", "ClockSkew", func(c *Config) *time.Duration { return &c.ClockSkew }),

		durationVar("MEMBERLIST_PROBE_INTERVAL", "ProbeInterval", func(c *Config) *time.Duration { return &c.ProbeInterval }),
		durationVar("MEMBERLIST_PROBE_TIMEOUT", "ProbeTimeout", func(c *Config) *time.Duration { return &c.ProbeTimeout }),
		intVar("MEMBERLIST_INDIRECT_CHECKS", "IndirectChecks", func(c *Config) *int { return &c.IndirectChecks }),
		intVar("MEMBERLIST_RETRANSMIT_MULT", "RetransmitMult", func(c *Config) *int { return &c.RetransmitMult }),
		intVar("MEMBERLIST_SUSPICION_MULT", "SuspicionMult", func(c *Config) *int { return &c.SuspicionMult }),
		intVar("MEMBERLIST_SUSPICION_MAX_TIMEOUT_MULT", "SuspicionMaxTimeoutMult", func(c *Config) *int { return &c.SuspicionMaxTimeoutMult }),
		intVar("MEMBERLIST_AWARENESS_MAX_MULTIPLIER", "AwarenessMaxMultiplier", func(c *Config) *int { return &c.AwarenessMaxMultiplier }),
		durationVar("MEMBERLIST_GOSSIP_INTERVAL", "GossipInterval", func(c *Config) *time.Duration { return &c.GossipInterval }),
		intVar("MEMBERLIST_GOSSIP_NODES", "GossipNodes", func(c *Config) *int { return &c.GossipNodes }),
		durationVar("MEMBERLIST_GOSSIP_TO_THE_DEAD_TIME", "GossipToTheDeadTime", func(c *Config) *time.Duration { return &c.GossipToTheDeadTime }),
		durationVar("MEMBERLIST_SYNC_INTERVAL", "SyncInterval", func(c *Config) *time.Duration { return &c.SyncInterval }),
		durationVar("MEMBERLIST_RECONNECT_INTERVAL", "ReconnectInterval", func(c *Config) *time.Duration { return &c.ReconnectInterval }),
		durationVar("MEMBERLIST_DEAD_RETENTION", "DeadRetention", func(c *Config) *time.Duration { return &c.DeadRetention }),
		durationVar("MEMBERLIST_JOIN_RETRY_MIN", "JoinRetryMin", func(c *Config) *time.Duration { return &c.JoinRetryMin }),
		durationVar("MEMBERLIST_JOIN_RETRY_MAX", "JoinRetryMax", func(c *Config) *time.Duration { return &c.JoinRetryMax }),
	}
}

// show writes the variable with its value for an error, or, for a secret,
// with its length only.
func (ev envVar) show(v string) string {
	if ev.secret {
		return fmt.Sprintf("%s (value hidden, %d bytes)", ev.name, len(v))
	}
	return ev.name + "=" + quote(v)
}

// durationVar rejects zero and negative durations here, rather than leave
// them to Validate, so that the error names the variable; Validate still
// checks the bounds that depend on other fields.
func durationVar(name, field string, ptr func(*Config) *time.Duration) envVar {
	return envVar{name: name, field: field, set: func(p *envParse, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("want a Go duration such as 200ms or 1s")
		}
		if d <= 0 {
			return errors.New("want a positive Go duration such as 200ms or 1s")
		}
		*ptr(&p.cfg) = d
		return nil
	}}
}

// intVar rejects negative numbers, which no knob accepts; the upper bounds
// are Validate's, so that they are written down once.
func intVar(name, field string, ptr func(*Config) *int) envVar {
	return envVar{name: name, field: field, set: func(p *envParse, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a decimal integer of 0 or more, such as 3")
		}
		*ptr(&p.cfg) = n
		return nil
	}}
}

func setProfile(p *envParse, v string) error {
	switch strings.ToLower(v) {
	case "lan":
		p.cfg = DefaultLANConfig()
	case "wan":
		p.cfg = DefaultWANConfig()
	case "local":
		p.cfg = DefaultLocalConfig()
	default:
		return errors.New("want lan, wan or local")
	}
	return nil
}

// setBindAddr checks only the form; whether the address can be bound is
// learnt at Start.
func setBindAddr(p *envParse, v string) error {
	const want = "want host:port with an IP address or no host, such as 0.0.0.0:7946, [::]:7946 or :7946 (port 0 picks a free port)"
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New(want)
	}
	if _, err := netip.ParseAddr(host); err != nil && host != "" {
		return errors.New(want)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return errors.New(want)
	}
	p.cfg.BindAddr = v
	return nil
}

func setAdvertiseAddr(p *envParse, v string) error {
	ap, err := netip.ParseAddrPort(v)
	// Other members cannot send to 0.0.0.0 or ::; such a value is a bind
	// address pasted in the wrong variable.
	if err != nil || ap.Addr().IsUnspecified() {
		return errors.New("want ip:port with an address other members can reach, such as 10.0.0.5:7946 or [fd00::5]:7946 (port 0 means the bound port)")
	}
	p.cfg.AdvertiseAddr = v
	return nil
}

func setMeta(p *envParse, v string) error {
	if len(v) > swim.MaxMetaLen {
		return fmt.Errorf("want at most %d bytes, not %d", swim.MaxMetaLen, len(v))
	}
	p.cfg.Meta = []byte(v)
	return nil
}

// setSeeds forgives spaces around entries and a trailing comma, which a
// list written by hand easily has.
func setSeeds(p *envParse, v string) error {
	var addrs []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return errors.New("want a comma-separated list of host:port, such as 10.0.0.1:7946,seed.example:7946")
	}
	d, err := discovery.ParseStatic(addrs...)
	if err != nil {
		return err
	}
	p.cfg.Discovery = d
	p.seeds = true
	return nil
}

func setDNS(p *envParse, v string) error {
	if !isDNSName(v) {
		return errors.New("want a DNS name: an A/AAAA name such as seeds.default.svc.cluster.local, with the port in MEMBERLIST_DNS_PORT, or an SRV name such as _swim._udp.seeds.default.svc.cluster.local")
	}
	p.dnsName = v
	return nil
}

func setDNSPort(p *envParse, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("want a port number from 1 to 65535, such as 7946")
	}
	p.dnsPort = n
	return nil
}

func setLogLevel(p *envParse, v string) error {
	var level slog.Level
	switch strings.ToLower(v) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return errors.New("want debug, info, warn or error")
	}
	p.cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// setKeys forgives spaces around entries and a trailing comma, like
// setSeeds. Its errors name entries by position, never by content.
func setKeys(p *envParse, v string) error {
	const want = "want comma-separated standard base64 keys of 16, 24 or 32 bytes, the primary first, such as the output of `openssl rand -base64 32`"
	var keys [][]byte
	i := 0
	for entry := range strings.SplitSeq(v, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		i++
		key, err := base64.StdEncoding.DecodeString(entry)
		if err != nil {
			return fmt.Errorf("entry %d is not standard base64; %s", i, want)
		}
		if err := udpframe.CheckKey(key); err != nil {
			return fmt.Errorf("entry %d decodes to %d bytes; %s", i, len(key), want)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return errors.New(want)
	}
	p.cfg.Keys = keys
	return nil
}

func setLabel(p *envParse, v string) error {
	if err := udpframe.CheckLabel(v); err != nil {
		return fmt.Errorf("want at most %d bytes of UTF-8, not %d", udpframe.MaxLabelLen, len(v))
	}
	p.cfg.Label = v
	return nil
}

// discovery settles the variables that only make sense together. It looks
// at env, not only at what parsed, so that a malformed MEMBERLIST_DNS still
// counts as set and does not add a second, misleading complaint.
func (p *envParse) discovery(env map[string]string) []error {
	seeds, dns, port := env["MEMBERLIST_SEEDS"], env["MEMBERLIST_DNS"], env["MEMBERLIST_DNS_PORT"]
	var errs []error
	switch {
	case seeds != "" && dns != "":
		errs = append(errs, fmt.Errorf("%w: MEMBERLIST_SEEDS=%s and MEMBERLIST_DNS=%s are both set; want one of them, not both",
			ErrInvalidConfig, quote(seeds), quote(dns)))
	case port != "" && dns == "":
		errs = append(errs, fmt.Errorf("%w: MEMBERLIST_DNS_PORT=%s is set without MEMBERLIST_DNS; want it only with an A/AAAA name in MEMBERLIST_DNS",
			ErrInvalidConfig, quote(port)))
	case port != "" && strings.HasPrefix(dns, "_"):
		errs = append(errs, fmt.Errorf("%w: MEMBERLIST_DNS_PORT=%s is set with the SRV name MEMBERLIST_DNS=%s, whose records carry their own ports; want MEMBERLIST_DNS_PORT unset",
			ErrInvalidConfig, quote(port), quote(dns)))
	}
	if p.dnsName != "" && !p.seeds {
		p.cfg.Discovery = discovery.DNS(p.dnsName, p.dnsPort)
	}
	return errs
}

// isDNSName reports whether s is a domain name as resolvers take it: dot
// separated labels of letters, digits, '-' and '_' (which SRV names and some
// hosts use), each 1 to 63 bytes, 253 in all, with an optional final dot.
// Checking here turns a pasted URL or host:port into an error at start
// rather than a lookup failure logged every DiscoveryInterval.
func isDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range []byte(label) {
			ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

// explainValidate adds to an error of Config.Validate, which speaks of
// Config fields, the variables behind the fields it mentions, since the
// operator wrote variables: with its value if set, or as unset when the
// value came from the profile, which is the variable to set to fix it.
func explainValidate(err error, vars []envVar, env map[string]string) error {
	msg := err.Error()
	var notes []string
	for _, ev := range vars {
		if ev.field == "" || !mentionsWord(msg, ev.field) {
			continue
		}
		if v := env[ev.name]; v != "" {
			notes = append(notes, ev.show(v))
		} else {
			notes = append(notes, ev.name+" unset")
		}
	}
	if len(notes) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(notes, ", "))
}

// mentionsWord reports whether word occurs in s as a whole identifier, so
// that a field is not found inside a longer name.
func mentionsWord(s, word string) bool {
	isIdent := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isIdent(s[start-1])) && (end == len(s) || !isIdent(s[end])) {
			return true
		}
		i = start + 1
	}
}

// quote quotes a value for an error, cutting a long one short so that a
// kilobyte of metadata does not drown the message.
func quote(v string) string {
	const maxLen = 64
	if len(v) <= maxLen {
		return strconv.Quote(v)
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(v[:cut]), len(v))
}
