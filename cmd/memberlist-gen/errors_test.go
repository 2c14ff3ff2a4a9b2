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
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every package under testdata/errors is refused; each diagnostic is
// expected by a want comment at its line, names the problem and says how
// to fix it, and every want comment is met.
func TestErrors(t *testing.T) {
	root := moduleRoot(t)
	dir := filepath.Join(root, "testdata", "errors")
	_, err := generate(root, []string{"./testdata/errors/..."}, runtimeBudgets())
	r, ok := err.(*errRefused)
	if !ok {
		t.Fatalf("generate: %v, want the input refused", err)
	}
	wants := readWants(t, dir)
	if len(wants) < 50 {
		t.Fatalf("found %d want comments; the reader is broken", len(wants))
	}
	for _, d := range r.diags {
		i := slices.IndexFunc(wants, func(w *want) bool {
			return !w.seen && w.file == d.Pos.Filename && w.line == d.Pos.Line && strings.Contains(d.Msg, w.text)
		})
		if i < 0 {
			t.Errorf("unexpected: %s", d.String(root))
			continue
		}
		wants[i].seen = true
		if d.Fix == "" || d.Pos.Column == 0 {
			t.Errorf("%s: a diagnostic needs a column and a fix", d.String(root))
		}
	}
	for _, w := range wants {
		if !w.seen {
			rel, _ := filepath.Rel(root, w.file)
			t.Errorf("%s:%d: no diagnostic containing %q", rel, w.line, w.text)
		}
	}
}

// The command prints each problem as file:line:col, relative to the
// directory it runs in, with the fix on the next line, exits 1 and writes
// nothing.
func TestCommandRefuses(t *testing.T) {
	root := moduleRoot(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-C", root, "./testdata/errors/tags"}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit status %d, want 1\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	wantFirst := "testdata/errors/tags/tags.go:10:6: Untagged implements Msg but has no //memberlist:tag"
	if lines[0] != wantFirst {
		t.Errorf("first line %q, want %q", lines[0], wantFirst)
	}
	if !strings.HasPrefix(lines[1], "\tfix: add `//memberlist:tag N` to the doc comment of Untagged") {
		t.Errorf("second line %q, want the fix", lines[1])
	}
	if last := lines[len(lines)-1]; last != "memberlist-gen: nothing written: 11 problem(s)" {
		t.Errorf("last line %q", last)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
	if matches, _ := filepath.Glob(filepath.Join(root, "testdata", "errors", "*", "*"+outputSuffix)); len(matches) > 0 {
		t.Errorf("refused packages got output: %v", matches)
	}
}
