package experiments

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// fig9Figure draws Figure 9 over every seed: one panel per pipeline (rows)
// and bound (columns); per tuner, the mean over seeds of the best feasible
// latency measured so far (a step line) and the range over seeds (a band),
// from the search time by which every seed has measured a feasible
// configuration. It returns the PNG's name and the caption.
func fig9Figure(rows []Row, seen []string, figs *Figures) (string, string, error) {
	grid, leg, stageOnly, err := fig9Panels(rows, seen)
	if err != nil {
		return "", "", err
	}
	f, err := figs.SaveGrid("fig9", 10*vg.Centimeter, 8*vg.Centimeter, plots(grid), &leg)
	if err != nil {
		return "", "", err
	}
	nSeeds := len(seedsOf(filter(rows, func(r *Row) bool { return r.Metric == "best_feasible_ms" })))
	caption := fmt.Sprintf("Figure 9: the best latency a tuner has measured among the configurations it measured within the bound, against its search time; "+
		"one panel per pipeline and bound; the line is the mean over %s, the band the range over them, each drawn from the search time by which "+
		"every seed has measured a feasible configuration. Truth-feasible final answers over all pipelines, bounds and seeds: %s.",
		plural(nSeeds, "seed"), rateSummary(rows, seen))
	if len(stageOnly) > 0 {
		caption += fmt.Sprintf(" Not drawn: %s, whose best measured latency ends below half its final answer's true end-to-end latency: "+
			"its measurements time single stages, not the pipeline.", strings.Join(stageOnly, ", "))
	}
	return f, caption, nil
}

// fig9Panels builds fig9's panels (nil where nothing is drawn), the legend,
// and the tuners left out because they measured single stages.
func fig9Panels(rows []Row, seen []string) ([][]*panel, plot.Legend, []string, error) {
	leg := plot.NewLegend()
	inLegend := map[string]bool{}
	var stageOnly []string // tuners left out: their measurements are of single stages
	var grid [][]*panel
	for _, pipe := range allPipelines {
		var row []*panel
		for _, b := range fig9Bounds {
			p := newPanel(fmt.Sprintf("%s, +%.0f %%", pipe, b*100), "search time (s, log scale)", "best feasible latency measured (s)")
			n := 0
			for k, t := range seen {
				curve := meanCurve(filter(rows, func(r *Row) bool {
					return r.Pipeline == pipe && r.Bound == b && r.Tuner == t && r.Metric == "best_feasible_ms"
				}))
				if len(curve) == 0 {
					continue
				}
				band, err := stepBand(curve)
				if err != nil {
					return nil, leg, nil, err
				}
				r, g, bl, _ := colour(k).RGBA()
				band.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 60}
				band.LineStyle.Width = 0
				// A curve whose best is far below the tuner's final true
				// latency did not measure the whole pipeline (CharmSeeker
				// times each stage alone): it cannot share the axis.
				final := mean(values(filter(rows, func(r *Row) bool {
					return r.Pipeline == pipe && r.Bound == b && r.Tuner == t && r.Metric == "final_true_ms"
				})))
				if last := curve[len(curve)-1].mean; last < 0.5*final {
					if !containsS(stageOnly, t) {
						stageOnly = append(stageOnly, t)
					}
					continue
				}
				xy := make(plotter.XYs, len(curve))
				for i, c := range curve {
					xy[i] = plotter.XY{X: c.t, Y: c.mean / 1000}
				}
				l, pts, err := plotter.NewLinePoints(xy)
				if err != nil {
					return nil, leg, nil, err
				}
				l.Color, l.Width, l.StepStyle = colour(k), vg.Points(1.5), plotter.PostStep
				pts.Color, pts.Shape, pts.Radius = colour(k), glyphs[k%len(glyphs)], vg.Points(2.5)
				p.Add(band, l, pts)
				n++
				if !inLegend[t] {
					inLegend[t] = true
					leg.Add(legend(t), l, pts, band)
				}
			}
			if n == 0 {
				row = append(row, nil)
				continue
			}
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = fmtTicks{plot.LogTicks{Prec: -1}, func(v float64) string { return trimFloat(v, 1) }}
			p.Y.Tick.Marker = fmtTicks{plot.DefaultTicks{}, func(v float64) string { return trimFloat(v, 1) }}
			// Room above the slowest start and below the best answer, and
			// (log scale: by a factor) before the first and after the last
			// measurement, so that no point sits on an axis.
			padRange(p.Plot, 0, 0.06)
			p.X.Min, p.X.Max = p.X.Min/1.3, p.X.Max*1.3
			row = append(row, p)
		}
		grid = append(grid, row)
	}
	return grid, leg, stageOnly, nil
}

// curvePoint is the seeds' best feasible latency so far at one search time.
type curvePoint struct{ t, mean, lo, hi float64 }

// meanCurve puts the per-seed step functions (best feasible latency so far
// against search time) of one tuner on the union of their times and
// averages them where every seed has a value.
func meanCurve(rows []Row) []curvePoint {
	bySeed := map[int64][][2]float64{}
	var times []float64
	for _, r := range rows {
		if math.IsNaN(r.X) || r.X <= 0 || math.IsNaN(r.Value) {
			continue
		}
		bySeed[r.Seed] = append(bySeed[r.Seed], [2]float64{r.X, r.Value})
		times = append(times, r.X)
	}
	if len(bySeed) == 0 {
		return nil
	}
	for s := range bySeed {
		pts := bySeed[s]
		sort.SliceStable(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
	}
	sort.Float64s(times)
	var out []curvePoint
	for i, t := range times {
		if i > 0 && t == times[i-1] {
			continue
		}
		var vs []float64
		for _, pts := range bySeed {
			// The last value at or before t.
			k := sort.Search(len(pts), func(j int) bool { return pts[j][0] > t }) - 1
			if k < 0 {
				break
			}
			vs = append(vs, pts[k][1])
		}
		if len(vs) < len(bySeed) {
			continue
		}
		out = append(out, curvePoint{t: t, mean: mean(vs), lo: minOf(vs), hi: maxOf(vs)})
	}
	return out
}

// stepBand is the polygon between the lowest and highest seed of a curve,
// as steps (each value held until the next time).
func stepBand(c []curvePoint) (*plotter.Polygon, error) {
	var upper, lower plotter.XYs
	for i, p := range c {
		end := p.t
		if i+1 < len(c) {
			end = c[i+1].t
		}
		upper = append(upper, plotter.XY{X: p.t, Y: p.hi / 1000}, plotter.XY{X: end, Y: p.hi / 1000})
		lower = append(lower, plotter.XY{X: p.t, Y: p.lo / 1000}, plotter.XY{X: end, Y: p.lo / 1000})
	}
	for i := len(lower) - 1; i >= 0; i-- {
		upper = append(upper, lower[i])
	}
	return plotter.NewPolygon(upper)
}
