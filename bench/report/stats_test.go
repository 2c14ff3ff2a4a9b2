package report

import (
	"math"
	"testing"
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
		if got := spreadOf(c.in); got != c.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
	if got := spreadOf(nil); got.N != 0 || !math.IsNaN(got.Median) {
		t.Errorf("spreadOf(nil) = %+v, want N 0 and NaN", got)
	}
}

func TestFitLog(t *testing.T) {
	ns := []float64{100, 1000, 10000}
	log := []float64{5 + 2*2, 5 + 2*3, 5 + 2*4}
	f := fitLog(ns, log)
	if math.Abs(f.A-5) > 1e-9 || math.Abs(f.B-2) > 1e-9 || math.Abs(f.R2-1) > 1e-9 {
		t.Errorf("fit of 5 + 2·log10 N = %+v", f)
	}
	if f.Exponent > 0.2 {
		t.Errorf("logarithmic growth has power-law exponent %v, want near 0", f.Exponent)
	}
	lin := []float64{1, 10, 100}
	if f := fitLog(ns, lin); math.Abs(f.Exponent-1) > 1e-9 {
		t.Errorf("linear growth has exponent %v, want 1", f.Exponent)
	}
}
