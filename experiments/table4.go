package experiments

import (
	"context"
	"fmt"
	"math"
)

// table4: ConfigNavigator's latency and cost improvement over the better of
// CharmSeeker and Aquatope on autoclip, per bound (paper §4.2, Table 4).
type table4 struct{}

func init() { register(table4{}) }

func (table4) Name() string  { return "table4" }
func (table4) Title() string { return "autoclip: improvement over the better baseline (Table 4)" }

var table4Paper = map[float64][2]float64{0.3: {28.34, 0.53}, 0.5: {31.23, 1.77}, 0.8: {-3.95, 10.35}, 1.0: {0.25, -1.73}}

func (table4) Cells(mode Mode, seeds int) []Cell {
	return tuningCells("table4", []string{"autoclip"}, paperBounds, seeds)
}

func (table4) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	var rows []Row
	for _, name := range env.tunerList(false) {
		o, err := env.tune(ctx, "autoclip", name, cellBound(c), c.Seed)
		if err != nil {
			return nil, err
		}
		rows = append(rows,
			Row{Pipeline: "autoclip", Tuner: name, Bound: o.Bound, X: nan, Metric: "latency_ms", Value: o.Truth.LatencyMs},
			Row{Pipeline: "autoclip", Tuner: name, Bound: o.Bound, X: nan, Metric: "cost_usd", Value: o.Truth.CostUSD})
	}
	return rows, nil
}

func (table4) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "autoclip: improvement over the better baseline (Table 4)"}
	sec.Text = "Per seed, the better baseline is whichever of CharmSeeker and Aquatope found the lower true latency; improvement is " +
		"(baseline − ConfigNavigator)/baseline on the ground truth, positive when ConfigNavigator is better." +
		missingTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	sec.Table = [][]string{{"cost bound", "latency: paper", "latency: ours", "cost: paper", "cost: ours"}}
	for _, b := range paperBounds {
		var lat, cost []float64
		for _, seed := range uniq(rows, func(r *Row) string { return fmt.Sprint(r.Seed) }) {
			get := func(t, m string) float64 {
				return mean(values(filter(rows, func(r *Row) bool {
					return r.Bound == b && r.Tuner == t && r.Metric == m && fmt.Sprint(r.Seed) == seed
				})))
			}
			better := "charmseeker"
			if a, c := get("aquatope", "latency_ms"), get("charmseeker", "latency_ms"); !math.IsNaN(a) && (math.IsNaN(c) || a < c) {
				better = "aquatope"
			}
			nl, bl := get("navigator", "latency_ms"), get(better, "latency_ms")
			nc, bc := get("navigator", "cost_usd"), get(better, "cost_usd")
			lat = append(lat, 100*(bl-nl)/bl)
			cost = append(cost, 100*(bc-nc)/bc)
		}
		pl, pc := table4Paper[b][0], table4Paper[b][1]
		hl := headline(fmt.Sprintf("latency improvement at +%.0f %%", b*100), pl, lat, "%", 8, "")
		hc := headline(fmt.Sprintf("cost improvement at +%.0f %%", b*100), pc, cost, "%", 8, "")
		sec.Headlines = append(sec.Headlines, hl, hc)
		sec.Table = append(sec.Table, []string{fmt.Sprintf("+%.0f %%", b*100), fmt.Sprintf("%.2f", pl), fmtCI(hl), fmt.Sprintf("%.2f", pc), fmtCI(hc)})
	}
	return sec, nil
}
