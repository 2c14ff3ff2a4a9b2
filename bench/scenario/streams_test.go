package scenario

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuantile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1, unsorted
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		assert.Equal(t, c.want, quantile(xs, c.q), "quantile(1..100, %v)", c.q)
	}
	assert.Equal(t, 3.0, quantile([]float64{3, 1, 2}, 0.99), "p99 of 3 samples: want the largest")
}

// A spec that measures nothing is refused before any member starts.
func TestStreamSpecsInvalid(t *testing.T) {
	_, err := RunReliable(context.Background(), nil, ReliableSpec{Size: 1 << 20})
	assert.Error(t, err, "RunReliable without messages: no error")
	_, err = RunPushPull(context.Background(), nil, PushPullSpec{N: 1, StateSize: 1, Interval: 1, Window: 1})
	assert.Error(t, err, "RunPushPull with one member: no error")
}
