package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantRE finds an expected diagnostic in a file under testdata/errors:
// `// want "text"` expects one on its own line, `// want-next "text"` on
// the next line that is not an empty `//` (gofmt puts one before a
// directive), for lines that cannot hold a trailing comment, such as
// directives; `// want@+N "text"` N lines further down. The text must
// occur in the message.
var wantRE = regexp.MustCompile(`// want(-next|@\+\d+)? ("(?:[^"\\]|\\.)*")`)

type want struct {
	file string
	line int
	text string
	seen bool
}

func readWants(t *testing.T, dir string) []*want {
	t.Helper()
	var out []*want
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.Split(string(src), "\n")
		for i, line := range lines {
			m := wantRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			text, err := strconv.Unquote(m[2])
			if err != nil {
				return fmt.Errorf("%s:%d: %v", path, i+1, err)
			}
			w := &want{file: path, line: i + 1, text: text}
			if n, ok := strings.CutPrefix(m[1], "@+"); ok {
				d, _ := strconv.Atoi(n)
				w.line += d
			} else if m[1] != "" {
				w.line++
				for w.line <= len(lines) && strings.TrimSpace(lines[w.line-1]) == "//" {
					w.line++
				}
			}
			out = append(out, w)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// Every package under testdata/errors is refused; each diagnostic is
// expected by a want comment at its line, names the problem and says how
// to fix it, and every want comment is met.
func TestErrors(t *testing.T) {
	root := moduleRoot(t)
	dir := filepath.Join(root, "testdata", "errors")
	_, err := generate(root, []string{"./testdata/errors/..."}, runtimeBudgets())
	require.IsType(t, (*errRefused)(nil), err, "generate: %v, want the input refused", err)
	r := err.(*errRefused)
	wants := readWants(t, dir)
	require.GreaterOrEqual(t, len(wants), 50, "want comments found; fewer means the reader is broken")
	for _, d := range r.diags {
		i := slices.IndexFunc(wants, func(w *want) bool {
			return !w.seen && w.file == d.Pos.Filename && w.line == d.Pos.Line && strings.Contains(d.Msg, w.text)
		})
		if !assert.NotEqual(t, -1, i, "unexpected: %s", d.String(root)) {
			continue
		}
		wants[i].seen = true
		assert.NotEmpty(t, d.Fix, "%s: a diagnostic needs a fix", d.String(root))
		assert.NotZero(t, d.Pos.Column, "%s: a diagnostic needs a column", d.String(root))
	}
	for _, w := range wants {
		rel, _ := filepath.Rel(root, w.file)
		assert.True(t, w.seen, "%s:%d: no diagnostic containing %q", rel, w.line, w.text)
	}
}

// The command prints each problem as file:line:col, relative to the
// directory it runs in, with the fix on the next line, exits 1 and writes
// nothing.
func TestCommandRefuses(t *testing.T) {
	root := moduleRoot(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-C", root, "./testdata/errors/tags"}, &stdout, &stderr)
	require.Equal(t, 1, code, "exit status; stderr:\n%s", stderr.String())
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 2, "stderr lines")
	assert.Equal(t, "testdata/errors/tags/tags.go:10:6: Untagged implements Msg but has no //memberlist:tag", lines[0], "first line")
	assert.True(t, strings.HasPrefix(lines[1], "\tfix: add `//memberlist:tag N` to the doc comment of Untagged"),
		"second line %q, want the fix", lines[1])
	assert.Equal(t, "memberlist-gen: nothing written: 11 problem(s)", lines[len(lines)-1], "last line")
	assert.Empty(t, stdout.String(), "stdout")
	matches, _ := filepath.Glob(filepath.Join(root, "testdata", "errors", "*", "*"+outputSuffix))
	assert.Empty(t, matches, "refused packages got output")
}
