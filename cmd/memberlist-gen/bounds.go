package main

import (
	"fmt"
	"go/token"
	"go/types"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Bounds: the options of a field's memberlist tag, and how they bound
// its type.

// maxBound is the largest bound a tag may set; far above any budget, it
// keeps sizes from overflowing.
const maxBound = 1 << 24

// tagOpts are the options of a field's `memberlist:"..."` tag.
type tagOpts struct {
	max, elem, key int  // 0: not given
	skip           bool // memberlist:"-": the field is not sent
}

// String writes the options back in tag syntax, for suggestions.
func (o tagOpts) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		v    int
	}{{"max", o.max}, {"elem", o.elem}, {"key", o.key}} {
		switch {
		case p.v > 0:
			parts = append(parts, fmt.Sprintf("%s=%d", p.name, p.v))
		case p.v < 0:
			parts = append(parts, p.name+"=N")
		}
	}
	return "`memberlist:\"" + strings.Join(parts, ",") + "\"`"
}

// parseTag reads the memberlist options of a struct tag.
func (a *analyzer) parseTag(sm *structModel, v *types.Var, tag string) (tagOpts, bool) {
	var o tagOpts
	s, ok := reflect.StructTag(tag).Lookup("memberlist")
	if !ok {
		return o, true
	}
	if s == "-" {
		return tagOpts{skip: true}, true
	}
	for part := range strings.SplitSeq(s, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		var dst *int
		if k == "" || k == "-" {
			fix, msg := "remove the extra comma", "an empty option (a comma too many)"
			if k == "-" {
				fix, msg = "write `memberlist:\"-\"` alone to leave the field out, or remove the -", "- with other options (- leaves the field out, so nothing is left to bound)"
			}
			a.ds.add(v.Pos(), fix, "field %s.%s: %s in its memberlist tag %q", sm.name, v.Name(), msg, s)
			return o, false
		}
		switch k {
		case "max":
			dst = &o.max
		case "elem":
			dst = &o.elem
		case "key":
			dst = &o.key
		default:
			a.ds.add(v.Pos(), "the options are max=N, elem=N and key=N, comma-separated, e.g. `memberlist:\"max=4,elem=16\"`, or - alone to leave the field out",
				"field %s.%s: unknown option %q in its memberlist tag", sm.name, v.Name(), part)
			return o, false
		}
		n, err := parseDecimal(val)
		if err == nil && (n < 1 || n > maxBound) {
			err = fmt.Errorf("%s is out of range 1..%d", val, maxBound)
		}
		if err == nil && *dst != 0 {
			err = fmt.Errorf("%s= is given twice", k)
		}
		if err != nil {
			a.ds.add(v.Pos(), fmt.Sprintf("write %s=N once, with N a decimal number in 1..%d", k, maxBound),
				"field %s.%s: bad %s in its memberlist tag: %q: %v", sm.name, v.Name(), k, part, err)
			return o, false
		}
		*dst = n
	}
	return o, true
}

// parseDecimal reads a number written in plain decimal digits: no sign,
// no leading zero (008 would read as octal elsewhere in Go), no 0x, _ or
// spaces. Tags, bounds and ids take it. A number too large for an int
// reads as math.MaxInt, out of every range.
func parseDecimal(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return math.MaxInt, nil
	}
	return n, nil
}

// fieldDesc is what messages about a field's bounds need.
type fieldDesc struct {
	pos   token.Pos
	where string // "Note.Text"
	typ   string
	opts  tagOpts
}

// bound applies the field's tag options to its type model: max= to the
// field itself, elem= to the elements or map values, key= to map keys.
func (a *analyzer) bound(fd fieldDesc, tm *typeModel) bool {
	o := fd.opts
	switch tm.kind {
	case kString, kBytes:
		if o.elem != 0 || o.key != 0 {
			return a.notFor(fd, firstOpt(tagOpts{elem: o.elem, key: o.key}), "max= bounds the length of a string or []byte")
		}
		if o.max == 0 {
			return a.unbounded(fd, "", "max", "the longest length in bytes")
		}
		tm.bound, tm.boundName = o.max, "max"
		return true
	case kSlice, kMap:
		if o.max == 0 {
			return a.unbounded(fd, "", "max", "the most elements")
		}
		tm.bound, tm.boundName = o.max, "max"
	case kArray:
		if o.max != 0 {
			return a.notFor(fd, "max", fmt.Sprintf("an array always has %d elements", tm.length))
		}
	default:
		if o != (tagOpts{}) {
			return a.notFor(fd, firstOpt(o), fd.typ+" has a fixed largest size")
		}
		return true
	}
	if tm.kind == kMap {
		if !a.element(fd, tm.key, o.key, "key", "map key") {
			return false
		}
	} else if o.key != 0 {
		return a.notFor(fd, "key", "key= bounds the string keys of a map")
	}
	what := "element"
	if tm.kind == kMap {
		what = "map value"
	}
	return a.element(fd, tm.elem, o.elem, "elem", what)
}

// element applies the bound of a container's elements (elem=) or keys
// (key=): strings and []byte need one, fixed-size types take none, and
// nested variable-length containers cannot be bounded from a tag.
func (a *analyzer) element(fd fieldDesc, tm *typeModel, bound int, opt, what string) bool {
	switch {
	case tm.kind == kString || tm.kind == kBytes:
		if bound == 0 {
			return a.unbounded(fd, "its "+what+"s have no length bound", opt, "the longest "+what+" in bytes")
		}
		tm.bound, tm.boundName = bound, opt
		return true
	case !selfBounded(tm):
		a.ds.add(fd.pos, "a tag bounds one level: make the "+what+" a named struct type with bounded fields",
			"field %s (%s) is unbounded: its %ss vary in length and a tag cannot bound them", fd.where, fd.typ, what)
		return false
	case bound != 0:
		return a.notFor(fd, opt, opt+"= bounds string or []byte "+what+"s")
	}
	return true
}

// unbounded reports a field (or its elements, as why says) without the
// bound opt, suggesting the full tag.
func (a *analyzer) unbounded(fd fieldDesc, why, opt, n string) bool {
	s := fd.opts
	switch opt {
	case "max":
		s.max = -1
	case "elem":
		s.elem = -1
	case "key":
		s.key = -1
	}
	if why == "" {
		why = "its length has no bound"
	}
	a.ds.add(fd.pos, fmt.Sprintf("bound it in its tag: %s, with N %s", s, n),
		"field %s (%s) is unbounded: %s, so no message can be proven to fit in a packet", fd.where, fd.typ, why)
	return false
}

// notFor reports a tag option that does not apply to the field's type.
func (a *analyzer) notFor(fd fieldDesc, opt, why string) bool {
	a.ds.add(fd.pos, "remove "+opt+"= from the tag: "+why,
		"field %s: option %s= does not apply to %s", fd.where, opt, fd.typ)
	return false
}

func firstOpt(o tagOpts) string {
	switch {
	case o.max != 0:
		return "max"
	case o.elem != 0:
		return "elem"
	}
	return "key"
}

// selfBounded reports whether values of tm have a largest size without
// any bound from a tag.
func selfBounded(tm *typeModel) bool {
	switch tm.kind {
	case kString, kBytes, kSlice, kMap:
		return false
	case kArray:
		return selfBounded(tm.elem)
	}
	return true
}
