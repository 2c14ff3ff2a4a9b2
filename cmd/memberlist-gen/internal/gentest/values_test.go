package gentest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tinylib/msgp/msgp"

	"github.com/memberlist-go/memberlist/runtime"
)

// Values of message types, made by reflection from their struct tags, and
// an encoder written from the wire format's description, independent of
// the generator.

var (
	timeType     = reflect.TypeFor[time.Time]()
	addrType     = reflect.TypeFor[netip.Addr]()
	addrPortType = reflect.TypeFor[netip.AddrPort]()
	byteType     = reflect.TypeFor[byte]()
)

// bounds are a field's memberlist tag options; 0 is unset.
type bounds struct{ max, elem, key int }

func parseBounds(tag reflect.StructTag) bounds {
	var b bounds
	s, ok := tag.Lookup("memberlist")
	if !ok || s == "-" {
		return b
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, hasValue := strings.Cut(part, "=")
		if k == "key" && !hasValue {
			continue // the coalescing key, no bound
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("bad tag %q", s))
		}
		switch k {
		case "max":
			b.max = n
		case "elem":
			b.elem = n
		case "key":
			b.key = n
		}
	}
	return b
}

// special says which of the types with their own encoding t is: time.Time,
// netip.Addr, netip.AddrPort, or a named type over one of them.
func special(t reflect.Type) reflect.Type {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for _, s := range []reflect.Type{timeType, addrType, addrPortType} {
		if t.ConvertibleTo(s) {
			return s
		}
	}
	return nil
}

// fields lists the struct fields of t that are encoded: all but blank
// ones and those tagged memberlist:"-".
func fields(t reflect.Type) []int {
	var out []int
	for i := range t.NumField() {
		if f := t.Field(i); f.Name != "_" && f.Tag.Get("memberlist") != "-" {
			out = append(out, i)
		}
	}
	return out
}

// field returns field i of the addressable struct v, settable even when
// unexported: the messages are in other packages of this module.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// maker makes values of message types.
type maker struct {
	r *rand.Rand
	// worst makes the largest encoding: every bound full, every number
	// at its longest encoding, IPv6 addresses, times far from 1970.
	worst bool
	seq   int // makes worst-case map keys distinct
}

// make returns a value of type t within b.
func (m *maker) make(t reflect.Type, b bounds) reflect.Value {
	v := reflect.New(t).Elem()
	if s := special(t); s != nil {
		v.Set(m.special(s).Convert(t))
		return v
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(m.worst || m.r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		lo := int64(-1) << (bits - 1)
		switch {
		case m.worst: // longest encodings, distinct enough for map keys
			v.SetInt(lo + int64(m.seq%16))
			m.seq++
		case m.r.IntN(4) == 0:
			v.SetInt([]int64{0, -1, 1, 127, -32, -33, lo, -lo - 1}[m.r.IntN(8)])
		default:
			v.SetInt(int64(m.r.Uint64()) >> (64 - bits))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		hi := uint64(math.MaxUint64) >> (64 - t.Bits())
		switch {
		case m.worst:
			v.SetUint(hi - uint64(m.seq%16))
			m.seq++
		case m.r.IntN(4) == 0:
			v.SetUint([]uint64{0, 1, 127, 128, 255, 256, hi}[m.r.IntN(7)])
		default:
			v.SetUint(m.r.Uint64() >> (64 - t.Bits()))
		}
	case reflect.Float32, reflect.Float64:
		f := m.r.NormFloat64() * math.Pow(10, float64(m.r.IntN(20)-10))
		if t.Kind() == reflect.Float32 {
			f = float64(float32(f))
		}
		v.SetFloat(f)
	case reflect.String:
		v.SetString(string(m.bytes(m.length(b.max))))
	case reflect.Slice:
		n := m.length(b.max)
		if n == 0 {
			return v // nil: an empty slice decodes as nil
		}
		v.Set(reflect.MakeSlice(t, n, n))
		if t.Elem().Kind() == reflect.Uint8 && n > runtime.MaxMessageSize {
			// The bytes of a stream-sized field, made a million at a
			// time rather than one reflected value each.
			reflect.Copy(v, reflect.ValueOf(m.bytes(n)))
			return v
		}
		for i := range n {
			v.Index(i).Set(m.make(t.Elem(), bounds{max: b.elem}))
		}
	case reflect.Array:
		for i := range t.Len() {
			v.Index(i).Set(m.make(t.Elem(), bounds{max: b.elem}))
		}
	case reflect.Map:
		n := m.length(b.max)
		if n == 0 {
			return v
		}
		v.Set(reflect.MakeMapWithSize(t, n))
		for tries := 0; v.Len() < n && tries < 10*n; tries++ {
			v.SetMapIndex(m.make(t.Key(), bounds{max: b.key}), m.make(t.Elem(), bounds{max: b.elem}))
		}
	case reflect.Struct:
		for _, i := range fields(t) {
			field(v, i).Set(m.make(t.Field(i).Type, parseBounds(t.Field(i).Tag)))
		}
	default:
		panic("no values of " + t.String())
	}
	return v
}

// length picks a length up to bound: the bound itself when worst. A
// bound over a packet (a stream family's, of megabytes) is reached one
// time in 64 and is otherwise mostly a packet's size at most, so that the
// properties run as many trials over it without moving gigabytes.
func (m *maker) length(bound int) int {
	if m.worst {
		return bound
	}
	if bound > runtime.MaxMessageSize {
		switch m.r.IntN(64) {
		case 0:
			return bound
		case 1:
			return m.r.IntN(bound + 1)
		case 2:
			return 0
		}
		return m.r.IntN(runtime.MaxMessageSize + 1)
	}
	switch m.r.IntN(4) {
	case 0:
		return 0
	case 1:
		return bound
	}
	return m.r.IntN(bound + 1)
}

// bytes returns n random bytes; worst-case ones are distinct from each
// other (map keys) as long as n allows.
func (m *maker) bytes(n int) []byte {
	b := make([]byte, n)
	if n > runtime.MaxMessageSize {
		// A stream-sized field: eight bytes a draw, as megabytes of one
		// draw a byte would dominate the tests' time.
		for i := 0; i < n; i += 8 {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], m.r.Uint64())
			copy(b[i:], w[:])
		}
	} else {
		for i := range b {
			b[i] = byte(m.r.Uint32())
		}
	}
	if m.worst && n > 0 {
		copy(b, strconv.Itoa(m.seq))
		m.seq++
	}
	return b
}

func (m *maker) special(s reflect.Type) reflect.Value {
	addr := func() netip.Addr {
		var a16 [16]byte
		for i := range a16 {
			a16[i] = byte(m.r.Uint32())
		}
		if m.worst {
			return netip.AddrFrom16(a16)
		}
		switch m.r.IntN(4) {
		case 0:
			return netip.Addr{}
		case 1:
			return netip.AddrFrom4([4]byte(a16[:4]))
		case 2:
			return netip.AddrFrom16(netip.AddrFrom4([4]byte(a16[:4])).As16()) // IPv4-mapped IPv6
		}
		return netip.AddrFrom16(a16)
	}
	switch s {
	case timeType:
		if m.worst {
			return reflect.ValueOf(time.Unix(-1, 999_999_999).UTC()) // before 1970: the 96-bit form
		}
		if m.r.IntN(8) == 0 {
			return reflect.ValueOf(time.Time{})
		}
		return reflect.ValueOf(time.Unix(m.r.Int64N(1<<36)-1<<35, m.r.Int64N(1e9)).UTC())
	case addrType:
		return reflect.ValueOf(addr())
	}
	a := addr()
	if !a.IsValid() {
		return reflect.ValueOf(netip.AddrPort{})
	}
	return reflect.ValueOf(netip.AddrPortFrom(a, uint16(m.r.Uint32())))
}

// wireEncode encodes v as the generator documents it, written apart from
// the generator: a struct is a MessagePack array of its fields in
// declaration order; []byte and [N]byte are bin; time.Time is the
// timestamp extension; netip.Addr and AddrPort are bin of their
// MarshalBinary form; everything else is msgp's shortest form. It writes
// whatever v holds, bounds or not, to make inputs for the decoder.
func wireEncode(b []byte, v reflect.Value) []byte {
	t := v.Type()
	switch special(t) {
	case timeType:
		return msgp.AppendTimeExt(b, v.Convert(timeType).Interface().(time.Time))
	case addrType:
		bin, _ := v.Convert(addrType).Interface().(netip.Addr).MarshalBinary()
		return msgp.AppendBytes(b, bin)
	case addrPortType:
		bin, _ := v.Convert(addrPortType).Interface().(netip.AddrPort).MarshalBinary()
		return msgp.AppendBytes(b, bin)
	}
	switch t.Kind() {
	case reflect.Bool:
		return msgp.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return msgp.AppendInt64(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return msgp.AppendUint64(b, v.Uint())
	case reflect.Float32:
		return msgp.AppendFloat32(b, float32(v.Float()))
	case reflect.Float64:
		return msgp.AppendFloat64(b, v.Float())
	case reflect.String:
		return msgp.AppendString(b, v.String())
	case reflect.Slice, reflect.Array:
		if t.Elem() == byteType {
			bin := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(bin), v)
			return msgp.AppendBytes(b, bin)
		}
		b = msgp.AppendArrayHeader(b, uint32(v.Len()))
		for i := range v.Len() {
			b = wireEncode(b, v.Index(i))
		}
		return b
	case reflect.Map:
		b = msgp.AppendMapHeader(b, uint32(v.Len()))
		for it := v.MapRange(); it.Next(); {
			b = wireEncode(wireEncode(b, it.Key()), it.Value())
		}
		return b
	case reflect.Struct:
		a := reflect.New(t).Elem()
		a.Set(v)
		fs := fields(t)
		b = msgp.AppendArrayHeader(b, uint32(len(fs)))
		for _, i := range fs {
			b = wireEncode(b, field(a, i))
		}
		return b
	}
	panic("cannot encode " + t.String())
}
