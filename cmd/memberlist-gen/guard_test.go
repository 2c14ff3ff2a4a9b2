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

	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^const ` + maxSizeName + ` = (\d+)$`).FindSubmatch(gen)
	require.NotNil(t, m, "no %s in %s", maxSizeName, file)
	maxSize, _ := strconv.Atoi(string(m[1]))
	guardLine := 0
	for i, l := range strings.Split(string(gen), "\n") {
		if strings.HasPrefix(l, "const _ = uint(runtime."+budgetName+" - "+maxSizeName+")") {
			guardLine = i + 1
		}
	}
	require.NotZero(t, guardLine, "no guard of %s against runtime.%s in %s", maxSizeName, budgetName, file)

	budgetFile, src, valStart, valEnd := findBudget(t, filepath.Join(root, "runtime"), budgetName)
	build := func(budget int) (string, error) {
		dir := t.TempDir()
		patched := filepath.Join(dir, filepath.Base(budgetFile))
		content := src[:valStart] + strconv.Itoa(budget) + src[valEnd:]
		require.NoError(t, os.WriteFile(patched, []byte(content), 0o644))
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {budgetFile: patched}})
		ov := filepath.Join(dir, "overlay.json")
		require.NoError(t, os.WriteFile(ov, overlay, 0o644))
		cmd := exec.Command("go", "build", "-overlay", ov, "./testdata/gen/"+pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := build(maxSize - 1)
	require.Error(t, err, "built with runtime.%s = %d, below %s = %d", budgetName, maxSize-1, maxSizeName, maxSize)
	require.Contains(t, out, fmt.Sprintf("%s:%d:", file, guardLine), "the build failed, but not at the guard")
	require.Contains(t, out, "overflows uint", "the build failed, but not at the guard")
	out, err = build(maxSize)
	require.NoError(t, err, "with runtime.%s = %s = %d the build fails:\n%s", budgetName, maxSizeName, maxSize, out)
}

// findBudget finds the declaration of the constant name among the
// runtime's files and returns the file, its source and the offsets of the
// value.
func findBudget(t *testing.T, dir, name string) (file, src string, start, end int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		af, err := parser.ParseFile(fset, f, b, 0)
		require.NoError(t, err)
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
