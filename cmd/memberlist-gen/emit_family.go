package main

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The declarations of one family, one function each, in the order the
// output holds them. Each function takes its local names from a scope
// (see names.go) and writes its doc comment with them.

// family writes the family's constants, its registration, its typed API
// and the codecs of its structs.
func (e *emitter) family(f *family) {
	e.idConst(f)
	e.register(f)
	e.maxSizeConst(f)
	e.guard(f)
	e.encode(f)
	e.readTag(f)
	e.decode(f)
	e.send(f)
	if !f.stream {
		e.broadcast(f)
	}
	for _, v := range f.variants {
		e.on(f, v)
	}
	e.onError(f)
	for _, sm := range f.structs {
		e.pin(sm)
		e.marshal(sm)
		e.unmarshal(sm)
	}
}

// qual is the family's name as its errors show it: "chaos.ChaosMonkey".
func (e *emitter) qual(f *family) string { return e.pkg.Name + "." + f.name }

// const FFamily uint32 = N
func (e *emitter) idConst(f *family) {
	F := f.name
	doc := fmt.Sprintf(`%sFamily tells %s messages apart from the other message families a node carries. It is FNV-1a (32 bits) of "%s.%s": moving the package or renaming the interface changes it, and then old and new programs no longer understand each other. To keep talking across such a change, pin the old value with //memberlist:messages id=N.`,
		F, F, e.pkg.PkgPath, F)
	if f.idExplicit {
		doc = fmt.Sprintf("%sFamily tells %s messages apart from the other message families a node carries. It is set by //memberlist:messages id=%d.", F, F, f.id)
	}
	if f.stream {
		doc += fmt.Sprintf("\n\n%s is a stream family (//memberlist:messages stream): Send%s carries each message, up to %sMaxSize bytes, to one member over a reliable stream. There is no Broadcast%s: streams go to one member, and gossip carries datagrams only, each within one packet.", F, F, F, F)
	}
	e.decl(doc, jen.Const().Id(F+"Family").Uint32().Op("=").Lit(int(f.id)))
}

// func init() { runtime.RegisterFamily(...) }
func (e *emitter) register(f *family) {
	sc := e.scope()
	err := sc.name("err")
	e.decl(fmt.Sprintf("Two families with one id in a program would receive each other's messages: registering %s with the runtime stops the program at start-up instead, naming both. Give one of them another id with //memberlist:messages id=N.", f.name),
		jen.Func().Id("init").Params().Block(
			jen.If(jen.Id(err).Op(":=").Qual(runtimePath, "RegisterFamily").Call(jen.Id(f.name+"Family"), jen.Lit(f.fullName())), jen.Id(err).Op("!=").Nil()).Block(
				jen.Panic(jen.Id(err)),
			),
		))
}

// const FMaxSize = N
func (e *emitter) maxSizeConst(f *family) {
	F := f.name
	e.decl(fmt.Sprintf("%sMaxSize is the largest encoding of %s, in bytes: that of %s (tag %d) with every field at its bound, tag included.",
		F, article(F), article(f.largest.st.name), f.largest.tag),
		jen.Const().Id(F+"MaxSize").Op("=").Lit(f.maxSize))
}

// const _ = uint(runtime.MaxMessageSize - FMaxSize), or
// runtime.MaxStreamMessageSize for a stream family.
func (e *emitter) guard(f *family) {
	F := f.name
	budget, what := "MaxMessageSize", "the largest message a node carries"
	if f.stream {
		budget, what = "MaxStreamMessageSize", "the largest message SendReliable carries"
	}
	e.decl(fmt.Sprintf(`The build fails here ("overflows uint") if a %s can outgrow runtime.%s, %s: bound the fields of its largest variant more tightly and run go generate.`, F, budget, what),
		jen.Const().Id("_").Op("=").Uint().Parens(jen.Qual(runtimePath, budget).Op("-").Id(F+"MaxSize")))
}

// func EncodeF(b []byte, m F) ([]byte, error)
func (e *emitter) encode(f *family) {
	F, q := f.name, e.qual(f)
	sc := e.scope()
	b, m, o, err := sc.name("b"), sc.name("m"), sc.name("o"), sc.name("err")
	var cases, pointers []jen.Code
	for _, v := range f.variants {
		cases = append(cases, jen.Case(jen.Id(v.st.name)).Block(
			jen.List(jen.Id(o), jen.Id(err)).Op("=").Id(m).Dot("MarshalMsg").Call(msgp("AppendUint16").Call(jen.Id(b), jen.Lit(v.tag))),
		))
		pointers = append(pointers, jen.Op("*").Id(v.st.name))
	}
	fail := func(msg string, args ...jen.Code) jen.Code {
		return jen.Return(jen.Id(b), jen.Qual("fmt", "Errorf").Call(append([]jen.Code{jen.Lit(q + ": " + msg)}, args...)...))
	}
	cases = append(cases,
		jen.Case(jen.Nil()).Block(fail("cannot encode nil")),
		jen.Case(pointers...).Block(fail("cannot encode %T: pass the value, not a pointer", jen.Id(m))),
		jen.Default().Block(fail("cannot encode %T: memberlist-gen wrote no code for it; if it is a new variant, run go generate", jen.Id(m))),
	)
	e.decl(fmt.Sprintf("Encode%s appends the encoding of %s to %s and returns the extended slice: the variant's tag (a MessagePack uint), then its MarshalMsg encoding, at most %sMaxSize bytes. The family id is not part of it: the node sends it before the payload. A field over its bound is an error naming the field; on error %s is returned unchanged. Encoding allocates nothing when %s has room.", F, m, b, F, b, b),
		jen.Func().Id("Encode"+F).Params(jen.Id(b).Index().Byte(), jen.Id(m).Id(F)).Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Var().Id(o).Index().Byte(),
			jen.Var().Id(err).Error(),
			jen.Switch(jen.Id(m).Op(":=").Id(m).Assert(jen.Type())).Block(cases...),
			jen.If(jen.Id(err).Op("!=").Nil()).Block(jen.Return(jen.Id(b), jen.Id(err))),
			jen.Return(jen.Id(o), jen.Nil()),
		))
}

// func readFTag(b []byte) (uint16, []byte, error)
func (e *emitter) readTag(f *family) {
	F, q := f.name, e.qual(f)
	sc := e.scope()
	b, tag, err := sc.name("b"), sc.name("tag"), sc.name("err")
	var tags []jen.Code
	for _, v := range f.variants {
		tags = append(tags, jen.Lit(v.tag))
	}
	ok := jen.Return(jen.Id(tag), jen.Id(b), jen.Nil())
	known := jen.Switch(jen.Id(tag)).Block(jen.Case(tags...).Block(ok))
	if len(tags) == 1 {
		known = jen.If(jen.Id(tag).Op("==").Add(tags[0])).Block(ok)
	}
	e.decl(fmt.Sprintf("read%sTag reads the variant tag at the front of %s payload and returns it with the rest of the payload. A tag that is no variant's is an error: a newer version of the program may send variants this one does not know.", F, article(F)),
		jen.Func().Id("read"+F+"Tag").Params(jen.Id(b).Index().Byte()).Params(jen.Uint16(), jen.Index().Byte(), jen.Error()).Block(
			jen.List(jen.Id(tag), jen.Id(b), jen.Id(err)).Op(":=").Add(msgp("ReadUint16Bytes")).Call(jen.Id(b)),
			jen.If(jen.Id(err).Op("!=").Nil()).Block(jen.Return(jen.Lit(0), jen.Id(b), jen.Qual("fmt", "Errorf").Call(jen.Lit(q+": tag: %w"), jen.Id(err)))),
			known,
			jen.Return(jen.Lit(0), jen.Id(b), jen.Qual("fmt", "Errorf").Call(jen.Lit(q+": unknown tag %d, perhaps from a newer version of the program"), jen.Id(tag))),
		))
}

// trailing is the error for bytes left after a message in b.
func (e *emitter) trailing(f *family, b string) *jen.Statement {
	return jen.Qual("fmt", "Errorf").Call(jen.Lit(e.qual(f)+": %d bytes after the message"), jen.Len(jen.Id(b)))
}

// func DecodeF(b []byte) (F, error)
func (e *emitter) decode(f *family) {
	F := f.name
	sc := e.scope()
	b, err, m := sc.name("b"), sc.name("err"), sc.name("m")
	failed := jen.If(jen.Id(err).Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id(err)))
	var body []jen.Code
	if len(f.variants) == 1 {
		// The tag can only be the one variant's: reading it checked that.
		body = []jen.Code{
			jen.List(jen.Id("_"), jen.Id(b), jen.Id(err)).Op(":=").Id("read" + F + "Tag").Call(jen.Id(b)),
			failed,
			jen.Var().Id(m).Id(f.variants[0].st.name),
			jen.If(jen.List(jen.Id(b), jen.Id(err)).Op("=").Id(m).Dot("UnmarshalMsg").Call(jen.Id(b)), jen.Id(err).Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id(err))),
		}
	} else {
		tag, v := sc.name("tag"), sc.name("v")
		var cases []jen.Code
		for _, vr := range f.variants {
			cases = append(cases, jen.Case(jen.Lit(vr.tag)).Block(
				jen.Var().Id(v).Id(vr.st.name),
				jen.List(jen.Id(b), jen.Id(err)).Op("=").Id(v).Dot("UnmarshalMsg").Call(jen.Id(b)),
				jen.Id(m).Op("=").Id(v),
			))
		}
		body = []jen.Code{
			jen.List(jen.Id(tag), jen.Id(b), jen.Id(err)).Op(":=").Id("read" + F + "Tag").Call(jen.Id(b)),
			failed,
			jen.Var().Id(m).Id(F),
			jen.Comment("read" + F + "Tag refused every other tag."),
			jen.Switch(jen.Id(tag)).Block(cases...),
			failed,
		}
	}
	body = append(body,
		jen.If(jen.Len(jen.Id(b)).Op("!=").Lit(0)).Block(jen.Return(jen.Nil(), e.trailing(f, b))),
		jen.Return(jen.Id(m), jen.Nil()),
	)
	e.decl(fmt.Sprintf("Decode%s decodes %s that Encode%s encoded. Bad input is an error, never a panic: an unknown tag (a newer version of the program may send variants this one does not know), bytes that do not decode, a field over its bound (refused before anything is allocated for it), or bytes after the message.", F, article(F), F),
		jen.Func().Id("Decode"+F).Params(jen.Id(b).Index().Byte()).Params(jen.Id(F), jen.Error()).Block(body...))
}

// sendNames are the names of SendF's and BroadcastF's parameters and
// locals.
type sendNames struct{ ctx, n, to, m, buf, b, err string }

func (e *emitter) sendNames() sendNames {
	sc := e.scope()
	return sendNames{ctx: sc.name("ctx"), n: sc.name("n"), to: sc.name("to"), m: sc.name("m"), buf: sc.name("buf"), b: sc.name("b"), err: sc.name("err")}
}

// encodeInto is the body shared by SendF and BroadcastF: m encoded into
// an array on the stack, then call.
func (e *emitter) encodeInto(f *family, s sendNames, call jen.Code) []jen.Code {
	return []jen.Code{
		jen.Var().Id(s.buf).Index(jen.Id(f.name + "MaxSize")).Byte(),
		jen.List(jen.Id(s.b), jen.Id(s.err)).Op(":=").Id("Encode"+f.name).Call(jen.Id(s.buf).Index(jen.Empty(), jen.Lit(0)), jen.Id(s.m)),
		jen.If(jen.Id(s.err).Op("!=").Nil()).Block(jen.Return(jen.Id(s.err))),
		jen.Return(call),
	}
}

// func SendF(ctx context.Context, n *runtime.Node, to string, m F) error
func (e *emitter) send(f *family) {
	F, s := f.name, e.sendNames()
	if f.stream {
		e.sendReliable(f, s)
		return
	}
	e.decl(fmt.Sprintf("Send%s sends %s to the member of %s's cluster named %s, in one packet, best effort. It waits for %s's protocol loop to take the message, or for %s to be done.", F, s.m, s.n, s.to, s.n, s.ctx),
		jen.Func().Id("Send"+F).Params(jen.Id(s.ctx).Qual("context", "Context"), jen.Id(s.n).Op("*").Qual(runtimePath, "Node"), jen.Id(s.to).String(), jen.Id(s.m).Id(F)).Error().Block(
			e.encodeInto(f, s, jen.Id(s.n).Dot("Send").Call(jen.Id(s.ctx), jen.Id(s.to), jen.Id(F+"Family"), jen.Id(s.b)))...,
		))
}

// func SendF(ctx context.Context, n *runtime.Node, to string, m F) error,
// for a stream family: over SendReliable.
func (e *emitter) sendReliable(f *family, s sendNames) {
	F := f.name
	e.decl(fmt.Sprintf("Send%s sends %s to the member of %s's cluster named %s over a reliable stream (runtime.Node.SendReliable), and returns once that member's node has taken it, or with an error errors.Is can test: runtime.ErrUnknownMember, runtime.ErrRefused, runtime.ErrTooLarge (over %s's Config.MaxStreamMessageSize), runtime.ErrClosed or %s's. The encoding is allocated at the size of %s, not on the stack at %sMaxSize as a datagram family's, since a stream message may take megabytes.", F, s.m, s.n, s.to, s.n, s.ctx, s.m, F),
		jen.Func().Id("Send"+F).Params(jen.Id(s.ctx).Qual("context", "Context"), jen.Id(s.n).Op("*").Qual(runtimePath, "Node"), jen.Id(s.to).String(), jen.Id(s.m).Id(F)).Error().Block(
			jen.List(jen.Id(s.b), jen.Id(s.err)).Op(":=").Id("Encode"+F).Call(jen.Nil(), jen.Id(s.m)),
			jen.If(jen.Id(s.err).Op("!=").Nil()).Block(jen.Return(jen.Id(s.err))),
			jen.Return(jen.Id(s.n).Dot("SendReliable").Call(jen.Id(s.ctx), jen.Id(s.to), jen.Id(F+"Family"), jen.Id(s.b))),
		))
}

// func BroadcastF(ctx context.Context, n *runtime.Node, m F) error
func (e *emitter) broadcast(f *family) {
	F, s := f.name, e.sendNames()
	doc := fmt.Sprintf("Broadcast%s gossips %s to every other member of %s's cluster; each receives it at most once.", F, s.m, s.n)
	plain := jen.Id(s.n).Dot("Broadcast").Call(jen.Id(s.ctx), jen.Id(F+"Family"), jen.Id(s.b))
	body := e.encodeInto(f, s, plain)
	if keyed := keyedVariants(f); len(keyed) > 0 {
		doc += " " + e.keyedDoc(f, keyed, s)
		body = append(body[:len(body)-1], e.keyedCall(f, keyed, s, plain)...)
	}
	doc += fmt.Sprintf(" It waits for %s's protocol loop to take the message, or for %s to be done.", s.n, s.ctx)
	e.decl(doc,
		jen.Func().Id("Broadcast"+F).Params(jen.Id(s.ctx).Qual("context", "Context"), jen.Id(s.n).Op("*").Qual(runtimePath, "Node"), jen.Id(s.m).Id(F)).Error().Block(body...))
}

// handlerNames are the names of an On function's parameters and of its
// handler's.
type handlerNames struct{ n, fn, stop, from, payload, tag, b, err, m string }

func (e *emitter) handlerNames() handlerNames {
	sc := e.scope()
	return handlerNames{n: sc.name("n"), fn: sc.name("fn"), stop: sc.name("stop"), from: sc.name("from"), payload: sc.name("payload"),
		tag: sc.name("tag"), b: sc.name("b"), err: sc.name("err"), m: sc.name("m")}
}

// handle returns `return n.Handle(FFamily, func(from runtime.Member, payload []byte) { body })`.
func (e *emitter) handle(f *family, h handlerNames, body ...jen.Code) jen.Code {
	return jen.Return(jen.Id(h.n).Dot("Handle").Call(jen.Id(f.name+"Family"),
		jen.Func().Params(jen.Id(h.from).Qual(runtimePath, "Member"), jen.Id(h.payload).Index().Byte()).Block(body...)))
}

// countUndecodable returns `n.CountUndecodable(FFamily, err)`.
func (e *emitter) countUndecodable(f *family, h handlerNames, err jen.Code) jen.Code {
	return jen.Id(h.n).Dot("CountUndecodable").Call(jen.Id(f.name+"Family"), err)
}

// func OnV(n *runtime.Node, fn func(from runtime.Member, m V)) (stop func())
func (e *emitter) on(f *family, v *variant) {
	F, V, h := f.name, v.st.name, e.handlerNames()
	dropped := func(err jen.Code) jen.Code {
		return jen.Block(e.countUndecodable(f, h, err), jen.Return())
	}
	doc := fmt.Sprintf("On%s registers %s to receive every %s %s to %s, with its sender; %s unregisters it. %s runs on %s's dispatch goroutine, like a runtime.Node.Handle function.", V, h.fn, V, arrives(f), h.n, h.stop, h.fn, h.n)
	var body []jen.Code
	if len(f.variants) == 1 {
		body = []jen.Code{
			jen.List(jen.Id("_"), jen.Id(h.b), jen.Id(h.err)).Op(":=").Id("read" + F + "Tag").Call(jen.Id(h.payload)),
			jen.If(jen.Id(h.err).Op("!=").Nil()).Add(dropped(jen.Id(h.err))),
		}
	} else {
		doc += " The handler reads the other variants' messages no further than their tag, so that an On function per variant costs one decoding per message."
		body = []jen.Code{
			jen.List(jen.Id(h.tag), jen.Id(h.b), jen.Id(h.err)).Op(":=").Id("read" + F + "Tag").Call(jen.Id(h.payload)),
			jen.If(jen.Id(h.err).Op("!=").Nil()).Add(dropped(jen.Id(h.err))),
			jen.If(jen.Id(h.tag).Op("!=").Lit(v.tag)).Block(jen.Return().Comment("another variant's, for its own On function")),
		}
	}
	doc += fmt.Sprintf(" A message it cannot decode (a malformed %s, or %s message without the tag of a variant this program knows, as a newer version of the program sends during a rolling upgrade) is dropped and counted in %s's Stats.Undecodable, once however many handlers meet it; On%sError reports those.", V, article(F), h.n, F)
	body = append(body,
		jen.Var().Id(h.m).Id(V),
		jen.If(jen.List(jen.Id(h.b), jen.Id(h.err)).Op("=").Id(h.m).Dot("UnmarshalMsg").Call(jen.Id(h.b)), jen.Id(h.err).Op("!=").Nil()).Add(dropped(jen.Id(h.err))),
		jen.If(jen.Len(jen.Id(h.b)).Op("!=").Lit(0)).Add(dropped(e.trailing(f, h.b))),
		jen.Id(h.fn).Call(jen.Id(h.from), jen.Id(h.m)),
	)
	e.decl(doc,
		jen.Func().Id("On"+V).Params(jen.Id(h.n).Op("*").Qual(runtimePath, "Node"), jen.Id(h.fn).Func().Params(jen.Id(h.from).Qual(runtimePath, "Member"), jen.Id(h.m).Id(V))).Params(jen.Id(h.stop).Func().Params()).Block(
			e.handle(f, h, body...),
		))
}

// func OnFError(n *runtime.Node, fn func(from runtime.Member, err error)) (stop func())
func (e *emitter) onError(f *family) {
	F, h := f.name, e.handlerNames()
	var ons []string
	for _, v := range f.variants {
		ons = append(ons, "On"+v.st.name)
	}
	e.decl(fmt.Sprintf("On%sError registers %s to learn of every %s message %s to %s that does not decode, with its sender and the reason; %s unregisters it. Such a message carries an unknown tag, as a newer version of the program sends during a rolling upgrade, or is malformed. The On functions of the variants (%s) drop it; this handler counts it in %s's Stats.Undecodable as they do, once however many handlers meet it. Unlike them, it decodes every %s message in full.", F, h.fn, F, arrives(f), h.n, h.stop, strings.Join(ons, ", "), h.n, F),
		jen.Func().Id("On"+F+"Error").Params(jen.Id(h.n).Op("*").Qual(runtimePath, "Node"), jen.Id(h.fn).Func().Params(jen.Id(h.from).Qual(runtimePath, "Member"), jen.Id(h.err).Error())).Params(jen.Id(h.stop).Func().Params()).Block(
			e.handle(f, h,
				jen.If(jen.List(jen.Id("_"), jen.Id(h.err)).Op(":=").Id("Decode"+F).Call(jen.Id(h.payload)), jen.Id(h.err).Op("!=").Nil()).Block(
					e.countUndecodable(f, h, jen.Id(h.err)),
					jen.Id(h.fn).Call(jen.Id(h.from), jen.Id(h.err)),
				),
			),
		))
}

// arrives says how a family's messages reach a node, for the docs of its
// handlers.
func arrives(f *family) string {
	if f.stream {
		return "sent over a stream"
	}
	return "sent or broadcast"
}
