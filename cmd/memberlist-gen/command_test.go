package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
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
	if code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p"); code != 0 || stdout != "p/p_memberlist.go\n" {
		t.Fatalf("first run: status %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p"); code != 0 || stdout != "" {
		t.Fatalf("second run: status %d, stdout %q (want nothing written), stderr %s", code, stdout, stderr)
	}
	if fi, err := os.Stat(out); err != nil || !fi.ModTime().Equal(old) {
		t.Fatalf("second run touched the output: %v %v", fi.ModTime(), err)
	}

	// An output that no longer compiles (here: not even parses) is read as
	// empty and replaced.
	if err := os.WriteFile(out, []byte(header+"\n\npackage p\n\nfunc broken( {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCommand(t, "-C", dir, "./p"); code != 0 {
		t.Fatalf("repair run: status %d\n%s", code, stderr)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, first) {
		t.Fatal("the broken output was not regenerated as before")
	}
}

// When a family goes away, so does the output generated for it.
func TestCommandRemovesStaleOutput(t *testing.T) {
	other := strings.NewReplacer("Msg", "Other", "Ping", "Pong").Replace(pingSrc)
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc, "p/other.go": other})
	if code, _, stderr := runCommand(t, "-C", dir, "./p"); code != 0 {
		t.Fatalf("status %d\n%s", code, stderr)
	}
	stale := filepath.Join(dir, "p", "other_memberlist.go")
	if _, err := os.Stat(stale); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p", "other.go"), []byte("package p\n\n// Other is no family any more.\ntype Other struct{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	if code != 0 || stdout != "p/other_memberlist.go\n" {
		t.Fatalf("status %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale output still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "p", "p_memberlist.go")); err != nil {
		t.Fatal(err)
	}
}

// One refused package in a run means nothing is written, not even for the
// packages that were fine.
func TestCommandWritesNothingOnError(t *testing.T) {
	bad := strings.Replace(pingSrc, "//memberlist:tag 1\n", "", 1)
	dir := tempModule(t, map[string]string{"good/p.go": pingSrc, "bad/p.go": strings.Replace(bad, "package p", "package bad", 1)})
	code, _, stderr := runCommand(t, "-C", dir, "./...")
	if code != 1 || !strings.Contains(stderr, "bad/p.go:6:6: Ping implements Msg but has no //memberlist:tag") {
		t.Fatalf("status %d, stderr:\n%s", code, stderr)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*", "*"+outputSuffix)); len(matches) > 0 {
		t.Fatalf("written despite the error: %v", matches)
	}
}

// Bad flags and patterns are errors, not crashes.
func TestCommandUsage(t *testing.T) {
	if code, _, stderr := runCommand(t, "-nope"); code != 2 || !strings.Contains(stderr, "usage: memberlist-gen") {
		t.Fatalf("unknown flag: status %d, stderr %q", code, stderr)
	}
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc})
	if code, _, stderr := runCommand(t, "-C", dir, "./nothere"); code != 1 || !strings.Contains(stderr, "nothere") {
		t.Fatalf("missing package: status %d, stderr %q", code, stderr)
	}
}
