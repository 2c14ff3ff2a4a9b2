package main

import (
	"bytes"
	"fmt"
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
// families, a file beside it named <file>_memberlist.go, under the same
// build constraints.
func emit(pkg *packages.Package, fams []*family) (map[string][]byte, error) {
	var order []string
	byFile := map[string][]*family{}
	for _, f := range fams {
		if byFile[f.out] == nil {
			order = append(order, f.out)
		}
		byFile[f.out] = append(byFile[f.out], f)
	}
	outer := outerNames(pkg, fams)
	outs := map[string][]byte{}
	for _, out := range order {
		jf := jen.NewFilePathName(pkg.PkgPath, pkg.Name)
		jf.HeaderComment(header)
		jf.ImportName(msgpPath, "msgp")
		jf.ImportName(runtimePath, "runtime")
		e := &emitter{f: jf, pkg: pkg, outer: outer}
		for _, f := range byFile[out] {
			e.family(f)
		}
		var buf bytes.Buffer
		if err := jf.Render(&buf); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", filepath.Base(out), err)
		}
		src := buf.Bytes()
		if c := byFile[out][0].build; c != "" {
			src = bytes.Replace(src, []byte(header+"\n"), []byte(header+"\n\n//go:build "+c+"\n"), 1)
		}
		// Group the imports as goimports does: standard library first.
		src, err := imports.Process(out, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
		if err != nil {
			return nil, fmt.Errorf("formatting %s: %w", filepath.Base(out), err)
		}
		outs[out] = src
	}
	return outs, nil
}

// emitter writes the declarations of one output file.
type emitter struct {
	f     *jen.File
	pkg   *packages.Package
	outer map[string]bool // the names a local must not hide
}

// scope returns the scope of a new generated function.
func (e *emitter) scope() *scope { return newScope(e.outer) }

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
