package msgpsize

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tinylib/msgp/msgp"
)

// lengths are the lengths on both sides of every msgp size-class boundary.
var lengths = []int{0, 1, 15, 16, 31, 32, 255, 256, math.MaxUint16, math.MaxUint16 + 1}

func TestHeaders(t *testing.T) {
	for _, n := range append(lengths, math.MaxUint32) {
		assert.Equal(t, len(msgp.AppendArrayHeader(nil, uint32(n))), ArrayHeader(n), "ArrayHeader(%d)", n)
		assert.Equal(t, len(msgp.AppendMapHeader(nil, uint32(n))), MapHeader(n), "MapHeader(%d)", n)
		assert.Equal(t, len(msgp.AppendBytesHeader(nil, uint32(n))), BinHeader(n), "BinHeader(%d)", n)
	}
}

func TestStrAndBin(t *testing.T) {
	for _, n := range lengths {
		s := strings.Repeat("x", n)
		assert.Equal(t, len(msgp.AppendString(nil, s)), Str(n), "Str(%d)", n)
		assert.Equal(t, Str(n)-n, StrHeader(n), "StrHeader(%d)", n)
		assert.Equal(t, len(msgp.AppendBytes(nil, []byte(s))), Bin(n), "Bin(%d)", n)
	}
}

func TestUint(t *testing.T) {
	for _, u := range []uint64{0, 1, 0x7f, 0x80, math.MaxUint8, math.MaxUint8 + 1, math.MaxUint16, math.MaxUint16 + 1,
		math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		assert.Equal(t, len(msgp.AppendUint64(nil, u)), Uint(u), "Uint(%d)", u)
		if u <= math.MaxUint32 {
			assert.Equal(t, len(msgp.AppendUint32(nil, uint32(u))), Uint(u), "Uint(%d) as uint32", u)
		}
	}
}

// MaxNumber is the size of the largest value of each width, signed or
// not, and of every float.
func TestMaxNumber(t *testing.T) {
	assert.Equal(t, len(msgp.AppendUint8(nil, math.MaxUint8)), MaxNumber(8))
	assert.Equal(t, len(msgp.AppendInt8(nil, math.MinInt8)), MaxNumber(8))
	assert.Equal(t, len(msgp.AppendUint16(nil, math.MaxUint16)), MaxNumber(16))
	assert.Equal(t, len(msgp.AppendInt16(nil, math.MinInt16)), MaxNumber(16))
	assert.Equal(t, len(msgp.AppendUint32(nil, math.MaxUint32)), MaxNumber(32))
	assert.Equal(t, len(msgp.AppendInt32(nil, math.MinInt32)), MaxNumber(32))
	assert.Equal(t, len(msgp.AppendFloat32(nil, 0)), MaxNumber(32))
	assert.Equal(t, len(msgp.AppendUint64(nil, math.MaxUint64)), MaxNumber(64))
	assert.Equal(t, len(msgp.AppendInt64(nil, math.MinInt64)), MaxNumber(64))
	assert.Equal(t, len(msgp.AppendFloat64(nil, 0)), MaxNumber(64))
}
