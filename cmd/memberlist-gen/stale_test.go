package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Generated code that no longer matches its source cannot go unnoticed:
// a field added or a bound changed without running go generate breaks the
// build at the pin of the struct, and -check names the stale file; a
// variant added without it is refused by Encode with "run go generate".
func TestStaleCodeIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	const src = `package p

// Msg is the family.
//
//memberlist:messages
type Msg interface{ isMsg() }

// Invalidate drops a key from caches.
//
//memberlist:tag 1
type Invalidate struct {
	Key string ` + "`memberlist:\"max=8\"`" + `
}

func (Invalidate) isMsg() {}
`
	dir := userModule(t, map[string]string{"p/p.go": src})
	file := filepath.Join(dir, "p", "p.go")
	code, _, stderr := runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, stderr)
	out, err := goCommand(t, dir, "build", "./...")
	require.NoError(t, err, out)
	code, _, stderr = runCommand(t, "-C", dir, "-check", "./...")
	require.Equal(t, 0, code, "-check on fresh code: %s", stderr)

	// pinLine is where the build must fail: the pin of Invalidate.
	gen, err := os.ReadFile(filepath.Join(dir, "p", "p_memberlist.go"))
	require.NoError(t, err)
	pinLine := 0
	for i, l := range strings.Split(string(gen), "\n") {
		if strings.HasPrefix(l, "var _ Invalidate = struct {") {
			pinLine = i + 1
		}
	}
	require.NotZero(t, pinLine, "no pin of Invalidate in:\n%s", gen)

	stale := func(t *testing.T, edited string) {
		t.Helper()
		require.NoError(t, os.WriteFile(file, []byte(edited), 0o644))
		out, err := goCommand(t, dir, "build", "./...")
		require.Error(t, err, "the build passed with stale generated code")
		assert.Regexp(t, regexp.MustCompile(`p_memberlist.go:\d+:\d+: cannot use struct\{.*\}\{\} \(value of type struct\{.*\}\) as Invalidate value`), out)
		assert.Contains(t, out, "p_memberlist.go:"+strconv.Itoa(pinLine)+":")
		code, _, stderr := runCommand(t, "-C", dir, "-check", "./...")
		assert.Equal(t, 1, code)
		assert.Equal(t, "memberlist-gen: p/p_memberlist.go is stale: run go generate\n", stderr)
	}
	t.Run("field added", func(t *testing.T) {
		stale(t, strings.Replace(src, "\tKey string", "\tTTL int\n\tKey string", 1))
	})
	t.Run("bound changed", func(t *testing.T) {
		stale(t, strings.Replace(src, "max=8", "max=16", 1))
	})
	t.Run("variant added", func(t *testing.T) {
		added := src + `
// Flush drops every key.
//
//memberlist:tag 2
type Flush struct{}

func (Flush) isMsg() {}
`
		require.NoError(t, os.WriteFile(file, []byte(added), 0o644))
		main := `package main

import (
	"fmt"

	"example.com/user/p"
)

func main() {
	_, err := p.EncodeMsg(nil, p.Flush{})
	fmt.Println(err)
}
`
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "cmd"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "main.go"), []byte(main), 0o644))
		out, err := goCommand(t, dir, "run", "./cmd")
		require.NoError(t, err, out)
		assert.Equal(t, "p.Msg: cannot encode p.Flush: memberlist-gen wrote no code for it; if it is a new variant, run go generate\n", out)
		code, _, stderr := runCommand(t, "-C", dir, "-check", "./...")
		assert.Equal(t, 1, code)
		assert.Equal(t, "memberlist-gen: p/p_memberlist.go is stale: run go generate\n", stderr, "cmd, without families, is no problem under ./...")
	})
}

// -check names what go generate would write or remove, and writes
// nothing itself.
func TestCheckNamesMissingAndRemovedFiles(t *testing.T) {
	other := strings.NewReplacer("Msg", "Other", "Ping", "Pong").Replace(pingSrc)
	dir := tempModule(t, map[string]string{"p/p.go": pingSrc, "p/other.go": other})
	code, stdout, stderr := runCommand(t, "-C", dir, "-check", "./p")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "memberlist-gen: p/other_memberlist.go is missing: run go generate\n"+
		"memberlist-gen: p/p_memberlist.go is missing: run go generate\n", stderr)
	matches, _ := filepath.Glob(filepath.Join(dir, "p", "*"+outputSuffix))
	assert.Empty(t, matches, "-check wrote files")

	code, _, stderr = runCommand(t, "-C", dir, "./p")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p", "other.go"), []byte("package p\n"), 0o644))
	code, _, stderr = runCommand(t, "-C", dir, "-check", "./p")
	assert.Equal(t, 1, code)
	assert.Equal(t, "memberlist-gen: p/other_memberlist.go is no longer generated: run go generate\n", stderr)
}
