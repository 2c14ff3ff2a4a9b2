package main

import (
	"fmt"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/packages"
)

// Generated code declares two kinds of names. Package-level ones (EncodeF,
// OnV, MarshalMsg, ...) are part of the API: the user's package must not
// declare them too, which checkNames enforces. Local ones (parameters,
// variables, loop indexes) are chosen by a scope so that they never hide a
// name the function uses: a variant named o or a type named s changes the
// local's name, never the user's code.

// checkNames refuses a package that already declares a name the
// generator would emit.
func (a *analyzer) checkNames(fams []*family) {
	mine := map[string]string{}
	claim := func(name, what string, pos token.Pos) {
		if other, ok := mine[name]; ok {
			a.ds.add(pos, "rename one of the types involved", "memberlist-gen would declare %s twice: for %s and for %s", name, other, what)
			return
		}
		mine[name] = what
		if obj := a.pkg.Types.Scope().Lookup(name); obj != nil {
			a.ds.add(obj.Pos(), fmt.Sprintf("rename it: memberlist-gen declares %s for %s", name, what),
				"%s is already declared in package %s", name, a.pkg.Name)
		}
	}
	for _, f := range fams {
		for _, n := range f.apiNames() {
			claim(n, "family "+f.name, f.obj.Pos())
		}
		for _, v := range f.variants {
			claim("On"+v.st.name, "variant "+v.st.name, v.st.obj.Pos())
		}
		for _, sm := range f.structs {
			for _, m := range []string{"MarshalMsg", "UnmarshalMsg"} {
				obj, index, _ := types.LookupFieldOrMethod(types.NewPointer(sm.obj.Type()), true, a.pkg.Types, m)
				if obj != nil && len(index) == 1 {
					a.ds.add(obj.Pos(), fmt.Sprintf("remove or rename it: memberlist-gen writes %s.%s", sm.name, m),
						"%s already has a field or method %s", sm.name, m)
				}
			}
		}
	}
}

// apiNames are the package-level names the generator declares for f,
// besides the On function of each variant.
func (f *family) apiNames() []string {
	F := f.name
	return []string{F + "Family", F + "MaxSize", "Encode" + F, "Decode" + F,
		"Send" + F, "Broadcast" + F, "On" + F + "Error", "read" + F + "Tag"}
}

// outerNames returns every name a generated function of pkg may refer to
// from outside its body: the package's own declarations, the
// declarations the generator adds for fams, and the packages that
// generated code imports or names in types. A local must not hide any.
func outerNames(pkg *packages.Package, fams []*family) map[string]bool {
	names := map[string]bool{}
	for _, n := range pkg.Types.Scope().Names() {
		names[n] = true
	}
	for _, f := range fams {
		for _, n := range f.apiNames() {
			names[n] = true
		}
		for _, v := range f.variants {
			names["On"+v.st.name] = true
		}
	}
	for _, p := range pkg.Types.Imports() {
		names[p.Name()] = true
	}
	for _, n := range []string{"context", "fmt", "msgp", "netip", "runtime", "time"} {
		names[n] = true
	}
	return names
}

// A scope hands out the local names of one generated function, or of a
// block in one. A name is free when neither the scope nor an enclosing
// one has it; the outermost scope starts with outerNames.
type scope struct {
	parent *scope
	taken  map[string]bool
}

func newScope(outer map[string]bool) *scope {
	return &scope{parent: &scope{taken: outer}, taken: map[string]bool{}}
}

// child opens a block: names taken in it are free again after it.
func (s *scope) child() *scope { return &scope{parent: s, taken: map[string]bool{}} }

// has reports whether name is taken in s or a scope around it.
func (s *scope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if s.taken[name] {
			return true
		}
	}
	return false
}

// name takes want if it is free, and otherwise want with the smallest
// number from 2 up that makes it free (after an underscore if want ends
// in a digit: i8_2).
func (s *scope) name(want string) string {
	got := free(want, s.has)
	s.taken[got] = true
	return got
}

// free returns want, or if taken(want) the first of want2, want3, ...
// (want_2, ... if want ends in a digit) that is not taken.
func free(want string, taken func(string) bool) string {
	sep := ""
	if c := want[len(want)-1]; '0' <= c && c <= '9' {
		sep = "_"
	}
	got := want
	for i := 2; taken(got); i++ {
		got = want + sep + strconv.Itoa(i)
	}
	return got
}
