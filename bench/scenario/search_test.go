package scenario

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// healthyUpTo is a probe that is healthy up to limit members.
func healthyUpTo(limit int, tried *[]int) func(context.Context, int) (Result, error) {
	return func(_ context.Context, n int) (Result, error) {
		*tried = append(*tried, n)
		r := Result{N: n, Converged: true}
		if n > limit {
			r.WindowFalseFailures = 1
		}
		return r, nil
	}
}

func TestFindLargest(t *testing.T) {
	for _, c := range []struct {
		name         string
		start, limit int
		precision    float64
		healthyUpTo  int
		largest, bad int
		tried        []int
	}{
		{"doubles then bisects", 64, 8192, 0.25, 100, 96, 112, []int{64, 128, 96, 112}},
		{"bisects to one member", 64, 8192, 0, 100, 100, 101, []int{64, 128, 96, 112, 104, 100, 102, 101}},
		{"halves when the start is too big", 64, 8192, 0.25, 20, 20, 24, []int{64, 32, 16, 24, 20}},
		{"stops at the limit", 64, 200, 0.25, 1000, 200, 0, []int{64, 128, 200}},
		{"nothing healthy", 4, 8192, 0.25, 0, 0, 2, []int{4, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tried []int
			s := Search{Start: c.start, Limit: c.limit, Precision: c.precision, Deadline: time.Now().Add(time.Hour)}
			got := FindLargest(context.Background(), s, healthyUpTo(c.healthyUpTo, &tried))
			assert.Equal(t, c.largest, got.Largest, "largest")
			assert.Equal(t, c.bad, got.SmallestUnhealthy, "smallest unhealthy")
			assert.False(t, got.Capped, "capped")
			assert.Equal(t, c.tried, tried, "tried")
			assert.Len(t, got.Probes, len(tried), "probes recorded; want one per run")
		})
	}
}

// No trial starts that would end after the deadline.
func TestFindLargestDeadline(t *testing.T) {
	var tried []int
	s := Search{
		Start: 64, Limit: 8192, Precision: 0.25,
		Deadline: time.Now().Add(time.Minute),
		Cost:     func(n int) time.Duration { return time.Duration(n) * 100 * time.Millisecond },
	}
	got := FindLargest(context.Background(), s, healthyUpTo(10000, &tried))
	// 64 and 128 fit in a minute (6.4 s, 12.8 s, ...); 1024 (102 s) does not.
	assert.True(t, got.Capped, "capped")
	assert.Equal(t, 512, got.Largest, "largest")
	assert.Equal(t, []int{64, 128, 256, 512}, tried, "tried")
}

// A probe that fails to run counts as unhealthy and is recorded.
func TestFindLargestProbeError(t *testing.T) {
	s := Search{Start: 8, Limit: 64, Precision: 0.25, Deadline: time.Now().Add(time.Hour)}
	got := FindLargest(context.Background(), s, func(_ context.Context, n int) (Result, error) {
		if n > 16 {
			return Result{}, ErrStart
		}
		return Result{N: n, Converged: true}, nil
	})
	assert.Equal(t, 16, got.Largest, "largest")
	assert.Equal(t, 20, got.SmallestUnhealthy, "smallest unhealthy")
	require.Greater(t, len(got.Probes), 2, "probes")
	p := got.Probes[2]
	assert.Equal(t, 32, p.N, "third probe's N")
	assert.False(t, p.Healthy, "probe at 32: healthy")
	assert.NotEmpty(t, p.Err, "probe at 32: want an error")
}
