package report

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Spread
	}{
		{[]float64{3, 1, 2}, Spread{Median: 2, Min: 1, Max: 3, N: 3}},
		{[]float64{4, 1, 2, 3}, Spread{Median: 2.5, Min: 1, Max: 4, N: 4}},
		{[]float64{math.NaN(), 5}, Spread{Median: 5, Min: 5, Max: 5, N: 1}},
	} {
		assert.Equal(t, c.want, spreadOf(c.in), "spreadOf(%v)", c.in)
	}
	got := spreadOf(nil)
	assert.Zero(t, got.N, "spreadOf(nil).N")
	assert.True(t, math.IsNaN(got.Median), "spreadOf(nil).Median = %v, want NaN", got.Median)
}

func TestFitLog(t *testing.T) {
	ns := []float64{100, 1000, 10000}
	log := []float64{5 + 2*2, 5 + 2*3, 5 + 2*4}
	f := fitLog(ns, log)
	assert.InDelta(t, 5, f.A, 1e-9, "fit of 5 + 2·log10 N: A")
	assert.InDelta(t, 2, f.B, 1e-9, "fit of 5 + 2·log10 N: B")
	assert.InDelta(t, 1, f.R2, 1e-9, "fit of 5 + 2·log10 N: R²")
	assert.LessOrEqual(t, f.Exponent, 0.2, "logarithmic growth's power-law exponent; want near 0")
	lin := []float64{1, 10, 100}
	assert.InDelta(t, 1, fitLog(ns, lin).Exponent, 1e-9, "linear growth's exponent")
}
