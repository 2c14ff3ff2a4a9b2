package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/memberlist-go/memberlist/bench/scenario"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The plots' file names under docs/img.
const (
	PlotCrash          = "crash_detection.png"
	PlotSteadyBytes    = "steady_bytes.png"
	PlotFalseFailures  = "false_failures.png"
	PlotSimScaling     = "sim_scaling.png"
	plotWidth          = 8 * vg.Inch
	plotHeight         = 5 * vg.Inch
	plotDPI            = 120
	collapsedGlyphSize = 6
)

var (
	colorOurs   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorTheirs = color.RGBA{R: 0xd6, G: 0x5f, B: 0x0e, A: 0xff}
	colorExtra  = []color.Color{
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	}
)

func implColor(impl string) color.Color {
	if impl == Ours {
		return colorOurs
	}
	return colorTheirs
}

// WritePlots draws every plot of d into dir and returns their file names.
func WritePlots(d *Data, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var written []string
	for _, pl := range []struct {
		name string
		make func(*Data) (*plot.Plot, error)
	}{
		{PlotCrash, crashPlot},
		{PlotSteadyBytes, steadyBytesPlot},
		{PlotFalseFailures, falseFailuresPlot},
		{PlotSimScaling, simPlot},
	} {
		p, err := pl.make(d)
		if err != nil {
			return written, fmt.Errorf("report: %s: %w", pl.name, err)
		}
		if p == nil {
			continue
		}
		if err := save(p, filepath.Join(dir, pl.name)); err != nil {
			return written, err
		}
		written = append(written, pl.name)
	}
	return written, nil
}

func save(p *plot.Plot, path string) error {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))}
	p.Draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	return f.Close()
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// nTicks labels a log N axis at the given values.
func nTicks(ns []float64) plot.Ticker {
	var ts []plot.Tick
	for _, n := range ns {
		ts = append(ts, plot.Tick{Value: n, Label: strconv.FormatFloat(n, 'f', -1, 64)})
	}
	return plot.ConstantTicks(ts)
}

// logTicks labels a log axis at 1, 2 and 5 times the powers of ten.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	return ts
}

func line(p *plot.Plot, label string, xys plotter.XYs, c color.Color, glyph draw.GlyphDrawer, dashed bool) error {
	if len(xys) == 0 {
		return nil
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.8)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	pts.Color = c
	pts.Shape = glyph
	pts.Radius = vg.Points(3.5)
	p.Add(l, pts)
	if label != "" {
		p.Legend.Add(label, l, pts)
	}
	return nil
}

// crashPlot shows, for S1 to S3, every crash's detection by all for both
// implementations: a dot per crash, a bar from the fastest to the
// slowest, a cross at the median.
func crashPlot(d *Data) (*plot.Plot, error) {
	if len(d.Scenarios) == 0 {
		return nil, nil
	}
	p := newPlot("Crash detection by all members (every crash; × = median)", "", "seconds from crash until every member declared it failed")
	var ticks []plot.Tick
	for i, sc := range d.Scenarios {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: fmt.Sprintf("%s N=%d, %v probes", sc.ID, sc.Spec.N, sc.Spec.Settings.ProbeInterval)})
		for j, impl := range []string{Ours, Theirs} {
			x := float64(i) + []float64{-0.15, 0.15}[j]
			var all []float64
			for _, r := range sc.Runs[impl] {
				for _, c := range r.Crashes {
					all = append(all, c.All)
				}
			}
			if len(all) == 0 {
				continue
			}
			s := spreadOf(all)
			dots := make(plotter.XYs, len(all))
			for k, y := range all {
				dots[k] = plotter.XY{X: x + 0.06*(float64(k%3)-1), Y: y}
			}
			sc, err := plotter.NewScatter(dots)
			if err != nil {
				return nil, err
			}
			sc.Color = implColor(impl)
			sc.Shape = draw.RingGlyph{}
			sc.Radius = vg.Points(3)
			bar, err := plotter.NewLine(plotter.XYs{{X: x, Y: s.Min}, {X: x, Y: s.Max}})
			if err != nil {
				return nil, err
			}
			bar.Color = implColor(impl)
			bar.Width = vg.Points(2)
			med, err := plotter.NewScatter(plotter.XYs{{X: x, Y: s.Median}})
			if err != nil {
				return nil, err
			}
			med.Color = implColor(impl)
			med.Shape = draw.CrossGlyph{}
			med.Radius = vg.Points(7)
			p.Add(bar, sc, med)
			if i == 0 {
				p.Legend.Add(impl, sc)
			}
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(len(d.Scenarios))-0.5
	p.Y.Min = 0
	p.Y.Max *= 1.15 // room for the legend
	return p, nil
}

// sweepPlot draws one figure of the trials against N for both
// implementations: a line through the median of the healthy trials, and a
// square for every trial that collapsed (did not converge, or saw false
// failures) but ran its window.
func sweepPlot(d *Data, title, ylabel string, logY bool, fig func(scenario.Result) float64) (*plot.Plot, error) {
	p := newPlot(title, "members (N), all in one process on 2 cores, 200 ms probes", ylabel)
	p.X.Scale = plot.LogScale{}
	var ns []float64
	for _, n := range d.SweepNs {
		ns = append(ns, float64(n))
	}
	p.X.Tick.Marker = nTicks(ns)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	drawn := false
	lo, hi := math.Inf(1), math.Inf(-1)
	// The incumbent first, so that ours is drawn on top where they meet.
	for _, impl := range []string{Theirs, Ours} {
		var xys, collapsed plotter.XYs
		for _, pt := range Sweep(d, impl) {
			x := float64(pt.N)
			if len(pt.Healthy) > 0 {
				y := spreadOf(field(pt.Healthy, fig)).Median
				if !logY || y > 0 {
					xys = append(xys, plotter.XY{X: x, Y: y})
					lo, hi = math.Min(lo, y), math.Max(hi, y)
				}
			}
			for _, r := range pt.Collapsed {
				if y := fig(r); !logY || y > 0 {
					collapsed = append(collapsed, plotter.XY{X: x, Y: y})
					lo, hi = math.Min(lo, y), math.Max(hi, y)
				}
			}
		}
		if err := line(p, impl, xys, implColor(impl), draw.CircleGlyph{}, false); err != nil {
			return nil, err
		}
		drawn = drawn || len(xys) > 0 || len(collapsed) > 0
		if len(collapsed) > 0 {
			s, err := plotter.NewScatter(collapsed)
			if err != nil {
				return nil, err
			}
			s.Color = implColor(impl)
			s.Shape = draw.BoxGlyph{}
			s.Radius = vg.Points(collapsedGlyphSize)
			p.Add(s)
			p.Legend.Add(impl+": a trial that collapsed", s)
		}
	}
	if !drawn {
		return nil, nil
	}
	if len(ns) > 0 {
		p.X.Min, p.X.Max = ns[0]*0.9, ns[len(ns)-1]*1.1
	}
	// Headroom above the data for the legend.
	if logY {
		p.Y.Min, p.Y.Max = lo/1.5, hi*4
	} else {
		p.Y.Min, p.Y.Max = 0, math.Max(hi*1.35, 1)
	}
	return p, nil
}

func steadyBytesPlot(d *Data) (*plot.Plot, error) {
	return sweepPlot(d, "Steady traffic per member (each line stops where its cluster collapsed)",
		"bytes sent per member per second (log)", true, func(r scenario.Result) float64 { return r.BytesPerMemberSecond })
}

func falseFailuresPlot(d *Data) (*plot.Plot, error) {
	return sweepPlot(d, "False failures in the 10 s steady window",
		"declarations that a running member failed", false, func(r scenario.Result) float64 { return float64(r.FalseFailures) })
}

// simPlot shows S6: join convergence, one join's spread and crash
// detection in protocol periods against N, with each figure's fit to
// a + b·log10 N dashed.
func simPlot(d *Data) (*plot.Plot, error) {
	ps := SimPoints(d.Sim)
	if len(ps) == 0 {
		return nil, nil
	}
	p := newPlot("Simulated cluster (LAN preset, virtual time): dashed = fit a + b·log10 N", "members (N)", "protocol periods")
	p.X.Scale = plot.LogScale{}
	var ns []float64
	for _, pt := range ps {
		ns = append(ns, float64(pt.N))
	}
	p.X.Tick.Marker = nTicks(ns)
	figs := []struct {
		label string
		fig   func(SimPoint) Spread
		color color.Color
		glyph draw.GlyphDrawer
	}{
		{"join convergence (all join through one seed at once)", func(p SimPoint) Spread { return p.Join }, colorTheirs, draw.BoxGlyph{}},
		{"one more member's join, until all agree", func(p SimPoint) Spread { return p.Late }, colorExtra[0], draw.TriangleGlyph{}},
		{"crash detection, first", func(p SimPoint) Spread { return p.First }, colorExtra[1], draw.RingGlyph{}},
		{"crash detection, all", func(p SimPoint) Spread { return p.All }, colorOurs, draw.CircleGlyph{}},
	}
	hi := 0.0
	for _, f := range figs {
		var xys plotter.XYs
		for _, pt := range ps {
			if s := f.fig(pt); s.N > 0 {
				xys = append(xys, plotter.XY{X: float64(pt.N), Y: s.Median})
				hi = math.Max(hi, s.Median)
			}
		}
		if err := line(p, f.label, xys, f.color, f.glyph, false); err != nil {
			return nil, err
		}
		fit := SimFit(ps, f.fig)
		if math.IsNaN(fit.A) {
			continue
		}
		var ref plotter.XYs
		for k := 0; k <= 20; k++ {
			n := ns[0] * math.Pow(ns[len(ns)-1]/ns[0], float64(k)/20)
			ref = append(ref, plotter.XY{X: n, Y: fit.At(n)})
		}
		l, err := plotter.NewLine(ref)
		if err != nil {
			return nil, err
		}
		l.Color = f.color
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.Width = vg.Points(1)
		p.Add(l)
	}
	// The reference: growth in proportion to log N, through detection by
	// all at the smallest N. A curve steeper than it grows faster than
	// log N.
	if y0 := ps[0].All.Median; ps[0].All.N > 0 && y0 > 0 {
		var ref plotter.XYs
		for k := 0; k <= 20; k++ {
			n := ns[0] * math.Pow(ns[len(ns)-1]/ns[0], float64(k)/20)
			ref = append(ref, plotter.XY{X: n, Y: y0 * math.Log(n) / math.Log(ns[0])})
		}
		l, err := plotter.NewLine(ref)
		if err != nil {
			return nil, err
		}
		l.Color = color.Black
		l.Width = vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
		p.Add(l)
		p.Legend.Add("in proportion to log N (reference through crash detection, all)", l)
		hi = math.Max(hi, ref[len(ref)-1].Y)
	}
	p.X.Min, p.X.Max = ns[0]*0.85, ns[len(ns)-1]*1.15
	p.Y.Min, p.Y.Max = 0, hi*1.45
	return p, nil
}
