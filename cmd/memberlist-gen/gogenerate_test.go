package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `go generate ./...`, as a user runs it through the //go:generate lines
// of the golden packages (go run .../cmd/memberlist-gen), in a module of
// their own: it writes the golden output (up to the package path, which
// the family ids and their comments derive from), and run a second time it
// changes nothing, not even a modification time.
func TestGoGenerateTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go generate")
	}
	root := moduleRoot(t)
	const modPath = "example.com/gentest"
	dir := t.TempDir()
	goMod := "module " + modPath + "\n\ngo 1.26\n\nrequire github.com/memberlist-go/memberlist v0.0.0\n\nreplace github.com/memberlist-go/memberlist => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	golden := map[string]string{} // output path in dir → golden file
	inputs, _ := filepath.Glob(filepath.Join(root, "testdata", "gen", "*", "*.go"))
	for _, in := range inputs {
		rel, _ := filepath.Rel(filepath.Join(root, "testdata"), in)
		if strings.HasSuffix(in, outputSuffix) {
			golden[filepath.Join(dir, rel)] = in
			continue
		}
		src, err := os.ReadFile(in)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), src, 0o644))
	}
	require.NotEmpty(t, golden, "golden outputs")

	goGenerate := func() {
		t.Helper()
		cmd := exec.Command("go", "generate", "./...")
		cmd.Dir = dir
		// The module cache has everything: no network, and go.mod may
		// gain the indirect requirements of the generated code.
		cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "GOPROXY=off", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go generate ./...:\n%s", out)
	}
	goGenerate()
	stamps := map[string]time.Time{}
	contents := map[string]string{}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for out, gold := range golden {
		got, err := os.ReadFile(out)
		require.NoError(t, err, "go generate wrote no %s", out)
		want, err := os.ReadFile(gold)
		require.NoError(t, err)
		pkgDir, _ := filepath.Rel(dir, filepath.Dir(out))
		g := normalize(t, string(got), modPath+"/"+filepath.ToSlash(pkgDir))
		w := normalize(t, string(want), "github.com/memberlist-go/memberlist/testdata/"+filepath.ToSlash(pkgDir))
		assert.True(t, g == w, "%s differs from %s beyond the package path:\n%s", out, gold, firstDiff(g, w))
		contents[out] = string(got)
		require.NoError(t, os.Chtimes(out, old, old))
		stamps[out] = old
	}

	goGenerate()
	for out, stamp := range stamps {
		fi, err := os.Stat(out)
		require.NoError(t, err)
		got, _ := os.ReadFile(out)
		assert.Equal(t, contents[out], string(got), "the second go generate changed %s", out)
		assert.True(t, fi.ModTime().Equal(stamp), "the second go generate touched %s", out)
	}
}

// normalize drops comments (their line breaks depend on the package
// path's length), replaces each family id by a placeholder, after
// checking that it is FNV-1a of the package path and the interface name,
// and the package path by another.
func normalize(t *testing.T, src, pkgPath string) string {
	t.Helper()
	idRE := regexp.MustCompile(`^const (\w+)Family uint32 = (\d+)$`)
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "//") {
			continue
		}
		if m := idRE.FindStringSubmatch(l); m != nil {
			id, _ := strconv.ParseUint(m[2], 10, 32)
			pinned := strings.Contains(src, "It is set by //memberlist:messages id="+m[2]+".")
			if !pinned {
				assert.Equal(t, uint64(familyID(pkgPath, m[1])), id, "%s: id of %s; want FNV-1a of %q", pkgPath, m[1], pkgPath+"."+m[1])
			}
			l = "const " + m[1] + "Family uint32 = ID"
		}
		out = append(out, l)
	}
	return strings.ReplaceAll(strings.Join(out, "\n"), `"`+pkgPath+".", `"PKG.`)
}
