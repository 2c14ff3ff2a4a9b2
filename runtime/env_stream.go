package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// streamEnvVars are the variables of the stream settings (SendReliable,
// AppState, mutual TLS); ConfigFromEnv documents them.
func streamEnvVars() []envVar {
	return []envVar{
		intVar("MEMBERLIST_MAX_STREAM_MESSAGE_SIZE", "MaxStreamMessageSize", 1, MaxStreamMessageSize, func(c *Config) *int { return &c.MaxStreamMessageSize }),
		durationVar("MEMBERLIST_STREAM_TIMEOUT", "StreamTimeout", func(c *Config) *time.Duration { return &c.StreamTimeout }),
		intVar("MEMBERLIST_MAX_STREAM_CONNS", "MaxStreamConns", 1, 65536, func(c *Config) *int { return &c.MaxStreamConns }),
		{name: "MEMBERLIST_PUSH_PULL_INTERVAL", field: "PushPullInterval", set: setPushPullInterval},
		{name: "MEMBERLIST_TCP_FALLBACK_PROBE", field: "DisableTCPProbe", set: setTCPFallbackProbe},
		// The files are read once all three are known, by tlsFromFiles.
		{name: "MEMBERLIST_TLS_CERT_FILE", field: "TLS", set: func(*envParse, string) error { return nil }},
		{name: "MEMBERLIST_TLS_KEY_FILE", field: "TLS", set: func(*envParse, string) error { return nil }},
		{name: "MEMBERLIST_TLS_CA_FILE", field: "TLS", set: func(*envParse, string) error { return nil }},
		{name: "MEMBERLIST_TLS_SERVER_NAME", field: "TLS", set: func(*envParse, string) error { return nil }},
	}
}

// setPushPullInterval takes zero too, which turns the periodic exchange
// off.
func setPushPullInterval(p *envParse, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return errors.New("want a Go duration such as 30s, or 0 to turn the periodic exchange off")
	}
	p.cfg.PushPullInterval = d
	return nil
}

// setTCPFallbackProbe reads MEMBERLIST_TCP_FALLBACK_PROBE, which says
// whether the probe is on: the opposite of Config.DisableTCPProbe, so that
// the variable reads without a double negative.
func setTCPFallbackProbe(p *envParse, v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false (also 1, 0, t, f, TRUE, FALSE, True, False)")
	}
	p.cfg.DisableTCPProbe = !on
	return nil
}

// tlsFromFiles builds Config.TLS from MEMBERLIST_TLS_CERT_FILE,
// MEMBERLIST_TLS_KEY_FILE and MEMBERLIST_TLS_CA_FILE, which go together:
// the node's certificate (PEM, its chain after it) and key serve both to
// accept streams and to dial them, and the CA bundle verifies peers both
// ways. MEMBERLIST_TLS_SERVER_NAME, optional, is the name every member's
// certificate carries, checked instead of the peer's IP address, so that
// members can share one certificate. TLS 1.3 only, as every member runs
// this library.
func (p *envParse) tlsFromFiles(env map[string]string) []error {
	names := []string{"MEMBERLIST_TLS_CERT_FILE", "MEMBERLIST_TLS_KEY_FILE", "MEMBERLIST_TLS_CA_FILE"}
	var set, unset []string
	for _, n := range names {
		if env[n] != "" {
			set = append(set, n)
		} else {
			unset = append(unset, n)
		}
	}
	serverName := env["MEMBERLIST_TLS_SERVER_NAME"]
	if len(set) == 0 {
		if serverName != "" {
			return []error{fmt.Errorf("%w: MEMBERLIST_TLS_SERVER_NAME=%s is set without %v; want it only with them", ErrInvalidConfig, quote(serverName), names)}
		}
		return nil
	}
	if len(unset) > 0 {
		return []error{fmt.Errorf("%w: %v set without %v; want all three of %v, or none", ErrInvalidConfig, set, unset, names)}
	}
	certFile, keyFile, caFile := env[names[0]], env[names[1]], env[names[2]]
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return []error{fmt.Errorf("%w: MEMBERLIST_TLS_CERT_FILE=%s, MEMBERLIST_TLS_KEY_FILE=%s: %w; want a PEM certificate and its PEM private key",
			ErrInvalidConfig, quote(certFile), quote(keyFile), err)}
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return []error{fmt.Errorf("%w: MEMBERLIST_TLS_CA_FILE=%s: %w", ErrInvalidConfig, quote(caFile), err)}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return []error{fmt.Errorf("%w: MEMBERLIST_TLS_CA_FILE=%s holds no PEM certificate; want the CA bundle that signed the members' certificates", ErrInvalidConfig, quote(caFile))}
	}
	p.cfg.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ServerName:   serverName,
		MinVersion:   tls.VersionTLS13,
	}
	return nil
}
