package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the expected output of the packages under testdata/gen")

// moduleRoot is the repository's root, which holds testdata/.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// refusal renders an *errRefused with its diagnostics, other errors as
// they are.
func refusal(err error, dir string) string {
	var r *errRefused
	if !errors.As(err, &r) {
		return err.Error()
	}
	var b strings.Builder
	for _, d := range r.diags {
		fmt.Fprintln(&b, d.String(dir))
	}
	return b.String()
}

// The packages under testdata/gen are the golden inputs; the
// *_memberlist.go files beside them, committed, are the expected output.
// They are compiled in this module (by explicit path, as ./... skips
// testdata), so the tests of internal/gentest run them.
func TestGolden(t *testing.T) {
	root := moduleRoot(t)
	p, err := generate(root, []string{"./testdata/gen/..."}, runtimeBudgets())
	if err != nil {
		require.NoError(t, err, "generate: %s", refusal(err, root))
	}
	cases, err := filepath.Glob(filepath.Join(root, "testdata", "gen", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, cases, "golden packages")
	for _, c := range cases {
		n := 0
		for path := range p.write {
			if filepath.Dir(path) == c {
				n++
			}
		}
		assert.NotZero(t, n, "%s: files of output", c)
	}
	if *update {
		changed, err := p.apply()
		require.NoError(t, err)
		for _, c := range changed {
			t.Logf("updated %s", c)
		}
		return
	}
	for path, want := range p.write {
		got, err := os.ReadFile(path)
		if !assert.NoError(t, err, "run go test ./cmd/memberlist-gen -update") {
			continue
		}
		// A line, not testify's diff: the whole file would drown it.
		assert.True(t, bytes.Equal(got, want), "%s is stale: run go test ./cmd/memberlist-gen -update\n%s", path, firstDiff(string(got), string(want)))
	}
	assert.Empty(t, p.remove, "no longer generated: run go test ./cmd/memberlist-gen -update")
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  have: %s\n  want: %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}
