package experiments

import (
	"context"
	"fmt"
	"math"
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
		o, err := env.tune(ctx, clipWorkload(), c.Param("pipeline"), name, cellBound(c), c.Seed)
		if err != nil {
			return nil, err
		}
		best := math.Inf(1)
		for _, ev := range o.Result.Trace {
			if ev.Kind != "pipeline" {
				continue // profiling runs and single-stage invocations (CharmSeeker's) measure no end-to-end latency
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
			// Virtual search time (measurement and profiling): what the
			// gated savings use, since own compute is wall clock and moves
			// between runs.
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "virtual_search_s", Value: o.Result.MeasureSeconds + o.Result.ProfileSeconds},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "evaluations", Value: float64(o.Result.Evaluations)},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "final_true_ms", Value: o.Truth.LatencyMs},
			Row{Pipeline: o.Pipeline, Tuner: name, Bound: o.Bound, X: nan, Metric: "feasible", Value: b2f(o.Feasible)})
	}
	return rows, nil
}

func (fig9) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "convergence: best latency found against search time (Figure 9)"}
	seen := orderTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	sec.Text = "Search time is virtual measurement time (30 s windows of the same clip at 1 request/s, plus the drain of in-flight requests), " +
		"local profiling time, and the tuner's own compute. The savings below (gated) compare virtual search time only (measurement and profiling), " +
		"which the same seed repeats exactly; own compute is wall-clock time, differs between runs and machines, and is in its own column. ConfigNavigator profiles each function once, searches on its model, and confirms its pick " +
		"with one measurement. Aquatope runs in both variants, `aquatope-fixed` (corrected) and `aquatope` (literal public code); the paper's " +
		"94.11 % is against Aquatope, and the gated headline is against `aquatope-fixed`. Search time is spent whether or not the answer meets " +
		"the bound, so the savings count every run, paired by seed (per seed: 1 − navigator's mean search time over the baseline's, over the same " +
		"pipelines and bounds); the truth-feasible column says how many of the answers that time bought are within the bound." + missingTuners(seen)
	sec.Table = [][]string{{"pipeline", "bound", "tuner", "evaluations", "search time (s)", "own compute (s)", "final true latency (ms)", "truth-feasible"}}
	for _, p := range allPipelines {
		for _, b := range fig9Bounds {
			for _, t := range seen {
				m := func(metric string) float64 {
					return mean(values(filter(rows, func(r *Row) bool {
						return r.Pipeline == p && r.Bound == b && r.Tuner == t && r.Metric == metric
					})))
				}
				feas := rateCell(feasibility(rows, func(r *Row) bool { return r.Pipeline == p && r.Bound == b && r.Tuner == t }))
				sec.Table = append(sec.Table, []string{p, fmt.Sprintf("+%.0f %%", b*100), label(t), fmt.Sprintf("%.0f", m("evaluations")),
					fmt.Sprintf("%.0f", m("search_s")), fmt.Sprintf("%.2f", m("compute_s")), fmt.Sprintf("%.0f", m("final_true_ms")), feas})
			}
		}
	}
	// Search-time reduction of ConfigNavigator against each baseline,
	// paired by seed.
	saved := func(base string) pairing {
		var p pairing
		for _, seed := range seedsOf(rows) {
			get := func(t string) float64 {
				return mean(values(filter(rows, func(r *Row) bool { return r.Tuner == t && r.Metric == "virtual_search_s" && r.Seed == seed })))
			}
			nav, bs := get("navigator"), get(base)
			if math.IsNaN(nav) || math.IsNaN(bs) || bs == 0 {
				continue
			}
			n := len(filter(rows, func(r *Row) bool { return r.Tuner == base && r.Metric == "virtual_search_s" && r.Seed == seed }))
			p.Pairs += n
			p.Groups += n
			p.PerSeed = append(p.PerSeed, 100*(1-nav/bs))
		}
		return p
	}
	savedHeadline := func(name string, paper float64, base string, tol float64) Headline {
		p := saved(base)
		h := headline(name, paper, p.PerSeed, "%", tol, "virtual search time (measurement and profiling; own compute apart); mean over pipelines and bounds per seed; every run counts; "+ciMethod)
		h.Feasible = feasibleNote(rows, []string{"navigator", base}, p)
		return h
	}
	sec.Headlines = []Headline{
		savedHeadline("search time saved by ConfigNavigator against aquatope-fixed", 94.11, "aquatope-fixed", 3),
		savedHeadline("search time saved by ConfigNavigator against aquatope (literal)", 94.11, literalAquatope, 3),
		savedHeadline("search time saved by ConfigNavigator against charmseeker", math.NaN(), "charmseeker", 3),
	}
	sec.Headlines = append(sec.Headlines, rateHeadlines(rows, comparedTuners(rows), 15, "all pipelines and bounds")...)
	f, caption, err := fig9Figure(rows, seen, figs)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	sec.Captions = []string{caption}
	return sec, nil
}
