package swim

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/memberlist-go/memberlist/runtime/swim/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Half-precision floats keep what a coordinate needs: 0.1 % relative
// error from microseconds to seconds, clamping beyond.
func TestHalfFloats(t *testing.T) {
	for _, f := range []float64{0, 1e-4, 2.5e-4, 0.001, 0.0123, 0.2, 1.5, 3.7, -0.04, 60000} {
		got := fromHalf(toHalf(f))
		if f == 0 {
			assert.Zero(t, got)
			continue
		}
		assert.InDelta(t, 0, (got-f)/f, 0.001, "%g came back as %g", f, got)
	}
	assert.Equal(t, 65504.0, fromHalf(toHalf(1e9)), "large values clamp to the largest half")
	assert.InDelta(t, 1e-5, fromHalf(toHalf(1e-5)), 1e-7, "10 µs, a subnormal half, within 1 %")
}

// A coordinate from the network is checked before it can move ours.
func TestParseCoordRefusesGarbage(t *testing.T) {
	c := newCoordinate()
	c.Vec[3] = 0.012
	got, ok := parseCoord(appendCoord(nil, c))
	assert.True(t, ok)
	assert.InDelta(t, 0.012, got.Vec[3], 0.00002)
	_, ok = parseCoord(make([]byte, coordWireLen-1))
	assert.False(t, ok, "wrong length accepted")
	bad := appendCoord(nil, c)
	bad[0], bad[1] = 0x7c, 0x00 // +Inf in half precision
	_, ok = parseCoord(bad)
	assert.False(t, ok, "an infinite coordinate accepted")
	neg := newCoordinate()
	neg.Error = -1
	_, ok = parseCoord(appendCoord(nil, neg))
	assert.False(t, ok, "a negative error accepted")
	assert.False(t, math.IsNaN(c.DistanceTo(got).Seconds()))
}

// A member that moves to another address starts its round trips and
// coordinate afresh: what was measured belonged to the old address.
func TestAddressChangeForgetsMeasurements(t *testing.T) {
	c, now := testCore(t, 0)
	c.sample("z", 2*time.Millisecond, appendCoord(nil, newCoordinate()))
	require.Equal(t, 1, c.coordsHeld)
	_, ok := c.EstimateRTT("z")
	require.True(t, ok)

	moved := netip.MustParseAddrPort("10.0.0.77:1")
	c.advance(now)
	c.updateAlive(c.members["z"], &wire.Alive{Name: "z", Addr: moved, Incarnation: 2})
	require.Equal(t, moved, c.members["z"].Addr)
	assert.Zero(t, c.coordsHeld)
	_, ok = c.EstimateRTT("z")
	assert.False(t, ok, "an estimate from the old address")
}
