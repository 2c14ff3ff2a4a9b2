package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSizes(t *testing.T) {
	ns, err := parseSizes("1000, 3000")
	require.NoError(t, err)
	assert.Equal(t, []int{1000, 3000}, ns)
	_, err = parseSizes("1000,x")
	assert.Error(t, err)
	_, err = parseSizes("2")
	assert.Error(t, err, "a cluster of 2 is below the simulation's least")
}

// -sim-ns replaces the sizes and lifts the allowance; -sim-seeds the
// seeds; an empty override leaves the plan alone.
func TestSimOverride(t *testing.T) {
	p := fullPlan()
	simOverride{}.apply(&p)
	assert.Equal(t, fullPlan().simNs, p.simNs)
	assert.Equal(t, 3, p.simSeeds(100))
	assert.NotZero(t, p.simAllowance)

	simOverride{ns: []int{1000, 3000}, seeds: 2}.apply(&p)
	assert.Equal(t, []int{1000, 3000}, p.simNs)
	assert.Zero(t, p.simAllowance)
	assert.Equal(t, 2, p.simSeeds(1000))
	assert.Equal(t, 2, p.simSeeds(3000))
}
