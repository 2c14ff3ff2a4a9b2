package swim

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Network coordinates (Vivaldi: Dabek, Cox, Kaashoek and Morris, SIGCOMM
// 2004, with the height vector, adjustment and gravity of Ledlie, Gardner
// and Seltzer, NSDI 2007, as hashicorp/serf's coordinate package applies
// them): every member places itself in a small Euclidean space so that the
// distance between two members' coordinates estimates their round-trip
// time. Each direct ack is a sample: its round trip, and the coordinate the
// pinged member last sent. A prober asks for the target's coordinate (the
// lowest bit of the ping's nonce) on one probe of that member in
// coordinateEvery, so coordinates cost about two bytes per member and
// protocol period (see Core.wantCoord for a member's first).
//
// The constants are serf's defaults; this is our own implementation, tested
// against the behaviour the papers publish (convergence on a fixed
// latency matrix), not serf's code, which depends on global go-metrics.

// CoordinateDims is the number of Euclidean dimensions of a coordinate.
const CoordinateDims = 8

const (
	vivaldiErrorMax   = 1.5
	vivaldiCE         = 0.25
	vivaldiCC         = 0.25
	adjustmentWindow  = 20
	heightMin         = 10e-6
	latencyFilterSize = 3
	gravityRho        = 150.0
	zeroThreshold     = 1e-6
	// coordinateEvery: a prober asks a member for its coordinate on one
	// probe of it in this many.
	coordinateEvery = 16
	// coordWarm: until it holds this many members' coordinates, a prober
	// asks for one at every probe of a member whose coordinate it lacks.
	// With 8, S3's window (128 members at 1 s probes, 2 s after they
	// converged) still fell in the warm-up: 6.5 bytes a member and second
	// of coordinates on acks, 8 % of its traffic (94 B/member/s on
	// loopback, 86.5 with 4). The estimates are as close with 4: on 128
	// members in two regions (5 and 40 ms apart), p90 relative error 0.41
	// and 0.40 at 30 s and 3 minutes after the join, against 0.59 and 0.51
	// with 8; on TestCoordinatesEstimateRoundTrips' 12 members after 10
	// minutes, over seeds 1 to 12, p90 0.076-0.156 against 0.051-0.176,
	// the worst estimate 0.15-0.35 against 0.11-0.32. With 3 or fewer,
	// that test's bound (25 %) failed at its seed (51). All
	// measured with shuffled probe rounds, before the probe schedule.
	coordWarm = 4
)

// Coordinate is a member's position in network-coordinate space; times are
// in seconds.
type Coordinate struct {
	Vec        [CoordinateDims]float64
	Error      float64
	Adjustment float64
	Height     float64
}

// newCoordinate is the origin, with the largest error.
func newCoordinate() Coordinate {
	return Coordinate{Error: vivaldiErrorMax, Height: heightMin}
}

// DistanceTo estimates the round-trip time between two coordinates.
func (c Coordinate) DistanceTo(o Coordinate) time.Duration {
	d := c.rawDistanceTo(o)
	if adj := d + c.Adjustment + o.Adjustment; adj > 0 {
		d = adj
	}
	return time.Duration(d * float64(time.Second))
}

func (c Coordinate) rawDistanceTo(o Coordinate) float64 {
	var sum float64
	for i := range c.Vec {
		d := c.Vec[i] - o.Vec[i]
		sum += d * d
	}
	return math.Sqrt(sum) + c.Height + o.Height
}

// applyForce moves c by force (seconds) away from o, or towards it when
// negative; rng picks a direction when the two coincide.
func (c Coordinate) applyForce(force float64, o Coordinate, rng *rand.Rand) Coordinate {
	var unit [CoordinateDims]float64
	var mag float64
	for i := range unit {
		unit[i] = c.Vec[i] - o.Vec[i]
		mag += unit[i] * unit[i]
	}
	mag = math.Sqrt(mag)
	if mag > zeroThreshold {
		for i := range unit {
			unit[i] /= mag
		}
	} else {
		var m float64
		for i := range unit {
			unit[i] = rng.Float64() - 0.5
			m += unit[i] * unit[i]
		}
		m = math.Sqrt(m)
		for i := range unit {
			unit[i] /= m
		}
		mag = 0
	}
	for i := range c.Vec {
		c.Vec[i] += unit[i] * force
	}
	if mag > zeroThreshold {
		c.Height = max((c.Height+o.Height)*force/mag+c.Height, heightMin)
	}
	return c
}

// vivaldi is one member's coordinate and the state that updates it.
type vivaldi struct {
	coord      Coordinate
	adjust     [adjustmentWindow]float64
	adjustNext int
}

// observe updates the coordinate with a round trip of s seconds (filtered,
// see measured) to a member whose coordinate is other.
func (v *vivaldi) observe(other Coordinate, s float64, rng *rand.Rand) {
	if !other.valid() {
		return
	}
	// Vivaldi's step, weighted by the relative confidence of the two.
	dist := v.coord.DistanceTo(other).Seconds()
	wrongness := math.Abs(dist-s) / s
	total := max(v.coord.Error+other.Error, zeroThreshold)
	weight := v.coord.Error / total
	v.coord.Error = min(vivaldiCE*weight*wrongness+v.coord.Error*(1-vivaldiCE*weight), vivaldiErrorMax)
	v.coord = v.coord.applyForce(vivaldiCC*weight*(s-dist), other, rng)
	// The adjustment term absorbs what the Euclidean space cannot.
	v.adjust[v.adjustNext] = s - v.coord.rawDistanceTo(other)
	v.adjustNext = (v.adjustNext + 1) % adjustmentWindow
	var sum float64
	for _, a := range v.adjust {
		sum += a
	}
	v.coord.Adjustment = sum / (2 * adjustmentWindow)
	// Gravity keeps the whole system from drifting away from the origin.
	origin := newCoordinate()
	g := v.coord.DistanceTo(origin).Seconds() / gravityRho
	v.coord = v.coord.applyForce(-g*g, origin, rng)
}

// measured is what probing one member has taught us: the coordinate it
// last sent, if any, and its last few round trips, whose median is used so
// that one delayed ack throws no estimate off. A member has one from its
// first direct ack on; the many members a large view holds that were never
// probed cost nothing.
type measured struct {
	coord    Coordinate
	hasCoord bool
	rtts     [latencyFilterSize]float64 // seconds, oldest overwritten first
	n, next  int
}

// add records a round trip of s seconds.
func (p *measured) add(s float64) {
	p.rtts[p.next] = max(s, zeroThreshold)
	p.next = (p.next + 1) % len(p.rtts)
	p.n = min(p.n+1, len(p.rtts))
}

// median is the median of the round trips held, in seconds; add must have
// been called.
func (p *measured) median() float64 {
	s := p.rtts
	held := s[:p.n]
	slices.Sort(held)
	return held[len(held)/2]
}

// valid reports whether a coordinate holds finite numbers in range: one
// from the network is checked before it can move ours.
func (c Coordinate) valid() bool {
	ok := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e3 }
	for _, f := range c.Vec {
		if !ok(f) {
			return false
		}
	}
	return ok(c.Error) && ok(c.Adjustment) && ok(c.Height) && c.Error >= 0 && c.Height >= 0
}

// coordWireLen is the size of a coordinate on the wire: eight dimensions,
// error, adjustment and height as IEEE 754 half-precision floats (11 bits
// of precision, 0.05 %: far finer than round trips vary).
const coordWireLen = 2 * (CoordinateDims + 3)

// appendCoord encodes c for an ack.
func appendCoord(b []byte, c Coordinate) []byte {
	for _, f := range c.Vec {
		b = binary.BigEndian.AppendUint16(b, toHalf(f))
	}
	b = binary.BigEndian.AppendUint16(b, toHalf(c.Error))
	b = binary.BigEndian.AppendUint16(b, toHalf(c.Adjustment))
	return binary.BigEndian.AppendUint16(b, toHalf(c.Height))
}

// parseCoord decodes a coordinate from an ack; ok is false for one of the
// wrong size or out of range.
func parseCoord(b []byte) (c Coordinate, ok bool) {
	if len(b) != coordWireLen {
		return c, false
	}
	get := func() float64 {
		f := fromHalf(binary.BigEndian.Uint16(b))
		b = b[2:]
		return f
	}
	for i := range c.Vec {
		c.Vec[i] = get()
	}
	c.Error, c.Adjustment, c.Height = get(), get(), get()
	return c, c.valid()
}

// toHalf converts f to IEEE 754 binary16, rounding towards zero, clamping
// to the largest finite half and flushing what is below the smallest
// subnormal to zero.
func toHalf(f float64) uint16 {
	bits := math.Float32bits(float32(f))
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127 + 15
	mant := bits & 0x7fffff
	switch {
	case bits&0x7fffffff == 0:
		return sign
	case exp >= 0x1f:
		return sign | 0x7bff
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		return sign | uint16(mant>>uint(14-exp))
	}
	return sign | uint16(exp)<<10 | uint16(mant>>13)
}

// fromHalf converts an IEEE 754 binary16 to a float64.
func fromHalf(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h >> 10 & 0x1f)
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * mant * math.Exp2(-24)
	case 0x1f:
		return math.NaN() // refused by valid
	}
	return sign * (1 + mant/1024) * math.Exp2(float64(exp-15))
}
