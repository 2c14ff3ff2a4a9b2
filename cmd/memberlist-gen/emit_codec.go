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
	g := e.codegen()
	var body []jen.Code
	for _, fm := range sm.fields {
		body = append(body, g.enc(fm.t, jen.Id(g.z).Dot(fm.name), errPath{format: sm.qual + "." + fm.name}, 0)...)
	}
	header := msgp("AppendArrayHeader").Call(jen.Id(g.b), jen.Lit(len(sm.fields)))
	var stmts []jen.Code
	if len(body) == 0 {
		stmts = []jen.Code{jen.Return(header, jen.Nil())}
	} else {
		if g.needErr {
			stmts = append(stmts, jen.Var().Id(g.err).Error())
		}
		stmts = append(stmts, jen.Id(g.o).Op(":=").Add(header))
		stmts = append(stmts, body...)
		stmts = append(stmts, jen.Return(jen.Id(g.o), jen.Nil()))
	}
	e.decl(fmt.Sprintf("MarshalMsg appends the MessagePack encoding of %s to %s and returns the extended slice: an array of its fields in declaration order, at most %s. A field over its bound is an error naming it; on error %s is returned unchanged.", g.z, g.b, plural(sm.size, "byte"), g.b),
		jen.Func().Params(jen.Id(g.z).Id(sm.name)).Id("MarshalMsg").Params(jen.Id(g.b).Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(stmts...))
}

// unmarshal writes sm's UnmarshalMsg.
func (e *emitter) unmarshal(sm *structModel) {
	g := e.codegen()
	b, n, err := jen.Id(g.b), jen.Id(g.n), jen.Id(g.err)
	var body []jen.Code
	for _, fm := range sm.fields {
		body = append(body, g.dec(fm.t, jen.Id(g.z).Dot(fm.name), errPath{format: sm.qual + "." + fm.name}, 0)...)
	}
	stmts := []jen.Code{
		jen.List(n, b, err).Op(":=").Add(msgp("ReadArrayHeaderBytes")).Call(b),
		jen.If(err.Clone().Op("!=").Nil()).Block(jen.Return(b, jen.Qual("fmt", "Errorf").Call(jen.Lit(sm.qual+": %w"), err))),
		jen.If(n.Clone().Op("!=").Lit(len(sm.fields))).Block(jen.Return(b, jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%s: %%d fields, want %d", sm.qual, len(sm.fields))), n))),
	}
	switch len(g.temps) {
	case 0:
	case 1:
		stmts = append(stmts, jen.Var().Add(g.temps[0]))
	default:
		stmts = append(stmts, jen.Var().Defs(g.temps...))
	}
	stmts = append(stmts, body...)
	stmts = append(stmts, jen.Return(b, jen.Nil()))
	e.decl(fmt.Sprintf("UnmarshalMsg decodes %s from the front of %s, as MarshalMsg encoded it, and returns the rest of %s. A field over its bound is refused before anything is allocated for it; on error %s may be partly written. Slices and maps in %s are reused; decoded into a zero %s, an empty slice or map stays nil.", g.z, g.b, g.b, g.z, g.z, g.z),
		jen.Func().Params(jen.Id(g.z).Op("*").Id(sm.name)).Id("UnmarshalMsg").Params(jen.Id(g.b).Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(stmts...))
}

func msgp(name string) *jen.Statement { return jen.Qual(msgpPath, name) }

// codegen builds the body of MarshalMsg or UnmarshalMsg.
type codegen struct {
	e               *emitter
	sc              *scope            // the block being written
	z, b, o, n, err string            // receiver, parameter and the locals every body has
	temps           []jen.Code        // decoding temporaries, declared once at the top
	tempNames       map[string]string // their names, by the name each would like
	refs            map[string]bool   // loop variables that error messages print
	needErr         bool              // encoding calls a nested MarshalMsg
}

func (e *emitter) codegen() *codegen {
	sc := e.scope()
	g := &codegen{e: e, sc: sc, tempNames: map[string]string{}, refs: map[string]bool{}}
	g.z, g.b, g.o, g.n, g.err = sc.name("z"), sc.name("b"), sc.name("o"), sc.name("n"), sc.name("err")
	return g
}

// temp declares a decoding temporary once and returns it. Its name is
// taken in the function's outermost scope, where it is declared, so no
// loop variable can hide it.
func (g *codegen) temp(want string, typ jen.Code) *jen.Statement {
	name, ok := g.tempNames[want]
	if !ok {
		root := g.sc
		for root.parent.parent != nil {
			root = root.parent
		}
		// A name free in the outermost scope may still be a loop
		// variable of a block being written, where the temporary is
		// used: take it only if free here too.
		name = free(want, func(n string) bool { return g.sc.has(n) || root.has(n) })
		root.taken[name] = true
		g.tempNames[want] = name
		g.temps = append(g.temps, jen.Id(name).Add(typ))
	}
	return jen.Id(name)
}

// block runs write in a new block scope.
func (g *codegen) block(write func()) {
	outer := g.sc
	g.sc = outer.child()
	write()
	g.sc = outer
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
	return jen.If(cond).Block(jen.Return(jen.Id(g.b), g.errorf(p, msg, args...)))
}

// check returns `if <assign>; err != nil { return b, <path>: err }`.
func (g *codegen) check(assign jen.Code, p errPath) jen.Code {
	return jen.If(assign, jen.Id(g.err).Op("!=").Nil()).Block(jen.Return(jen.Id(g.b), g.errorf(p, "%w", jen.Id(g.err))))
}

// loopVars takes the index and value variables of a loop nested depth
// deep, in the current block.
func (g *codegen) loopVars(depth int) (string, string) {
	return g.sc.name(g.indexVar(depth)), g.sc.name(g.valueVar(depth))
}

// indexVar is the name a loop's index would like at depth: i, j, i2, i3,
// ...; valueVar the value's: v, w, v2, v3, ...
func (g *codegen) indexVar(depth int) string {
	if depth < 2 {
		return []string{"i", "j"}[depth]
	}
	return fmt.Sprintf("i%d", depth)
}

func (g *codegen) valueVar(depth int) string {
	if depth < 2 {
		return []string{"v", "w"}[depth]
	}
	return fmt.Sprintf("v%d", depth)
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
	o := func() *jen.Statement { return jen.Id(g.o) }
	appendTo := func(fn string, args ...jen.Code) jen.Code {
		return o().Op("=").Add(msgp(fn)).Call(append([]jen.Code{o()}, args...)...)
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
		var iv, vv string
		var body []jen.Code
		g.block(func() {
			iv, vv = g.loopVars(depth)
			delete(g.refs, iv)
			body = g.enc(tm.elem, jen.Id(vv), p.index(iv), depth+1)
		})
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
		var k, vv string
		var body []jen.Code
		g.block(func() {
			k, vv = g.sc.name("k"), g.sc.name(g.valueVar(depth))
			body = g.enc(tm.key, jen.Id(k), p.suffix(" key"), depth+1)
			body = append(body, g.enc(tm.elem, jen.Id(vv), p.key(k, tm.key.kind == kString), depth+1)...)
		})
		return []jen.Code{
			tooMany("entries"),
			appendTo("AppendMapHeader", jen.Uint32().Call(jen.Len(x))),
			jen.For(jen.List(jen.Id(k), jen.Id(vv)).Op(":=").Range().Add(x)).Block(body...),
		}
	case kStruct:
		g.needErr = true
		return []jen.Code{g.check(jen.List(o(), jen.Id(g.err)).Op("=").Add(x).Dot("MarshalMsg").Call(o()), p)}
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
			jen.List(o(), jen.Id("_")).Op("=").Add(v).Dot("AppendBinary").Call(o()).Comment("never fails"),
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
	switch tm.kind {
	case kArray, kSlice:
		return g.decList(tm, lv, p, depth)
	case kMap:
		return g.decMap(tm, lv, p, depth)
	case kAddr, kAddrPort:
		return g.decAddr(tm, lv, p)
	}
	return g.decScalar(tm, lv, p)
}

// The pieces of decoding code: the parameter b, the error err and the
// count n of the function, the byte-slice temporary s.
func (g *codegen) bv() *jen.Statement   { return jen.Id(g.b) }
func (g *codegen) errv() *jen.Statement { return jen.Id(g.err) }
func (g *codegen) nv() *jen.Statement   { return jen.Id(g.n) }
func (g *codegen) sv() *jen.Statement   { return g.temp("s", jen.Index().Byte()) }

// read decodes with msgp's fn into lv, through a temporary of the
// canonical type if lv has a named type.
func (g *codegen) read(tm *typeModel, lv jen.Code, p errPath, fn string) []jen.Code {
	if !tm.named {
		return []jen.Code{g.check(jen.List(lv, g.bv(), g.errv()).Op("=").Add(msgp(fn)).Call(g.bv()), p)}
	}
	t := g.temp(tempName(tm), g.canonical(tm))
	return []jen.Code{
		g.check(jen.List(t, g.bv(), g.errv()).Op("=").Add(msgp(fn)).Call(g.bv()), p),
		jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(t),
	}
}

// readInto decodes with msgp's fn (a string or bytes reader) into dst.
func (g *codegen) readInto(dst jen.Code, p errPath, fn string) jen.Code {
	return g.check(jen.List(dst, g.bv(), g.errv()).Op("=").Add(msgp(fn)).Call(g.bv()), p)
}

// tooMany refuses a length or count n over tm's bound.
func (g *codegen) tooMany(tm *typeModel, n jen.Code, p errPath, what string) jen.Code {
	return g.fail(jen.Add(n).Op(">").Lit(tm.bound), p, fmt.Sprintf("%%d %s, more than %s=%d", what, tm.boundName, tm.bound), n)
}

// decScalar decodes a value read in one piece: a bool, number, string,
// []byte, [N]byte, time or nested struct.
func (g *codegen) decScalar(tm *typeModel, lv jen.Code, p errPath) []jen.Code {
	switch tm.kind {
	case kBool, kInt, kUint, kFloat:
		return g.read(tm, lv, p, "Read"+numberFunc(tm)+"Bytes")
	case kTime:
		return g.read(tm, lv, p, "ReadTimeUTCBytes")
	case kString:
		return []jen.Code{
			g.readInto(g.sv(), p, "ReadStringZC"),
			g.tooMany(tm, jen.Len(g.sv()), p, "bytes"),
			jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(g.sv()),
		}
	case kBytes:
		return []jen.Code{
			g.readInto(g.sv(), p, "ReadBytesZC"),
			g.tooMany(tm, jen.Len(g.sv()), p, "bytes"),
			jen.Add(lv).Op("=").Append(jen.Add(lv).Index(jen.Empty(), jen.Lit(0)), g.sv().Op("...")),
		}
	case kByteArray:
		// Not msgp.ReadExactBytes: it takes a short input for a full one.
		return []jen.Code{
			g.readInto(g.sv(), p, "ReadBytesZC"),
			g.fail(jen.Len(g.sv()).Op("!=").Lit(tm.length), p, fmt.Sprintf("%%d bytes, want %d", tm.length), jen.Len(g.sv())),
			jen.Copy(jen.Add(lv).Index(jen.Empty(), jen.Empty()), g.sv()),
		}
	case kStruct:
		return []jen.Code{g.check(jen.List(g.bv(), g.errv()).Op("=").Add(lv).Dot("UnmarshalMsg").Call(g.bv()), p)}
	}
	panic(fmt.Sprintf("memberlist-gen: no decoder for kind %d", tm.kind))
}

// decList decodes an array or a slice, element by element.
func (g *codegen) decList(tm *typeModel, lv jen.Code, p errPath, depth int) []jen.Code {
	n := g.nv
	out := []jen.Code{g.readInto(n(), p, "ReadArrayHeaderBytes")}
	if tm.kind == kArray {
		out = append(out, g.fail(n().Op("!=").Lit(tm.length), p, fmt.Sprintf("%%d elements, want %d", tm.length), n()))
	} else {
		out = append(out,
			g.tooMany(tm, n(), p, "elements"),
			jen.If(jen.Cap(lv).Op(">=").Int().Call(n())).Block(
				jen.Add(lv).Op("=").Add(lv).Index(jen.Empty(), n()),
			).Else().Block(
				jen.Add(lv).Op("=").Make(g.e.typeCode(tm.goType), n()),
			))
	}
	var iv string
	var body []jen.Code
	g.block(func() {
		iv = g.sc.name(g.indexVar(depth))
		body = g.dec(tm.elem, jen.Add(lv).Index(jen.Id(iv)), p.index(iv), depth+1)
	})
	return append(out, jen.For(jen.Id(iv).Op(":=").Range().Add(lv)).Block(body...))
}

// decMap decodes a map, entry by entry, reusing the map in lv.
func (g *codegen) decMap(tm *typeModel, lv jen.Code, p errPath, depth int) []jen.Code {
	n := g.nv
	var body []jen.Code
	g.block(func() {
		k, vv := g.sc.name("k"), g.sc.name(g.valueVar(depth))
		body = []jen.Code{
			jen.Var().Id(k).Add(g.e.typeCode(tm.key.goType)),
			jen.Var().Id(vv).Add(g.e.typeCode(tm.elem.goType)),
		}
		body = append(body, g.dec(tm.key, jen.Id(k), p.suffix(" key"), depth+1)...)
		body = append(body, g.dec(tm.elem, jen.Id(vv), p.key(k, tm.key.kind == kString), depth+1)...)
		body = append(body, jen.Add(lv).Index(jen.Id(k)).Op("=").Id(vv))
	})
	return []jen.Code{
		g.readInto(n(), p, "ReadMapHeaderBytes"),
		g.tooMany(tm, n(), p, "entries"),
		jen.Clear(lv),
		jen.If(jen.Add(lv).Op("==").Nil().Op("&&").Add(n()).Op(">").Lit(0)).Block(
			jen.Add(lv).Op("=").Make(g.e.typeCode(tm.goType), n()),
		),
		jen.For(jen.Range().Add(n())).Block(body...),
	}
}

// decAddr decodes a netip.Addr or netip.AddrPort from its binary form,
// refusing a longer one before parsing it.
func (g *codegen) decAddr(tm *typeModel, lv jen.Code, p errPath) []jen.Code {
	limit, what := 16, "an IP address"
	if tm.kind == kAddrPort {
		limit, what = 18, "an IP address and port"
	}
	into := lv
	if tm.named {
		into = g.temp(tempName(tm), g.canonical(tm))
	}
	out := []jen.Code{
		g.readInto(g.sv(), p, "ReadBytesZC"),
		g.fail(jen.Len(g.sv()).Op(">").Lit(limit), p, fmt.Sprintf("%%d bytes, more than %s", what), jen.Len(g.sv())),
		g.check(g.errv().Op("=").Add(into).Dot("UnmarshalBinary").Call(g.sv()), p),
	}
	if tm.named {
		out = append(out, jen.Add(lv).Op("=").Add(g.e.typeCode(tm.goType)).Call(into))
	}
	return out
}
