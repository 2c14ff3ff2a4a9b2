package main

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A diag is one reason the generator refuses a package: where, what is
// wrong, and how to fix it.
type diag struct {
	Pos token.Position
	Msg string
	Fix string
}

// String renders the diagnostic as "file:line:col: msg", with the fix on an
// indented second line, the file relative to dir when that is shorter.
func (d diag) String(dir string) string {
	pos := d.Pos
	if dir != "" && pos.Filename != "" {
		if rel, err := filepath.Rel(dir, pos.Filename); err == nil && len(rel) < len(pos.Filename) {
			pos.Filename = rel
		}
	}
	var b strings.Builder
	if pos.IsValid() {
		b.WriteString(pos.String())
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	if d.Fix != "" {
		b.WriteString("\n\tfix: ")
		b.WriteString(d.Fix)
	}
	return b.String()
}

// diags collects the diagnostics of one run.
type diags struct {
	fset *token.FileSet
	list []diag
}

// add records a diagnostic at pos; fix says how to resolve it.
func (ds *diags) add(pos token.Pos, fix, format string, args ...any) {
	ds.list = append(ds.list, diag{Pos: ds.fset.Position(pos), Msg: fmt.Sprintf(format, args...), Fix: fix})
}

// sorted returns the diagnostics ordered by file and line, without
// duplicates (a nested struct reached from two variants is reported once).
func (ds *diags) sorted() []diag {
	out := slices.Clone(ds.list)
	slices.SortStableFunc(out, func(a, b diag) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.Compact(out)
}

// errRefused is returned when the input has diagnostics; they carry the
// details.
type errRefused struct{ diags []diag }

func (e *errRefused) Error() string {
	return fmt.Sprintf("memberlist-gen: %d problem(s) in the input", len(e.diags))
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
