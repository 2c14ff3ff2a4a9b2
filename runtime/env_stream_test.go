package runtime

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsFiles are a member certificate, its key and the CA that signed it,
// valid until 2126, made for these tests only (their key is no secret).
var tlsFiles = [3]string{"testdata/tls/tls.crt", "testdata/tls/tls.key", "testdata/tls/ca.crt"}

func wantTLS(t *testing.T, c Config) {
	t.Helper()
	require.NotNil(t, c.TLS)
	assert.Len(t, c.TLS.Certificates, 1)
	assert.NotNil(t, c.TLS.RootCAs)
	assert.NotNil(t, c.TLS.ClientCAs)
	assert.Equal(t, uint16(tls.VersionTLS13), c.TLS.MinVersion)
}

func streamEnvCases() []envCase {
	paths := tlsFiles
	files := map[string]string{"MEMBERLIST_TLS_CERT_FILE": paths[0], "MEMBERLIST_TLS_KEY_FILE": paths[1], "MEMBERLIST_TLS_CA_FILE": paths[2]}
	others := func(name string) map[string]string {
		m := make(map[string]string)
		for k, v := range files {
			if k != name {
				m[k] = v
			}
		}
		return m
	}
	return []envCase{
		{name: "MEMBERLIST_MAX_STREAM_MESSAGE_SIZE", value: "1048576", want: func(c *Config) { c.MaxStreamMessageSize = 1 << 20 }},
		{name: "MEMBERLIST_STREAM_TIMEOUT", value: "30s", want: func(c *Config) { c.StreamTimeout = 30 * time.Second }},
		{name: "MEMBERLIST_MAX_STREAM_CONNS", value: "256", want: func(c *Config) { c.MaxStreamConns = 256 }},
		{name: "MEMBERLIST_PUSH_PULL_INTERVAL", value: "1m", want: func(c *Config) { c.PushPullInterval = time.Minute }},
		{name: "MEMBERLIST_PUSH_PULL_INTERVAL", value: "0", want: func(c *Config) { c.PushPullInterval = 0 }},
		{name: "MEMBERLIST_TCP_FALLBACK_PROBE", value: "false", want: func(c *Config) { c.DisableTCPProbe = true }},
		{name: "MEMBERLIST_TCP_FALLBACK_PROBE", value: "true", want: func(c *Config) { c.DisableTCPProbe = false }},
		{name: "MEMBERLIST_TLS_CERT_FILE", value: paths[0], extra: others("MEMBERLIST_TLS_CERT_FILE"), check: wantTLS},
		{name: "MEMBERLIST_TLS_KEY_FILE", value: paths[1], extra: others("MEMBERLIST_TLS_KEY_FILE"), check: wantTLS},
		{name: "MEMBERLIST_TLS_CA_FILE", value: paths[2], extra: others("MEMBERLIST_TLS_CA_FILE"), check: wantTLS},
		{name: "MEMBERLIST_TLS_SERVER_NAME", value: "member", extra: files, check: func(t *testing.T, c Config) {
			wantTLS(t, c)
			assert.Equal(t, "member", c.TLS.ServerName)
		}},
	}
}

// Stream settings out of range, and TLS files missing, unreadable or
// incomplete, are refused with the variables named.
func TestEnvStreamRejects(t *testing.T) {
	paths := tlsFiles
	for _, tc := range []struct {
		vars   map[string]string
		wantIn []string
	}{
		{map[string]string{"MEMBERLIST_MAX_STREAM_MESSAGE_SIZE": "16777217"}, []string{"MEMBERLIST_MAX_STREAM_MESSAGE_SIZE=\"16777217\": want a decimal integer from 1 to 16777216"}},
		{map[string]string{"MEMBERLIST_MAX_STREAM_MESSAGE_SIZE": "0"}, []string{"MEMBERLIST_MAX_STREAM_MESSAGE_SIZE=\"0\": want a decimal integer from 1 to 16777216"}},
		{map[string]string{"MEMBERLIST_MAX_STREAM_CONNS": "0"}, []string{"MEMBERLIST_MAX_STREAM_CONNS=\"0\": want a decimal integer from 1 to 65536"}},
		{map[string]string{"MEMBERLIST_STREAM_TIMEOUT": "0s"}, []string{`MEMBERLIST_STREAM_TIMEOUT="0s": want a positive Go duration`}},
		{map[string]string{"MEMBERLIST_PUSH_PULL_INTERVAL": "-1s"}, []string{`MEMBERLIST_PUSH_PULL_INTERVAL="-1s": want a Go duration such as 30s, or 0`}},
		{map[string]string{"MEMBERLIST_TCP_FALLBACK_PROBE": "off"}, []string{`MEMBERLIST_TCP_FALLBACK_PROBE="off": want true or false`}},
		{map[string]string{"MEMBERLIST_TLS_SERVER_NAME": "member"}, []string{"MEMBERLIST_TLS_SERVER_NAME=\"member\" is set without"}},
		{map[string]string{"MEMBERLIST_TLS_CERT_FILE": paths[0]}, []string{"[MEMBERLIST_TLS_CERT_FILE] set without [MEMBERLIST_TLS_KEY_FILE MEMBERLIST_TLS_CA_FILE]"}},
		{map[string]string{"MEMBERLIST_TLS_CERT_FILE": paths[0], "MEMBERLIST_TLS_KEY_FILE": paths[0], "MEMBERLIST_TLS_CA_FILE": paths[2]}, []string{"MEMBERLIST_TLS_KEY_FILE=", "want a PEM certificate and its PEM private key"}},
		{map[string]string{"MEMBERLIST_TLS_CERT_FILE": paths[0], "MEMBERLIST_TLS_KEY_FILE": paths[1], "MEMBERLIST_TLS_CA_FILE": paths[1]}, []string{"MEMBERLIST_TLS_CA_FILE=", "holds no PEM certificate"}},
		{map[string]string{"MEMBERLIST_TLS_CERT_FILE": paths[0], "MEMBERLIST_TLS_KEY_FILE": paths[1], "MEMBERLIST_TLS_CA_FILE": "/nonexistent/ca.crt"}, []string{`MEMBERLIST_TLS_CA_FILE="/nonexistent/ca.crt"`, "no such file"}},
	} {
		vars := map[string]string{"MEMBERLIST_NAME": "n1"}
		for k, v := range tc.vars {
			vars[k] = v
		}
		_, err := ConfigFromEnviron(environ(vars))
		require.ErrorIs(t, err, ErrInvalidConfig, "%v", tc.vars)
		for _, want := range tc.wantIn {
			assert.True(t, strings.Contains(err.Error(), want), "%v: error %q lacks %q", tc.vars, err, want)
		}
	}
}
