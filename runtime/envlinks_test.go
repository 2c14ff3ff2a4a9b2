package runtime

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubeService is what the kubelet's service links are made from.
type kubeService struct {
	name, clusterIP string
	ports           []kubePort
	// oldKubelet writes an IPv6 cluster IP unbracketed in URLs, as
	// kubelets did before they used net.JoinHostPort.
	oldKubelet bool
}

type kubePort struct {
	name, proto string
	port        int
}

// serviceLinks writes the variables the kubelet puts in every container of
// the namespace for svc, following pkg/kubelet/envvars (FromServices and
// makeLinkVariables).
func serviceLinks(svc kubeService) []string {
	prefix := strings.ToUpper(strings.ReplaceAll(svc.name, "-", "_"))
	out := []string{
		prefix + "_SERVICE_HOST=" + svc.clusterIP,
		prefix + "_SERVICE_PORT=" + strconv.Itoa(svc.ports[0].port),
	}
	for _, p := range svc.ports {
		if p.name != "" {
			out = append(out, prefix+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.name, "-", "_"))+"="+strconv.Itoa(p.port))
		}
	}
	for i, p := range svc.ports {
		hostPort := net.JoinHostPort(svc.clusterIP, strconv.Itoa(p.port))
		if svc.oldKubelet {
			hostPort = svc.clusterIP + ":" + strconv.Itoa(p.port)
		}
		url := strings.ToLower(p.proto) + "://" + hostPort
		if i == 0 {
			out = append(out, prefix+"_PORT="+url)
		}
		pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.port, strings.ToUpper(p.proto))
		out = append(out,
			pp+"="+url,
			pp+"_PROTO="+strings.ToLower(p.proto),
			pp+"_PORT="+strconv.Itoa(p.port),
			pp+"_ADDR="+svc.clusterIP,
		)
	}
	return out
}

// kubeletEnviron is a pod's environment in a namespace with a Service named
// memberlist (the protocol and HTTP ports), one named memberlist-dns (whose
// links shadow MEMBERLIST_DNS_PORT), an IPv6 one from an old kubelet, and
// two Services of other applications.
func kubeletEnviron() []string {
	var env []string
	for _, svc := range []kubeService{
		{name: "memberlist", clusterIP: "10.96.12.34", ports: []kubePort{{"swim", "UDP", 7946}, {"stream", "TCP", 7946}, {"http", "TCP", 8080}}},
		{name: "memberlist-dns", clusterIP: "fd00:10:96::a", ports: []kubePort{{"dns", "UDP", 53}, {"dns-tcp", "TCP", 53}}},
		{name: "memberlist-gossip-v6", clusterIP: "fd00:10:96::b", oldKubelet: true, ports: []kubePort{{"", "SCTP", 9000}}},
		{name: "kubernetes", clusterIP: "10.96.0.1", ports: []kubePort{{"https", "TCP", 443}}},
		{name: "redis-primary", clusterIP: "10.96.55.6", ports: []kubePort{{"redis", "TCP", 6379}}},
	} {
		env = append(env, serviceLinks(svc)...)
	}
	return env
}

func TestEnvIgnoresKubeletServiceLinks(t *testing.T) {
	links := kubeletEnviron()
	for _, want := range []string{"MEMBERLIST_SERVICE_HOST=10.96.12.34", "MEMBERLIST_PORT=udp://10.96.12.34:7946",
		"MEMBERLIST_PORT_7946_TCP_ADDR=10.96.12.34", "MEMBERLIST_DNS_PORT=udp://[fd00:10:96::a]:53",
		"MEMBERLIST_GOSSIP_V6_PORT=sctp://fd00:10:96::b:9000", "MEMBERLIST_SERVICE_PORT_SWIM=7946"} {
		require.Contains(t, links, want, "the kubelet's set as the test builds it")
	}

	// Nothing but the links: the defaults, as without them.
	cfg, err := ConfigFromEnviron(append(links, "MEMBERLIST_NAME=n1"))
	require.NoError(t, err)
	assert.True(t, reflect.DeepEqual(named(DefaultLANConfig(), "n1"), cfg), "links changed the config: %+v", cfg)

	// A real deployment's variables beside them, MEMBERLIST_DNS_PORT's
	// link among them: the A name gets the default port, not 53.
	env := append(links, "MEMBERLIST_NAME=chaos-0", "MEMBERLIST_DNS=chaos.default.svc.cluster.local",
		"MEMBERLIST_ADVERTISE_ADDR=[10.244.1.7]:7946", "MEMBERLIST_LABEL=chaos", "MEMBERLIST_KEYS_FILE=testdata/keys")
	cfg, err = ConfigFromEnviron(env)
	require.NoError(t, err)
	wantDNS("chaos.default.svc.cluster.local", defaultDNSPort)(t, cfg)
	assert.Equal(t, "10.244.1.7:7946", cfg.AdvertiseAddr)
	assert.Equal(t, "chaos", cfg.Label)
	assert.Len(t, cfg.Keys, 2)

	// An operator's own MEMBERLIST_DNS_PORT wins over the link (the
	// kubelet lets the container's env override it), and is used.
	cfg, err = ConfigFromEnviron(append(env, "MEMBERLIST_DNS_PORT=7000"))
	require.NoError(t, err)
	wantDNS("chaos.default.svc.cluster.local", 7000)(t, cfg)
}

func TestEnvStillRefusesTypos(t *testing.T) {
	for _, typo := range []string{
		"MEMBERLIST_PROBE_INTERVL=1s",
		// Names a link could have, with values no link has.
		"MEMBERLIST_BIND_PORT=7946",
		"MEMBERLIST_PORT=7946",
		"MEMBERLIST_SERVICE_HOST=memberlist.default.svc",
		"MEMBERLIST_SERVICE_PORT=http",
		"MEMBERLIST_PORT_7946_UDP=udp://10.0.0.1:8000",
		"MEMBERLIST_PORT_7946_UDP_PROTO=tcp",
		"MEMBERLIST_PORT_7946_TCP_PORT=7947",
		"MEMBERLIST_PORT_7946_QUIC=quic://10.0.0.1:7946",
		"MEMBERLIST_PORT_7946_UDP_HOST=10.0.0.1",
	} {
		t.Run(typo, func(t *testing.T) {
			for _, env := range [][]string{{typo}, append(kubeletEnviron(), typo)} {
				_, err := ConfigFromEnviron(append(env, "MEMBERLIST_NAME=n1"))
				require.ErrorIs(t, err, ErrInvalidConfig)
				name, _, _ := strings.Cut(typo, "=")
				assert.Contains(t, err.Error(), name)
				assert.NotContains(t, err.Error(), "MEMBERLIST_SERVICE_PORT_SWIM", "a link reported as unknown")
			}
		})
	}
	// MEMBERLIST_DNS_PORT is real: a bad value is an error, not a link.
	_, err := ConfigFromEnviron([]string{"MEMBERLIST_NAME=n1", "MEMBERLIST_DNS=seeds.example", "MEMBERLIST_DNS_PORT=udp"})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "MEMBERLIST_DNS_PORT")
}

func TestServiceLinkForms(t *testing.T) {
	for _, tc := range []struct {
		kv   string
		want bool
	}{
		{"MEMBERLIST_SERVICE_HOST=10.0.0.1", true},
		{"MEMBERLIST_SERVICE_HOST=fd00::1", true},
		{"MEMBERLIST_SERVICE_HOST=0.0.0.0", false},
		{"MEMBERLIST_SERVICE_HOST=None", false},
		{"MEMBERLIST_SERVICE_PORT=7946", true},
		{"MEMBERLIST_SERVICE_PORT=07946", false},
		{"MEMBERLIST_SERVICE_PORT=0", false},
		{"MEMBERLIST_SERVICE_PORT_HTTP_ALT=8080", true},
		{"MEMBERLIST_PORT=tcp://10.0.0.1:80", true},
		{"MEMBERLIST_PORT=TCP://10.0.0.1:80", false},
		{"MEMBERLIST_PORT=tcp://[10.0.0.1]:80", false},
		{"MEMBERLIST_PORT=tcp://[fd00::1]:80", true},
		{"MEMBERLIST_PORT=tcp://fd00::1:80", true},
		{"MEMBERLIST_PORT=http://10.0.0.1:80", false},
		{"MEMBERLIST_PORT=tcp://host:80", false},
		{"MEMBERLIST_PORT_80_TCP=tcp://10.0.0.1:80", true},
		{"MEMBERLIST_PORT_80_TCP=udp://10.0.0.1:80", false},
		{"MEMBERLIST_PORT_80_TCP_PROTO=tcp", true},
		{"MEMBERLIST_PORT_80_TCP_PORT=80", true},
		{"MEMBERLIST_PORT_80_TCP_ADDR=10.0.0.1", true},
		{"MEMBERLIST_PORT_80_TCP_EXTRA=10.0.0.1", false},
		{"MEMBERLIST_X__Y_SERVICE_HOST=10.0.0.1", true}, // Service "memberlist-x--y"
		{"MEMBERLIST_PORT_SERVICE_HOST=10.0.0.1", true}, // Service "memberlist-port"
		{"MEMBERLIST_service_HOST=10.0.0.1", false},
		{"MEMBERLISTX_SERVICE_HOST=10.0.0.1", false},
		{"MEMBERLIST_NAME=10.0.0.1", false},
		{"MEMBERLIST_DNS_PORT=7946", false},
		{"MEMBERLIST_DNS_PORT=udp://10.0.0.10:53", true},
	} {
		k, v, _ := strings.Cut(tc.kv, "=")
		assert.Equal(t, tc.want, serviceLink(k, v), tc.kv)
	}
}

func TestEnvKeysFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o400))
		return p
	}
	conf := func(vars ...string) (Config, error) {
		return ConfigFromEnviron(append(vars, "MEMBERLIST_NAME=n1"))
	}

	// A Secret written by kubectl create secret --from-file: one key a
	// line, a final newline; or several on one line with commas.
	cfg, err := conf("MEMBERLIST_KEYS_FILE=" + write("lines", testKeysB64[1]+"\n"+testKeysB64[0]+"\n"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{testKeys[1], testKeys[0]}, cfg.Keys)
	cfg, err = conf("MEMBERLIST_KEYS_FILE=" + write("commas", testKeysB64[0]+", "+testKeysB64[2]))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{testKeys[0], testKeys[2]}, cfg.Keys)

	missing := filepath.Join(dir, "missing")
	_, err = conf("MEMBERLIST_KEYS_FILE=" + missing)
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "MEMBERLIST_KEYS_FILE")
	assert.Contains(t, err.Error(), missing)

	_, err = conf("MEMBERLIST_KEYS_FILE="+write("ok", testKeysB64[0]), "MEMBERLIST_KEYS="+testKeysB64[1])
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "not both")
	assert.NotContains(t, err.Error(), testKeysB64[1])

	// A bad entry is named by position and length, never shown.
	secret := "c2VjcmV0LXNob3J0" // "secret-short": 12 bytes
	_, err = conf("MEMBERLIST_KEYS_FILE=" + write("short", testKeysB64[0]+"\n"+secret+"\n"))
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "entry 2 decodes to 12 bytes")
	assert.NotContains(t, err.Error(), secret)

	_, err = conf("MEMBERLIST_KEYS_FILE=" + write("big", strings.Repeat(testKeysB64[0]+"\n", maxKeysFile/len(testKeysB64[0]))))
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "over 65536 bytes")

	_, err = conf("MEMBERLIST_KEYS_FILE=" + write("empty", "\n"))
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "MEMBERLIST_KEYS_FILE")
}
