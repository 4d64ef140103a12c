package experiments

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// regret: every tuner's regret against the exact optimum on the pipelines
// small enough to search exhaustively (new: the paper has no ground truth).
type regretExp struct{}

func init() { register(regretExp{}) }

func (regretExp) Name() string  { return "regret" }
func (regretExp) Title() string { return "regret against the exhaustive optimum (new)" }

var regretPipelines = []string{"face-detection", "branch3", "sequence3"}

func (regretExp) Cells(mode Mode, seeds int) []Cell {
	return tuningCells("regret", regretPipelines, paperBounds, seeds)
}

func (regretExp) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	var rows []Row
	for _, name := range env.tunerList(true) {
		o, err := env.tune(ctx, c.Param("pipeline"), name, cellBound(c), c.Seed)
		if err != nil {
			return nil, err
		}
		feas := 0.0
		if o.Feasible {
			feas = 1
		}
		base := Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan}
		for _, m := range []struct {
			name string
			v    float64
		}{{"regret", o.Regret()}, {"feasible", feas}, {"latency_ms", o.Truth.LatencyMs}, {"cost_usd", o.Truth.CostUSD},
			{"search_s", o.Result.SearchSeconds}, {"optimum_ms", optMs(o)}} {
			r := base
			r.Metric, r.Value = m.name, m.v
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func optMs(o *outcome) float64 {
	if o.Optimum == nil {
		return math.NaN()
	}
	return o.Optimum.LatencyMs
}

func (regretExp) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "regret against the exhaustive optimum (new)"}
	sec.Text = "Regret is a tuner's true mean latency (on the simulator's ground truth) over the true optimum's under the same bound, minus one; " +
		"an answer over the bound counts as infeasible (its regret can then be negative). Pipelines: face-detection (4 functions, 32⁴ " +
		"configurations) and fig2's 3-function branch and sequence. The issue's target for ConfigNavigator: median regret within 5 % and at most " +
		"CharmSeeker's and Aquatope's."
	tunersSeen := uniq(rows, func(r *Row) string { return r.Tuner })
	sec.Text += missingTuners(tunersSeen)
	header := []string{"tuner"}
	for _, b := range paperBounds {
		header = append(header, fmt.Sprintf("+%.0f %% median regret", b*100))
	}
	header = append(header, "feasible answers")
	sec.Table = [][]string{header}
	p := newPlot("regret by tuner (all pipelines and bounds)", "tuner", "regret (%)")
	var ticks []plot.Tick
	for k, t := range tunersSeen {
		row := []string{t}
		for _, b := range paperBounds {
			rs := filter(rows, func(r *Row) bool { return r.Tuner == t && r.Bound == b && r.Metric == "regret" })
			row = append(row, fmt.Sprintf("%.2f %%", 100*median(values(rs))))
		}
		row = append(row, feasibleShare(rows, t))
		sec.Table = append(sec.Table, row)
		rs := filter(rows, func(r *Row) bool { return r.Tuner == t && r.Metric == "regret" && !math.IsNaN(r.Value) })
		vals := make(plotter.Values, len(rs))
		for i, r := range rs {
			vals[i] = 100 * r.Value
		}
		if len(vals) > 0 {
			bp, err := plotter.NewBoxPlot(vg.Points(18), float64(k), vals)
			if err != nil {
				return nil, err
			}
			bp.FillColor = colour(k)
			p.Add(bp)
		}
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: t})
		// Per-seed medians give the confidence interval of the headline.
		var perSeed []float64
		for _, seed := range uniq(rs, func(r *Row) string { return fmt.Sprint(r.Seed) }) {
			ss := filter(rs, func(r *Row) bool { return fmt.Sprint(r.Seed) == seed })
			perSeed = append(perSeed, 100*median(values(ss)))
		}
		paper := math.NaN()
		tol := 0.0
		if t == "navigator" {
			tol = 5
		}
		sec.Headlines = append(sec.Headlines, headline("median regret of "+t, paper, perSeed, "%", tol, "over pipelines and bounds; per-seed medians"))
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	f, err := figs.Save("regret", 22*vg.Centimeter, 11*vg.Centimeter, p)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	return sec, nil
}

// feasibleShare is "k/n": of tuner t's answers, how many met the bound.
func feasibleShare(rows []Row, t string) string {
	fs := filter(rows, func(r *Row) bool { return r.Tuner == t && r.Metric == "feasible" })
	nf := 0
	for _, r := range fs {
		if r.Value == 1 {
			nf++
		}
	}
	return fmt.Sprintf("%d/%d", nf, len(fs))
}
