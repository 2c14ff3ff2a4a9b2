package runtime

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/memberlist-go/memberlist/runtime/discovery"
	"github.com/memberlist-go/memberlist/runtime/swim"
	"github.com/memberlist-go/memberlist/runtime/udp"
	udpframe "github.com/memberlist-go/memberlist/runtime/udp/frame"
)

// ErrInvalidConfig is wrapped by every error about a Config or an
// environment variable; the message names the field or variable, the value
// and what is accepted.
var ErrInvalidConfig = errors.New("memberlist: invalid config")

// Config is everything a Node needs. Start from DefaultLANConfig,
// DefaultWANConfig, DefaultLocalConfig or ConfigFromEnv. The protocol's
// knobs (ProbeInterval, SuspicionMult, ...) are those of swim.Config,
// embedded.
type Config struct {
	swim.Config

	// Name identifies this node in the cluster; it must be unique. Default:
	// the host name.
	Name string
	// BindAddr is the "host:port" the UDP socket listens on; port 0 picks a
	// free port. Default "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr overrides the "host:port" other members send to, e.g.
	// behind NAT. Default: worked out from BindAddr (never an unspecified
	// address).
	AdvertiseAddr string
	// Meta is this node's metadata, at most swim.MaxMetaLen bytes.
	Meta []byte
	// Discovery finds the members to join through. Nil: this node forms a
	// cluster of one that others can join.
	Discovery discovery.Discovery
	// DiscoveryInterval is how often Discovery is asked again; addresses
	// that are not alive members are contacted at once, which is how pod
	// restarts and partitions heal on Kubernetes. Default 30s.
	DiscoveryInterval time.Duration
	// JoinTimeout, when positive, makes Start wait until the node has
	// joined (see Node.Joined) and fail, naming the seeds it tried, if no
	// seed answered within it. It needs Discovery. Zero, the default, lets
	// Start return at once and the node keep trying in the background,
	// which suits the first members of a cluster starting together; use a
	// readiness check (Node.Ready) to tell when the node is in.
	JoinTimeout time.Duration
	// EventBuffer is how many events a subscriber may fall behind before it
	// is cut off (see Subscribe). A subscription holds memory only for the
	// events it is behind by, so a large value costs nothing while the
	// subscriber keeps up. Default 1024.
	EventBuffer int
	// Logger receives the node's log; nil is quiet. Nothing is logged per
	// packet above Debug. Whether it takes Debug records is asked once a
	// second, so a level raised to Debug shows packets within a second.
	Logger *slog.Logger
	// Metrics receives the node's counters once a second; nil discards them.
	Metrics Metrics

	// Keys turns on encryption: AES-GCM keys of 16, 24 or 32 bytes
	// (AES-128, AES-192 or AES-256), the first one primary. The primary key
	// encrypts every packet sent; every key is tried on packets received.
	// A node with keys drops every unencrypted packet, so a cluster has
	// keys on every member or on none. Empty: no encryption; packets carry
	// a CRC32C checksum instead. Change keys on a running node with
	// InstallKey, UseKey and RemoveKey (the README gives the steps of a
	// rotation). Generate a key with crypto/rand, or
	// `openssl rand -base64 32` for MEMBERLIST_KEYS.
	Keys [][]byte
	// AllowedCIDRs, if not empty, admits only members whose address lies in
	// one of these prefixes; others are refused before Admit (a field of
	// the embedded swim.Config) is asked, never added nor probed, and
	// counted in Stats.AdmitRefused by reason.
	AllowedCIDRs []netip.Prefix
	// Label names the cluster, at most 64 bytes of UTF-8. Every packet
	// carries it (in clear; with encryption it is also authenticated), and
	// packets with another label are dropped, so that clusters sharing a
	// network, or started with the same seeds by mistake, never merge.
	// Default empty, which is a label too: a labelled node and an
	// unlabelled one drop each other's packets.
	Label string
	// ClockSkew is, with Keys, how far another member's clock may be ahead
	// of or behind this node's, network delay included: every encrypted
	// packet carries its send time, and one sealed further from this
	// node's time is dropped (Stats.Transport.Stale), which is what stops
	// a recorded packet from being replayed once the replay filter has
	// forgotten it. Keep clocks in time with NTP; raise this only for
	// hosts that cannot be. Default 10s (udpframe.DefaultClockSkew); zero
	// means the default.
	ClockSkew time.Duration
	// Transition switches encryption or a label on in a running cluster,
	// one member at a time, without a moment when two members cannot read
	// each other: every member goes from the previous settings to Keys and
	// Label with Phase TransitionAccept (it still sends the previous
	// framing and accepts both), then TransitionSend (it sends the new one
	// and accepts both), then no Transition. The README gives the steps;
	// Stats.Transport.Previous counts what still arrives in the previous
	// framing. While a Transition is set, a member also accepts the
	// previous framing: unencrypted datagrams and streams, if encryption
	// is being switched on (streams under TLS have no transition).
	// Zero: no transition.
	Transition Transition

	// MaxStreamMessageSize bounds one SendReliable payload and one
	// application state, in bytes: 1 to MaxStreamMessageSize (16 MiB), the
	// default. A node closes, unread, a stream announcing more than its own
	// bound, and the sender gets ErrRefused, so members should agree.
	MaxStreamMessageSize int
	// StreamTimeout bounds every read and write on a stream, and each
	// stream's handshake: a peer that stops sending or reading for that
	// long is cut off. Default 10s.
	StreamTimeout time.Duration
	// MaxStreamConns bounds the inbound streams served at once; at the
	// bound, a new one takes the place of one that sits silent, or waits.
	// Default 64.
	MaxStreamConns int
	// TLS turns on mutual TLS for streams (SendReliable and application
	// state): the certificate in it serves both to accept and to dial,
	// every peer must present one that ClientCAs (or RootCAs) verifies,
	// and a dialed peer's certificate must name its IP address (or
	// ServerName, if set). A peer without a valid certificate gets
	// nothing. It takes the place of Keys on streams; Keys still encrypt
	// the datagrams. Nil: streams are sealed with Keys if set, else plain.
	TLS *tls.Config
	// AppState, if set, is exchanged with other members over streams: at
	// join and every PushPullInterval (see AppState).
	AppState AppState
	// PushPullInterval is how often each node exchanges its AppState with
	// another member, for clusters of up to 32 alive members; above that
	// it grows like the incumbent's, by ceil(log2 N - 5) + 1. Zero turns
	// the periodic exchange off (the exchange at join stays). Default:
	// the profile's SyncInterval (30s LAN, 1m WAN, 15s local), the
	// incumbent's values.
	PushPullInterval time.Duration
}

// DefaultLANConfig returns the settings for a cluster inside one data
// centre: the protocol's LAN preset (hashicorp/memberlist's values).
func DefaultLANConfig() Config { return withDefaults(swim.DefaultLANConfig()) }

// DefaultWANConfig returns the settings for members spread over wide-area
// links.
func DefaultWANConfig() Config { return withDefaults(swim.DefaultWANConfig()) }

// DefaultLocalConfig returns the settings for members on one host or a fast
// local network.
func DefaultLocalConfig() Config { return withDefaults(swim.DefaultLocalConfig()) }

func withDefaults(p swim.Config) Config {
	return Config{
		Config:            p,
		BindAddr:          "0.0.0.0:7946",
		DiscoveryInterval: 30 * time.Second,
		EventBuffer:       1024,
		ClockSkew:         udpframe.DefaultClockSkew,

		MaxStreamMessageSize: MaxStreamMessageSize,
		StreamTimeout:        defaultStreamTimeout,
		MaxStreamConns:       defaultMaxStreamConns,
		PushPullInterval:     p.SyncInterval,
	}
}

// Validate reports the first setting that is out of range, naming the
// field, its value and what it accepts. The error is a *ConfigError, which
// wraps ErrInvalidConfig (and, for a protocol knob, swim.ErrInvalidConfig).
func (c Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return restateSwim(err)
	}
	if err := c.validateNode(); err != nil {
		return err
	}
	if err := c.validateStreams(); err != nil {
		return err
	}
	return c.validateKeys()
}

// validateNode checks the settings of c that are neither the protocol's
// nor the streams'.
func (c Config) validateNode() *ConfigError {
	bad := badField
	switch {
	case c.Name == "" || len(c.Name) > swim.MaxNameLen:
		return bad("Name", fmt.Sprintf("%q", c.Name), fmt.Sprintf("1 to %d bytes", swim.MaxNameLen))
	case c.BindAddr == "":
		return bad("BindAddr", `""`, `"host:port", e.g. "0.0.0.0:7946"`)
	case len(c.Meta) > swim.MaxMetaLen:
		return bad("Meta", fmt.Sprintf("%d bytes", len(c.Meta)), fmt.Sprintf("at most %d bytes", swim.MaxMetaLen))
	case c.DiscoveryInterval <= 0:
		return bad("DiscoveryInterval", c.DiscoveryInterval, "a positive duration")
	case c.JoinTimeout < 0:
		return bad("JoinTimeout", c.JoinTimeout, "0 (do not wait) or a positive duration")
	case c.JoinTimeout > 0 && c.Discovery == nil:
		return bad("JoinTimeout", c.JoinTimeout, "0 without Discovery: with no seeds there is nothing to wait for", "Discovery")
	case c.EventBuffer < 1:
		return bad("EventBuffer", c.EventBuffer, "at least 1")
	case len(c.Label) > udpframe.MaxLabelLen:
		return bad("Label", fmt.Sprintf("%q (%d bytes)", c.Label, len(c.Label)), fmt.Sprintf("at most %d bytes", udpframe.MaxLabelLen))
	case !utf8.ValidString(c.Label):
		return bad("Label", fmt.Sprintf("%q", c.Label), "valid UTF-8")
	case c.ClockSkew < 0 || c.ClockSkew > 0 && c.ClockSkew < time.Millisecond:
		return bad("ClockSkew", c.ClockSkew, fmt.Sprintf("at least 1ms, or 0 for %v", udpframe.DefaultClockSkew))
	}
	if err := c.validateTransition(); err != nil {
		return err
	}
	return nil
}

// validateKeys checks c.Keys. A key's bytes never appear in an error,
// which may end up in a log: the error says which key is wrong and how.
func (c Config) validateKeys() error {
	for i, k := range c.Keys {
		if err := udpframe.CheckKey(k); err != nil {
			return &ConfigError{
				Field:   "Keys",
				Value:   fmt.Sprintf("a key of %d bytes", len(k)),
				Want:    "16, 24 or 32 (AES-128, AES-192 or AES-256)",
				problem: fmt.Sprintf("Keys[%d] is %d bytes", i, len(k)),
				cause:   udpframe.ErrKeySize,
			}
		}
		for j := range i {
			if bytes.Equal(c.Keys[j], k) {
				return &ConfigError{
					Field:   "Keys",
					Value:   fmt.Sprintf("a repeat of Keys[%d]", j),
					Want:    "each key once",
					problem: fmt.Sprintf("Keys[%d] repeats Keys[%d]", i, j),
				}
			}
		}
	}
	return nil
}

// Transition switches encryption or a label on in a running cluster: see
// Config.Transition and udp.Transition.
type Transition = udp.Transition

// TransitionPhase is a step of a Transition.
type TransitionPhase = udp.TransitionPhase

// The phases of a Transition.
const (
	// TransitionAccept: send the previous framing, accept both.
	TransitionAccept = udp.TransitionAccept
	// TransitionSend: send the new framing, accept both.
	TransitionSend = udp.TransitionSend
)

// validateTransition checks Transition against Keys and Label, naming the
// field that is wrong.
func (c Config) validateTransition() *ConfigError {
	t := c.Transition
	switch {
	case t.Phase == "":
		return nil
	case t.Phase != TransitionAccept && t.Phase != TransitionSend:
		return badField("Transition.Phase", fmt.Sprintf("%q", t.Phase), fmt.Sprintf("%q, %q or empty", TransitionAccept, TransitionSend))
	case udpframe.CheckLabel(t.FromLabel) != nil:
		return badField("Transition.FromLabel", fmt.Sprintf("%q", t.FromLabel), fmt.Sprintf("at most %d bytes of UTF-8", udpframe.MaxLabelLen))
	case t.FromEncrypted && len(c.Keys) == 0:
		return badField("Transition.FromEncrypted", true, "false without Keys", "Keys")
	case t.FromLabel == c.Label && (len(c.Keys) == 0 || t.FromEncrypted):
		return &ConfigError{
			Field:   "Transition",
			problem: fmt.Sprintf("Transition from label %q, encrypted %v, to the same settings", t.FromLabel, t.FromEncrypted),
			Want:    "Keys set where the cluster had none, or a Label other than FromLabel",
			Related: []string{"Keys", "Label"},
		}
	}
	return nil
}
