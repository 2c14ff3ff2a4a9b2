package report

import (
	"math"
	"slices"
)

// Spread is a median with the smallest and largest values it was taken of.
type Spread struct {
	Median, Min, Max float64
	// N is how many values there were; 0 means none, and the others are NaN.
	N int
}

// spreadOf summarises xs, ignoring NaNs.
func spreadOf(xs []float64) Spread {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Spread{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Spread{Median: m, Min: v[0], Max: v[len(v)-1], N: len(v)}
}

// LogFit is y = A + B·log10(N), fitted by least squares.
type LogFit struct {
	A, B float64
	// R2 is the coefficient of determination.
	R2 float64
	// Exponent is p of the power law y = c·N^p fitted to the same points
	// (log-log least squares): about 0 for logarithmic growth, 1 for
	// linear.
	Exponent float64
}

// At is the fitted value at n.
func (f LogFit) At(n float64) float64 { return f.A + f.B*math.Log10(n) }

// fitLog fits y against log10(n) and log y against log n.
func fitLog(ns, ys []float64) LogFit {
	var f LogFit
	f.A, f.B, f.R2 = linearFit(mapf(ns, math.Log10), ys)
	_, f.Exponent, _ = linearFit(mapf(ns, math.Log), mapf(ys, math.Log))
	return f
}

func mapf(xs []float64, fn func(float64) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = fn(x)
	}
	return out
}

// linearFit returns a, b and R² of y = a + b·x by least squares.
func linearFit(xs, ys []float64) (a, b, r2 float64) {
	n := float64(len(xs))
	if n < 2 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	b = (n*sxy - sx*sy) / den
	a = (sy - b*sx) / n
	mean := sy / n
	var ssTot, ssRes float64
	for i := range xs {
		d := ys[i] - mean
		ssTot += d * d
		e := ys[i] - (a + b*xs[i])
		ssRes += e * e
	}
	r2 = 1
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return a, b, r2
}
