package main

import (
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// analyzer turns one package into families, or into diagnostics.
type analyzer struct {
	pkg         *packages.Package
	ds          *diags
	budgets     budgets
	structs     map[*types.TypeName]*structModel
	dirs        map[*types.TypeName]*directives // of every type with directives
	tagged      map[*types.TypeName]*directives // types with a valid //memberlist:tag
	constraints map[string]string               // the build constraint of each file, by name
	// invalid is set when a type the generator reads did not type-check;
	// the package's type errors are then the diagnostics.
	invalid bool
}

// analyze returns the families of pkg, in the order they are declared, or
// records why it cannot. A package without any is a problem only if
// wanted.
func analyze(pkg *packages.Package, ds *diags, b budgets, wanted bool) []*family {
	a := &analyzer{pkg: pkg, ds: ds, budgets: b, structs: map[*types.TypeName]*structModel{}, constraints: map[string]string{}}
	for _, f := range pkg.Syntax {
		name := pkg.Fset.File(f.Package).Name()
		a.constraints[name] = buildConstraint(f, name)
	}
	before := len(ds.list)
	dirs := readDirectives(pkg.Syntax, ds)

	// Families first, then every named type of the package is tried
	// against each of them.
	specs := slices.Collect(maps.Keys(dirs))
	slices.SortFunc(specs, func(x, y *ast.TypeSpec) int { return a.comparePos(x.Pos(), y.Pos()) })
	var fams []*family
	a.dirs = map[*types.TypeName]*directives{}
	a.tagged = map[*types.TypeName]*directives{}
	for _, ts := range specs {
		d := dirs[ts]
		obj, _ := pkg.TypesInfo.Defs[ts.Name].(*types.TypeName)
		if obj == nil {
			continue
		}
		a.dirs[obj] = d
		if d.tagPos.IsValid() && obj.IsAlias() {
			a.aliasTag(obj, d)
		} else if d.tagPos.IsValid() {
			a.tagged[obj] = d
		}
		if d.messages.IsValid() {
			if f := a.family(obj, d); f != nil {
				fams = append(fams, f)
			}
		}
	}
	if len(fams) == 0 && len(ds.list) == before {
		if !wanted {
			return nil
		}
		pos := token.NoPos
		if len(pkg.Syntax) > 0 {
			pos = pkg.Syntax[0].Package
		}
		if tests := testFamilies(pkg); len(tests) > 0 {
			ds.add(pos, "declare the family and its variants in a file not ending in _test.go",
				"package %s has no message family: %s marks one with //memberlist:messages, but memberlist-gen does not read test files", pkg.Name, strings.Join(tests, " and "))
			return nil
		}
		ds.add(pos, "mark a sealed interface with //memberlist:messages in its doc comment, or remove the //go:generate line that runs memberlist-gen",
			"package %s has no message family: no interface is marked //memberlist:messages", pkg.Name)
		return nil
	}
	a.variants(fams)
	a.checkIDs(fams)
	a.assignStructs(fams)
	a.checkKeys(fams)
	a.checkConstraints(fams)
	a.checkNames(fams)
	if a.invalid {
		a.typeErrors()
	}
	if len(ds.list) != before {
		return nil
	}
	return fams
}

// typeErrors reports the package's type errors, which kept the generator
// from reading its types.
func (a *analyzer) typeErrors() {
	for _, e := range a.pkg.Errors {
		if e.Kind == packages.TypeError {
			a.ds.list = append(a.ds.list, diag{Pos: parsePos(e.Pos), Msg: e.Msg, Fix: "make the package compile (calls to code memberlist-gen writes may stay)"})
		}
	}
}
