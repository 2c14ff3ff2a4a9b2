// Package msgpsize gives the number of bytes tinylib/msgp's Append
// functions write for a value: the shortest MessagePack form, which msgp
// always chooses. The protocol's hand-written encoders (runtime/swim's
// wire package) use it to fill a packet up to its budget without encoding
// twice, and the generator (cmd/memberlist-gen) to work out the largest
// encoding of a message type from its bounds; one copy keeps the two in
// step with msgp, which the tests hold it to at every size-class boundary.
package msgpsize

import "math"

// ArrayHeader is the size of an array header for n elements, as
// msgp.AppendArrayHeader writes it.
func ArrayHeader(n int) int {
	switch {
	case n <= 15:
		return 1
	case n <= math.MaxUint16:
		return 3
	default:
		return 5
	}
}

// MapHeader is the size of a map header for n pairs, as
// msgp.AppendMapHeader writes it: the same size classes as an array's.
func MapHeader(n int) int { return ArrayHeader(n) }

// StrHeader is the size of the header of an n-byte string.
func StrHeader(n int) int {
	switch {
	case n <= 31:
		return 1
	case n <= math.MaxUint8:
		return 2
	case n <= math.MaxUint16:
		return 3
	default:
		return 5
	}
}

// Str is the size of an n-byte string, header included, as
// msgp.AppendString writes it.
func Str(n int) int { return StrHeader(n) + n }

// BinHeader is the size of the header of n bytes of binary, as
// msgp.AppendBytesHeader writes it.
func BinHeader(n int) int {
	switch {
	case n <= math.MaxUint8:
		return 2
	case n <= math.MaxUint16:
		return 3
	default:
		return 5
	}
}

// Bin is the size of n bytes of binary, header included, as
// msgp.AppendBytes writes them.
func Bin(n int) int { return BinHeader(n) + n }

// Uint is the size of u as msgp.AppendUint64 writes it (and AppendUint8,
// 16 and 32, which write the same shortest form).
func Uint(u uint64) int {
	switch {
	case u <= 0x7f:
		return 1
	case u <= math.MaxUint8:
		return 2
	case u <= math.MaxUint16:
		return 3
	case u <= math.MaxUint32:
		return 5
	default:
		return 9
	}
}

// MaxNumber is the largest size of a number of the given bits (8, 16, 32
// or 64): a type byte and the value's bytes, which is what msgp writes for
// an integer too large for a shorter form, and always for a float.
func MaxNumber(bits int) int { return 1 + bits/8 }
