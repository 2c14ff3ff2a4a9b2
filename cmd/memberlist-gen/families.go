package main

import (
	"cmp"
	"fmt"
	"go/parser"
	"go/token"
	"go/types"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Families and their variants: which interfaces are families, which
// types of the package are their variants, with which tags, and in which
// family's output each struct's code goes.

// family checks the interface obj marked //memberlist:messages.
func (a *analyzer) family(obj *types.TypeName, d *directives) *family {
	name := obj.Name()
	example := "e.g. `type " + name + " interface{ is" + name + "() }`"
	if obj.IsAlias() {
		a.ds.add(obj.Pos(), "declare the family as a defined interface type, "+example,
			"%s is marked //memberlist:messages but is an alias", name)
		return nil
	}
	named := obj.Type().(*types.Named)
	iface, ok := named.Underlying().(*types.Interface)
	if !ok {
		a.ds.add(obj.Pos(), "declare the family as an interface with an unexported method, "+example+", and implement it on each message struct",
			"%s is marked //memberlist:messages but is %s, not an interface", name, describe(named.Underlying()))
		return nil
	}
	if named.TypeParams().Len() > 0 {
		a.ds.add(obj.Pos(), "declare the family as a plain interface, without type parameters, "+example,
			"%s is marked //memberlist:messages but is generic: a decoder must know the variants' types", name)
		return nil
	}
	if !iface.IsMethodSet() {
		a.ds.add(obj.Pos(), "declare the family as a plain interface of methods, "+example,
			"%s is marked //memberlist:messages but is a constraint interface (it lists types), which no value can have", name)
		return nil
	}
	sealed := false
	for m := range iface.Methods() {
		if !m.Exported() && m.Pkg() == a.pkg.Types {
			sealed = true
		}
	}
	if !sealed {
		a.ds.add(obj.Pos(), "add an unexported method, "+example+", and declare it on each message struct: `func (T) is"+name+"() {}`",
			"%s is not sealed: without an unexported method, types of other packages could implement it, and the generated decoder would not know them", name)
		return nil
	}
	file := declFile(a.pkg.Fset, obj.Pos())
	f := &family{obj: obj, name: name, id: d.id, idExplicit: d.idExplicit, stream: d.stream, out: outputPath(file), build: a.constraints[file]}
	if !f.idExplicit {
		f.id = familyID(a.pkg.PkgPath, name)
	}
	return f
}

// familyID is the default family id: FNV-1a (32 bits) of the package path
// and the interface name.
func familyID(pkgPath, name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(pkgPath + "." + name))
	return h.Sum32()
}

// variants finds, for each family, every named type of the package that
// implements it, and checks and analyzes them.
func (a *analyzer) variants(fams []*family) {
	scope := a.pkg.Types.Scope()
	var objs []*types.TypeName
	for _, n := range scope.Names() {
		if obj, ok := scope.Lookup(n).(*types.TypeName); ok && !obj.IsAlias() {
			objs = append(objs, obj)
		}
	}
	slices.SortFunc(objs, func(x, y *types.TypeName) int { return a.comparePos(x.Pos(), y.Pos()) })

	famOf := map[*types.TypeName]*family{}
	reported := map[*types.TypeName]bool{}
	for _, f := range fams {
		implementers := 0
		iface := f.obj.Type().Underlying().(*types.Interface)
		for _, obj := range objs {
			named, ok := obj.Type().(*types.Named)
			if !ok || types.IsInterface(named) {
				continue
			}
			if named.TypeParams().Len() > 0 {
				if a.hasSealingMethod(named, iface) {
					implementers++
					a.ds.add(obj.Pos(), "declare a plain struct type for each message", "generic type %s cannot be a variant of %s", obj.Name(), f.name)
					reported[obj] = true
				}
				continue
			}
			if !types.Implements(named, iface) {
				if types.Implements(types.NewPointer(named), iface) {
					implementers++
					m, _ := types.MissingMethod(named, iface, true)
					sig := strings.TrimPrefix(types.TypeString(m.Type(), a.qualifier), "func")
					a.ds.add(obj.Pos(), fmt.Sprintf("declare %s on the value receiver, `func (%s) %s%s`: messages travel and arrive as values", m.Name(), obj.Name(), m.Name(), sig),
						"%s implements %s only as *%s: its method %s has a pointer receiver", obj.Name(), f.name, obj.Name(), m.Name())
					reported[obj] = true
				}
				continue
			}
			if g := famOf[obj]; g != nil {
				implementers++
				a.ds.add(obj.Pos(), "a message type belongs to one family: declare a separate struct type for each",
					"%s implements both %s and %s", obj.Name(), g.name, f.name)
				reported[obj] = true
				continue
			}
			famOf[obj] = f
			implementers++
			a.variant(f, obj, a.dirs[obj])
		}
		slices.SortFunc(f.variants, func(x, y *variant) int { return cmp.Compare(x.tag, y.tag) })
		if implementers == 0 {
			a.ds.add(f.obj.Pos(), fmt.Sprintf("implement it on each message struct with a value receiver, e.g. `func (T) %s() {}`", firstUnexported(iface)),
				"family %s has no variants: no type of the package implements it", f.name)
		}
	}
	for _, obj := range objs {
		if len(fams) == 0 {
			break // the families marked were refused: that is the problem to report
		}
		if d := a.tagged[obj]; d != nil && famOf[obj] == nil && !reported[obj] {
			names := make([]string, len(fams))
			for i, f := range fams {
				names[i] = f.name
			}
			fix := fmt.Sprintf("remove the tag, or implement a family with a value receiver, e.g. `func (%s) %s() {}`", obj.Name(), firstUnexported(fams[0].obj.Type().Underlying().(*types.Interface)))
			a.ds.add(d.tagPos, fix, "%s has //memberlist:tag %d but implements no message family of the package (%s)",
				obj.Name(), d.tag, strings.Join(names, ", "))
		}
	}
	for _, f := range fams {
		a.sizeFamily(f)
	}
}

// variant checks one type implementing family f.
func (a *analyzer) variant(f *family, obj *types.TypeName, d *directives) {
	name := obj.Name()
	if d == nil || !d.tagPos.IsValid() {
		if d != nil && d.bad {
			return // its malformed directive is reported
		}
		a.ds.add(obj.Pos(), fmt.Sprintf("add `//memberlist:tag N` to the doc comment of %s, with N in 1..65535 not used by another %s variant (e.g. %d); a tag is the variant's identity on the wire, so never reuse one", name, f.name, a.freeTag(f)),
			"%s implements %s but has no //memberlist:tag", name, f.name)
		return
	}
	for _, v := range f.variants {
		if v.tag == d.tag {
			a.ds.add(d.tagPos, fmt.Sprintf("give %s a tag no other %s variant has (e.g. %d); keep the tags that programs already use, since a running older version decodes a tag as the type it knew", name, f.name, a.freeTag(f)),
				"tag %d of %s is already used by %s (%s) in %s", d.tag, name, v.st.name, shortPos(a.pkg.Fset.Position(v.pos)), f.name)
			return
		}
	}
	st, ok := obj.Type().Underlying().(*types.Struct)
	if !ok {
		a.ds.add(obj.Pos(), fmt.Sprintf("messages are structs: declare it as `type %s struct{ Value %s }`", name, types.TypeString(obj.Type().Underlying(), a.qualifier)),
			"%s implements %s but is %s, not a struct", name, f.name, describe(obj.Type().Underlying()))
		return
	}
	sm := a.structModel(obj, st)
	if sm == nil {
		return
	}
	f.variants = append(f.variants, &variant{st: sm, tag: d.tag, pos: d.tagPos})
}

// freeTag suggests the smallest tag that no type implementing f has.
func (a *analyzer) freeTag(f *family) int {
	iface := f.obj.Type().Underlying().(*types.Interface)
	used := map[int]bool{}
	for obj, d := range a.tagged {
		if types.Implements(obj.Type(), iface) {
			used[d.tag] = true
		}
	}
	t := 1
	for used[t] {
		t++
	}
	return t
}

// hasSealingMethod reports whether *t has a method named like the first
// unexported method of iface: t means to implement it.
func (a *analyzer) hasSealingMethod(t types.Type, iface *types.Interface) bool {
	obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(t), true, a.pkg.Types, firstUnexported(iface))
	_, ok := obj.(*types.Func)
	return ok
}

func firstUnexported(iface *types.Interface) string {
	for m := range iface.Methods() {
		if !m.Exported() {
			return m.Name()
		}
	}
	return ""
}

// checkIDs refuses two families of the package with one id.
func (a *analyzer) checkIDs(fams []*family) {
	seen := map[uint32]*family{}
	for _, f := range fams {
		if g := seen[f.id]; g != nil {
			a.ds.add(f.obj.Pos(), "set a different id on one of them: `//memberlist:messages id=N`",
				"families %s and %s have the same id %d", g.name, f.name, f.id)
			continue
		}
		seen[f.id] = f
	}
}

// assignStructs decides in which family's part of the output each struct's
// methods go: the first family, in output order, that reaches it.
func (a *analyzer) assignStructs(fams []*family) {
	var visit func(f *family, sm *structModel)
	visit = func(f *family, sm *structModel) {
		if sm.owner == nil {
			sm.owner = f
			f.structs = append(f.structs, sm)
		} else if sm.owner != f {
			return
		}
		for _, fm := range sm.fields {
			for tm := fm.t; tm != nil; {
				if tm.kind == kStruct {
					visit(f, tm.st)
				}
				if tm.key != nil && tm.key.kind == kStruct {
					visit(f, tm.key.st)
				}
				tm = tm.elem
			}
		}
	}
	// A family's variants come first, in tag order, then the structs
	// nested in them.
	for _, f := range fams {
		for _, v := range f.variants {
			v.st.owner = f
			f.structs = append(f.structs, v.st)
		}
	}
	for _, f := range fams {
		for _, v := range f.variants {
			visit(f, v.st)
		}
	}
}

// aliasTag refuses //memberlist:tag on the alias obj: a tag names one
// struct type of a family, and an alias declares no type.
func (a *analyzer) aliasTag(obj *types.TypeName, d *directives) {
	target := types.TypeString(types.Unalias(obj.Type()), a.qualifier)
	fix := fmt.Sprintf("move the tag to the doc comment of the declaration of %s, or declare %s as a struct type of its own", target, obj.Name())
	a.ds.add(d.tagPos, fix, "%s has //memberlist:tag %d but is an alias of %s: a tag on an alias is not read", obj.Name(), d.tag, target)
}

// testFamilies returns the test files of pkg's directory that mark a
// family: the go command does not compile them into the package, so
// memberlist-gen does not read them.
func testFamilies(pkg *packages.Package) []string {
	if len(pkg.GoFiles) == 0 {
		return nil
	}
	tests, _ := filepath.Glob(filepath.Join(filepath.Dir(pkg.GoFiles[0]), "*_test.go"))
	var out []string
	for _, t := range tests {
		f, err := parser.ParseFile(token.NewFileSet(), t, nil, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if v := strings.Fields(strings.TrimPrefix(c.Text, directivePrefix)); strings.HasPrefix(c.Text, directivePrefix) && len(v) > 0 && v[0] == "messages" {
					out = append(out, filepath.Base(t))
				}
			}
		}
	}
	return slices.Compact(out)
}

// checkConstraints refuses a variant or nested struct declared in a file
// built under other constraints than the output that holds its code: on a
// platform where the type does not exist the generated code would not
// compile, and where the output is not built the type would lack its
// methods.
func (a *analyzer) checkConstraints(fams []*family) {
	for _, f := range fams {
		for _, sm := range f.structs {
			if sm.owner != f {
				continue
			}
			file := declFile(a.pkg.Fset, sm.obj.Pos())
			c := a.constraints[file]
			if c == "" || c == f.build {
				continue
			}
			out := "always"
			if f.build != "" {
				out = "when " + f.build
			}
			a.ds.add(sm.obj.Pos(), fmt.Sprintf("declare %s in a file without build constraints, or with those of %s", sm.name, filepath.Base(declFile(a.pkg.Fset, f.obj.Pos()))),
				"%s is declared in %s, built only when %s, but its code goes into %s, built %s", sm.name, filepath.Base(file), c, filepath.Base(f.out), out)
		}
	}
}
