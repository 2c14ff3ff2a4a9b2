package main

import (
	"fmt"
	"go/types"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The codecs: MarshalMsg and UnmarshalMsg of each struct, in MessagePack
// array form (fields in declaration order, no names), with msgp's
// primitives.

// marshal writes sm's MarshalMsg.
func (e *emitter) marshal(sm *structModel) {
	g := newCodegen(e)
	var body []jen.Code
	for _, fm := range sm.fields {
		body = append(body, g.enc(fm.t, jen.Id("z").Dot(fm.name), errPath{format: sm.qual + "." + fm.name}, 0)...)
	}
	header := msgp("AppendArrayHeader").Call(jen.Id("b"), jen.Lit(len(sm.fields)))
	var stmts []jen.Code
	if len(body) == 0 {
		stmts = []jen.Code{jen.Return(header, jen.Nil())}
	} else {
		if g.needErr {
			stmts = append(stmts, jen.Var().Err().Error())
		}
		stmts = append(stmts, jen.Id("o").Op(":=").Add(header))
		stmts = append(stmts, body...)
		stmts = append(stmts, jen.Return(jen.Id("o"), jen.Nil()))
	}
	e.decl(fmt.Sprintf("MarshalMsg appends the MessagePack encoding of z to b and returns the extended slice: an array of its fields in declaration order, at most %s. A field over its bound is an error naming it; on error b is returned unchanged.", plural(sm.size, "byte")),
		jen.Func().Params(jen.Id("z").Id(sm.name)).Id("MarshalMsg").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(stmts...))
}

// unmarshal writes sm's UnmarshalMsg.
func (e *emitter) unmarshal(sm *structModel) {
	g := newCodegen(e)
	var body []jen.Code
	for _, fm := range sm.fields {
		body = append(body, g.dec(fm.t, jen.Id("z").Dot(fm.name), errPath{format: sm.qual + "." + fm.name}, 0)...)
	}
	stmts := []jen.Code{
		jen.List(jen.Id("n"), jen.Id("b"), jen.Err()).Op(":=").Add(msgp("ReadArrayHeaderBytes")).Call(jen.Id("b")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("b"), jen.Qual("fmt", "Errorf").Call(jen.Lit(sm.qual+": %w"), jen.Err()))),
		jen.If(jen.Id("n").Op("!=").Lit(len(sm.fields))).Block(jen.Return(jen.Id("b"), jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%s: %%d fields, want %d", sm.qual, len(sm.fields))), jen.Id("n")))),
	}
	switch len(g.temps) {
	case 0:
	case 1:
		stmts = append(stmts, jen.Var().Add(g.temps[0]))
	default:
		stmts = append(stmts, jen.Var().Defs(g.temps...))
	}
	stmts = append(stmts, body...)
	stmts = append(stmts, jen.Return(jen.Id("b"), jen.Nil()))
	e.decl("UnmarshalMsg decodes z from the front of b, as MarshalMsg encoded it, and returns the rest of b. A field over its bound is refused before anything is allocated for it; on error z may be partly written. Slices and maps in z are reused; decoded into a zero z, an empty slice or map stays nil.",
		jen.Func().Params(jen.Id("z").Op("*").Id(sm.name)).Id("UnmarshalMsg").Params(jen.Id("b").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(stmts...))
}

func msgp(name string) *jen.Statement { return jen.Qual(msgpPath, name) }

// codegen builds one function body.
type codegen struct {
	e       *emitter
	temps   []jen.Code      // decoding temporaries, declared once at the top
	tempSet map[string]bool // their names
	refs    map[string]bool // loop variables that error messages print
	needErr bool            // encoding calls a nested MarshalMsg
}

func newCodegen(e *emitter) *codegen {
	return &codegen{e: e, tempSet: map[string]bool{}, refs: map[string]bool{}}
}

// temp declares a decoding temporary once and returns it.
func (g *codegen) temp(name string, typ jen.Code) *jen.Statement {
	if !g.tempSet[name] {
		g.tempSet[name] = true
		g.temps = append(g.temps, jen.Id(name).Add(typ))
	}
	return jen.Id(name)
}

// errPath names a value in error messages: a format such as
// "chaos.Note.Labels[%d]" and the loop variables it prints.
type errPath struct {
	format string
	args   []string
}

func (p errPath) index(v string) errPath {
	return errPath{p.format + "[%d]", append(slices.Clone(p.args), v)}
}

func (p errPath) key(v string, quoted bool) errPath {
	verb := "[%v]"
	if quoted {
		verb = "[%q]"
	}
	return errPath{p.format + verb, append(slices.Clone(p.args), v)}
}

func (p errPath) suffix(s string) errPath { return errPath{p.format + s, p.args} }

// errorf returns fmt.Errorf("<path>: msg", <loop variables>, args...).
func (g *codegen) errorf(p errPath, msg string, args ...jen.Code) *jen.Statement {
	all := []jen.Code{jen.Lit(p.format + ": " + msg)}
	for _, a := range p.args {
		g.refs[a] = true
		all = append(all, jen.Id(a))
	}
	return jen.Qual("fmt", "Errorf").Call(append(all, args...)...)
}

// fail returns `if cond { return b, <error> }`.
func (g *codegen) fail(cond jen.Code, p errPath, msg string, args ...jen.Code) jen.Code {
	return jen.If(cond).Block(jen.Return(jen.Id("b"), g.errorf(p, msg, args...)))
}

// check returns `if <assign>; err != nil { return b, <path>: err }`.
func (g *codegen) check(assign jen.Code, p errPath) jen.Code {
	return jen.If(assign, jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("b"), g.errorf(p, "%w", jen.Err())))
}

// loopVars names the index and value variables of a loop nested depth
// deep.
func loopVars(depth int) (string, string) {
	if depth < 2 {
		return []string{"i", "j"}[depth], []string{"v", "w"}[depth]
	}
	return fmt.Sprintf("i%d", depth), fmt.Sprintf("v%d", depth)
}

// canonical is the type msgp reads and writes for tm, which a named type
// converts to and from.
func (g *codegen) canonical(tm *typeModel) *jen.Statement {
	switch tm.kind {
	case kString:
		return jen.String()
	case kBytes:
		return jen.Index().Byte()
	case kTime:
		return jen.Qual("time", "Time")
	case kAddr:
		return jen.Qual("net/netip", "Addr")
	case kAddrPort:
		return jen.Qual("net/netip", "AddrPort")
	}
	return jen.Id(types.Typ[tm.basic.Kind()].Name())
}

// plain returns x as the canonical type: converted if tm is a named type.
func (g *codegen) plain(tm *typeModel, x jen.Code) *jen.Statement {
	if tm.named {
		return g.canonical(tm).Call(x)
	}
	return jen.Add(x)
}

// numberFunc is the msgp function suffix of a bool or number kind: "Int8",
// "Float64", ...
func numberFunc(tm *typeModel) string {
	n := types.Typ[tm.basic.Kind()].Name()
	return strings.ToUpper(n[:1]) + n[1:]
}

// enc returns the statements that append x, of type tm, to o.
func (g *codegen) enc(tm *typeModel, x jen.Code, p errPath, depth int) []jen.Code {
	o := jen.Id("o")
	appendTo := func(fn string, args ...jen.Code) jen.Code {
		return jen.Id("o").Op("=").Add(msgp(fn)).Call(append([]jen.Code{o}, args...)...)
	}
	tooMany := func(what string) jen.Code {
		return g.fail(jen.Len(x).Op(">").Lit(tm.bound), p, fmt.Sprintf("%%d %s, more than %s=%d", what, tm.boundName, tm.bound), jen.Len(x))
	}
	switch tm.kind {
	case kBool, kInt, kUint, kFloat:
		return []jen.Code{appendTo("Append"+numberFunc(tm), g.plain(tm, x))}
	case kString:
		return []jen.Code{tooMany("bytes"), appendTo("AppendString", g.plain(tm, x))}
	case kBytes:
		return []jen.Code{tooMany("bytes"), appendTo("AppendBytes", g.plain(tm, x))}
	case kByteArray:
		return []jen.Code{appendTo("AppendBytes", jen.Add(x).Index(jen.Empty(), jen.Empty()))}
	case kArray, kSlice:
		iv, vv := loopVars(depth)
		delete(g.refs, iv)
		body := g.enc(tm.elem, jen.Id(vv), p.index(iv), depth+1)
		if !g.refs[iv] {
			iv = "_"
		}
		var out []jen.Code
		if tm.kind == kArray {
			out = append(out, appendTo("AppendArrayHeader", jen.Lit(tm.length)))
		} else {
			out = append(out, tooMany("elements"), appendTo("AppendArrayHeader", jen.Uint32().Call(jen.Len(x))))
		}
		return append(out, jen.For(jen.List(jen.Id(iv), jen.Id(vv)).Op(":=").Range().Add(x)).Block(body...))
	case kMap:
		_, vv := loopVars(depth)
		body := g.enc(tm.key, jen.Id("k"), p.suffix(" key"), depth+1)
		body = append(body, g.enc(tm.elem, jen.Id(vv), p.key("k", tm.key.kind == kString), depth+1)...)
		return []jen.Code{
			tooMany("entries"),
			appendTo("AppendMapHeader", jen.Uint32().Call(jen.Len(x))),
			jen.For(jen.List(jen.Id("k"), jen.Id(vv)).Op(":=").Range().Add(x)).Block(body...),
		}
	case kStruct:
		g.needErr = true
		return []jen.Code{g.check(jen.List(o, jen.Err()).Op("=").Add(x).Dot("MarshalMsg").Call(o), p)}
	case kTime:
		return []jen.Code{appendTo("AppendTimeExt", g.plain(tm, x))}
	case kAddr, kAddrPort:
		v := g.plain(tm, x)
		addr, extra := jen.Add(v), jen.Null()
		if tm.kind == kAddrPort {
			addr, extra = jen.Add(v).Dot("Addr").Call(), jen.Op("+").Lit(2)
		}
		return []jen.Code{
			g.fail(jen.Add(addr).Dot("Zone").Call().Op("!=").Lit(""), p, "address %v has a zone, which is not sent", jen.Add(v)),
			appendTo("AppendBytesHeader", jen.Uint32().Call(jen.Add(addr).Dot("BitLen").Call().Op("/").Lit(8).Add(extra))),
			jen.List(o, jen.Id("_")).Op("=").Add(v).Dot("AppendBinary").Call(o).Comment("never fails"),
		}
	}
	panic(fmt.Sprintf("memberlist-gen: no encoder for kind %d", tm.kind))
}

// tempName names the decoding temporary of a named type over tm's
// canonical type.
func tempName(tm *typeModel) string {
	switch tm.kind {
	case kTime:
		return "t"
	case kAddr:
		return "ip"
	case kAddrPort:
		return "ap"
	case kBool:
		return "bv"
	case kFloat:
		return "f" + strings.TrimPrefix(tm.basic.Name(), "float")
	}
	switch k := types.Typ[tm.basic.Kind()].Name(); k {
	case "int":
		return "iv"
	case "uint":
		return "uv"
	default:
		return strings.Replace(strings.Replace(k, "int", "i", 1), "ui", "u", 1)
	}
}

// dec returns the statements that decode the front of b into lv, of type
// tm.
func (g *codegen) dec(tm *typeModel, lv jen.Code, p errPath, depth int) []jen.Code {
	b := jen.Id("b")
	// read decodes with msgp's fn into lv, through a temporary of the
	// canonical type if lv has a named type.
	read := func(fn string) []jen.Code {
		if !tm.named {
			return []jen.Code{g.check(jen.List(lv, b, jen.Err()).Op("=").Add(msgp(fn)).Call(b), p)}
		}
		t := g.temp(tempName(tm), g.canonical(tm))
		return []jen.Code{
			g.check(jen.List(t, b, jen.Err()).Op("=").Add(msgp(fn)).Call(b), p),
			jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(t),
		}
	}
	s := func() *jen.Statement { return g.temp("s", jen.Index().Byte()) }
	header := func(fn string) jen.Code {
		return g.check(jen.List(jen.Id("n"), b, jen.Err()).Op("=").Add(msgp(fn)).Call(b), p)
	}
	tooMany := func(n jen.Code, what string) jen.Code {
		return g.fail(jen.Add(n).Op(">").Lit(tm.bound), p, fmt.Sprintf("%%d %s, more than %s=%d", what, tm.boundName, tm.bound), n)
	}
	switch tm.kind {
	case kBool, kInt, kUint, kFloat:
		return read("Read" + numberFunc(tm) + "Bytes")
	case kString:
		return []jen.Code{
			g.check(jen.List(s(), b, jen.Err()).Op("=").Add(msgp("ReadStringZC")).Call(b), p),
			tooMany(jen.Len(s()), "bytes"),
			jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(s()),
		}
	case kBytes:
		return []jen.Code{
			g.check(jen.List(s(), b, jen.Err()).Op("=").Add(msgp("ReadBytesZC")).Call(b), p),
			tooMany(jen.Len(s()), "bytes"),
			jen.Add(lv).Op("=").Append(jen.Add(lv).Index(jen.Empty(), jen.Lit(0)), s().Op("...")),
		}
	case kByteArray:
		// Not msgp.ReadExactBytes: it takes a short input for a full one.
		return []jen.Code{
			g.check(jen.List(s(), b, jen.Err()).Op("=").Add(msgp("ReadBytesZC")).Call(b), p),
			g.fail(jen.Len(s()).Op("!=").Lit(tm.length), p, fmt.Sprintf("%%d bytes, want %d", tm.length), jen.Len(s())),
			jen.Copy(jen.Add(lv).Index(jen.Empty(), jen.Empty()), s()),
		}
	case kArray, kSlice:
		iv, _ := loopVars(depth)
		out := []jen.Code{header("ReadArrayHeaderBytes")}
		if tm.kind == kArray {
			out = append(out, g.fail(jen.Id("n").Op("!=").Lit(tm.length), p, fmt.Sprintf("%%d elements, want %d", tm.length), jen.Id("n")))
		} else {
			out = append(out,
				tooMany(jen.Id("n"), "elements"),
				jen.If(jen.Cap(lv).Op(">=").Int().Call(jen.Id("n"))).Block(
					jen.Add(lv).Op("=").Add(lv).Index(jen.Empty(), jen.Id("n")),
				).Else().Block(
					jen.Add(lv).Op("=").Make(g.e.typeCode(tm.goType), jen.Id("n")),
				))
		}
		body := g.dec(tm.elem, jen.Add(lv).Index(jen.Id(iv)), p.index(iv), depth+1)
		return append(out, jen.For(jen.Id(iv).Op(":=").Range().Add(lv)).Block(body...))
	case kMap:
		_, vv := loopVars(depth)
		body := []jen.Code{
			jen.Var().Id("k").Add(g.e.typeCode(tm.key.goType)),
			jen.Var().Id(vv).Add(g.e.typeCode(tm.elem.goType)),
		}
		body = append(body, g.dec(tm.key, jen.Id("k"), p.suffix(" key"), depth+1)...)
		body = append(body, g.dec(tm.elem, jen.Id(vv), p.key("k", tm.key.kind == kString), depth+1)...)
		body = append(body, jen.Add(lv).Index(jen.Id("k")).Op("=").Id(vv))
		return []jen.Code{
			header("ReadMapHeaderBytes"),
			tooMany(jen.Id("n"), "entries"),
			jen.Clear(lv),
			jen.If(jen.Add(lv).Op("==").Nil().Op("&&").Id("n").Op(">").Lit(0)).Block(
				jen.Add(lv).Op("=").Make(g.e.typeCode(tm.goType), jen.Id("n")),
			),
			jen.For(jen.Range().Id("n")).Block(body...),
		}
	case kStruct:
		return []jen.Code{g.check(jen.List(b, jen.Err()).Op("=").Add(lv).Dot("UnmarshalMsg").Call(b), p)}
	case kTime:
		return read("ReadTimeUTCBytes")
	case kAddr, kAddrPort:
		limit, what := 16, "an IP address"
		if tm.kind == kAddrPort {
			limit, what = 18, "an IP address and port"
		}
		into := lv
		if tm.named {
			into = g.temp(tempName(tm), g.canonical(tm))
		}
		out := []jen.Code{
			g.check(jen.List(s(), b, jen.Err()).Op("=").Add(msgp("ReadBytesZC")).Call(b), p),
			g.fail(jen.Len(s()).Op(">").Lit(limit), p, fmt.Sprintf("%%d bytes, more than %s", what), jen.Len(s())),
			g.check(jen.Err().Op("=").Add(into).Dot("UnmarshalBinary").Call(s()), p),
		}
		if tm.named {
			out = append(out, jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(into))
		}
		return out
	}
	panic(fmt.Sprintf("memberlist-gen: no decoder for kind %d", tm.kind))
}
