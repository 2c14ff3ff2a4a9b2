package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tempModule writes files (path relative to the module → content) into a
// new module example.com/m and returns its directory. The packages need
// nothing outside the standard library: files that memberlist-gen wrote
// are read as empty, so their imports do not count.
func tempModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

const pingSrc = `package p

//memberlist:messages
type Msg interface{ isMsg() }

//memberlist:tag 1
type Ping struct{ N uint8 }

func (Ping) isMsg() {}
`

// A second run changes nothing, not even a modification time; a stale or
// broken output is repaired.
func TestCommandIsIdempotent(t *testing.T) {
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc})
	out := filepath.Join(dir, "p", "p_memberlist.go")
	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, "first run's status; stderr:\n%s", stderr)
	require.Equal(t, "p/p_memberlist.go\n", stdout, "first run's stdout")
	first, err := os.ReadFile(out)
	require.NoError(t, err)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, os.Chtimes(out, old, old))
	code, stdout, stderr = runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, "second run's status; stderr:\n%s", stderr)
	require.Empty(t, stdout, "second run's stdout: want nothing written")
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.True(t, fi.ModTime().Equal(old), "second run touched the output: modified %v", fi.ModTime())

	// An output that no longer compiles (here: not even parses) is read as
	// empty and replaced.
	require.NoError(t, os.WriteFile(out, []byte(header+"\n\npackage p\n\nfunc broken( {\n"), 0o644))
	code, _, stderr = runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, "repair run's status; stderr:\n%s", stderr)
	again, _ := os.ReadFile(out)
	assert.Equal(t, string(first), string(again), "the broken output was not regenerated as before")
}

// When a family goes away, so does the output generated for it.
func TestCommandRemovesStaleOutput(t *testing.T) {
	other := strings.NewReplacer("Msg", "Other", "Ping", "Pong").Replace(pingSrc)
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc, "p/other.go": other})
	code, _, stderr := runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, "status; stderr:\n%s", stderr)
	stale := filepath.Join(dir, "p", "other_memberlist.go")
	require.FileExists(t, stale)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p", "other.go"), []byte("package p\n\n// Other is no family any more.\ntype Other struct{}\n"), 0o644))
	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, "status; stderr:\n%s", stderr)
	require.Equal(t, "p/other_memberlist.go\n", stdout, "stdout")
	assert.NoFileExists(t, stale, "stale output still there")
	assert.FileExists(t, filepath.Join(dir, "p", "p_memberlist.go"))
}

// One refused package in a run means nothing is written, not even for the
// packages that were fine.
func TestCommandWritesNothingOnError(t *testing.T) {
	bad := strings.Replace(pingSrc, "//memberlist:tag 1\n", "", 1)
	dir := tempModule(t, map[string]string{"good/p.go": pingSrc, "bad/p.go": strings.Replace(bad, "package p", "package bad", 1)})
	code, _, stderr := runCommand(t, "-C", dir, "./...")
	require.Equal(t, 1, code, "status; stderr:\n%s", stderr)
	require.Contains(t, stderr, "bad/p.go:6:6: Ping implements Msg but has no //memberlist:tag")
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "*"+outputSuffix))
	assert.Empty(t, matches, "written despite the error")
}

// Bad flags and patterns are errors, not crashes.
func TestCommandUsage(t *testing.T) {
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc})
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"unknown flag", []string{"-nope"}, 2, "usage: memberlist-gen"},
		{"missing package", []string{"-C", dir, "./nothere"}, 1, "nothere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(t, tc.args...)
			assert.Equal(t, tc.wantCode, code, "status; stderr:\n%s", stderr)
			assert.Contains(t, stderr, tc.wantStderr)
		})
	}
}
