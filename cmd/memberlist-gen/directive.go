package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"math"
	"strconv"
	"strings"
)

// directivePrefix starts every directive the generator reads. Like
// //go:generate it has no space after the slashes, so gofmt and godoc keep
// it out of the doc text.
const directivePrefix = "//memberlist:"

// directives holds what the doc comment of one type declaration says.
type directives struct {
	messages   token.Pos // set for //memberlist:messages
	id         uint32    // its id=N, when idExplicit
	idExplicit bool
	stream     bool // //memberlist:messages stream: the family goes over SendReliable
	tag        int  // //memberlist:tag N, when tagPos is set
	tagPos     token.Pos
	bad        bool // a directive was malformed: what depends on it is not reported again
}

// readDirectives returns the directives of every type declared in files,
// and reports directives that are malformed or not in the doc comment of a
// type declaration.
func readDirectives(files []*ast.File, ds *diags) map[*ast.TypeSpec]*directives {
	out := map[*ast.TypeSpec]*directives{}
	for _, f := range files {
		owner := map[*ast.CommentGroup]*ast.TypeSpec{}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if ts.Doc != nil {
					owner[ts.Doc] = ts
				}
				if !gd.Lparen.IsValid() && gd.Doc != nil {
					owner[gd.Doc] = ts
				}
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if !strings.HasPrefix(c.Text, directivePrefix) {
					continue
				}
				ts := owner[cg]
				if ts == nil {
					ds.add(c.Pos(), "move it into the doc comment of a type declaration, on its own line right above `type Name ...`",
						"%s is not in the doc comment of a type declaration", strings.Fields(c.Text)[0])
					continue
				}
				d := out[ts]
				if d == nil {
					d = &directives{}
					out[ts] = d
				}
				parseDirective(c, ts.Name.Name, d, ds)
			}
		}
	}
	return out
}

// parseDirective reads one directive line of the type named name into d.
func parseDirective(c *ast.Comment, name string, d *directives, ds *diags) {
	fields := strings.Fields(strings.TrimPrefix(c.Text, directivePrefix))
	verb := ""
	if len(fields) > 0 {
		verb = fields[0]
	}
	args := fields[min(1, len(fields)):]
	fail := func(fix, format string, args ...any) {
		d.bad = true
		ds.add(c.Pos(), fix, format, args...)
	}
	switch verb {
	case "messages":
		if d.messages.IsValid() {
			fail("keep one //memberlist:messages line", "%s has //memberlist:messages twice", name)
			return
		}
		d.messages = c.Pos()
		const usage = "write `//memberlist:messages`, optionally followed by `stream` (a family sent over streams) and `id=N` with N a uint32"
		for _, a := range args {
			if a == "stream" {
				if d.stream {
					fail(usage, "//memberlist:messages of %s says stream twice", name)
				}
				d.stream = true
				continue
			}
			v, ok := strings.CutPrefix(a, "id=")
			if !ok || d.idExplicit {
				fail(usage, "unexpected %q in //memberlist:messages of %s", a, name)
				continue
			}
			id, err := parseID(v)
			if err != nil {
				fail("write id=N with N in 0..4294967295, in decimal or 0x hex",
					"family id %q of %s is not a uint32: %v", v, name, err)
				continue
			}
			d.id, d.idExplicit = uint32(id), true
		}
	case "tag":
		if d.tagPos.IsValid() {
			fail("keep one //memberlist:tag line", "%s has //memberlist:tag twice", name)
			return
		}
		if len(args) != 1 {
			fail("write `//memberlist:tag N` with N in 1..65535", "//memberlist:tag of %s needs exactly one number", name)
			return
		}
		tag, err := parseDecimal(args[0])
		if err != nil {
			fail("write `//memberlist:tag N` with N a decimal number in 1..65535, unique in the family",
				"tag %q of %s is no tag: %v", args[0], name, err)
			return
		}
		if tag < 1 || tag > 65535 {
			fail("write `//memberlist:tag N` with N in 1..65535, unique in the family",
				"tag %q of %s is out of range: tags are 1..65535", args[0], name)
			return
		}
		d.tag, d.tagPos = tag, c.Pos()
	default:
		fail("the directives are //memberlist:messages [stream] [id=N] on a family interface and //memberlist:tag N on a message struct",
			"unknown directive %q", directivePrefix+verb)
	}
}

// parseID reads a family id: a uint32 in decimal (as parseDecimal reads
// it) or in hex after 0x.
func parseID(s string) (uint32, error) {
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		if h == "" || strings.Trim(h, "0123456789abcdef") != "" {
			return 0, fmt.Errorf("%q is not a hex number", s)
		}
		n, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return 0, fmt.Errorf("%s is over 0xffffffff", s)
		}
		return uint32(n), nil
	}
	n, err := parseDecimal(s)
	if err == nil && n > math.MaxUint32 {
		err = fmt.Errorf("%s is over 4294967295", s)
	}
	return uint32(n), err
}
