package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A duration counts in the bucket of the first bound at or above it and
// in every later one; one past the last bound counts in Count alone.
func TestHistogramBuckets(t *testing.T) {
	bounds := TimingBounds()
	for i := 1; i < TimingBuckets; i++ {
		assert.Less(t, bounds[i-1], bounds[i], "bounds ascend")
	}
	var h Histogram
	h.observe(0)
	h.observe(bounds[0])
	h.observe(bounds[0] + 1)
	h.observe(time.Second)
	h.observe(bounds[TimingBuckets-1] + 1)
	assert.Equal(t, uint64(5), h.Count)
	assert.Equal(t, 2*bounds[0]+1+time.Second+bounds[TimingBuckets-1]+1, h.Sum)
	assert.Equal(t, uint64(2), h.Buckets[0])
	assert.Equal(t, uint64(3), h.Buckets[1])
	assert.Equal(t, uint64(3), h.Buckets[11], "500ms")
	assert.Equal(t, uint64(4), h.Buckets[12], "1s")
	assert.Equal(t, uint64(4), h.Buckets[TimingBuckets-1])
	assert.Equal(t, h.Sum/5, h.Mean())
	assert.Zero(t, Histogram{}.Mean())
}

// The protocol core's round trips (Ready.RTTs) and, once it reports them,
// sync durations reach Stats through meters.observe, which flush calls.
func TestCoreTimingsReachStats(t *testing.T) {
	m := newMeters()
	m.observe(timingProbeRTT, 300*time.Microsecond)
	m.observe(timingProbeRTT, 2*time.Millisecond)
	m.observe(timingSync, 40*time.Millisecond)
	var s Stats
	m.fill(&s)
	assert.Equal(t, uint64(2), s.Timings.ProbeRTT.Count)
	assert.Equal(t, 2300*time.Microsecond, s.Timings.ProbeRTT.Sum)
	assert.Equal(t, uint64(0), s.Timings.ProbeRTT.Buckets[1], "250µs")
	assert.Equal(t, uint64(1), s.Timings.ProbeRTT.Buckets[2], "500µs")
	assert.Equal(t, uint64(1), s.Timings.Sync.Count)
	assert.Zero(t, s.Timings.Join.Count)
}

// The families table holds the program's registered families from the
// start and stops growing at maxFamilies.
func TestFamiliesBounded(t *testing.T) {
	m := newMeters()
	base := len(m.families)
	for id := range uint32(maxFamilies + 10) {
		m.sent(1<<31|id, false)
	}
	assert.Len(t, m.families, maxFamilies)
	assert.Equal(t, uint64(maxFamilies+10-(maxFamilies-base)), m.other.Sent)
	m.received(12345, false, false)
	var s Stats
	m.fill(&s)
	assert.Equal(t, uint64(1), s.OtherFamilies.Received)
}
