package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/memberlist-go/memberlist/examples/chaos/internal/manifest"
	"github.com/memberlist-go/memberlist/runtime"
	"github.com/memberlist-go/memberlist/runtime/httpapi"
)

// The labels every object carries (app.kubernetes.io/*), and the two a
// selector uses: the version changes on every release, which a selector,
// immutable in a StatefulSet, cannot follow.
var (
	recommendedLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
		"app.kubernetes.io/component", "app.kubernetes.io/part-of"}
	selectorLabels = []string{"app.kubernetes.io/instance", "app.kubernetes.io/name"} // sorted
)

func loadManifests(t *testing.T) (*manifest.Set, manifest.Container) {
	t.Helper()
	s, err := manifest.Load("k8s")
	require.NoError(t, err)
	require.Len(t, s.StatefulSet.Spec.Template.Spec.Containers, 1)
	return s, s.StatefulSet.Spec.Template.Spec.Containers[0]
}

func defaultPort(t *testing.T) int {
	_, p, err := net.SplitHostPort(runtime.DefaultLANConfig().BindAddr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return port
}

// Every file of k8s/ is a resource of the kustomization, and every object
// carries the recommended labels with one version, which the image's tag
// is; no object names a namespace.
func TestManifestsLabelsAndVersion(t *testing.T) {
	s, c := loadManifests(t)
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" {
			assert.Contains(t, s.Kustomization.Resources, base, "a manifest kubectl apply -k would leave out")
		}
	}
	version := s.StatefulSet.Metadata.Labels["app.kubernetes.io/version"]
	require.Regexp(t, `^\d+\.\d+\.\d+$`, version)
	for _, h := range s.Headers {
		for _, l := range recommendedLabels {
			assert.NotEmpty(t, h.Metadata.Labels[l], "%s %s: label %s", h.Kind, h.Metadata.Name, l)
		}
		assert.Equal(t, version, h.Metadata.Labels["app.kubernetes.io/version"], "%s %s", h.Kind, h.Metadata.Name)
		assert.Empty(t, h.Metadata.Namespace, "%s %s hard-codes a namespace", h.Kind, h.Metadata.Name)
	}
	podLabels := s.StatefulSet.Spec.Template.Metadata.Labels
	for _, l := range recommendedLabels {
		assert.Equal(t, s.StatefulSet.Metadata.Labels[l], podLabels[l], "pod label %s", l)
	}
	assert.Equal(t, selectorLabels, sortedKeys(s.StatefulSet.Spec.Selector.MatchLabels), "the StatefulSet's selector")
	assert.True(t, s.StatefulSet.Spec.Selector.Matches(podLabels))

	image, tag, ok := strings.Cut(c.Image, ":")
	require.True(t, ok, "image %q has no tag", c.Image)
	assert.Equal(t, "chaos", image)
	assert.Equal(t, version, tag, "the image tag is the release")
	assert.NotEqual(t, "latest", tag)
	assert.Equal(t, "IfNotPresent", c.ImagePullPolicy)
}

// The headless service publishes every pod under the SRV name the members
// look up, with the port the code binds by default.
func TestManifestsService(t *testing.T) {
	s, c := loadManifests(t)
	svc, sts := s.Service, s.StatefulSet
	port := defaultPort(t)
	assert.Equal(t, "None", svc.Spec.ClusterIP, "headless")
	assert.True(t, svc.Spec.PublishNotReadyAddresses, "a member must be found before it is ready, or it never becomes ready")
	assert.Equal(t, svc.Metadata.Name, sts.Spec.ServiceName)
	assert.Equal(t, selectorLabels, sortedKeys(svc.Spec.Selector))
	assert.True(t, manifest.LabelSelector{MatchLabels: svc.Spec.Selector}.Matches(sts.Spec.Template.Metadata.Labels))
	assert.Equal(t, "Parallel", sts.Spec.PodManagementPolicy)
	require.Len(t, svc.Spec.Ports, 1)
	sp := svc.Spec.Ports[0]
	assert.Equal(t, port, sp.Port)
	assert.Equal(t, "UDP", sp.Protocol)
	cp, ok := containerPort(c, sp.TargetPort)
	require.True(t, ok, "no container port %q", sp.TargetPort)
	assert.Equal(t, port, cp.ContainerPort)
	assert.Equal(t, "UDP", cp.Protocol)
	stream, ok := containerPort(c, "stream")
	require.True(t, ok)
	assert.Equal(t, manifest.ContainerPort{Name: "stream", ContainerPort: port, Protocol: "TCP"}, stream, "streams use the protocol's port number over TCP")

	env := podEnv(t, s, c, "10.244.1.7")
	assert.Equal(t, "_"+sp.Name+"._udp."+svc.Metadata.Name+".default.svc.cluster.local", env["MEMBERLIST_DNS"])
}

// The environment, worked out as the kubelet would for an IPv4 and an
// IPv6 pod, is accepted by ConfigFromEnv (so every MEMBERLIST_ name is one
// of its variables), advertises the pod IP, binds the default port on
// every address, and reads the keys from the Secret's file; the cluster
// domain comes from the ConfigMap, not the StatefulSet.
func TestManifestsEnvironment(t *testing.T) {
	s, c := loadManifests(t)
	port := defaultPort(t)
	for _, raw := range c.Env {
		if strings.HasPrefix(raw.Name, "MEMBERLIST_") || raw.Name == "POD_IP" {
			assert.NotContains(t, raw.Value, "cluster.local", "%s: the cluster domain is a parameter", raw.Name)
		}
	}
	byName := map[string]manifest.EnvVar{}
	for _, e := range c.Env {
		byName[e.Name] = e
	}
	require.NotNil(t, byName["POD_IP"].ValueFrom)
	require.NotNil(t, byName["POD_IP"].ValueFrom.FieldRef)
	assert.Equal(t, "status.podIP", byName["POD_IP"].ValueFrom.FieldRef.FieldPath, "POD_IP from the downward API")
	assert.Equal(t, "[$(POD_IP)]:"+strconv.Itoa(port), byName["MEMBERLIST_ADVERTISE_ADDR"].Value, "bracketed for either family")
	require.NotNil(t, byName["CLUSTER_DOMAIN"].ValueFrom)
	require.NotNil(t, byName["CLUSTER_DOMAIN"].ValueFrom.ConfigMapKeyRef, "the cluster domain from the ConfigMap")
	assert.Contains(t, byName["MEMBERLIST_DNS"].Value, "$(CLUSTER_DOMAIN)")

	files, err := s.SecretFiles(c)
	require.NoError(t, err)
	require.Len(t, files, 1, "the keys, from a Secret")
	keys := files[0]
	assert.Zero(t, keys.Mode&0o007, "the key file is not world-readable: mode %o", keys.Mode)
	for _, m := range c.VolumeMounts {
		assert.True(t, m.ReadOnly, "volume %s mounted read-write", m.Name)
	}

	// The Secret's file, as the kubelet would write it for the pod.
	dir := t.TempDir()
	local := filepath.Join(dir, filepath.Base(keys.Path))
	require.NoError(t, os.WriteFile(local, []byte("MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=\nMDEyMzQ1Njc4OWFiY2RlZg==\n"), os.FileMode(keys.Mode)))

	for _, ip := range []string{"10.244.1.7", "fd00:10:244::7"} {
		env, err := s.Environ(c, manifest.Pod{Name: "chaos-1", Namespace: "prod", IP: ip})
		require.NoError(t, err)
		for i, kv := range env {
			if kv == "MEMBERLIST_KEYS_FILE="+keys.Path {
				env[i] = "MEMBERLIST_KEYS_FILE=" + local
			}
		}
		require.Contains(t, env, "MEMBERLIST_KEYS_FILE="+local, "MEMBERLIST_KEYS_FILE names the Secret's file")
		cfg, err := runtime.ConfigFromEnviron(env)
		require.NoError(t, err, "pod IP %s", ip)
		assert.Equal(t, "chaos-1", cfg.Name)
		assert.Equal(t, net.JoinHostPort(ip, strconv.Itoa(port)), cfg.AdvertiseAddr)
		assert.Equal(t, ":"+strconv.Itoa(port), cfg.BindAddr, "every address, both families")
		assert.Len(t, cfg.Keys, 2, "keys from the Secret")
		assert.NotEmpty(t, cfg.Label, "a cluster label")
		assert.Zero(t, cfg.JoinTimeout, "readiness, not a crash loop, waits for the join")
		require.NotNil(t, cfg.Discovery)
		assert.Contains(t, fmt.Sprint(cfg.Discovery), "_swim._udp.chaos.prod.svc.cluster.local")
	}
	assert.False(t, *s.StatefulSet.Spec.Template.Spec.EnableServiceLinks, "enableServiceLinks: false")
}

// The probes hit the handler's routes on the HTTP port the image serves,
// with a liveness timeout longer than the handler's own deadline; and
// they mean what they should: readiness fails before a join, liveness
// does not.
func TestManifestsProbes(t *testing.T) {
	_, c := loadManifests(t)
	require.NotNil(t, c.ReadinessProbe)
	require.NotNil(t, c.LivenessProbe)
	assert.Equal(t, httpapi.ReadyPath, c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, httpapi.HealthPath, c.LivenessProbe.HTTPGet.Path)
	for _, p := range []*manifest.Probe{c.ReadinessProbe, c.LivenessProbe} {
		hp, ok := containerPort(c, p.HTTPGet.Port)
		require.True(t, ok, "probe port %q", p.HTTPGet.Port)
		assert.Equal(t, "TCP", hp.Protocol)
		assert.Equal(t, ":"+strconv.Itoa(hp.ContainerPort), entrypointFlag(t, "-http"), "the image serves HTTP on the probed port")
		assert.Positive(t, p.TimeoutSeconds)
		assert.Positive(t, p.PeriodSeconds)
	}
	assert.Greater(t, time.Duration(c.LivenessProbe.TimeoutSeconds)*time.Second, httpapi.DefaultHealthTimeout)

	// The paths are routes: a node that has not joined is alive and not
	// ready.
	n, err := runtime.Start(context.Background(), func() runtime.Config {
		cfg := runtime.DefaultLocalConfig()
		cfg.Name, cfg.BindAddr = "probe", "127.0.0.1:0"
		return cfg
	}())
	require.NoError(t, err)
	defer n.Close()
	h := httpapi.Handler(n)
	for path, want := range map[string]int{c.ReadinessProbe.HTTPGet.Path: 503, c.LivenessProbe.HTTPGet.Path: 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		assert.Equal(t, want, rec.Code, path)
	}
}

// Restricted pod security: non-root, read-only root, no privilege
// escalation, no capabilities, the runtime's seccomp profile, no API
// token; requests and a memory limit; a drain that fits the grace period.
func TestManifestsHardening(t *testing.T) {
	s, c := loadManifests(t)
	pod := s.StatefulSet.Spec.Template.Spec
	psc, csc := pod.SecurityContext, c.SecurityContext
	require.NotNil(t, psc.RunAsNonRoot)
	assert.True(t, *psc.RunAsNonRoot)
	require.NotNil(t, psc.RunAsUser)
	assert.NotZero(t, *psc.RunAsUser)
	assert.Equal(t, "RuntimeDefault", psc.SeccompProfile.Type)
	require.NotNil(t, csc.AllowPrivilegeEscalation)
	assert.False(t, *csc.AllowPrivilegeEscalation)
	require.NotNil(t, csc.ReadOnlyRootFilesystem)
	assert.True(t, *csc.ReadOnlyRootFilesystem)
	require.NotNil(t, csc.RunAsNonRoot)
	assert.True(t, *csc.RunAsNonRoot)
	assert.Equal(t, []string{"ALL"}, csc.Capabilities.Drop)
	assert.Empty(t, csc.Capabilities.Add)
	assert.Equal(t, "RuntimeDefault", csc.SeccompProfile.Type)
	require.NotNil(t, pod.AutomountServiceAccountToken)
	assert.False(t, *pod.AutomountServiceAccountToken)

	assert.NotEmpty(t, c.Resources.Requests["cpu"])
	assert.NotEmpty(t, c.Resources.Requests["memory"])
	assert.NotEmpty(t, c.Resources.Limits["memory"])
	assert.Empty(t, c.Resources.Limits["cpu"], "a CPU limit throttles acks into false failures")

	// SIGTERM: leave (runNode waits 5 s at most), then drain.
	drain, err := time.ParseDuration(flagValue(t, c.Args, "-drain"))
	require.NoError(t, err)
	assert.Positive(t, drain)
	assert.Greater(t, time.Duration(pod.TerminationGracePeriodSeconds)*time.Second, 5*time.Second+drain)

	require.Len(t, pod.TopologySpreadConstraints, 1)
	tsc := pod.TopologySpreadConstraints[0]
	assert.Equal(t, "kubernetes.io/hostname", tsc.TopologyKey)
	assert.Equal(t, 1, tsc.MaxSkew)
	assert.True(t, tsc.LabelSelector.Matches(s.StatefulSet.Spec.Template.Metadata.Labels))

	pdb := s.PodDisruptionBudget
	require.NotNil(t, pdb.Spec.MaxUnavailable)
	assert.Equal(t, 1, *pdb.Spec.MaxUnavailable)
	assert.Nil(t, pdb.Spec.MinAvailable)
	assert.True(t, pdb.Spec.Selector.Matches(s.StatefulSet.Spec.Template.Metadata.Labels))
}

// The NetworkPolicy lets the members, and only they, reach the protocol's
// port over UDP and TCP, and only the monitoring namespace port 8080.
func TestManifestsNetworkPolicy(t *testing.T) {
	s, c := loadManifests(t)
	np := s.NetworkPolicy
	podLabels := s.StatefulSet.Spec.Template.Metadata.Labels
	port := defaultPort(t)
	httpPort, ok := containerPort(c, "http")
	require.True(t, ok)
	assert.True(t, np.Spec.PodSelector.Matches(podLabels))
	assert.Equal(t, []string{"Ingress"}, np.Spec.PolicyTypes)

	type rule struct {
		from  string
		ports []string
	}
	var got []rule
	for _, in := range np.Spec.Ingress {
		require.Len(t, in.From, 1, "one peer a rule")
		f := in.From[0]
		var r rule
		switch {
		case f.IPBlock != nil:
			t.Fatalf("ipBlock %s: only pods and a namespace are allowed", f.IPBlock.CIDR)
		case f.PodSelector != nil && f.NamespaceSelector == nil:
			require.True(t, f.PodSelector.Matches(podLabels), "pods of another application")
			r.from = "members"
		case f.NamespaceSelector != nil && f.PodSelector == nil:
			r.from = "namespace " + f.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]
		default:
			t.Fatalf("rule %+v", f)
		}
		for _, p := range in.Ports {
			r.ports = append(r.ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
		got = append(got, r)
	}
	assert.Equal(t, []rule{
		{from: "members", ports: []string{fmt.Sprintf("%d/UDP", port), fmt.Sprintf("%d/TCP", port)}},
		{from: "namespace monitoring", ports: []string{fmt.Sprintf("%d/TCP", httpPort.ContainerPort)}},
	}, got)
}

// The image: base images pinned by digest, a non-root user, the ports
// exposed; and the build context keeps out .git, bench/ and everything
// else the build does not read, while keeping all it does.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	docker := string(b)
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(docker, -1)
	require.Len(t, from, 2)
	for _, f := range from {
		assert.Regexp(t, `^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$`, f[1], "pinned by tag and digest")
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(docker)
	require.NotNil(t, user, "a USER line")
	assert.NotRegexp(t, `^(0|root)(:|$)`, user[1])
	port := strconv.Itoa(defaultPort(t))
	assert.Contains(t, docker, "EXPOSE "+port+"/udp "+port+"/tcp")

	ignore := dockerignore(t)
	for _, p := range []string{".git", ".git/HEAD", "bench/go.mod", "docs/BENCHMARKS.md", "runtime/node_test.go"} {
		assert.True(t, ignore(p), "%s is sent to the builder", p)
	}
	// Everything `go build ./examples/chaos` reads.
	out, err := exec.Command("go", "list", "-deps", "-json=Module,Dir,GoFiles,EmbedFiles", ".").Output()
	require.NoError(t, err)
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			Module              *struct{ Path string }
			Dir                 string
			GoFiles, EmbedFiles []string
		}
		require.NoError(t, dec.Decode(&p))
		if p.Module == nil || p.Module.Path != "github.com/memberlist-go/memberlist" {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		require.NoError(t, err)
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			needed = append(needed, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	require.Contains(t, needed, "examples/chaos/main.go")
	require.Contains(t, needed, "runtime/httpapi/index.html")
	for _, f := range needed {
		assert.False(t, ignore(f), "%s is needed by the build but ignored", f)
	}
}

// dockerignore returns whether the repository's .dockerignore keeps a
// path out of the build context, as Docker's matcher does for these
// patterns: a pattern matches a path or any directory above it; "*" is
// any run of characters but "/", "**" any run of directories.
func dockerignore(t *testing.T) func(path string) bool {
	b, err := os.ReadFile("../../.dockerignore")
	require.NoError(t, err)
	var pats []*regexp.Regexp
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.False(t, strings.HasPrefix(line, "!"), "exceptions are not handled here: %s", line)
		re := regexp.QuoteMeta(line)
		re = strings.ReplaceAll(re, `\*\*/`, `(.*/)?`)
		re = strings.ReplaceAll(re, `\*`, `[^/]*`)
		re = strings.ReplaceAll(re, `\?`, `[^/]`)
		pats = append(pats, regexp.MustCompile("^"+re+"$"))
	}
	return func(path string) bool {
		parts := strings.Split(path, "/")
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			for _, re := range pats {
				if re.MatchString(prefix) {
					return true
				}
			}
		}
		return false
	}
}

// entrypointFlag is the value of flag in the Dockerfile's ENTRYPOINT.
func entrypointFlag(t *testing.T, flag string) string {
	t.Helper()
	return flagValue(t, entrypoint(t)[1:], flag)
}

// entrypoint is the Dockerfile's ENTRYPOINT, in exec form.
func entrypoint(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^ENTRYPOINT\s+(\[.*\])$`).FindSubmatch(b)
	require.NotNil(t, m, "ENTRYPOINT in exec form")
	var args []string
	require.NoError(t, json.Unmarshal(m[1], &args))
	return args
}

func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s in %q", flag, args)
	return ""
}

// The chaos binary parses the manifest's arguments after the image's.
func TestManifestArgsParse(t *testing.T) {
	_, c := loadManifests(t)
	o, err := parseFlags(append(entrypoint(t)[1:], c.Args...), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":8080", o.http)
	assert.Positive(t, o.drain)
}

func containerPort(c manifest.Container, name string) (manifest.ContainerPort, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return manifest.ContainerPort{}, false
}

func podEnv(t *testing.T, s *manifest.Set, c manifest.Container, ip string) map[string]string {
	t.Helper()
	env, err := s.Environ(c, manifest.Pod{Name: "chaos-0", Namespace: "default", IP: ip})
	require.NoError(t, err)
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
