package main

import (
	"bytes"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of issue 16: one per way the generator went wrong on a real
// codebase. The diagnostics (alias tags, ids across packages, the exact
// messages) are in testdata/errors; variants and types named like
// generated locals, and deep nesting, are the golden packages
// testdata/gen/localnames and testdata/gen/deep.

// A file named like the output that memberlist-gen did not write is never
// replaced: the run fails, naming the file and the fix, and writes
// nothing.
func TestNeverOverwritesAFileItDidNotWrite(t *testing.T) {
	const mine = "package p\n\n// Mine is hand-written.\nfunc Mine() {}\n"
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc, "p/p_memberlist.go": mine})
	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	assert.Equal(t, 1, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "p/p_memberlist.go:1:1: p_memberlist.go exists, and memberlist-gen did not write it")
	assert.Contains(t, stderr, "\tfix: memberlist-gen writes the code for p.go into this file: move what it holds into a file of another name")
	got, err := os.ReadFile(filepath.Join(dir, "p", "p_memberlist.go"))
	require.NoError(t, err)
	assert.Equal(t, mine, string(got), "the hand-written file was changed")
}

// An output whose line endings a Windows checkout turned into CRLF is
// still recognised as generated: it is read as empty (not as declarations
// that clash with the new output), and, being right but for its line
// endings, left alone.
func TestCRLFOutputIsRecognised(t *testing.T) {
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc})
	code, _, stderr := runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, stderr)
	out := filepath.Join(dir, "p", "p_memberlist.go")
	lf, err := os.ReadFile(out)
	require.NoError(t, err)
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	require.NoError(t, os.WriteFile(out, crlf, 0o644))

	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout, "a right output with CRLF line endings was rewritten")
	code, _, stderr = runCommand(t, "-C", dir, "-check", "./p")
	assert.Equal(t, 0, code, stderr)

	// A stale CRLF output is replaced.
	require.NoError(t, os.WriteFile(out, bytes.Replace(crlf, []byte("Ping"), []byte("Pong"), 1), 0o644))
	code, stdout, stderr = runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "p/p_memberlist.go\n", stdout)
	got, _ := os.ReadFile(out)
	assert.Equal(t, string(lf), string(got))
}

// The output is compiled exactly where its family is: under the declaring
// file's //go:build line, and under the GOOS or GOARCH its name ends
// with, which the output's name (x_linux_memberlist.go) does not carry.
func TestBuildConstraintsCarriedToOutput(t *testing.T) {
	constrained := "//go:build !windows && (amd64 || arm64)\n\n" + pingSrc
	linux := strings.NewReplacer("Msg", "Sys", "Ping", "Probe").Replace(pingSrc)
	dir := tempModule(t, map[string]string{"p/p.go": constrained, "p/sys_linux.go": linux, "p/plain.go": "package p\n"})
	code, _, stderr := runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, stderr)

	out, err := os.ReadFile(filepath.Join(dir, "p", "p_memberlist.go"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(out), header+"\n\n//go:build !windows && (amd64 || arm64)\n\npackage p\n"), "%.200s", out)
	out, err = os.ReadFile(filepath.Join(dir, "p", "sys_linux_memberlist.go"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(out), header+"\n\n//go:build linux\n\npackage p\n"), "%.200s", out)

	for _, pair := range [][2]string{{"p.go", "p_memberlist.go"}, {"sys_linux.go", "sys_linux_memberlist.go"}} {
		for _, goos := range []string{"linux", "windows", "darwin", "plan9"} {
			for _, goarch := range []string{"amd64", "arm64", "386"} {
				ctx := build.Default
				ctx.GOOS, ctx.GOARCH = goos, goarch
				in, err := ctx.MatchFile(filepath.Join(dir, "p"), pair[0])
				require.NoError(t, err)
				gen, err := ctx.MatchFile(filepath.Join(dir, "p"), pair[1])
				require.NoError(t, err)
				assert.Equal(t, in, gen, "%s/%s: %s built %v, %s built %v", goos, goarch, pair[0], in, pair[1], gen)
			}
		}
	}
}

// A //line directive changes the positions the compiler reports, not
// where the file is: the output goes beside the declaring file.
func TestLineDirectiveDoesNotMoveTheOutput(t *testing.T) {
	src := strings.Replace(pingSrc, "package p\n", "package p\n\n//line ../elsewhere/msg.go:1\n", 1)
	dir := tempModule(t, map[string]string{"p/p.go": src})
	code, stdout, stderr := runCommand(t, "-C", dir, "-v", "./p")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "p/p_memberlist.go\n", stdout)
	_, err := os.Stat(filepath.Join(dir, "elsewhere"))
	assert.True(t, os.IsNotExist(err), "output written outside the package")
}

// Family ids collide within a program even when no single run of the
// generator sees both families: two packages, generated apart, both
// pinned to id=7 and linked into one program, stop it at start-up with
// an error naming both, before a message of one can reach the handlers
// of the other.
func TestFamiliesSharingAnIDStopTheProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	pkg := func(name, iface, variant string) string {
		return strings.NewReplacer("package p", "package "+name, "Msg", iface, "Ping", variant, "messages\n", "messages id=7\n").Replace(pingSrc)
	}
	main := `package main

import (
	"fmt"

	"example.com/user/dupa"
	"example.com/user/dupb"
)

func main() { fmt.Println(dupa.CmdFamily, dupb.CtlFamily) }
`
	dir := userModule(t, map[string]string{"dupa/a.go": pkg("dupa", "Cmd", "Ping"), "dupb/b.go": pkg("dupb", "Ctl", "Kill"), "main.go": main})
	for _, p := range []string{"./dupa", "./dupb"} {
		code, _, stderr := runCommand(t, "-C", dir, p)
		require.Equal(t, 0, code, stderr)
	}
	out, err := goCommand(t, dir, "run", ".")
	require.Error(t, err, "the program ran:\n%s", out)
	assert.Contains(t, out, "panic: memberlist: message family id taken: example.com/user/dupa.Cmd and example.com/user/dupb.Ctl both have id 7; give one of them another with //memberlist:messages id=N and run go generate")
}

// userModule writes files into a new module example.com/user that
// requires this one through a replace directive, as a user's module
// would, and returns its directory. The go commands it runs and the
// loader resolve the generated code's imports from the module cache
// (GOFLAGS=-mod=mod lets them add the requirements).
func userModule(t *testing.T, files map[string]string) string {
	t.Helper()
	root := moduleRoot(t)
	dir := t.TempDir()
	files["go.mod"] = "module example.com/user\n\ngo 1.26\n\nrequire github.com/memberlist-go/memberlist v0.0.0\n\nreplace github.com/memberlist-go/memberlist => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files["go.sum"] = string(sum)
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOWORK", "off")
	return dir
}

// goCommand runs the go command in dir and returns its combined output.
func goCommand(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
