package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/confignav/confignav/measure"
	"github.com/confignav/confignav/pipeline"
)

// measuredExp repeats the claims that rest on the platform model on the
// measured platform (DESIGN.md §3, the honesty rule): every function with a
// table in results/reference/measured is timed from real measurements of the
// real function (functions/, cnav measure) instead of the model. Three parts:
// how far the model is from the measurements (the simulator's ground truth
// and the navigator's prediction model, mean error and KS distance), the
// stairs of Figure 3, and every tuner's regret on face-detection.
type measuredExp struct{}

func init() { register(measuredExp{}) }

func (measuredExp) Name() string { return "measured" }
func (measuredExp) Title() string {
	return "the measured platform: model against reality, stairs and regret (new)"
}

// measuredPrefix names a pipeline on the measured platform in cell
// parameters and tuning caches.
const measuredPrefix = "measured:"

var measuredBounds = []float64{0.3, 0.5}

func (measuredExp) Cells(mode Mode, seeds int) []Cell {
	cells := []Cell{{Experiment: "measured", Params: Params(map[string]string{"part": "check"}), Seed: 1}}
	for _, p := range []string{"face-detection", "face-beautification", "autoclip"} {
		cells = append(cells, Cell{Experiment: "measured", Params: Params(map[string]string{"part": "stairs", "pipeline": p}), Seed: 1})
	}
	for _, b := range measuredBounds {
		for s := 1; s <= seeds; s++ {
			cells = append(cells, Cell{Experiment: "measured", Params: Params(map[string]string{"part": "regret", "pipeline": "face-detection", "bound": fmt.Sprint(b)}), Seed: uint64(s)})
		}
	}
	return cells
}

// measuredDAG is a built-in pipeline on the measured platform.
func (e *Env) measuredDAG(name string) (*pipeline.DAG, error) {
	if len(e.Measured) == 0 {
		return nil, errors.New("experiments: no measured tables (reproduce --measured DIR; the committed ones are in results/reference/measured)")
	}
	base, err := e.Pipeline(name)
	if err != nil {
		return nil, err
	}
	d, _ := base.WithTables(measuredPrefix+name, e.Measured)
	return d, nil
}

func (measuredExp) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	switch c.Param("part") {
	case "check":
		m, err := env.model()
		if err != nil {
			m = nil // the simulator's side is still worth reporting
		}
		if len(env.Measured) == 0 {
			return nil, errors.New("experiments: no measured tables")
		}
		pts, _, err := measure.Check(ctx, env.Platform, env.Measured, m, c.Seed)
		if err != nil {
			return nil, err
		}
		var rows []Row
		for _, p := range pts {
			for _, v := range []struct {
				metric string
				value  float64
			}{{"measured_ms", p.MeasuredMs}, {"sim_err_pct", p.SimErrPct}, {"sim_ks", p.SimKS}, {"model_err_pct", p.ModelErr}, {"model_ks", p.ModelKS}} {
				rows = append(rows, Row{Platform: "measured", Series: p.Function, X: float64(p.MemoryMB), Metric: v.metric, Value: v.value, Bound: nan})
			}
		}
		return rows, nil
	case "stairs":
		dag, err := env.measuredDAG(c.Param("pipeline"))
		if err != nil {
			return nil, err
		}
		rows, err := env.stairs(dag, c.Param("pipeline"), c.Seed)
		for i := range rows {
			rows[i].Platform = "measured"
		}
		return rows, err
	case "regret":
		pipe := c.Param("pipeline")
		var rows []Row
		for _, name := range env.tunerList(true) {
			o, err := env.tune(ctx, clipWorkload(), measuredPrefix+pipe, name, cellBound(c), c.Seed)
			if err != nil {
				return nil, err
			}
			feas := 0.0
			if o.Feasible {
				feas = 1
			}
			for _, m := range []struct {
				name string
				v    float64
			}{{"regret", o.Regret()}, {"feasible", feas}, {"latency_ms", o.Truth.LatencyMs}} {
				rows = append(rows, Row{Platform: "measured", Pipeline: pipe, Tuner: name, Bound: o.Bound, X: nan, Metric: m.name, Value: m.v})
			}
		}
		return rows, nil
	}
	return nil, fmt.Errorf("experiments: measured: unknown part %q", c.Param("part"))
}

func (measuredExp) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "the measured platform: model against reality, stairs and regret (new)"}
	var b strings.Builder
	b.WriteString("Every function with a table in the measured directory (results/reference/measured by default: the real " +
		"functions of functions/ measured under Lambda's CPU share on a 2-vCPU machine, 360p 1-s clip; see its README) is timed from " +
		"its measurements, scaled to other clips by the model's scale factors. ConfigNavigator still profiles the modelled twin, so its " +
		"features do not describe the real function: the first table says how far apart they are.\n\n")
	// Part 1: model against reality, averaged over memory per function.
	fns := uniq(filter(rows, func(r *Row) bool { return r.Metric == "sim_err_pct" }), func(r *Row) string { return r.Series })
	sort.Strings(fns)
	tbl := [][]string{{"function", "sizes", "simulator mean error (%)", "simulator KS distance (0–1)", "prediction model mean error (%)", "prediction model KS distance (0–1)"}}
	avg := func(fn, metric string) float64 {
		var xs []float64
		for _, r := range rows {
			if r.Series == fn && r.Metric == metric && !math.IsNaN(r.Value) {
				xs = append(xs, r.Value)
			}
		}
		return mean(xs)
	}
	var simErrs, modelErrs []float64
	for _, fn := range fns {
		n := len(filter(rows, func(r *Row) bool { return r.Series == fn && r.Metric == "measured_ms" }))
		se, me := avg(fn, "sim_err_pct"), avg(fn, "model_err_pct")
		simErrs, modelErrs = append(simErrs, se), append(modelErrs, me)
		tbl = append(tbl, []string{fn, fmt.Sprint(n), dashIfNaN(pctCell(se)), fmtValue(avg(fn, "sim_ks")), dashIfNaN(pctCell(me)), fmtValue(avg(fn, "model_ks"))})
	}
	b.WriteString(markdownTable(tbl))
	// Part 2: stairs.
	b.WriteString("\nStairs on the measured platform (every function at the same memory, as in Figure 3). The tables hold 10 sizes " +
		"(512 MB apart above 512 MB) and the simulator interpolates linearly between them, so a stair narrower than that cannot show:\n\n")
	st := [][]string{{"pipeline", "stair jumps above 1,769 MB", "smallest (%)", "largest (%)"}}
	var minJ, maxJ []float64
	for _, pipe := range []string{"face-detection", "face-beautification", "autoclip"} {
		var ms, lat []float64
		for _, r := range rows {
			if r.Pipeline == pipe && r.Metric == "latency_ms" && r.Tuner == "" {
				ms, lat = append(ms, r.X), append(lat, r.Value)
			}
		}
		if len(ms) == 0 {
			continue
		}
		j := stairJumps(ms, lat, 1769)
		lo, hi := minOf(j), maxOf(j)
		if len(j) > 0 {
			minJ, maxJ = append(minJ, lo), append(maxJ, hi)
		}
		st = append(st, []string{pipe, fmt.Sprint(len(j)), dashIfNaN(pctCell(lo)), dashIfNaN(pctCell(hi))})
	}
	b.WriteString(markdownTable(st))
	jumpNote := "over the three pipelines"
	if len(minJ) == 0 {
		jumpNote = "no number: no jump of more than 5 % above 1,769 MB on any pipeline of the measured tables (the stairs table above)"
	}
	b.WriteString("\nRegret on face-detection against the exhaustive optimum of the measured platform, over the answers within the bound in truth " +
		"(Aquatope in both variants: `aquatope-fixed` corrected, `aquatope` the literal public code):\n")
	sec.Text = b.String()
	// Part 3: regret, over the answers within the bound in truth, beside
	// the truth-feasible rate.
	header := []string{"tuner"}
	for _, bd := range measuredBounds {
		header = append(header, fmt.Sprintf("+%.0f %%: median regret of truth-feasible answers (%%, mean over seeds)", bd*100), fmt.Sprintf("+%.0f %%: truth-feasible (answers)", bd*100))
	}
	sec.Table = [][]string{header}
	ans := answers(rows, "regret", "regret")
	feasRegret := func(keep func(r *Row) bool) []Row {
		return filter(rows, func(r *Row) bool {
			return r.Metric == "regret" && keep(r) && !math.IsNaN(r.Value) && ans[answerKey{r.Pipeline, r.Tuner, r.Bound, r.Seed}].feasible
		})
	}
	for _, t := range orderTuners(uniq(filter(rows, func(r *Row) bool { return r.Metric == "regret" }), func(r *Row) string { return r.Tuner })) {
		row := []string{label(t)}
		for _, bd := range measuredBounds {
			rs := feasRegret(func(r *Row) bool { return r.Tuner == t && r.Bound == bd })
			row = append(row, pctOrDash(mean(seedMedians(rs))), rateCell(feasibility(rows, func(r *Row) bool { return r.Tuner == t && r.Bound == bd })))
		}
		sec.Table = append(sec.Table, row)
		if t == "navigator" {
			// One number per bound, named by its scope: the regret section's
			// measured copy (regret@measured) pools three pipelines; its
			// per-pipeline table has face-detection's row at these bounds.
			for _, bd := range measuredBounds {
				rs := feasRegret(func(r *Row) bool { return r.Tuner == t && r.Bound == bd })
				perSeed := seedMedians(rs)
				k, n := feasibility(rows, func(r *Row) bool { return r.Tuner == t && r.Bound == bd })
				h := headline(fmt.Sprintf("median regret of navigator on face-detection at +%.0f %%, measured platform (truth-feasible answers)", 100*bd),
					math.NaN(), perSeed, "%", 10, "face-detection alone; the regret@measured section pools three pipelines (its per-pipeline table has this scope)")
				h.Feasible = fmt.Sprintf("navigator %d/%d", k, n)
				sec.Headlines = append(sec.Headlines, h)
			}
		}
	}
	sec.Headlines = append(sec.Headlines, rateHeadlines(filter(rows, func(r *Row) bool { return r.Tuner != "" }), comparedTuners(rows), 15, "face-detection, +30/50 %, measured platform")...)
	sec.Headlines = append(sec.Headlines,
		Headline{Name: "simulator's mean error against the measurements", Paper: nan, Ours: median(simErrs), Low: nan, High: nan, Unit: "%", Note: "median over functions of the per-function mean"},
		Headline{Name: "prediction model's mean error against the measurements", Paper: nan, Ours: median(modelErrs), Low: nan, High: nan, Unit: "%", Note: "median over functions; features from the modelled twin"},
		Headline{Name: "smallest stair jump, measured platform", Paper: 14.75, Ours: minOf(minJ), Low: nan, High: nan, Unit: "%", Note: jumpNote},
		Headline{Name: "largest stair jump, measured platform", Paper: 38.02, Ours: maxOf(maxJ), Low: nan, High: nan, Unit: "%", Note: jumpNote},
	)
	return sec, nil
}

// markdownTable renders rows (the first is the header) as a markdown table.
func markdownTable(rows [][]string) string {
	var b strings.Builder
	for i, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat("---|", len(r)) + "\n")
		}
	}
	return b.String()
}

// why explains the measured platform's missing stairs (why.go).
func (measuredExp) why(h Headline, rows []Row, ev *evidence, platform string) string {
	if strings.Contains(h.Name, "stair jump") {
		return stairsWhy(rows) + " of the measured tables (linear between measured sizes)"
	}
	return ""
}

// dashIfNaN prints pctCell's "-" (no number) as the report's "–".
func dashIfNaN(s string) string {
	if s == "-" {
		return "–"
	}
	return s
}
