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
	testGuard(t, "chaos", "chaos_memberlist.go", "ChaosMonkeyMaxSize", "MaxMessageSize")
}

// A stream family's guard checks runtime.MaxStreamMessageSize the same
// way.
func TestStreamGuardBreaksTheBuild(t *testing.T) {
	testGuard(t, "streamed", "streamed_memberlist.go", "SyncMaxSize", "MaxStreamMessageSize")
}

// testGuard builds the golden package pkg, whose output file holds const
// maxSizeName, against a runtime whose constant budgetName is one byte
// less than it, then exactly it.
func testGuard(t *testing.T, pkg, file, maxSizeName, budgetName string) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root := moduleRoot(t)
	gen, err := os.ReadFile(filepath.Join(root, "testdata", "gen", pkg, file))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const ` + maxSizeName + ` = (\d+)$`).FindSubmatch(gen)
	if m == nil {
		t.Fatalf("no %s in %s", maxSizeName, file)
	}
	maxSize, _ := strconv.Atoi(string(m[1]))
	guardLine := 0
	for i, l := range strings.Split(string(gen), "\n") {
		if strings.HasPrefix(l, "const _ = uint(runtime."+budgetName+" - "+maxSizeName+")") {
			guardLine = i + 1
		}
	}
	if guardLine == 0 {
		t.Fatalf("no guard of %s against runtime.%s in %s", maxSizeName, budgetName, file)
	}

	budgetFile, src, valStart, valEnd := findBudget(t, filepath.Join(root, "runtime"), budgetName)
	build := func(budget int) (string, error) {
		dir := t.TempDir()
		patched := filepath.Join(dir, filepath.Base(budgetFile))
		content := src[:valStart] + strconv.Itoa(budget) + src[valEnd:]
		if err := os.WriteFile(patched, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {budgetFile: patched}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-overlay", ov, "./testdata/gen/"+pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := build(maxSize - 1)
	if err == nil {
		t.Fatalf("built with runtime.%s = %d, below %s = %d", budgetName, maxSize-1, maxSizeName, maxSize)
	}
	if want := fmt.Sprintf("%s:%d:", file, guardLine); !strings.Contains(out, want) || !strings.Contains(out, "overflows uint") {
		t.Fatalf("the build failed, but not at the guard (%s ... overflows uint):\n%s", want, out)
	}
	if out, err := build(maxSize); err != nil {
		t.Fatalf("with runtime.%s = %s = %d the build fails: %v\n%s", budgetName, maxSizeName, maxSize, err, out)
	}
}

// findBudget finds the declaration of the constant name among the
// runtime's files and returns the file, its source and the offsets of the
// value.
func findBudget(t *testing.T, dir, name string) (file, src string, start, end int) {
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
					if n.Name == name && i < len(vs.Values) {
						v := vs.Values[i]
						return f, string(b), fset.Position(v.Pos()).Offset, fset.Position(v.End()).Offset
					}
				}
			}
		}
	}
	t.Fatalf("no const %s in the runtime package", name)
	return
}
