package main

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/memberlist-go/memberlist/internal/msgpsize"
	mlruntime "github.com/memberlist-go/memberlist/runtime"
)

// Sizes: the largest encoding of every type, and the budget check that
// refuses a variant that could outgrow a packet, or a stream message.

// budgets are the largest payloads the runtime carries: a datagram
// family's in one packet, a stream family's in one SendReliable.
type budgets struct{ datagram, stream int }

// runtimeBudgets are the budgets of the runtime this generator is built
// with, the ones its generated guards check against.
func runtimeBudgets() budgets {
	return budgets{datagram: mlruntime.MaxMessageSize, stream: mlruntime.MaxStreamMessageSize}
}

// computeSize fills in the largest encoding of tm and its parts.
func computeSize(tm *typeModel) int {
	switch tm.kind {
	case kBool:
		tm.size = 1
	case kInt, kUint, kFloat:
		tm.size = numberSize(tm.basic.Kind())
	case kString:
		tm.size = msgpsize.Str(tm.bound)
	case kBytes:
		tm.size = msgpsize.Bin(tm.bound)
	case kByteArray:
		tm.size = msgpsize.Bin(tm.length)
	case kArray:
		tm.size = addSize(msgpsize.ArrayHeader(tm.length), mulSize(tm.length, computeSize(tm.elem)))
	case kSlice:
		tm.size = addSize(msgpsize.ArrayHeader(tm.bound), mulSize(tm.bound, computeSize(tm.elem)))
	case kMap:
		tm.size = addSize(msgpsize.MapHeader(tm.bound), mulSize(tm.bound, addSize(computeSize(tm.key), computeSize(tm.elem))))
	case kStruct:
		tm.size = tm.st.size
	case kTime:
		tm.size = timeSize
	case kAddr:
		tm.size = addrSize
	case kAddrPort:
		tm.size = addrPortSize
	}
	return tm.size
}

// numberSize is the longest msgp encoding of a number of kind k. int and
// uint are written as 64-bit values on every platform.
func numberSize(k types.BasicKind) int {
	switch k {
	case types.Int8, types.Uint8:
		return msgpsize.MaxNumber(8)
	case types.Int16, types.Uint16:
		return msgpsize.MaxNumber(16)
	case types.Int32, types.Uint32, types.Float32:
		return msgpsize.MaxNumber(32)
	}
	return msgpsize.MaxNumber(64)
}

// sizeFamily computes a family's largest encoding and refuses variants
// that could outgrow the budget, naming the field to bound.
func (a *analyzer) sizeFamily(f *family) {
	budget, budgetName := a.budgets.datagram, "runtime.MaxMessageSize"
	if f.stream {
		budget, budgetName = a.budgets.stream, "runtime.MaxStreamMessageSize"
	}
	for _, v := range f.variants {
		if f.largest == nil || v.size() > f.maxSize {
			f.maxSize, f.largest = v.size(), v
		}
		if v.size() <= budget {
			continue
		}
		path, fm := largestField(v.st)
		fix := fmt.Sprintf("lower the bounds of %s so that %s fits, or send less in one message", v.st.name, v.st.name)
		if fm != nil {
			fix = fmt.Sprintf("bound %s more tightly (it takes up to %d bytes%s), or send less in one message", path, fm.t.size, boundNote(fm.t))
		}
		a.ds.add(v.st.obj.Pos(), fix,
			"%s (tag %d of %s) encodes to up to %d bytes, %d over the budget of %s = %d bytes",
			v.st.name, v.tag, f.name, v.size(), v.size()-budget, budgetName, budget)
	}
}

// largestField finds the field that contributes most to st's size,
// descending into nested structs, and returns its path ("Note.Inner.Text").
func largestField(st *structModel) (string, *fieldModel) {
	var best *fieldModel
	for _, fm := range st.fields {
		if best == nil || fm.t.size > best.t.size {
			best = fm
		}
	}
	if best == nil {
		return "", nil
	}
	if best.t.kind == kStruct {
		if p, fm := largestField(best.t.st); fm != nil {
			return st.name + "." + best.name + "." + strings.TrimPrefix(p, best.t.st.name+"."), fm
		}
	}
	return st.name + "." + best.name, best
}

// boundNote describes the bounds behind a field's size, for messages.
func boundNote(tm *typeModel) string {
	var parts []string
	if tm.bound > 0 {
		parts = append(parts, fmt.Sprintf("%s=%d", tm.boundName, tm.bound))
	}
	if tm.key != nil && tm.key.bound > 0 {
		parts = append(parts, fmt.Sprintf("key=%d", tm.key.bound))
	}
	if tm.elem != nil && tm.elem.bound > 0 {
		parts = append(parts, fmt.Sprintf("elem=%d", tm.elem.bound))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ",")
}

// Encoded sizes of fixed-size values: msgp.AppendTimeExt's longest form, and
// a bin header with the bytes of netip's binary encodings (16 address bytes,
// and 2 port bytes more).
const (
	timeSize     = 15
	addrSize     = 2 + 16
	addrPortSize = 2 + 16 + 2
)

// sizeCap keeps size arithmetic far from overflow; anything near it is far
// over any budget anyway.
const sizeCap = 1 << 40

func addSize(a, b int) int { return min(a+b, sizeCap) }

func mulSize(n, each int) int {
	if n != 0 && each > sizeCap/n {
		return sizeCap
	}
	return min(n*each, sizeCap)
}
