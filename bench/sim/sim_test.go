package sim

import (
	"testing"
	"time"
)

// A small cluster converges, spreads a late join, detects a crash and sees
// no false failure; the figures are in plausible ranges for the LAN preset.
func TestRun(t *testing.T) {
	r, err := Run(Options{N: 50, Seed: 1, Drain: 30 * time.Second, Steady: 30 * time.Second, Limit: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || !r.LateConverged || !r.Detected {
		t.Fatalf("converged %v, late join %v, detected %v", r.Converged, r.LateConverged, r.Detected)
	}
	if r.FalseFailures != 0 {
		t.Errorf("%d false failures", r.FalseFailures)
	}
	// The suspicion timeout alone is SuspicionMult·log10(50) ≈ 6.8 periods.
	if r.AllPeriods < 6 || r.AllPeriods > 60 || r.FirstPeriods > r.AllPeriods {
		t.Errorf("crash detection: first %.1f, all %.1f periods", r.FirstPeriods, r.AllPeriods)
	}
	// At least a ping and an ack per member and period, headers included.
	if r.BytesPerMemberPeriod < 2*28 {
		t.Errorf("steady traffic %.0f bytes/member/period", r.BytesPerMemberPeriod)
	}
	if r.VirtualSeconds < 60 {
		t.Errorf("covered %.0f virtual seconds, want at least drain + steady", r.VirtualSeconds)
	}
}

func TestRunRejectsTinyClusters(t *testing.T) {
	if _, err := Run(Options{N: 2, Limit: time.Minute}); err == nil {
		t.Error("N = 2: no error")
	}
}
