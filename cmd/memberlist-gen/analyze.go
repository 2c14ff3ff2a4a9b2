package main

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"hash/fnv"
	"maps"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"
)

// supported lists the field types, for messages that refuse one.
const supported = "bool, sized ints and uints, int, uint, float32, float64, string, []byte, " +
	"fixed arrays, slices and maps of these, structs of this package, time.Time, time.Duration, " +
	"netip.Addr, netip.AddrPort, and named types over these"

// maxBound is the largest bound a tag may set; far above any budget, it
// keeps sizes from overflowing.
const maxBound = 1 << 24

// analyzer turns one package into families, or into diagnostics.
type analyzer struct {
	pkg         *packages.Package
	ds          *diags
	budget      int
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
func analyze(pkg *packages.Package, ds *diags, budget int, wanted bool) []*family {
	a := &analyzer{pkg: pkg, ds: ds, budget: budget, structs: map[*types.TypeName]*structModel{}, constraints: map[string]string{}}
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
	f := &family{obj: obj, name: name, id: d.id, idExplicit: d.idExplicit, out: outputPath(file), build: a.constraints[file]}
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

// structModel analyzes the struct type obj (a variant, or a struct nested
// in one), once. It returns nil if the struct cannot be encoded.
func (a *analyzer) structModel(obj *types.TypeName, st *types.Struct) *structModel {
	sm := a.structs[obj]
	if sm == nil {
		sm = &structModel{obj: obj, name: obj.Name(), qual: a.pkg.Name + "." + obj.Name(), gt: st}
		a.structs[obj] = sm
	}
	switch sm.state {
	case 1:
		return nil // a cycle; the field that closes it reports it
	case 2:
		if sm.ok {
			return sm
		}
		return nil
	}
	sm.state = 1
	ok := true
	for i := range st.NumFields() {
		v := st.Field(i)
		if v.Name() == "_" {
			continue
		}
		opts, tagOK := a.parseTag(sm, v, st.Tag(i))
		switch {
		case !tagOK:
			ok = false
			continue
		case opts.skip:
			continue
		case !v.Exported():
			a.ds.add(v.Pos(), fmt.Sprintf("export it (%s) to send it, or tag it `memberlist:\"-\"` to leave it out", exported(v.Name())),
				"field %s.%s is unexported: memberlist-gen sends only exported fields, and does not guess whether an unexported one is meant to travel", sm.name, v.Name())
			ok = false
			continue
		}
		fm := &fieldModel{name: v.Name(), pos: v.Pos()}
		fm.t = a.field(sm, v, opts)
		if fm.t == nil {
			ok = false
			continue
		}
		sm.fields = append(sm.fields, fm)
	}
	sm.state, sm.ok = 2, ok
	if !ok {
		return nil
	}
	sm.size = arrayHeaderSize(len(sm.fields))
	for _, fm := range sm.fields {
		sm.size = addSize(sm.size, fm.t.size)
	}
	return sm
}

// tagOpts are the options of a field's `memberlist:"..."` tag.
type tagOpts struct {
	max, elem, key int  // 0: not given
	skip           bool // memberlist:"-": the field is not sent
}

// String writes the options back in tag syntax, for suggestions.
func (o tagOpts) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		v    int
	}{{"max", o.max}, {"elem", o.elem}, {"key", o.key}} {
		switch {
		case p.v > 0:
			parts = append(parts, fmt.Sprintf("%s=%d", p.name, p.v))
		case p.v < 0:
			parts = append(parts, p.name+"=N")
		}
	}
	return "`memberlist:\"" + strings.Join(parts, ",") + "\"`"
}

// parseTag reads the memberlist options of a struct tag.
func (a *analyzer) parseTag(sm *structModel, v *types.Var, tag string) (tagOpts, bool) {
	var o tagOpts
	s, ok := reflect.StructTag(tag).Lookup("memberlist")
	if !ok {
		return o, true
	}
	if s == "-" {
		return tagOpts{skip: true}, true
	}
	for part := range strings.SplitSeq(s, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		var dst *int
		if k == "" || k == "-" {
			fix, msg := "remove the extra comma", "an empty option (a comma too many)"
			if k == "-" {
				fix, msg = "write `memberlist:\"-\"` alone to leave the field out, or remove the -", "- with other options (- leaves the field out, so nothing is left to bound)"
			}
			a.ds.add(v.Pos(), fix, "field %s.%s: %s in its memberlist tag %q", sm.name, v.Name(), msg, s)
			return o, false
		}
		switch k {
		case "max":
			dst = &o.max
		case "elem":
			dst = &o.elem
		case "key":
			dst = &o.key
		default:
			a.ds.add(v.Pos(), "the options are max=N, elem=N and key=N, comma-separated, e.g. `memberlist:\"max=4,elem=16\"`, or - alone to leave the field out",
				"field %s.%s: unknown option %q in its memberlist tag", sm.name, v.Name(), part)
			return o, false
		}
		n, err := parseDecimal(val)
		if err == nil && (n < 1 || n > maxBound) {
			err = fmt.Errorf("%s is out of range 1..%d", val, maxBound)
		}
		if err == nil && *dst != 0 {
			err = fmt.Errorf("%s= is given twice", k)
		}
		if err != nil {
			a.ds.add(v.Pos(), fmt.Sprintf("write %s=N once, with N a decimal number in 1..%d", k, maxBound),
				"field %s.%s: bad %s in its memberlist tag: %q: %v", sm.name, v.Name(), k, part, err)
			return o, false
		}
		*dst = n
	}
	return o, true
}

// parseDecimal reads a number written in plain decimal digits: no sign,
// no leading zero (008 would read as octal elsewhere in Go), no 0x, _ or
// spaces. Tags, bounds and ids take it. A number too large for an int
// reads as math.MaxInt, out of every range.
func parseDecimal(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return math.MaxInt, nil
	}
	return n, nil
}

// field analyzes one struct field: its type, then its bounds.
func (a *analyzer) field(sm *structModel, v *types.Var, opts tagOpts) *typeModel {
	fd := fieldDesc{pos: v.Pos(), where: sm.name + "." + v.Name(), typ: types.TypeString(v.Type(), a.qualifier), opts: opts}
	tm, prob := a.classify(v.Type())
	switch {
	case prob == nil:
	case prob.invalid:
		a.invalid = true
		return nil
	case prob.msg == "": // reported where it lies, in a nested struct
		return nil
	default:
		a.ds.add(fd.pos, prob.fix, "field %s has type %s, which cannot be encoded: %s", fd.where, fd.typ, prob.msg)
		return nil
	}
	if !a.bound(fd, tm) {
		return nil
	}
	computeSize(tm)
	return tm
}

// fieldDesc is what messages about a field's bounds need.
type fieldDesc struct {
	pos   token.Pos
	where string // "Note.Text"
	typ   string
	opts  tagOpts
}

// bound applies the field's tag options to its type model: max= to the
// field itself, elem= to the elements or map values, key= to map keys.
func (a *analyzer) bound(fd fieldDesc, tm *typeModel) bool {
	o := fd.opts
	switch tm.kind {
	case kString, kBytes:
		if o.elem != 0 || o.key != 0 {
			return a.notFor(fd, firstOpt(tagOpts{elem: o.elem, key: o.key}), "max= bounds the length of a string or []byte")
		}
		if o.max == 0 {
			return a.unbounded(fd, "", "max", "the longest length in bytes")
		}
		tm.bound, tm.boundName = o.max, "max"
		return true
	case kSlice, kMap:
		if o.max == 0 {
			return a.unbounded(fd, "", "max", "the most elements")
		}
		tm.bound, tm.boundName = o.max, "max"
	case kArray:
		if o.max != 0 {
			return a.notFor(fd, "max", fmt.Sprintf("an array always has %d elements", tm.length))
		}
	default:
		if o != (tagOpts{}) {
			return a.notFor(fd, firstOpt(o), fd.typ+" has a fixed largest size")
		}
		return true
	}
	if tm.kind == kMap {
		if !a.element(fd, tm.key, o.key, "key", "map key") {
			return false
		}
	} else if o.key != 0 {
		return a.notFor(fd, "key", "key= bounds the string keys of a map")
	}
	what := "element"
	if tm.kind == kMap {
		what = "map value"
	}
	return a.element(fd, tm.elem, o.elem, "elem", what)
}

// element applies the bound of a container's elements (elem=) or keys
// (key=): strings and []byte need one, fixed-size types take none, and
// nested variable-length containers cannot be bounded from a tag.
func (a *analyzer) element(fd fieldDesc, tm *typeModel, bound int, opt, what string) bool {
	switch {
	case tm.kind == kString || tm.kind == kBytes:
		if bound == 0 {
			return a.unbounded(fd, "its "+what+"s have no length bound", opt, "the longest "+what+" in bytes")
		}
		tm.bound, tm.boundName = bound, opt
		return true
	case !selfBounded(tm):
		a.ds.add(fd.pos, "a tag bounds one level: make the "+what+" a named struct type with bounded fields",
			"field %s (%s) is unbounded: its %ss vary in length and a tag cannot bound them", fd.where, fd.typ, what)
		return false
	case bound != 0:
		return a.notFor(fd, opt, opt+"= bounds string or []byte "+what+"s")
	}
	return true
}

// unbounded reports a field (or its elements, as why says) without the
// bound opt, suggesting the full tag.
func (a *analyzer) unbounded(fd fieldDesc, why, opt, n string) bool {
	s := fd.opts
	switch opt {
	case "max":
		s.max = -1
	case "elem":
		s.elem = -1
	case "key":
		s.key = -1
	}
	if why == "" {
		why = "its length has no bound"
	}
	a.ds.add(fd.pos, fmt.Sprintf("bound it in its tag: %s, with N %s", s, n),
		"field %s (%s) is unbounded: %s, so no message can be proven to fit in a packet", fd.where, fd.typ, why)
	return false
}

// notFor reports a tag option that does not apply to the field's type.
func (a *analyzer) notFor(fd fieldDesc, opt, why string) bool {
	a.ds.add(fd.pos, "remove "+opt+"= from the tag: "+why,
		"field %s: option %s= does not apply to %s", fd.where, opt, fd.typ)
	return false
}

func firstOpt(o tagOpts) string {
	switch {
	case o.max != 0:
		return "max"
	case o.elem != 0:
		return "elem"
	}
	return "key"
}

// selfBounded reports whether values of tm have a largest size without
// any bound from a tag.
func selfBounded(tm *typeModel) bool {
	switch tm.kind {
	case kString, kBytes, kSlice, kMap:
		return false
	case kArray:
		return selfBounded(tm.elem)
	}
	return true
}

// computeSize fills in the largest encoding of tm and its parts.
func computeSize(tm *typeModel) int {
	switch tm.kind {
	case kBool:
		tm.size = 1
	case kInt, kUint, kFloat:
		tm.size = numberSize(tm.basic.Kind())
	case kString:
		tm.size = strHeaderSize(tm.bound) + tm.bound
	case kBytes:
		tm.size = binHeaderSize(tm.bound) + tm.bound
	case kByteArray:
		tm.size = binHeaderSize(tm.length) + tm.length
	case kArray:
		tm.size = addSize(arrayHeaderSize(tm.length), mulSize(tm.length, computeSize(tm.elem)))
	case kSlice:
		tm.size = addSize(arrayHeaderSize(tm.bound), mulSize(tm.bound, computeSize(tm.elem)))
	case kMap:
		tm.size = addSize(arrayHeaderSize(tm.bound), mulSize(tm.bound, addSize(computeSize(tm.key), computeSize(tm.elem))))
	case kStruct:
		tm.size = tm.st.size
	case kTime:
		tm.size = timeSize
	case kAddr:
		tm.size = addrSize
	case kAddrPort:
		tm.size = addrPortSize
	}
	return tm.size
}

// numberSize is the longest msgp encoding of a number of kind k: a type
// byte and the value's bytes. int and uint are written as 64-bit values on
// every platform.
func numberSize(k types.BasicKind) int {
	switch k {
	case types.Int8, types.Uint8:
		return 2
	case types.Int16, types.Uint16:
		return 3
	case types.Int32, types.Uint32, types.Float32:
		return 5
	}
	return 9
}

// problem says why a type cannot be encoded. msg is empty when the
// problem was reported where it lies (a nested struct's field); invalid is
// set when the type did not type-check.
type problem struct {
	msg, fix string
	invalid  bool
}

func unsupported(msg, fix string) (*typeModel, *problem) {
	if fix == "" {
		fix = "use a supported type: " + supported
	}
	return nil, &problem{msg: msg, fix: fix}
}

// classify works out how values of type t are encoded, without bounds.
func (a *analyzer) classify(t types.Type) (*typeModel, *problem) {
	t = types.Unalias(t)
	ts := types.TypeString(t, a.qualifier)
	if named, ok := t.(*types.Named); ok {
		obj := named.Obj()
		if obj.Pkg() != nil {
			switch obj.Pkg().Path() + "." + obj.Name() {
			case "time.Time":
				return &typeModel{kind: kTime, goType: t}, nil
			case "net/netip.Addr":
				return &typeModel{kind: kAddr, goType: t}, nil
			case "net/netip.AddrPort":
				return &typeModel{kind: kAddrPort, goType: t}, nil
			}
		}
		if named.TypeArgs().Len() > 0 {
			return unsupported(ts+" is an instance of a generic type", "declare a plain (non-generic) type")
		}
		if st, ok := named.Underlying().(*types.Struct); ok {
			if k, ok := a.stdStruct(named); ok {
				return &typeModel{kind: k, goType: t, named: true}, nil
			}
			if obj.Pkg() != a.pkg.Types {
				return unsupported(ts+" is a struct of another package",
					"declare a struct type in this package with the fields to send, and copy them")
			}
			if sm := a.structs[obj]; sm != nil && sm.state == 1 {
				return unsupported(ts+" contains itself", "messages are trees of values: break the cycle, e.g. send an index or name instead of the nested value")
			}
			sm := a.structModel(obj, st)
			if sm == nil {
				return nil, &problem{}
			}
			return &typeModel{kind: kStruct, goType: t, st: sm}, nil
		}
		tm, prob := a.classify(named.Underlying())
		if prob != nil {
			return nil, prob
		}
		tm.goType, tm.named = t, true
		return tm, nil
	}
	switch u := t.(type) {
	case *types.Basic:
		tm := &typeModel{goType: t, basic: u}
		switch {
		case u.Kind() == types.Invalid:
			return nil, &problem{invalid: true}
		case u.Kind() == types.Bool:
			tm.kind = kBool
		case u.Kind() == types.String:
			tm.kind = kString
		case u.Kind() == types.Uintptr:
			return unsupported("uintptr is a machine address", "use uint64")
		case u.Info()&types.IsInteger != 0 && u.Info()&types.IsUnsigned != 0:
			tm.kind = kUint
		case u.Info()&types.IsInteger != 0:
			tm.kind = kInt
		case u.Info()&types.IsFloat != 0:
			tm.kind = kFloat
		case u.Info()&types.IsComplex != 0:
			return unsupported(ts+" is a complex number", "send the real and imaginary parts as two float fields")
		default:
			return unsupported(ts+" is not a value type", "")
		}
		return tm, nil
	case *types.Slice:
		if isByte(u.Elem()) {
			return &typeModel{kind: kBytes, goType: t}, nil
		}
		elem, prob := a.classify(u.Elem())
		if prob != nil {
			return nil, prob
		}
		return &typeModel{kind: kSlice, goType: t, elem: elem}, nil
	case *types.Array:
		if u.Len() > maxBound {
			return unsupported(fmt.Sprintf("%s has %d elements, far over any packet", ts, u.Len()), "use a smaller array")
		}
		if isByte(u.Elem()) {
			return &typeModel{kind: kByteArray, goType: t, length: int(u.Len())}, nil
		}
		elem, prob := a.classify(u.Elem())
		if prob != nil {
			return nil, prob
		}
		return &typeModel{kind: kArray, goType: t, elem: elem, length: int(u.Len())}, nil
	case *types.Map:
		key, prob := a.classify(u.Key())
		if prob != nil {
			return nil, prob
		}
		switch key.kind {
		case kString, kInt, kUint, kBool:
		default:
			return unsupported(ts+" has keys of type "+types.TypeString(u.Key(), a.qualifier), "use string, integer or bool keys")
		}
		elem, prob := a.classify(u.Elem())
		if prob != nil {
			return nil, prob
		}
		return &typeModel{kind: kMap, goType: t, key: key, elem: elem}, nil
	case *types.Struct:
		return unsupported(ts+" is an anonymous struct", "declare it as a named struct type in this package")
	case *types.Pointer:
		return unsupported(ts+" is a pointer", "use the value type: messages are copied whole, and a nil pointer has no encoding")
	case *types.Interface:
		return unsupported(ts+" is an interface", "use a concrete type")
	case *types.Chan:
		return unsupported(ts+" is a channel", "")
	case *types.Signature:
		return unsupported(ts+" is a function", "")
	case *types.TypeParam:
		return unsupported(ts+" is a type parameter", "declare a plain (non-generic) type")
	}
	return unsupported(ts+" is not supported", "")
}

// stdStruct recognizes a named type of another package defined over
// time.Time, netip.Addr or netip.AddrPort.
func (a *analyzer) stdStruct(named *types.Named) (kind, bool) {
	for _, c := range []struct {
		path, name string
		k          kind
	}{{"time", "Time", kTime}, {"net/netip", "Addr", kAddr}, {"net/netip", "AddrPort", kAddrPort}} {
		if std := findType(named.Obj().Pkg(), c.path, c.name); std != nil && types.Identical(std.Underlying(), named.Underlying()) {
			return c.k, true
		}
	}
	return 0, false
}

// findType looks up path.name among the packages pkg imports, directly
// or not.
func findType(pkg *types.Package, path, name string) types.Type {
	seen := map[*types.Package]bool{}
	var walk func(p *types.Package) types.Type
	walk = func(p *types.Package) types.Type {
		if p == nil || seen[p] {
			return nil
		}
		seen[p] = true
		if p.Path() == path {
			if obj, ok := p.Scope().Lookup(name).(*types.TypeName); ok {
				return obj.Type()
			}
			return nil
		}
		for _, q := range p.Imports() {
			if t := walk(q); t != nil {
				return t
			}
		}
		return nil
	}
	return walk(pkg)
}

// isByte reports whether t is byte (uint8) itself, not a type over it:
// []byte and [N]byte are MessagePack bin.
func isByte(t types.Type) bool {
	b, ok := types.Unalias(t).(*types.Basic)
	return ok && b.Kind() == types.Uint8
}

// describe names the kind of a type for messages: "a struct type",
// "uint8", ...
func describe(t types.Type) string {
	switch t.(type) {
	case *types.Struct:
		return "a struct type"
	case *types.Interface:
		return "an interface"
	case *types.Basic:
		return "a " + t.String() + " type"
	case *types.Slice:
		return "a slice type"
	case *types.Map:
		return "a map type"
	case *types.Array:
		return "an array type"
	case *types.Pointer:
		return "a pointer type"
	case *types.Signature:
		return "a function type"
	case *types.Chan:
		return "a channel type"
	}
	return t.String()
}

// qualifier writes types of this package unqualified, others by package
// name.
func (a *analyzer) qualifier(p *types.Package) string {
	if p == a.pkg.Types {
		return ""
	}
	return p.Name()
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

// sizeFamily computes a family's largest encoding and refuses variants
// that could outgrow the budget, naming the field to bound.
func (a *analyzer) sizeFamily(f *family) {
	for _, v := range f.variants {
		if f.largest == nil || v.size() > f.maxSize {
			f.maxSize, f.largest = v.size(), v
		}
		if v.size() <= a.budget {
			continue
		}
		path, fm := largestField(v.st)
		fix := fmt.Sprintf("lower the bounds of %s so that %s fits, or send less in one message", v.st.name, v.st.name)
		if fm != nil {
			fix = fmt.Sprintf("bound %s more tightly (it takes up to %d bytes%s), or send less in one message", path, fm.t.size, boundNote(fm.t))
		}
		a.ds.add(v.st.obj.Pos(), fix,
			"%s (tag %d of %s) encodes to up to %d bytes, %d over the budget of runtime.MaxMessageSize = %d bytes",
			v.st.name, v.tag, f.name, v.size(), v.size()-a.budget, a.budget)
	}
}

// largestField finds the field that contributes most to st's size,
// descending into nested structs, and returns its path ("Note.Inner.Text").
func largestField(st *structModel) (string, *fieldModel) {
	var best *fieldModel
	for _, fm := range st.fields {
		if best == nil || fm.t.size > best.t.size {
			best = fm
		}
	}
	if best == nil {
		return "", nil
	}
	if best.t.kind == kStruct {
		if p, fm := largestField(best.t.st); fm != nil {
			return st.name + "." + best.name + "." + strings.TrimPrefix(p, best.t.st.name+"."), fm
		}
	}
	return st.name + "." + best.name, best
}

// boundNote describes the bounds behind a field's size, for messages.
func boundNote(tm *typeModel) string {
	var parts []string
	if tm.bound > 0 {
		parts = append(parts, fmt.Sprintf("%s=%d", tm.boundName, tm.bound))
	}
	if tm.key != nil && tm.key.bound > 0 {
		parts = append(parts, fmt.Sprintf("key=%d", tm.key.bound))
	}
	if tm.elem != nil && tm.elem.bound > 0 {
		parts = append(parts, fmt.Sprintf("elem=%d", tm.elem.bound))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ",")
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

// typeErrors reports the package's type errors, which kept the generator
// from reading its types.
func (a *analyzer) typeErrors() {
	for _, e := range a.pkg.Errors {
		if e.Kind == packages.TypeError {
			a.ds.list = append(a.ds.list, diag{Pos: parsePos(e.Pos), Msg: e.Msg, Fix: "make the package compile (calls to code memberlist-gen writes may stay)"})
		}
	}
}

func (a *analyzer) comparePos(x, y token.Pos) int {
	px, py := a.pkg.Fset.Position(x), a.pkg.Fset.Position(y)
	return cmp.Or(cmp.Compare(px.Filename, py.Filename), cmp.Compare(px.Offset, py.Offset))
}

// parsePos reads a "file:line:col" position of a packages.Error.
func parsePos(s string) token.Position {
	var p token.Position
	rest, col, ok := cutLastNumber(s)
	if !ok {
		return token.Position{Filename: s}
	}
	if file, line, ok := cutLastNumber(rest); ok {
		p.Filename, p.Line, p.Column = file, line, col
		return p
	}
	p.Filename, p.Line = rest, col
	return p
}

// cutLastNumber splits "a:12" into "a" and 12.
func cutLastNumber(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0, false
	}
	return s[:i], n, true
}

// shortPos writes a position as "file.go:12", for a message that points to
// a second place.
func shortPos(p token.Position) string {
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
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

// exported is name with its first letter upper-cased, for suggestions.
func exported(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
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
