package experiments

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// fig9: convergence (paper §4.4, Figure 9): the best feasible latency a tuner
// has found against its search time; the paper: ConfigNavigator needs 94.11 %
// less search time than Aquatope.
type fig9 struct{}

func init() { register(fig9{}) }

func (fig9) Name() string  { return "fig9" }
func (fig9) Title() string { return "convergence: best latency found against search time (Figure 9)" }

var fig9Bounds = []float64{0.3, 0.5, 1.0}
var allPipelines = []string{"face-detection", "face-beautification", "autoclip"}

func (fig9) Cells(mode Mode, seeds int) []Cell {
	return tuningCells("fig9", allPipelines, fig9Bounds, seeds)
}

func (fig9) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	var rows []Row
	for _, name := range env.tunerList(false) {
		o, err := env.tune(ctx, c.Param("pipeline"), name, cellBound(c), c.Seed)
		if err != nil {
			return nil, err
		}
		best := math.Inf(1)
		for _, ev := range o.Result.Trace {
			if ev.Kind == "profile" {
				continue
			}
			if ev.Feasible && ev.LatencyMs < best {
				best = ev.LatencyMs
			}
			if !math.IsInf(best, 1) {
				rows = append(rows, Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: ev.At, Metric: "best_feasible_ms", Value: best})
			}
		}
		rows = append(rows,
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "search_s", Value: o.Result.SearchSeconds},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "compute_s", Value: o.Result.ComputeSeconds},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "evaluations", Value: float64(o.Result.Evaluations)},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "final_true_ms", Value: o.Truth.LatencyMs})
	}
	return rows, nil
}

func (fig9) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "convergence: best latency found against search time (Figure 9)"}
	seen := uniq(rows, func(r *Row) string { return r.Tuner })
	sec.Text = "Search time is virtual measurement time (30 s windows of the same clip at 1 request/s, plus the drain of in-flight requests), " +
		"local profiling time, and the tuner's own compute. ConfigNavigator profiles each function once, searches on its model, and confirms its pick " +
		"with one measurement." + missingTuners(seen)
	sec.Table = [][]string{{"pipeline", "bound", "tuner", "evaluations", "search time (s)", "own compute (s)", "final true latency (ms)"}}
	for _, p := range allPipelines {
		for _, b := range fig9Bounds {
			for _, t := range seen {
				m := func(metric string) float64 {
					return mean(values(filter(rows, func(r *Row) bool {
						return r.Pipeline == p && r.Bound == b && r.Tuner == t && r.Metric == metric
					})))
				}
				sec.Table = append(sec.Table, []string{p, fmt.Sprintf("+%.0f %%", b*100), t, fmt.Sprintf("%.0f", m("evaluations")),
					fmt.Sprintf("%.0f", m("search_s")), fmt.Sprintf("%.2f", m("compute_s")), fmt.Sprintf("%.0f", m("final_true_ms"))})
			}
		}
	}
	// Search-time reduction of ConfigNavigator against Aquatope, per seed.
	var red, redCS []float64
	for _, seed := range uniq(rows, func(r *Row) string { return fmt.Sprint(r.Seed) }) {
		get := func(t string) float64 {
			return mean(values(filter(rows, func(r *Row) bool { return r.Tuner == t && r.Metric == "search_s" && fmt.Sprint(r.Seed) == seed })))
		}
		nav, aq, cs := get("navigator"), get("aquatope"), get("charmseeker")
		red = append(red, 100*(1-nav/aq))
		redCS = append(redCS, 100*(1-nav/cs))
	}
	sec.Headlines = []Headline{
		headline("search time saved by ConfigNavigator against Aquatope", 94.11, red, "%", 3, "mean over pipelines and bounds per seed"),
		headline("search time saved by ConfigNavigator against CharmSeeker", math.NaN(), redCS, "%", 3, ""),
	}
	var panels []*plot.Plot
	for _, b := range fig9Bounds {
		p := newPlot(fmt.Sprintf("face-beautification, +%.0f %%", b*100), "search time (s)", "best feasible latency (s)")
		for k, t := range seen {
			rs := filter(rows, func(r *Row) bool {
				return r.Pipeline == "face-beautification" && r.Bound == b && r.Tuner == t && r.Metric == "best_feasible_ms" && r.Seed == 1
			})
			if len(rs) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(rs))
			for i, r := range rs {
				xy[i] = plotter.XY{X: r.X, Y: r.Value / 1000}
			}
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color = colour(k), colour(k)
			l.StepStyle = plotter.PostStep
			p.Add(l, pts)
			p.Legend.Add(t, l, pts)
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		panels = append(panels, p)
	}
	f, err := figs.Save("fig9", 12*vg.Centimeter, 10*vg.Centimeter, panels...)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	return sec, nil
}
