package main

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"
)

// Keys: a variant's field tagged `memberlist:"key"` names what the message
// is about, and BroadcastF coalesces the broadcasts of equal keys (see
// runtime.Node.BroadcastKeyed).

// keyField checks the field fm of sm tagged memberlist:"key" and records
// it: a string, []byte, [N]byte or integer, one per struct.
func (a *analyzer) keyField(sm *structModel, fm *fieldModel, v *types.Var) bool {
	typ := types.TypeString(v.Type(), a.qualifier)
	switch fm.t.kind {
	case kString, kBytes, kByteArray, kInt, kUint:
	default:
		a.ds.add(v.Pos(), "tag a string, []byte, [N]byte or integer field of the variant as its key",
			"field %s.%s: memberlist:\"key\" marks the field naming what a message is about, and %s cannot be one", sm.name, v.Name(), typ)
		return false
	}
	if sm.key != nil {
		a.ds.add(v.Pos(), fmt.Sprintf("tag one field as the key: %s or %s (to key on both, put them in one string field)", sm.key.name, fm.name),
			"%s has two key fields, %s and %s", sm.name, sm.key.name, fm.name)
		return false
	}
	sm.key = fm
	return true
}

// checkKeys refuses key fields outside variants, and in stream families:
// only a variant's key decides what its broadcast replaces, and a stream
// family is not broadcast.
func (a *analyzer) checkKeys(fams []*family) {
	variants := map[*structModel]bool{}
	for _, f := range fams {
		for _, v := range f.variants {
			variants[v.st] = true
		}
	}
	for _, f := range fams {
		if f.stream {
			for _, v := range f.variants {
				if v.st.key != nil {
					a.ds.add(v.st.key.pos, "remove key from the tag: a stream message goes to one member, and nothing queued can replace it",
						"field %s.%s is tagged memberlist:\"key\", but %s is a stream family, which has no broadcast for a key to coalesce", v.st.name, v.st.key.name, f.name)
				}
			}
		}
		for _, sm := range f.structs {
			if sm.key != nil && !variants[sm] {
				a.ds.add(sm.key.pos, "remove key from the tag, or tag a field of the variant itself",
					"field %s.%s is tagged memberlist:\"key\", but %s is nested in a message, not a variant: only a variant's own field keys its broadcasts", sm.name, sm.key.name, sm.name)
			}
		}
	}
}

// keyedVariants are the variants of f with a key field, in tag order.
func keyedVariants(f *family) []*variant {
	var out []*variant
	for _, v := range f.variants {
		if v.st.key != nil {
			out = append(out, v)
		}
	}
	return out
}

// keyedDoc is what BroadcastF's doc says of its keyed variants.
func (e *emitter) keyedDoc(f *family, keyed []*variant, s sendNames) string {
	var names, fields []string
	for _, v := range keyed {
		names = append(names, article(v.st.name))
		fields = append(fields, v.st.name+"."+v.st.key.name)
	}
	which := strings.Join(names, " or ")
	if len(keyed) == len(f.variants) {
		which = "Each " + f.name
	} else {
		which = strings.ToUpper(which[:1]) + which[1:]
	}
	return fmt.Sprintf("%s replaces the broadcast of the same key (%s) that %s still holds queued, as runtime.Node.BroadcastKeyed does: members receive the latest message of a key, not every one, and may receive an older one after a newer one, so carry a version in the message if order matters.",
		which, strings.Join(fields, ", "), s.n)
}

// keyedCall ends BroadcastF: each keyed variant is broadcast with
// BroadcastKeyed under its key, the others with plain (n.Broadcast).
func (e *emitter) keyedCall(f *family, keyed []*variant, s sendNames, plain jen.Code) []jen.Code {
	F := f.name
	call := func(key jen.Code) jen.Code {
		return jen.Id(s.n).Dot("BroadcastKeyed").Call(jen.Id(s.ctx), jen.Id(F+"Family"), key, jen.Id(s.b))
	}
	if len(keyed) == len(f.variants) {
		// Every variant has a key: EncodeF refused anything else.
		key := e.scope().name("key")
		var cases []jen.Code
		for _, v := range keyed {
			cases = append(cases, jen.Case(jen.Id(v.st.name)).Block(jen.Id(key).Op("=").Add(keyExpr(s.m, v.st.key))))
		}
		return []jen.Code{
			jen.Var().Id(key).String(),
			jen.Switch(jen.Id(s.m).Op(":=").Id(s.m).Assert(jen.Type())).Block(cases...),
			jen.Return(call(jen.Id(key))),
		}
	}
	var cases []jen.Code
	for _, v := range keyed {
		cases = append(cases, jen.Case(jen.Id(v.st.name)).Block(jen.Return(call(keyExpr(s.m, v.st.key)))))
	}
	return []jen.Code{
		jen.Switch(jen.Id(s.m).Op(":=").Id(s.m).Assert(jen.Type())).Block(cases...),
		jen.Return(plain),
	}
}

// keyExpr is the key field of m as a string: a string as it is, bytes as
// their string, integers in decimal.
func keyExpr(m string, fm *fieldModel) jen.Code {
	field := jen.Id(m).Dot(fm.name)
	switch fm.t.kind {
	case kString:
		if isBasic(fm.t.goType, types.String) {
			return field
		}
		return jen.String().Parens(field)
	case kBytes:
		return jen.String().Parens(field)
	case kByteArray:
		return jen.String().Parens(field.Index(jen.Empty(), jen.Empty()))
	case kInt:
		if !isBasic(fm.t.goType, types.Int64) {
			field = jen.Int64().Parens(field)
		}
		return jen.Qual("strconv", "FormatInt").Call(field, jen.Lit(10))
	default: // kUint: keyField admits no other kind
		if !isBasic(fm.t.goType, types.Uint64) {
			field = jen.Uint64().Parens(field)
		}
		return jen.Qual("strconv", "FormatUint").Call(field, jen.Lit(10))
	}
}

// isBasic reports whether t is the predeclared type of kind k itself, so
// that the key needs no conversion.
func isBasic(t types.Type, k types.BasicKind) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Kind() == k
}
