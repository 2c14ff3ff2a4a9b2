package main

import (
	"fmt"
	"go/types"
	"unicode"
	"unicode/utf8"

	"github.com/memberlist-go/memberlist/internal/msgpsize"
)

// Types: which Go types can be encoded and how (the type model of each
// field), and the structs that hold them.

// supported lists the field types, for messages that refuse one.
const supported = "bool, sized ints and uints, int, uint, float32, float64, string, []byte, " +
	"fixed arrays, slices and maps of these, structs of this package, time.Time, time.Duration, " +
	"netip.Addr, netip.AddrPort, and named types over these"

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
		if fm.t == nil || (opts.isKey && !a.keyField(sm, fm, v)) {
			ok = false
			continue
		}
		sm.fields = append(sm.fields, fm)
	}
	sm.state, sm.ok = 2, ok
	if !ok {
		return nil
	}
	sm.size = msgpsize.ArrayHeader(len(sm.fields))
	for _, fm := range sm.fields {
		sm.size = addSize(sm.size, fm.t.size)
	}
	return sm
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
	switch u := t.(type) {
	case *types.Named:
		return a.classifyNamed(u, ts)
	case *types.Basic:
		return classifyBasic(u, ts)
	case *types.Slice, *types.Array, *types.Map:
		return a.classifyContainer(t, ts)
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

// classifyNamed classifies a named type: one of the standard types with
// an encoding of their own, a struct of this package, or a type over a
// supported one.
func (a *analyzer) classifyNamed(named *types.Named, ts string) (*typeModel, *problem) {
	t := types.Type(named)
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

// classifyBasic classifies a predeclared type.
func classifyBasic(u *types.Basic, ts string) (*typeModel, *problem) {
	tm := &typeModel{goType: u, basic: u}
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
}

// classifyContainer classifies a slice, array or map type.
func (a *analyzer) classifyContainer(t types.Type, ts string) (*typeModel, *problem) {
	switch u := t.(type) {
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
	}
	panic("classifyContainer: " + ts)
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

// exported is name with its first letter upper-cased, for suggestions.
func exported(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}
