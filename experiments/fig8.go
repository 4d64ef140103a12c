package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/confignav/confignav/navigator/model"
)

// fig8 and table5: the prediction model's error (paper §4.4, Figure 8 and
// Table 5). Both read one evaluation of the model: every built-in function
// (the "real function set": the pipelines' functions, never trained on) and
// the model's validation functions, measured like the training set.
type (
	fig8   struct{}
	table5 struct{}
)

func init() {
	register(fig8{})
	register(table5{})
}

func (fig8) Name() string   { return "fig8" }
func (fig8) Title() string  { return "prediction model error by memory (Figure 8)" }
func (table5) Name() string { return "table5" }
func (table5) Title() string {
	return "prediction error of the face-beautification functions (Table 5)"
}

// The evaluation is deterministic (the model file fixes every seed), so each
// experiment is one cell.
func (fig8) Cells(Mode, int) []Cell {
	return []Cell{{Experiment: "fig8", Params: Params(map[string]string{"set": "builtin+validation"}), Seed: 1}}
}

func (table5) Cells(Mode, int) []Cell {
	return []Cell{{Experiment: "table5", Params: Params(map[string]string{"set": "builtin"}), Seed: 1}}
}

// errorMetrics are the metrics of an evaluation row.
var errorMetrics = []string{"mean_err_pct", "p95_err_pct", "var_err_pct"}

// modelEval evaluates the model once per Env.
func (e *Env) modelEval(ctx context.Context) (*model.Report, map[string]bool, error) {
	type result struct {
		rep model.Report
		ml  map[string]bool
	}
	v, err := e.Once("model-eval", func() (any, error) {
		m, err := e.model()
		if err != nil {
			return nil, err
		}
		fns, err := model.Builtins()
		if err != nil {
			return nil, err
		}
		rep, err := model.EvaluateOn(ctx, m, e.Platform, fns)
		if err != nil {
			return nil, err
		}
		ml := map[string]bool{}
		for _, f := range fns {
			ml[f.Name] = f.ML()
		}
		return &result{rep, ml}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	r := v.(*result)
	return &r.rep, r.ml, nil
}

// errorRows turns one Errors into rows (one per measured size and metric).
func errorRows(series string, e *model.Errors, grid []int) []Row {
	var rows []Row
	for j, mb := range grid {
		if e.N[j] == 0 {
			continue
		}
		for k, v := range []float64{e.Mean[j], e.P95[j], e.Var[j]} {
			rows = append(rows, Row{Series: series, X: float64(mb), Metric: errorMetrics[k], Value: v, Bound: nan})
		}
	}
	return rows
}

func (fig8) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	rep, ml, err := env.modelEval(ctx)
	if err != nil {
		return nil, err
	}
	rows := errorRows("validation", &rep.Validation, rep.MemoryMB)
	for i := range rep.Functions {
		f := &rep.Functions[i]
		kind := "fn:"
		if ml[f.Name] {
			kind = "ml:"
		}
		rows = append(rows, errorRows(kind+f.Name, &f.Errors, rep.MemoryMB)...)
	}
	return rows, nil
}

// byMemory averages a metric over the rows whose series passes keep, per
// memory size in ascending order.
func byMemory(rows []Row, metric string, keep func(series string) bool) (mb, avg []float64) {
	sum, n := map[float64]float64{}, map[float64]int{}
	for _, r := range rows {
		if r.Metric == metric && keep(r.Series) && !math.IsNaN(r.Value) {
			sum[r.X] += r.Value
			n[r.X]++
		}
	}
	for x := range sum {
		mb = append(mb, x)
	}
	sort.Float64s(mb)
	for _, x := range mb {
		avg = append(avg, sum[x]/float64(n[x]))
	}
	return mb, avg
}

func isPrefix(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}

func (fig8) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "prediction model error by memory (Figure 8)"}
	sec.Text = "Mean absolute percentage error of the predicted mean, p95 and variance of warm execution time, by memory. " +
		"(a) the real function set: every built-in function of the three pipelines, measured alone on the reference clip and never " +
		"trained on; (b) the validation set: synthetic functions held out of training and early stopping (the paper's 8:2 split). " +
		"Sizes where a function runs out of memory are left out. The paper gives the figure without numbers and reports that every " +
		"error falls as memory grows, and that non-ML functions' mean errors stay below 10 %."
	real := func(s string) bool { return isPrefix("fn:")(s) || isPrefix("ml:")(s) }
	sets := []struct {
		title string
		keep  func(string) bool
	}{{"(a) real function set", real}, {"(b) validation set", func(s string) bool { return s == "validation" }}}
	names := map[string]string{"mean_err_pct": "mean", "p95_err_pct": "p95", "var_err_pct": "variance"}
	sec.Table = [][]string{{"set", "metric", "error at 128 MB (%)", "512 MB (%)", "1,024 MB (%)", "2,048 MB (%)", "4,096 MB (%)"}}
	var panels []*plot.Plot
	for _, set := range sets {
		p := newPlot(set.title, "memory (MB)", "error (%)")
		for k, metric := range errorMetrics {
			mb, avg := byMemory(rows, metric, set.keep)
			if len(mb) == 0 {
				continue
			}
			row := []string{set.title, names[metric]}
			for _, want := range []float64{128, 512, 1024, 2048, 4096} {
				row = append(row, pctCell(lookupX(mb, avg, want)))
			}
			sec.Table = append(sec.Table, row)
			xy := make(plotter.XYs, len(mb))
			for i := range mb {
				xy[i] = plotter.XY{X: mb[i], Y: avg[i]}
			}
			l, s, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			l.Color, s.Color = colour(k), colour(k)
			p.Add(l, s)
			p.Legend.Add(names[metric], l, s)
		}
		panels = append(panels, p)
	}
	_, valMean := byMemory(rows, "mean_err_pct", func(s string) bool { return s == "validation" })
	mb, nonML := byMemory(rows, "mean_err_pct", isPrefix("fn:"))
	var nonML512 []float64
	for i := range mb {
		if mb[i] >= 512 {
			nonML512 = append(nonML512, nonML[i])
		}
	}
	first, last := math.NaN(), math.NaN()
	if len(valMean) > 0 {
		first, last = valMean[0], valMean[len(valMean)-1]
	}
	sec.Headlines = []Headline{
		{Name: "validation mean error at the smallest size", Paper: nan, Ours: first, Low: nan, High: nan, Unit: "%", Tolerance: 2,
			Note: "paper: errors fall as memory grows"},
		{Name: "validation mean error at the largest size", Paper: nan, Ours: last, Low: nan, High: nan, Unit: "%", Tolerance: 2,
			Note: "paper: errors fall as memory grows"},
		{Name: "non-ML functions' mean error from 512 MB", Paper: 10, Ours: mean(nonML512), Low: nan, High: nan, Unit: "%", Tolerance: 2,
			Note: "paper: below 10 %"},
	}
	f, err := figs.Save("fig8", 13*vg.Centimeter, 10*vg.Centimeter, panels...)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	return sec, nil
}

// table5Paper is the paper's Table 5: prediction error (%) of four functions
// of the face-beautification pipeline at 128–4,096 MB, with the names of our
// built-in functions.
var table5Paper = []struct {
	paper, ours string
	err         [6]float64
}{
	{"face detection", "face-detect", [6]float64{37.5, 29.7, 20.4, 17.6, 16.9, 12.3}},
	{"face beautification", "beautify", [6]float64{8.9, 7.3, 5.6, 5.8, 5.1, 3.9}},
	{"restore", "restore", [6]float64{27.8, 23.4, 15.6, 10.9, 12.7, 12.3}},
	{"HD", "hd", [6]float64{9.7, 9.5, 6.7, 4.3, 4.7, 3.9}},
}

var table5MB = [6]float64{128, 256, 512, 1024, 2048, 4096}

func (table5) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	rep, _, err := env.modelEval(ctx)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, t := range table5Paper {
		for i := range rep.Functions {
			if f := &rep.Functions[i]; f.Name == t.ours {
				rows = append(rows, errorRows(f.Name, &f.Errors, rep.MemoryMB)...)
			}
		}
	}
	return rows, nil
}

func (table5) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "prediction error of the face-beautification functions (Table 5)"}
	sec.Text = "Mean absolute percentage error of the predicted mean execution time, paper / ours, for the four functions the paper " +
		"lists (our names in brackets), measured alone on the reference clip. \"-\": the function runs out of memory at that size on " +
		"our platform model, so there is nothing to predict. The averages compare only the sizes both have."
	header := []string{"function"}
	for _, mb := range table5MB {
		header = append(header, fmt.Sprintf("%.0f MB: paper / ours (%%)", mb))
	}
	sec.Table = [][]string{append(header, "average: paper / ours (%)")}
	for _, t := range table5Paper {
		row := []string{fmt.Sprintf("%s (%s)", t.paper, t.ours)}
		var paper, ours []float64
		for i, mb := range table5MB {
			v := mean(values(filter(rows, func(r *Row) bool { return r.Series == t.ours && r.Metric == "mean_err_pct" && r.X == mb })))
			row = append(row, fmt.Sprintf("%.1f / %s", t.err[i], pctCell(v)))
			if !math.IsNaN(v) {
				paper, ours = append(paper, t.err[i]), append(ours, v)
			}
		}
		row = append(row, fmt.Sprintf("%s / %s", pctCell(mean(paper)), pctCell(mean(ours))))
		sec.Table = append(sec.Table, row)
		sec.Headlines = append(sec.Headlines, Headline{Name: t.paper + " mean error, average over sizes", Paper: mean(paper), Ours: mean(ours),
			Low: nan, High: nan, Unit: "%", Tolerance: 3, Note: fmt.Sprintf("over the %d sizes where it fits", len(ours))})
	}
	return sec, nil
}

func pctCell(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

// lookupX returns ys at the x equal to want (NaN if absent).
func lookupX(xs, ys []float64, want float64) float64 {
	for i, x := range xs {
		if x == want {
			return ys[i]
		}
	}
	return math.NaN()
}
