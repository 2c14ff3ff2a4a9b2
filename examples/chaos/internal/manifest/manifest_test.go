package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandLikeTheKubelet(t *testing.T) {
	vals := map[string]string{"A": "1", "B": "two"}
	for in, want := range map[string]string{
		"$(A)":          "1",
		"x$(A)y$(B)z":   "x1ytwoz",
		"$$(A)":         "$(A)",
		"$(C)":          "$(C)",
		"$(A":           "$(A",
		"$":             "$",
		"[$(A)]:7946":   "[1]:7946",
		"a$b":           "a$b",
		"$(A)$(A)$$$$x": "11$$x",
	} {
		assert.Equal(t, want, expand(in, vals), in)
	}
}

func TestEnvironResolvesInOrder(t *testing.T) {
	s := &Set{ConfigMaps: []ConfigMap{{Header: Header{Metadata: Meta{Name: "cm"}}, Data: map[string]string{"k": "v"}}}}
	c := Container{Env: []EnvVar{
		{Name: "LATER", Value: "$(IP)"}, // defined after: stays as written
		{Name: "IP", ValueFrom: fieldRef("status.podIP")},
		{Name: "ADDR", Value: "[$(IP)]:1"},
		{Name: "K", ValueFrom: &EnvSource{ConfigMapKeyRef: &KeyRef{Name: "cm", Key: "k"}}},
	}}
	env, err := s.Environ(c, Pod{Name: "p", Namespace: "ns", IP: "fd00::1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"LATER=$(IP)", "IP=fd00::1", "ADDR=[fd00::1]:1", "K=v"}, env)

	c.Env = append(c.Env, EnvVar{Name: "X", ValueFrom: fieldRef("spec.nodeName")})
	_, err = s.Environ(c, Pod{})
	assert.ErrorContains(t, err, "spec.nodeName")
}

func fieldRef(path string) *EnvSource { return &EnvSource{FieldRef: &FieldRef{FieldPath: path}} }

// A misspelt key fails the load: the API server would reject it, or drop
// it without a word.
func TestLoadIsStrict(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644))
	}
	write("kustomization.yaml", "resources: [svc.yaml]\n")
	write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIp: None}\n")
	_, err := Load(dir)
	assert.ErrorContains(t, err, "clusterIp")
	write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: None}\n")
	s, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, "None", s.Service.Spec.ClusterIP)
}
