package runtime

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
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
//	MEMBERLIST_ADVERTISE_ADDR      ip:port or [ip]:port                   worked out from bind  AdvertiseAddr: the address other members send to (NAT, pod IP)
//	MEMBERLIST_META                at most 1024 bytes                     empty                 Meta: this member's metadata
//	MEMBERLIST_SEEDS               host:port,host:port,...                none                  Discovery: fixed seeds (discovery.ParseStatic)
//	MEMBERLIST_DNS                 DNS name; SRV if it starts with "_"    none                  Discovery: seeds looked up in DNS (discovery.DNS)
//	MEMBERLIST_DNS_PORT            1 to 65535                             7946                  port of the A/AAAA addresses of MEMBERLIST_DNS
//	MEMBERLIST_DISCOVERY_INTERVAL  positive duration                      30s                   DiscoveryInterval: how often discovery is asked again
//	MEMBERLIST_JOIN_TIMEOUT        positive duration                      unset: do not wait    JoinTimeout: Start waits this long for a first join, else fails
//	MEMBERLIST_EVENT_BUFFER        integer, at least 1                    1024                  EventBuffer: events a subscriber may fall behind
//	MEMBERLIST_LOG_LEVEL           debug, info, warn or error (any case)  unset: no log         Logger: text log on standard error from that level up
//	MEMBERLIST_KEYS                base64 keys, comma-separated           none: no encryption   Keys: AES-GCM keys of 16, 24 or 32 bytes, the primary first
//	MEMBERLIST_KEYS_FILE           path of a file of such keys            none                  Keys, read from a file (a mounted Secret) instead
//	MEMBERLIST_LABEL               at most 64 bytes                       empty                 Label: the cluster's name; packets with another are dropped
//	MEMBERLIST_CLOCK_SKEW          duration, at least 1ms                 10s                   ClockSkew: how far another member's clock may be off (encryption)
//	MEMBERLIST_TRANSITION          accept or send                         none                  Transition.Phase: switching encryption or a label on (README)
//	MEMBERLIST_TRANSITION_FROM_LABEL  at most 64 bytes                    empty                 Transition.FromLabel: the label before the switch
//	MEMBERLIST_TRANSITION_FROM_ENCRYPTED  true or false                   false                 Transition.FromEncrypted: encrypted before; only the label changes
//	MEMBERLIST_ALLOWED_CIDRS       CIDR prefixes, comma-separated         none: any address     AllowedCIDRs: only members at these addresses are admitted
//
// The protocol's knobs set the swim.Config fields of the same names, whose
// documentation says what each does. Their defaults depend on the profile:
//
//	Variable                               Form                 lan    wan    local  Meaning (swim.Config field)
//	MEMBERLIST_PROBE_INTERVAL              positive duration    1s     5s     1s     ProbeInterval: the protocol period, one probe each
//	MEMBERLIST_PROBE_TIMEOUT               <= 4/5 of interval   500ms  3s     200ms  ProbeTimeout: wait for an ack before indirect probes
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
//	MEMBERLIST_MAX_MEMBERS                 integer, 2 to 2^20   10000  10000  10000  MaxMembers: bound of the member table, dead ones included
//
// Streams (SendReliable, AppState) have these; the three TLS files go
// together and turn on mutual TLS for streams (see Config.TLS), and
// MEMBERLIST_TLS_SERVER_NAME lets members share one certificate:
//
//	Variable                            Form                                  lan       wan       local     Meaning
//	MEMBERLIST_MAX_STREAM_MESSAGE_SIZE  integer, 1 to 16777216                16777216  16777216  16777216  MaxStreamMessageSize: largest SendReliable payload or AppState
//	MEMBERLIST_STREAM_TIMEOUT           positive duration                     10s       10s       10s       StreamTimeout: bound on every stream read and write
//	MEMBERLIST_MAX_STREAM_CONNS         integer, 1 to 65536                   64        64        64        MaxStreamConns: inbound streams served at once
//	MEMBERLIST_PUSH_PULL_INTERVAL       duration; 0 turns the exchange off    30s       1m        15s       PushPullInterval: AppState exchange period (N <= 32)
//
//	Variable                            Form                                  Default               Meaning
//	MEMBERLIST_TLS_CERT_FILE            path of a PEM certificate (chain)     none: no TLS          TLS: this member's certificate, to accept and to dial
//	MEMBERLIST_TLS_KEY_FILE             path of its PEM private key           none                  TLS: the certificate's key
//	MEMBERLIST_TLS_CA_FILE              path of a PEM CA bundle               none                  TLS: verifies every peer's certificate, both ways
//	MEMBERLIST_TLS_SERVER_NAME          DNS name in every member's cert       none: the peer's IP   TLS: the name checked in a dialed peer's certificate
//
// The TCP fallback probe, on in every profile, tries a member over a stream
// when its ping goes unanswered (see swim.Config.DisableTCPProbe, which
// the variable sets to its opposite):
//
//	Variable                       Form           Default  Meaning
//	MEMBERLIST_TCP_FALLBACK_PROBE  true or false  true     DisableTCPProbe when false: no stream probes, UDP alone decides
//
// MEMBERLIST_KEYS holds standard base64 (with padding), as from
// `openssl rand -base64 32`; no error ever shows its value, which is a
// secret, only the position and length of a bad entry. MEMBERLIST_KEYS_FILE
// names a file holding the same, the keys separated by commas, spaces or
// newlines (at most 64 KiB), such as a Kubernetes Secret mounted as a
// volume, which keeps the keys out of the process environment; it is read
// once, by ConfigFromEnv. The two exclude each other.
//
// MEMBERLIST_ADVERTISE_ADDR accepts a bracketed IPv4 address too, so that
// a template can write "[$(POD_IP)]:7946" whatever the pod's address
// family.
//
// MEMBERLIST_SEEDS and MEMBERLIST_DNS are exclusive: with both set, which
// seeds to use would be a guess. MEMBERLIST_DNS_PORT is refused without an
// A/AAAA MEMBERLIST_DNS name, as an SRV record carries its own port. The
// packet budget is not a variable: the UDP transport accepts only its own.
//
// The variables the Kubernetes kubelet writes for a Service named
// "memberlist" or "memberlist-..." (MEMBERLIST_SERVICE_HOST,
// MEMBERLIST_PORT, MEMBERLIST_PORT_7946_UDP_ADDR and the like, unless the
// pod sets enableServiceLinks: false) are ignored, by the exact form of
// their names and values, so that such a Service does not stop every pod
// of the namespace from starting.
//
// Every malformed value and unknown MEMBERLIST_* variable is reported, with
// the first setting Config.Validate refuses, all in one error that wraps
// ErrInvalidConfig and names each variable concerned, one per line when
// there are several; an unknown variable comes with the known one it most
// likely misspells ("did you mean MEMBERLIST_GOSSIP_NODES?"), and a list
// (MEMBERLIST_SEEDS, MEMBERLIST_KEYS) with every bad entry in it.
func ConfigFromEnv() (Config, error) { return ConfigFromEnviron(os.Environ()) }

// ConfigFromEnviron is ConfigFromEnv reading environ, a list of "KEY=value"
// entries like that of os.Environ, instead of the process environment, so
// that a program or a test can build its Config from any source. Entries
// without the MEMBERLIST_ prefix are ignored; of duplicate keys the last
// wins, as in exec.Cmd.Env.
func ConfigFromEnviron(environ []string) (Config, error) {
	env := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) && !serviceLink(k, v) {
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
		errs = append(errs, unknownVariables(unknown, vars))
	}

	p := envParse{cfg: DefaultLANConfig(), dnsPort: defaultDNSPort}
	for _, ev := range vars {
		v := env[ev.name]
		if v == "" {
			continue
		}
		if err := ev.set(&p, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ev.show(v), err))
		}
	}
	errs = append(errs, p.discovery(env)...)
	errs = append(errs, p.tlsFromFiles(env)...)

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
	if err := invalidConfig(errs...); err != nil {
		return Config{}, err
	}
	return p.cfg, nil
}

// envVar is one variable ConfigFromEnviron reads. The list of them is the
// one place that knows the variables: it drives both the parsing and the
// check for unknown names.
type envVar struct {
	name string
	// field is the Config field the variable sets, as ConfigError names
	// it, so that a Validate error can be traced to the variable the
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
	keys    bool // MEMBERLIST_KEYS was set
}

// envVars lists the variables in the order they are applied.
// MEMBERLIST_PROFILE comes first because it replaces the whole Config.
func envVars() []envVar {
	vars := []envVar{
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
		durationVar("MEMBERLIST_JOIN_TIMEOUT", "JoinTimeout", func(c *Config) *time.Duration { return &c.JoinTimeout }),
		intVar("MEMBERLIST_EVENT_BUFFER", "EventBuffer", 1, 0, func(c *Config) *int { return &c.EventBuffer }),
		{name: "MEMBERLIST_LOG_LEVEL", set: setLogLevel},
		{name: "MEMBERLIST_KEYS", field: "Keys", set: setKeys, secret: true},
		{name: "MEMBERLIST_KEYS_FILE", field: "Keys", set: setKeysFile},
		{name: "MEMBERLIST_LABEL", field: "Label", set: setLabel},
		durationVar("MEMBERLIST_CLOCK_SKEW", "ClockSkew", func(c *Config) *time.Duration { return &c.ClockSkew }),
		{name: "MEMBERLIST_TRANSITION", field: "Transition", set: setTransition},
		{name: "MEMBERLIST_TRANSITION_FROM_LABEL", field: "Transition", set: func(p *envParse, v string) error {
			if err := udpframe.CheckLabel(v); err != nil {
				return fmt.Errorf("want at most %d bytes of UTF-8, not %d", udpframe.MaxLabelLen, len(v))
			}
			p.cfg.Transition.FromLabel = v
			return nil
		}},
		{name: "MEMBERLIST_TRANSITION_FROM_ENCRYPTED", field: "Transition", set: func(p *envParse, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			p.cfg.Transition.FromEncrypted = b
			return nil
		}},
		{name: "MEMBERLIST_ALLOWED_CIDRS", field: "AllowedCIDRs", set: setAllowedCIDRs},

		durationVar("MEMBERLIST_PROBE_INTERVAL", "ProbeInterval", func(c *Config) *time.Duration { return &c.ProbeInterval }),
		durationVar("MEMBERLIST_PROBE_TIMEOUT", "ProbeTimeout", func(c *Config) *time.Duration { return &c.ProbeTimeout }),
		intVar("MEMBERLIST_INDIRECT_CHECKS", "IndirectChecks", 0, 16, func(c *Config) *int { return &c.IndirectChecks }),
		intVar("MEMBERLIST_RETRANSMIT_MULT", "RetransmitMult", 1, 64, func(c *Config) *int { return &c.RetransmitMult }),
		intVar("MEMBERLIST_SUSPICION_MULT", "SuspicionMult", 1, 64, func(c *Config) *int { return &c.SuspicionMult }),
		intVar("MEMBERLIST_SUSPICION_MAX_TIMEOUT_MULT", "SuspicionMaxTimeoutMult", 1, 64, func(c *Config) *int { return &c.SuspicionMaxTimeoutMult }),
		intVar("MEMBERLIST_AWARENESS_MAX_MULTIPLIER", "AwarenessMaxMultiplier", 1, 64, func(c *Config) *int { return &c.AwarenessMaxMultiplier }),
		durationVar("MEMBERLIST_GOSSIP_INTERVAL", "GossipInterval", func(c *Config) *time.Duration { return &c.GossipInterval }),
		intVar("MEMBERLIST_GOSSIP_NODES", "GossipNodes", 1, 64, func(c *Config) *int { return &c.GossipNodes }),
		intVar("MEMBERLIST_MAX_MEMBERS", "MaxMembers", 2, 1<<20, func(c *Config) *int { return &c.MaxMembers }),
		durationVar("MEMBERLIST_GOSSIP_TO_THE_DEAD_TIME", "GossipToTheDeadTime", func(c *Config) *time.Duration { return &c.GossipToTheDeadTime }),
		durationVar("MEMBERLIST_SYNC_INTERVAL", "SyncInterval", func(c *Config) *time.Duration { return &c.SyncInterval }),
		durationVar("MEMBERLIST_RECONNECT_INTERVAL", "ReconnectInterval", func(c *Config) *time.Duration { return &c.ReconnectInterval }),
		durationVar("MEMBERLIST_DEAD_RETENTION", "DeadRetention", func(c *Config) *time.Duration { return &c.DeadRetention }),
		durationVar("MEMBERLIST_JOIN_RETRY_MIN", "JoinRetryMin", func(c *Config) *time.Duration { return &c.JoinRetryMin }),
		durationVar("MEMBERLIST_JOIN_RETRY_MAX", "JoinRetryMax", func(c *Config) *time.Duration { return &c.JoinRetryMax }),
	}
	return append(vars, streamEnvVars()...)
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

// intVar takes a decimal integer from lo to hi (no upper bound when hi is
// 0), the range Config.Validate accepts for the field, so that the error
// for "abc" or "100" states the range as it is and names the variable;
// TestEnvIntRanges holds the two to the same bounds.
func intVar(name, field string, lo, hi int, ptr func(*Config) *int) envVar {
	return envVar{name: name, field: field, set: func(p *envParse, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || hi > 0 && n > hi {
			lan := DefaultLANConfig()
			if hi == 0 {
				return fmt.Errorf("want a decimal integer of at least %d, such as %d", lo, *ptr(&lan))
			}
			return fmt.Errorf("want a decimal integer from %d to %d, such as %d", lo, hi, *ptr(&lan))
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

// setAdvertiseAddr takes net.SplitHostPort's forms, so that "[10.0.0.5]:7946"
// is accepted beside "[fd00::5]:7946": a manifest can then bracket the pod
// IP it substitutes whatever its family.
func setAdvertiseAddr(p *envParse, v string) error {
	const want = "want ip:port with an address other members can reach, such as 10.0.0.5:7946 or [fd00::5]:7946 (port 0 means the bound port)"
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New(want)
	}
	ip, err := netip.ParseAddr(host)
	n, perr := strconv.ParseUint(port, 10, 16)
	// Other members cannot send to 0.0.0.0 or ::; such a value is a bind
	// address pasted in the wrong variable.
	if err != nil || perr != nil || ip.IsUnspecified() {
		return errors.New(want)
	}
	p.cfg.AdvertiseAddr = netip.AddrPortFrom(ip.Unmap(), uint16(n)).String()
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
		return withoutInvalidPrefix(err)
	}
	p.cfg.Discovery = d
	p.seeds = true
	return nil
}

// setAllowedCIDRs names every bad prefix of the list.
func setAllowedCIDRs(p *envParse, v string) error {
	var bad []string
	p.cfg.AllowedCIDRs = nil
	for i, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(e)
		if err != nil {
			bad = append(bad, fmt.Sprintf("entry %d %q", i+1, e))
			continue
		}
		p.cfg.AllowedCIDRs = append(p.cfg.AllowedCIDRs, pfx.Masked())
	}
	if len(bad) > 0 || len(p.cfg.AllowedCIDRs) == 0 {
		return fmt.Errorf("want comma-separated CIDR prefixes such as 10.0.0.0/8,fd00::/8; bad: %s", strings.Join(bad, ", "))
	}
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
// setSeeds. It reports every bad entry, by its position in the
// comma-separated list (counting from 1), never by its content.
func setKeys(p *envParse, v string) error {
	const want = "want comma-separated standard base64 keys of 16, 24 or 32 bytes, the primary first, such as the output of `openssl rand -base64 32`"
	p.keys = true
	var keys [][]byte
	var problems []string
	pos := make(map[string]int) // position of each good key, to name repeats
	i := 0
	for entry := range strings.SplitSeq(v, ",") {
		i++
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(entry)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("entry %d is not standard base64", i))
		case udpframe.CheckKey(key) != nil:
			problems = append(problems, fmt.Sprintf("entry %d decodes to %d bytes", i, len(key)))
		case pos[string(key)] > 0:
			problems = append(problems, fmt.Sprintf("entry %d repeats entry %d", i, pos[string(key)]))
		default:
			pos[string(key)] = i
			keys = append(keys, key)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s; %s", strings.Join(problems, ", "), want)
	}
	if len(keys) == 0 {
		return errors.New(want)
	}
	p.cfg.Keys = keys
	return nil
}

// maxKeysFile bounds what MEMBERLIST_KEYS_FILE reads: a keyring of a
// hundred 32-byte keys takes under 5 KiB.
const maxKeysFile = 64 << 10

// setKeysFile reads the keys from the file at path v; its content, a
// secret, never appears in an error.
func setKeysFile(p *envParse, v string) error {
	const want = "want the path of a readable file of comma-, space- or newline-separated standard base64 keys, such as a mounted Secret"
	if p.keys {
		return errors.New("MEMBERLIST_KEYS is set too; want one of them, not both")
	}
	f, err := os.Open(v)
	if err != nil {
		return fmt.Errorf("%w; %s", err, want)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	if err != nil {
		return fmt.Errorf("%w; %s", err, want)
	}
	if len(b) > maxKeysFile {
		return fmt.Errorf("the file is over %d bytes; %s", maxKeysFile, want)
	}
	keys := strings.Join(strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || unicode.IsSpace(r) }), ",")
	if err := setKeys(p, keys); err != nil {
		return fmt.Errorf("in the file: %w", err)
	}
	return nil
}

func setTransition(p *envParse, v string) error {
	switch ph := TransitionPhase(strings.ToLower(v)); ph {
	case TransitionAccept, TransitionSend:
		p.cfg.Transition.Phase = ph
		return nil
	}
	return fmt.Errorf("want %s or %s", TransitionAccept, TransitionSend)
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
// Config fields, the variables behind the field it refuses and the fields
// its bound depends on, since the operator wrote variables: with its value
// if set, or as unset when the value came from the profile, which is the
// variable to set to fix it.
func explainValidate(err error, vars []envVar, env map[string]string) error {
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	fields := append([]string{ce.Field}, ce.Related...)
	var notes []string
	for _, ev := range vars {
		if ev.field == "" || !slices.Contains(fields, ev.field) {
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
