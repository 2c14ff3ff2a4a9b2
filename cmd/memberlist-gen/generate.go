package main

import (
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
func generate(dir string, patterns []string, b budgets) (*plan, error) {
	l, err := load(dir, patterns)
	if err != nil {
		return nil, err
	}
	// A package without families is a mistake where the generator was
	// asked for it: named on the command line, or run by its
	// //go:generate line. Matched by a pattern such as ./..., it is just
	// one of the module's other packages.
	named := !slices.ContainsFunc(patterns, func(p string) bool { return strings.Contains(p, "...") })
	ds := &diags{fset: l.fset}
	p := &plan{write: map[string][]byte{}}
	ids := idChecker{ds: ds, seen: map[uint32]*family{}}
	for _, pkg := range l.pkgs {
		if errs := loadErrors(pkg); len(errs) > 0 {
			for _, e := range errs {
				ds.list = append(ds.list, diag{Pos: parsePos(e.Pos), Msg: e.Msg, Fix: "make the package build"})
			}
			continue
		}
		before := len(ds.list)
		fams := analyze(pkg, ds, b, named || runsGenerator(pkg))
		if len(ds.list) != before {
			continue
		}
		ids.check(fams)
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
	for _, path := range slices.Sorted(maps.Keys(p.write)) {
		checkOverwrite(path, ds)
	}
	if len(ds.list) > 0 {
		return nil, &errRefused{diags: ds.sorted()}
	}
	return p, nil
}

// checkOverwrite refuses to plan writing path if it exists and this
// generator did not write it: a hand-written file of that name would be
// lost.
func checkOverwrite(path string, ds *diags) {
	old, err := os.ReadFile(path)
	if err != nil || isOutput(old) {
		return // no such file (or unreadable: writing it will say why), or one of ours
	}
	ds.list = append(ds.list, diag{
		Pos: token.Position{Filename: path, Line: 1, Column: 1},
		Msg: fmt.Sprintf("%s exists, and memberlist-gen did not write it (its first line is not %q): it would be overwritten", filepath.Base(path), header),
		Fix: fmt.Sprintf("memberlist-gen writes the code for %s into this file: move what it holds into a file of another name, or delete it if it is old generated code", strings.TrimSuffix(filepath.Base(path), outputSuffix)+".go"),
	})
}

// idChecker refuses two families of one run with the same id, across
// packages (analyze checks those of one package).
type idChecker struct {
	ds   *diags
	seen map[uint32]*family
}

func (c *idChecker) check(fams []*family) {
	for _, f := range fams {
		g := c.seen[f.id]
		if g == nil {
			c.seen[f.id] = f
			continue
		}
		why := ""
		if !f.idExplicit && !g.idExplicit {
			why = " (the FNV-1a hashes of their names collide)"
		}
		c.ds.add(f.obj.Pos(), "give one of them another id: `//memberlist:messages id=N` in its doc comment, with N used by no other family of the program",
			"families %s and %s have the same id %d%s: a node carrying both would hand the messages of one to the handlers of the other",
			g.fullName(), f.fullName(), f.id, why)
	}
}

// apply writes the plan and returns the files it changed. A file whose
// content is already right is left alone, so a second run changes
// nothing, not even a modification time. Each file is replaced whole
// (written beside it, then renamed), never left half-written.
func (p *plan) apply() ([]string, error) {
	var changed []string
	for _, path := range slices.Sorted(maps.Keys(p.write)) {
		content := p.write[path]
		old, err := os.ReadFile(path)
		if err == nil && sameOutput(old, content) {
			continue
		}
		if err == nil && !isOutput(old) {
			return changed, fmt.Errorf("not overwriting %s: memberlist-gen did not write it", path)
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

// stale lists the files that apply would change, for -check.
func (p *plan) stale() []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(p.write)) {
		if old, err := os.ReadFile(path); err != nil || !sameOutput(old, p.write[path]) {
			out = append(out, path)
		}
	}
	return append(out, p.remove...)
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

// runsGenerator reports whether a //go:generate line of pkg runs
// memberlist-gen.
func runsGenerator(pkg *packages.Package) bool {
	for _, f := range pkg.Syntax {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.HasPrefix(c.Text, "//go:generate ") && strings.Contains(c.Text, "memberlist-gen") {
					return true
				}
			}
		}
	}
	return false
}
