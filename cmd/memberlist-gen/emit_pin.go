package main

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The pin: each struct's fields as the generator read them, so that the
// build fails when the struct changes and its generated code does not.

// pin writes `var _ S = struct{ ...S's fields, tags included... }{}`.
// Assigning a value of an unnamed struct type to S compiles only if the
// two struct types are identical: the same fields in the same order, with
// the same names, types, embedding and tags. So adding, removing,
// reordering or retyping a field, or changing a bound in a tag, breaks
// the build at this line until go generate runs again.
func (e *emitter) pin(sm *structModel) {
	var fields []jen.Code
	for i := range sm.gt.NumFields() {
		v := sm.gt.Field(i)
		var field *jen.Statement
		if v.Embedded() {
			field = e.typeCode(v.Type())
		} else {
			field = jen.Id(v.Name()).Add(e.typeCode(v.Type()))
		}
		if tag := sm.gt.Tag(i); tag != "" {
			field.Add(rawTag(tag))
		}
		fields = append(fields, field)
	}
	e.decl(fmt.Sprintf("The build fails here (cannot use ... as %s value) if the fields of %s or their tags are no longer those this file encodes: run go generate.", sm.name, sm.name),
		jen.Var().Id("_").Id(sm.name).Op("=").Struct(fields...).Values())
}

// rawTag renders a struct tag as the user wrote it: tags must be equal
// byte for byte for the pin to compile.
func rawTag(tag string) jen.Code {
	if !strings.ContainsAny(tag, "`\r") {
		return jen.Op("`" + tag + "`")
	}
	return jen.Lit(tag)
}

// typeCode renders a Go type, importing the packages it names. Aliases
// of this package and exported ones of others are kept as written;
// anything a struct field may have is rendered, so that a field that is
// not encoded (memberlist:"-") can be pinned too.
func (e *emitter) typeCode(t types.Type) *jen.Statement {
	switch t := t.(type) {
	case *types.Alias:
		if obj := t.Obj(); obj.Pkg() == nil || obj.Pkg() == e.pkg.Types || obj.Exported() {
			return e.named(obj, t.TypeArgs())
		}
		return e.typeCode(types.Unalias(t))
	case *types.Named:
		return e.named(t.Obj(), t.TypeArgs())
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Slice:
		return jen.Index().Add(e.typeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(e.typeCode(t.Elem()))
	case *types.Map:
		return jen.Map(e.typeCode(t.Key())).Add(e.typeCode(t.Elem()))
	case *types.Pointer:
		return jen.Op("*").Add(e.typeCode(t.Elem()))
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(e.typeCode(t.Elem()))
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(e.typeCode(t.Elem()))
		}
		return jen.Chan().Add(e.typeCode(t.Elem()))
	case *types.Signature:
		return jen.Func().Add(e.signature(t))
	case *types.Interface:
		return e.iface(t)
	case *types.Struct:
		var fields []jen.Code
		for i := range t.NumFields() {
			v := t.Field(i)
			field := e.typeCode(v.Type())
			if !v.Embedded() {
				field = jen.Id(v.Name()).Add(field)
			}
			if tag := t.Tag(i); tag != "" {
				field.Add(rawTag(tag))
			}
			fields = append(fields, field)
		}
		return jen.Struct(fields...)
	}
	panic(fmt.Sprintf("memberlist-gen: type %s reached the emitter", t))
}

// named renders a named type or alias with its type arguments.
func (e *emitter) named(obj *types.TypeName, args *types.TypeList) *jen.Statement {
	var s *jen.Statement
	switch {
	case obj.Pkg() == nil:
		s = jen.Id(obj.Name())
	default:
		if obj.Pkg().Path() != e.pkg.PkgPath {
			e.f.ImportName(obj.Pkg().Path(), obj.Pkg().Name())
		}
		s = jen.Qual(obj.Pkg().Path(), obj.Name())
	}
	if args.Len() == 0 {
		return s
	}
	var ts []jen.Code
	for a := range args.Types() {
		ts = append(ts, e.typeCode(a))
	}
	return s.Types(ts...)
}

// signature renders a function type's parameters and results.
func (e *emitter) signature(sig *types.Signature) *jen.Statement {
	tuple := func(t *types.Tuple, variadic bool) []jen.Code {
		var out []jen.Code
		for i := range t.Len() {
			v := t.At(i)
			var c *jen.Statement
			if variadic && i == t.Len()-1 {
				c = jen.Op("...").Add(e.typeCode(v.Type().(*types.Slice).Elem()))
			} else {
				c = e.typeCode(v.Type())
			}
			if v.Name() != "" {
				c = jen.Id(v.Name()).Add(c)
			}
			out = append(out, c)
		}
		return out
	}
	return jen.Params(tuple(sig.Params(), sig.Variadic())...).Params(tuple(sig.Results(), false)...)
}

// iface renders an interface type literal.
func (e *emitter) iface(t *types.Interface) *jen.Statement {
	var elems []jen.Code
	for et := range t.EmbeddedTypes() {
		elems = append(elems, e.typeCode(et))
	}
	for m := range t.ExplicitMethods() {
		elems = append(elems, jen.Id(m.Name()).Add(e.signature(m.Type().(*types.Signature))))
	}
	return jen.Interface(elems...)
}
