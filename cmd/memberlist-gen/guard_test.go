package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The compile-time guard really guards: built against a runtime whose
// MaxMessageSize is one byte less than ChaosMonkeyMaxSize, the generated
// chaos package does not compile, and the error points at the guard; with
// the budget exactly ChaosMonkeyMaxSize it compiles. The runtime is
// changed through go build -overlay, so the tree is never touched.
func TestGuardBreaksTheBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root := moduleRoot(t)
	gen, err := os.ReadFile(filepath.Join(root, "testdata", "gen", "chaos", "chaos_memberlist.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const ChaosMonkeyMaxSize = (\d+)$`).FindSubmatch(gen)
	if m == nil {
		t.Fatal("no ChaosMonkeyMaxSize in chaos_memberlist.go")
	}
	maxSize, _ := strconv.Atoi(string(m[1]))
	guardLine := 0
	for i, l := range strings.Split(string(gen), "\n") {
		if strings.HasPrefix(l, "const _ = uint(runtime.MaxMessageSize") {
			guardLine = i + 1
		}
	}

	file, src, valStart, valEnd := findBudget(t, filepath.Join(root, "runtime"))
	build := func(budget int) (string, error) {
		dir := t.TempDir()
		patched := filepath.Join(dir, filepath.Base(file))
		content := src[:valStart] + strconv.Itoa(budget) + src[valEnd:]
		if err := os.WriteFile(patched, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {file: patched}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-overlay", ov, "./testdata/gen/chaos")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := build(maxSize - 1)
	if err == nil {
		t.Fatalf("built with runtime.MaxMessageSize = %d, below ChaosMonkeyMaxSize = %d", maxSize-1, maxSize)
	}
	if want := fmt.Sprintf("chaos_memberlist.go:%d:", guardLine); !strings.Contains(out, want) || !strings.Contains(out, "overflows uint") {
		t.Fatalf("the build failed, but not at the guard (%s ... overflows uint):\n%s", want, out)
	}
	if out, err := build(maxSize); err != nil {
		t.Fatalf("with runtime.MaxMessageSize = ChaosMonkeyMaxSize = %d the build fails: %v\n%s", maxSize, err, out)
	}
}

// findBudget finds the declaration of MaxMessageSize among the runtime's
// files and returns the file, its source and the offsets of the value.
func findBudget(t *testing.T, dir string) (file, src string, start, end int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, b, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == "MaxMessageSize" && i < len(vs.Values) {
						v := vs.Values[i]
						return f, string(b), fset.Position(v.Pos()).Offset, fset.Position(v.End()).Offset
					}
				}
			}
		}
	}
	t.Fatal("no const MaxMessageSize in the runtime package")
	return
}
