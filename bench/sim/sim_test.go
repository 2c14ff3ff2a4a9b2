package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A small cluster converges, spreads a late join, detects a crash and sees
// no false failure; the figures are in plausible ranges for the LAN preset.
func TestRun(t *testing.T) {
	r, err := Run(Options{N: 50, Seed: 1, Drain: 30 * time.Second, Steady: 30 * time.Second, Limit: 5 * time.Minute})
	require.NoError(t, err)
	require.True(t, r.Converged, "converged")
	require.True(t, r.LateConverged, "late join converged")
	require.True(t, r.Detected, "crash detected")
	assert.Zero(t, r.FalseFailures, "false failures")
	// The suspicion timeout alone is SuspicionMult·log10(50) ≈ 6.8 periods.
	assert.GreaterOrEqual(t, r.AllPeriods, 6.0, "crash detection: periods until all knew")
	assert.LessOrEqual(t, r.AllPeriods, 60.0, "crash detection: periods until all knew")
	assert.LessOrEqual(t, r.FirstPeriods, r.AllPeriods, "crash detection: the first knew before all")
	// At least a ping and an ack per member and period, headers included.
	assert.GreaterOrEqual(t, r.BytesPerMemberPeriod, 2.0*28, "steady traffic, bytes/member/period")
	assert.GreaterOrEqual(t, r.VirtualSeconds, 60.0, "virtual seconds covered; want at least drain + steady")
}

func TestRunRejectsTinyClusters(t *testing.T) {
	_, err := Run(Options{N: 2, Limit: time.Minute})
	require.Error(t, err, "N = 2")
}
