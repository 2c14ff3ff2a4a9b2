package main

import (
	"bytes"
	"fmt"
	"go/types"
	"path/filepath"
	"strings"

	"github.com/dave/jennifer/jen"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/imports"
)

const (
	msgpPath    = "github.com/tinylib/msgp/msgp"
	runtimePath = "github.com/memberlist-go/memberlist/runtime"
)

// emit renders the output files of one package: for each file declaring
// families, a file beside it named <file>_memberlist.go.
func emit(pkg *packages.Package, fams []*family) (map[string][]byte, error) {
	var order []string
	byFile := map[string][]*family{}
	for _, f := range fams {
		out := strings.TrimSuffix(f.file, ".go") + outputSuffix
		if byFile[out] == nil {
			order = append(order, out)
		}
		byFile[out] = append(byFile[out], f)
	}
	outs := map[string][]byte{}
	for _, out := range order {
		jf := jen.NewFilePathName(pkg.PkgPath, pkg.Name)
		jf.HeaderComment(header)
		jf.ImportName(msgpPath, "msgp")
		jf.ImportName(runtimePath, "runtime")
		e := &emitter{f: jf, pkg: pkg}
		for _, f := range byFile[out] {
			e.family(f)
		}
		var buf bytes.Buffer
		if err := jf.Render(&buf); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", filepath.Base(out), err)
		}
		// Group the imports as goimports does: standard library first.
		src, err := imports.Process(out, buf.Bytes(), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
		if err != nil {
			return nil, fmt.Errorf("formatting %s: %w", filepath.Base(out), err)
		}
		outs[out] = src
	}
	return outs, nil
}

// emitter writes the declarations of one output file.
type emitter struct {
	f   *jen.File
	pkg *packages.Package
}

// decl adds a top-level declaration with its doc comment, after a blank
// line.
func (e *emitter) decl(doc string, code jen.Code) {
	e.f.Line()
	for _, l := range wrap(doc, 77) {
		e.f.Comment(strings.TrimSpace("// " + l))
	}
	e.f.Add(code)
}

// wrap breaks text into lines of at most width columns; "\n\n" starts a
// new paragraph.
func wrap(text string, width int) []string {
	var out []string
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			out = append(out, "")
		}
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return out
}

// family writes the family's constants, its typed API and the codecs of
// its structs.
func (e *emitter) family(f *family) {
	F := f.name
	qual := e.pkg.Name + "." + F
	var names []string
	for _, v := range f.variants {
		names = append(names, v.st.name)
	}

	idDoc := fmt.Sprintf(`%sFamily tells %s messages apart from the other message families a node carries. It is FNV-1a (32 bits) of "%s.%s": moving the package or renaming the interface changes it, and then old and new programs no longer understand each other. To keep talking across such a change, pin the old value with //memberlist:messages id=N.`,
		F, F, e.pkg.PkgPath, F)
	if f.idExplicit {
		idDoc = fmt.Sprintf("%sFamily tells %s messages apart from the other message families a node carries. It is set by //memberlist:messages id=%d.", F, F, f.id)
	}
	e.decl(idDoc, jen.Const().Id(F+"Family").Uint32().Op("=").Lit(int(f.id)))

	e.decl(fmt.Sprintf("%sMaxSize is the largest encoding of %s, in bytes: that of %s (tag %d) with every field at its bound, tag included.",
		F, article(F), article(f.largest.st.name), f.largest.tag),
		jen.Const().Id(F+"MaxSize").Op("=").Lit(f.maxSize))

	e.decl(fmt.Sprintf(`The build fails here ("overflows uint") if a %s can outgrow runtime.MaxMessageSize, the largest message a node carries: bound the fields of its largest variant more tightly and run go generate.`, F),
		jen.Const().Id("_").Op("=").Uint().Parens(jen.Qual(runtimePath, "MaxMessageSize").Op("-").Id(F+"MaxSize")))

	// Encode.
	var cases []jen.Code
	for _, v := range f.variants {
		cases = append(cases, jen.Case(jen.Id(v.st.name)).Block(
			jen.List(jen.Id("o"), jen.Err()).Op("=").Id("m").Dot("MarshalMsg").Call(
				jen.Qual(msgpPath, "AppendUint16").Call(jen.Id("b"), jen.Lit(v.tag))),
		))
	}
	cases = append(cases, jen.Default().Block(
		jen.Return(jen.Id("b"), jen.Qual("fmt", "Errorf").Call(jen.Lit(qual+": cannot encode nil or a pointer: pass a variant's value"))),
	))
	e.decl(fmt.Sprintf("Encode%s appends the encoding of m to b and returns the extended slice: the variant's tag (a MessagePack uint), then its MarshalMsg encoding, at most %sMaxSize bytes. The family id is not part of it: the node sends it before the payload. A field over its bound is an error naming the field; on error b is returned unchanged. Encoding allocates nothing when b has room.", F, F),
		jen.Func().Id("Encode"+F).Params(jen.Id("b").Index().Byte(), jen.Id("m").Id(F)).Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Var().Id("o").Index().Byte(),
			jen.Var().Err().Error(),
			jen.Switch(jen.Id("m").Op(":=").Id("m").Assert(jen.Type())).Block(cases...),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("b"), jen.Err())),
			jen.Return(jen.Id("o"), jen.Nil()),
		))

	// The tag, read by Decode and the On functions.
	unknownTag := jen.Qual("fmt", "Errorf").Call(jen.Lit(qual+": unknown tag %d, perhaps from a newer version of the program"), jen.Id("tag"))
	tagErr := jen.Qual("fmt", "Errorf").Call(jen.Lit(qual+": tag: %w"), jen.Err())
	var tags []jen.Code
	for _, v := range f.variants {
		tags = append(tags, jen.Lit(v.tag))
	}
	readTag := "read" + F + "Tag"
	known := jen.Switch(jen.Id("tag")).Block(jen.Case(tags...).Block(jen.Return(jen.Id("tag"), jen.Id("b"), jen.Nil())))
	if len(tags) == 1 {
		known = jen.If(jen.Id("tag").Op("==").Add(tags[0])).Block(jen.Return(jen.Id("tag"), jen.Id("b"), jen.Nil()))
	}
	e.decl(fmt.Sprintf("%s reads the variant tag at the front of %s payload and returns it with the rest of the payload. A tag that is no variant's is an error: a newer version of the program may send variants this one does not know.", readTag, article(F)),
		jen.Func().Id(readTag).Params(jen.Id("b").Index().Byte()).Params(jen.Uint16(), jen.Index().Byte(), jen.Error()).Block(
			jen.List(jen.Id("tag"), jen.Id("b"), jen.Err()).Op(":=").Qual(msgpPath, "ReadUint16Bytes").Call(jen.Id("b")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(0), jen.Id("b"), tagErr)),
			known,
			jen.Return(jen.Lit(0), jen.Id("b"), unknownTag),
		))

	// Decode.
	trailing := func() *jen.Statement {
		return jen.Qual("fmt", "Errorf").Call(jen.Lit(qual+": %d bytes after the message"), jen.Len(jen.Id("b")))
	}
	var body []jen.Code
	if len(f.variants) == 1 {
		// The tag can only be the one variant's: reading it checked that.
		body = []jen.Code{
			jen.List(jen.Id("_"), jen.Id("b"), jen.Err()).Op(":=").Id(readTag).Call(jen.Id("b")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Var().Id("m").Id(f.variants[0].st.name),
			jen.If(jen.List(jen.Id("b"), jen.Err()).Op("=").Id("m").Dot("UnmarshalMsg").Call(jen.Id("b")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		}
	} else {
		var cases []jen.Code
		for _, v := range f.variants {
			cases = append(cases, jen.Case(jen.Lit(v.tag)).Block(
				jen.Var().Id("v").Id(v.st.name),
				jen.List(jen.Id("b"), jen.Err()).Op("=").Id("v").Dot("UnmarshalMsg").Call(jen.Id("b")),
				jen.Id("m").Op("=").Id("v"),
			))
		}
		body = []jen.Code{
			jen.List(jen.Id("tag"), jen.Id("b"), jen.Err()).Op(":=").Id(readTag).Call(jen.Id("b")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Var().Id("m").Id(F),
			jen.Comment(readTag + " refused every other tag."),
			jen.Switch(jen.Id("tag")).Block(cases...),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		}
	}
	body = append(body,
		jen.If(jen.Len(jen.Id("b")).Op("!=").Lit(0)).Block(jen.Return(jen.Nil(), trailing())),
		jen.Return(jen.Id("m"), jen.Nil()),
	)
	e.decl(fmt.Sprintf("Decode%s decodes %s that Encode%s encoded. Bad input is an error, never a panic: an unknown tag (a newer version of the program may send variants this one does not know), bytes that do not decode, a field over its bound (refused before anything is allocated for it), or bytes after the message.", F, article(F), F),
		jen.Func().Id("Decode"+F).Params(jen.Id("b").Index().Byte()).Params(jen.Id(F), jen.Error()).Block(body...))

	// Send and Broadcast.
	encode := func() []jen.Code {
		return []jen.Code{
			jen.Var().Id("buf").Index(jen.Id(F + "MaxSize")).Byte(),
			jen.List(jen.Id("b"), jen.Err()).Op(":=").Id("Encode"+F).Call(jen.Id("buf").Index(jen.Empty(), jen.Lit(0)), jen.Id("m")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		}
	}
	e.decl(fmt.Sprintf("Send%s sends m to the member of n's cluster named to, in one packet, best effort. It waits for n's protocol loop to take the message, or for ctx to be done.", F),
		jen.Func().Id("Send"+F).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("n").Op("*").Qual(runtimePath, "Node"), jen.Id("to").String(), jen.Id("m").Id(F)).Error().Block(
			append(encode(), jen.Return(jen.Id("n").Dot("Send").Call(jen.Id("ctx"), jen.Id("to"), jen.Id(F+"Family"), jen.Id("b"))))...,
		))
	e.decl(fmt.Sprintf("Broadcast%s gossips m to every other member of n's cluster; each receives it at most once. It waits for n's protocol loop to take the message, or for ctx to be done.", F),
		jen.Func().Id("Broadcast"+F).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("n").Op("*").Qual(runtimePath, "Node"), jen.Id("m").Id(F)).Error().Block(
			append(encode(), jen.Return(jen.Id("n").Dot("Broadcast").Call(jen.Id("ctx"), jen.Id(F+"Family"), jen.Id("b"))))...,
		))

	// One On function per variant, and one for what does not decode.
	countUndecodable := func(err jen.Code) jen.Code {
		return jen.Id("n").Dot("CountUndecodable").Call(jen.Id(F+"Family"), err)
	}
	for _, v := range f.variants {
		V := v.st.name
		doc := fmt.Sprintf("On%s registers fn to receive every %s sent or broadcast to n, with its sender; stop unregisters it. fn runs on n's dispatch goroutine, like a runtime.Node.Handle function.", V, V)
		var handler []jen.Code
		if len(f.variants) == 1 {
			handler = []jen.Code{
				jen.List(jen.Id("_"), jen.Id("b"), jen.Err()).Op(":=").Id(readTag).Call(jen.Id("payload")),
				jen.If(jen.Err().Op("!=").Nil()).Block(countUndecodable(jen.Err()), jen.Return()),
			}
		} else {
			doc += " The handler reads the other variants' messages no further than their tag, so that an On function per variant costs one decoding per message."
			handler = []jen.Code{
				jen.List(jen.Id("tag"), jen.Id("b"), jen.Err()).Op(":=").Id(readTag).Call(jen.Id("payload")),
				jen.If(jen.Err().Op("!=").Nil()).Block(countUndecodable(jen.Err()), jen.Return()),
				jen.If(jen.Id("tag").Op("!=").Lit(v.tag)).Block(jen.Return().Comment("another variant's, for its own On function")),
			}
		}
		doc += fmt.Sprintf(" A message it cannot decode (a malformed %s, or %s message without the tag of a variant this program knows, as a newer version of the program sends during a rolling upgrade) is dropped and counted in n's Stats.Undecodable, once however many handlers meet it; On%sError reports those.", V, article(F), F)
		handler = append(handler,
			jen.Var().Id("m").Id(V),
			jen.If(jen.List(jen.Id("b"), jen.Err()).Op("=").Id("m").Dot("UnmarshalMsg").Call(jen.Id("b")), jen.Err().Op("!=").Nil()).Block(countUndecodable(jen.Err()), jen.Return()),
			jen.If(jen.Len(jen.Id("b")).Op("!=").Lit(0)).Block(countUndecodable(trailing()), jen.Return()),
			jen.Id("fn").Call(jen.Id("from"), jen.Id("m")),
		)
		e.decl(doc,
			jen.Func().Id("On"+V).Params(jen.Id("n").Op("*").Qual(runtimePath, "Node"), jen.Id("fn").Func().Params(jen.Id("from").Qual(runtimePath, "Member"), jen.Id("m").Id(V))).Params(jen.Id("stop").Func().Params()).Block(
				jen.Return(jen.Id("n").Dot("Handle").Call(jen.Id(F+"Family"), jen.Func().Params(jen.Id("from").Qual(runtimePath, "Member"), jen.Id("payload").Index().Byte()).Block(handler...))),
			))
	}
	e.decl(fmt.Sprintf("On%sError registers fn to learn of every %s message sent or broadcast to n that does not decode, with its sender and the reason; stop unregisters it. Such a message carries an unknown tag, as a newer version of the program sends during a rolling upgrade, or is malformed. The On functions of the variants (%s) drop it; this handler counts it in n's Stats.Undecodable as they do, once however many handlers meet it. Unlike them, it decodes every %s message in full.", F, F, "On"+strings.Join(names, ", On"), F),
		jen.Func().Id("On"+F+"Error").Params(jen.Id("n").Op("*").Qual(runtimePath, "Node"), jen.Id("fn").Func().Params(jen.Id("from").Qual(runtimePath, "Member"), jen.Err().Error())).Params(jen.Id("stop").Func().Params()).Block(
			jen.Return(jen.Id("n").Dot("Handle").Call(jen.Id(F+"Family"), jen.Func().Params(jen.Id("from").Qual(runtimePath, "Member"), jen.Id("payload").Index().Byte()).Block(
				jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("Decode"+F).Call(jen.Id("payload")), jen.Err().Op("!=").Nil()).Block(
					countUndecodable(jen.Err()),
					jen.Id("fn").Call(jen.Id("from"), jen.Err()),
				),
			))),
		))

	for _, sm := range f.structs {
		e.marshal(sm)
		e.unmarshal(sm)
	}
}

// typeCode renders a Go type, importing the packages it names.
func (e *emitter) typeCode(t types.Type) *jen.Statement {
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return jen.Id(obj.Name())
		}
		if obj.Pkg().Path() != e.pkg.PkgPath {
			e.f.ImportName(obj.Pkg().Path(), obj.Pkg().Name())
		}
		return jen.Qual(obj.Pkg().Path(), obj.Name())
	case *types.Basic:
		return jen.Id(t.Name())
	case *types.Slice:
		return jen.Index().Add(e.typeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(e.typeCode(t.Elem()))
	case *types.Map:
		return jen.Map(e.typeCode(t.Key())).Add(e.typeCode(t.Elem()))
	}
	panic(fmt.Sprintf("memberlist-gen: type %s reached the emitter", t))
}

// article puts "a" or "an" before name, as it sounds when read aloud.
// Spelling does not settle that in English; these rules get common
// identifiers right: an initialism (two capitals, as in HTTPRequest) is
// read letter by letter, a few beginnings sound like "you" or "w" (User,
// Unit, Once), and otherwise a vowel letter takes "an".
func article(name string) string {
	if len(name) > 1 && isUpper(name[0]) && isUpper(name[1]) {
		if strings.IndexByte("AEFHILMNORSX", name[0]) >= 0 {
			return "an " + name
		}
		return "a " + name
	}
	lower := strings.ToLower(name)
	for _, p := range []string{"uni", "use", "usa", "usu", "uti", "uint", "one", "once"} {
		if strings.HasPrefix(lower, p) {
			return "a " + name
		}
	}
	if lower != "" && strings.IndexByte("aeiou", lower[0]) >= 0 {
		return "an " + name
	}
	return "a " + name
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// plural writes n with unit, in the plural unless n is 1: "1 byte", "2
// bytes".
func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
