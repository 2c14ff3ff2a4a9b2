package main

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// A plan is what one run writes: the contents of each output file, and the
// outputs of earlier runs that no family produces any more.
type plan struct {
	write  map[string][]byte
	remove []string
}

// generate reads the packages matching patterns (relative to dir) and
// plans their output. If any package has a problem, it returns an
// *errRefused with every problem found and plans nothing.
func generate(dir string, patterns []string, budget int) (*plan, error) {
	l, err := load(dir, patterns)
	if err != nil {
		return nil, err
	}
	ds := &diags{fset: l.fset}
	p := &plan{write: map[string][]byte{}}
	for _, pkg := range l.pkgs {
		if errs := loadErrors(pkg); len(errs) > 0 {
			for _, e := range errs {
				ds.list = append(ds.list, diag{Pos: parsePos(e.Pos), Msg: e.Msg, Fix: "make the package build"})
			}
			continue
		}
		fams := analyze(pkg, ds, budget)
		if fams == nil {
			continue
		}
		outs, err := emit(pkg, fams)
		if err != nil {
			return nil, err
		}
		checkImports(pkg, outs, ds)
		maps.Copy(p.write, outs)
		for _, f := range pkg.GoFiles {
			if _, ok := outs[f]; !ok && slices.Contains(l.outputs[filepath.Dir(f)], f) {
				p.remove = append(p.remove, f)
			}
		}
	}
	if len(ds.list) > 0 {
		return nil, &errRefused{diags: ds.sorted()}
	}
	return p, nil
}

// apply writes the plan and returns the files it changed. A file whose
// content is already right is left alone, so a second run changes
// nothing, not even a modification time. Each file is replaced whole
// (written beside it, then renamed), never left half-written.
func (p *plan) apply() ([]string, error) {
	var changed []string
	for _, path := range slices.Sorted(maps.Keys(p.write)) {
		content := p.write[path]
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
			continue
		}
		if err := writeFile(path, content); err != nil {
			return changed, err
		}
		changed = append(changed, path)
	}
	for _, path := range p.remove {
		if err := os.Remove(path); err != nil {
			return changed, fmt.Errorf("removing stale %s: %w", path, err)
		}
		changed = append(changed, path)
	}
	return changed, nil
}

// writeFile replaces path with content atomically.
func writeFile(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".memberlist-gen-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// checkImports refuses a package that declares, at package level, a name
// that an output file imports (fmt, msgp, runtime, ...): the two would
// clash.
func checkImports(pkg *packages.Package, outs map[string][]byte, ds *diags) {
	for _, path := range slices.Sorted(maps.Keys(outs)) {
		f, err := parser.ParseFile(token.NewFileSet(), path, outs[path], parser.ImportsOnly)
		if err != nil {
			continue // cannot happen: the output was formatted
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if obj := pkg.Types.Scope().Lookup(name); obj != nil {
				ds.add(obj.Pos(), fmt.Sprintf("rename it: %s imports package %s", filepath.Base(path), p),
					"%s is declared in package %s, where generated code needs the name for an import", name, pkg.Name)
			}
		}
	}
}
