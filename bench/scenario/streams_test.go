package scenario

import (
	"context"
	"testing"
)

func TestQuantile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1, unsorted
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := quantile(xs, c.q); got != c.want {
			t.Errorf("quantile(1..100, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := quantile([]float64{3, 1, 2}, 0.99); got != 3 {
		t.Errorf("p99 of 3 samples = %v, want the largest", got)
	}
}

// A spec that measures nothing is refused before any member starts.
func TestStreamSpecsInvalid(t *testing.T) {
	if _, err := RunReliable(context.Background(), nil, ReliableSpec{Size: 1 << 20}); err == nil {
		t.Error("RunReliable without messages: no error")
	}
	if _, err := RunPushPull(context.Background(), nil, PushPullSpec{N: 1, StateSize: 1, Interval: 1, Window: 1}); err == nil {
		t.Error("RunPushPull with one member: no error")
	}
}
