package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator/online"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/traces"
)

// fig7: overall performance (paper §4.2, Figure 7): each tuner's configuration
// for each pipeline and bound, replayed under a trace-driven stream; box plots
// of end-to-end latency.
type fig7 struct{}

func init() { register(fig7{}) }

func (fig7) Name() string  { return "fig7" }
func (fig7) Title() string { return "overall performance under a trace-driven stream (Figure 7)" }

// fig7Select maps one function of the synthetic Azure-like trace onto the
// pipeline: the 10th busiest, about one request per second.
const fig7Select = "rank:10"

func (fig7) Cells(mode Mode, seeds int) []Cell {
	return tuningCells("fig7", allPipelines, paperBounds, seeds)
}

// fig7Online is ConfigNavigator's answer served with its online phase on
// (controller and re-searches, §3.3), beside the static answers.
const fig7Online = "navigator-online"

// fig7OnlineSet are the runs the online variant is compared with, on the
// requests all of them completed.
var fig7OnlineSet = []string{fig7Online, "charmseeker", "aquatope-fixed", "aquatope"}

func (fig7) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	minutes := 10
	if env.Mode == Full {
		minutes = 60
	}
	pipe, bound := c.Param("pipeline"), cellBound(c)
	dag, err := env.Pipeline(pipe)
	if err != nil {
		return nil, err
	}
	var rows []Row
	replays := map[string]completions{}
	// replay serves the trace with configuration o, statically or through
	// run (ConfigNavigator's online phase), and adds its rows as tuner name.
	replay := func(name string, o *outcome, run func(s *sim.Sim, src backend.Source) (backend.RunStats, error)) error {
		s, err := sim.New(env.Platform, dag, c.Seed^0x66696737)
		if err != nil {
			return err
		}
		if err := s.Apply(ctx, o.Config); err != nil {
			return err
		}
		if slices.Contains(mainTuners, name) || name == fig7Online {
			done := completions{}
			s.RequestDone = func(id uint64, e2eUs int64, failed bool) {
				done[id] = math.NaN()
				if !failed {
					done[id] = float64(e2eUs) / 1000
				}
			}
			replays[name] = done
		}
		src, err := traces.Open("synthetic", traces.Options{Seed: c.Seed, Duration: int64(minutes) * 60e6, Select: fig7Select})
		if err != nil {
			return err
		}
		st, err := run(s, src)
		if err != nil {
			return err
		}
		base := Row{Pipeline: pipe, Tuner: name, Bound: bound, X: nan}
		add := func(metric string, v float64) {
			r := base
			r.Metric, r.Value = metric, v
			rows = append(rows, r)
		}
		add("mean_ms", st.E2E.Mean)
		add("p50_ms", st.E2E.P50)
		add("p95_ms", st.E2E.P95)
		add("p99_ms", st.E2E.P99)
		add("cost_per_request_usd", st.CostUSD/float64(max(st.Requests, 1)))
		add("failed_share", float64(st.Failed)/float64(max(st.Requests, 1)))
		add("c_bound_usd", o.CBound)
		add("feasible", b2f(o.Feasible))
		return nil
	}
	var nav *outcome
	for _, name := range env.tunerList(true) {
		o, err := env.tune(ctx, env.overall(c.Seed), pipe, name, bound, c.Seed)
		if err != nil {
			return nil, err
		}
		if o.Config == nil {
			// No answer: it counts against the tuner's truth-feasible rate.
			rows = append(rows, Row{Pipeline: pipe, Tuner: name, Bound: bound, X: nan, Metric: "feasible", Value: 0})
			continue
		}
		if name == "navigator" {
			nav = o
		}
		err = replay(name, o, func(s *sim.Sim, src backend.Source) (backend.RunStats, error) {
			return s.Run(ctx, backend.Workload{Source: src}, nil)
		})
		if err != nil {
			return nil, err
		}
	}
	if nav != nil {
		// The online variant starts from the offline answer (its "feasible"
		// is that answer's) and adapts to the catalogue's clips as they come.
		var res *online.Result
		err := replay(fig7Online, nav, func(s *sim.Sim, src backend.Source) (backend.RunStats, error) {
			opts := online.Options{Backend: s, Store: online.NewMemoryStore(s), DAG: dag, Workload: backend.Workload{Source: src}, Origin: s.Now(), Bound: nav.CBound}
			if err := navigatorOnline(ctx, env, dag, pipe, bound, c.Seed, nav, &opts); err != nil {
				return backend.RunStats{}, err
			}
			var err error
			if res, err = online.Run(ctx, opts); err != nil {
				return backend.RunStats{}, err
			}
			return res.Run, nil
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, Row{Pipeline: pipe, Tuner: fig7Online, Bound: bound, X: nan, Metric: "reconfigurations", Value: float64(res.Summary.Reconfigurations)},
			Row{Pipeline: pipe, Tuner: fig7Online, Bound: bound, X: nan, Metric: "replans", Value: float64(res.Summary.Replans)})
	}
	// The headline latencies: each main tuner's mean over the requests that
	// every main tuner's answer completed, and the online variant's with the
	// baselines' over the requests all of those completed (paired.go says
	// why).
	for _, set := range []struct {
		tuners        []string
		metric, count string
	}{{mainTuners, "common_mean_ms", "common_requests"}, {fig7OnlineSet, "online_common_ms", "online_common_requests"}} {
		in := map[string]completions{}
		for _, t := range set.tuners {
			if d, ok := replays[t]; ok {
				in[t] = d
			}
		}
		common, n := commonMeans(in)
		for _, name := range set.tuners {
			if v, ok := common[name]; ok {
				rows = append(rows, Row{Pipeline: pipe, Tuner: name, Bound: bound, X: nan, Metric: set.metric, Value: v},
					Row{Pipeline: pipe, Tuner: name, Bound: bound, X: nan, Metric: set.count, Value: float64(n)})
			}
		}
	}
	return rows, nil
}

func (fig7) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "overall performance under a trace-driven stream (Figure 7)"}
	seen := orderTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	if i := slices.Index(seen, fig7Online); i > 0 {
		// The online variant next to the static navigator.
		seen = slices.Insert(slices.Delete(seen, i, i+1), slices.Index(seen, "navigator")+1, fig7Online)
	}
	sec.Text = "Each tuner tunes on the catalogue it then serves (single-function work on ten representative clips of it, pipeline runs on its request stream; the ground truth, C_min and the bound are the catalogue's; with `--tune-on clip` on the reference clip, 1080p, 5 s, two faces, and the report's header says so); its configuration then serves the " + fig7Select +
		" function of the synthetic Azure-like trace (about one request per second) with clips drawn from the 50-clip catalogue (360p–1080p, 0–4 faces). " +
		"The boxes summarise, over seeds, each run's mean end-to-end latency. Aquatope runs in both variants: `aquatope-fixed` (corrected) " +
		"and `aquatope` (the literal public code). A configuration is feasible in truth when the ground truth's cost on the clips tuned on is within " +
		"the bound; the headline gains count only pairs where both answers are, and the better baseline is the faster truth-feasible of " +
		"`charmseeker` and `aquatope-fixed`. A configuration can run out of memory on the heavier catalogue clips (more faces, " +
		"longer): the failed requests are the heavy ones, so a mean over a run's own completions rewards failing. The headline gains therefore " +
		"compare the main tuners on the requests all of their answers completed (\"mean on common requests\"); the failed share is its own column. " +
		"ConfigNavigator is an offline search and an online phase (§3.3): `" + fig7Online + "` serves the same stream from the navigator's answer with " +
		"its controller and re-searches on (1-minute windows; it raises a function that ran out of memory and re-plans on an input shift), and is " +
		"compared with the baselines' static answers on the requests all of those completed; the paper does not say whether its Figure 7 ran the online phase." + missingTuners(seen)
	sec.Table = [][]string{{"pipeline", "cost bound (above C_min)", "tuner", "mean (ms)", "p95 (ms)", "cost per request ($)", "trace cost within bound (yes/no)", "truth-feasible (answers)", "failed requests (%)", "mean on common requests (ms)", "mean on common requests with navigator-online (ms)"}}
	for _, p := range allPipelines {
		for _, b := range paperBounds {
			for _, t := range seen {
				f := func(m string) float64 {
					return mean(values(filter(rows, func(r *Row) bool { return r.Pipeline == p && r.Bound == b && r.Tuner == t && r.Metric == m })))
				}
				within := "yes"
				switch c := f("cost_per_request_usd"); {
				case math.IsNaN(c):
					within = "–" // no answer to replay
				case c > f("c_bound_usd")*(1+1e-9):
					within = "no"
				}
				feas := rateCell(feasibility(rows, func(r *Row) bool { return r.Pipeline == p && r.Bound == b && r.Tuner == t }))
				sec.Table = append(sec.Table, []string{p, fmt.Sprintf("+%.0f %%", b*100), label(t), fmtDec(f("mean_ms"), 0), fmtDec(f("p95_ms"), 0),
					fmtDec(f("cost_per_request_usd"), 6), within, feas, fmtDec(100*f("failed_share"), 1), fmtDec(f("common_mean_ms"), 0), fmtDec(f("online_common_ms"), 0)})
			}
		}
	}
	// Headlines: ConfigNavigator against the better of CharmSeeker and
	// the corrected Aquatope, and against the literal Aquatope, paired by
	// seed over truth-feasible answers (compare.go).
	best := gain(rows, "common_mean_ms", allPipelines, paperBounds, betterOf)
	lit := gain(rows, "common_mean_ms", allPipelines, paperBounds, []string{literalAquatope})
	sec.Headlines = []Headline{
		gainHeadline("mean latency gain over the better of charmseeker and aquatope-fixed", math.NaN(), rows,
			[]string{"navigator", "charmseeker", "aquatope-fixed"}, best, 5, "on the requests every main tuner's answer completed; the paper: 20–50 % in most cases at the same cost bound"),
		gainHeadline("mean latency gain over aquatope (literal)", math.NaN(), rows, []string{"navigator", literalAquatope}, lit, 0, ""),
	}
	if online := gainOf(rows, fig7Online, "online_common_ms", allPipelines, paperBounds, betterOf); online.Groups > 0 {
		sec.Headlines = append(sec.Headlines, gainHeadline("mean latency gain of navigator-online over the better of charmseeker and aquatope-fixed", math.NaN(), rows,
			[]string{fig7Online, "charmseeker", "aquatope-fixed"}, online, 5,
			"ConfigNavigator's answer with its online phase on, against the static answers, on the requests all of them completed"))
	}
	sec.Headlines = append(sec.Headlines, rateHeadlines(rows, comparedTuners(rows), 15, "all pipelines and bounds")...)
	sec.Extra = [][][]string{pairedTable(rows, "common_mean_ms", "mean latency on common requests", allPipelines, paperBounds)}
	panels, leg, err := fig7Panels(rows, seen)
	if err != nil {
		return nil, err
	}
	f, err := figs.SaveGrid("fig7", 14*vg.Centimeter, 11*vg.Centimeter, plots([][]*panel{panels}), &leg)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	sec.Captions = []string{"Figure 7: mean end-to-end latency per run over its own completed requests, by tuner and bound. Truth-feasible answers: " + rateSummary(rows, seen) + "."}
	return sec, nil
}

// fig7Panels builds one box-plot panel per pipeline (boxes over seeds, by
// bound and tuner) and the shared legend.
func fig7Panels(rows []Row, seen []string) ([]*panel, plot.Legend, error) {
	leg := plot.NewLegend()
	inLegend := map[string]bool{}
	var panels []*panel
	for _, p := range allPipelines {
		pl := newPanel(p, "cost bound above C_min (%)", "mean end-to-end latency per run (s)")
		var ticks []plot.Tick
		for bi, b := range paperBounds {
			ticks = append(ticks, plot.Tick{Value: float64(bi)*float64(len(seen)+1) + float64(len(seen)-1)/2, Label: fmt.Sprintf("+%.0f %%", b*100)})
			for k, t := range seen {
				vals := values(filter(rows, func(r *Row) bool { return r.Pipeline == p && r.Bound == b && r.Tuner == t && r.Metric == "mean_ms" }))
				var v plotter.Values
				for _, x := range vals {
					if !math.IsNaN(x) {
						v = append(v, x/1000)
					}
				}
				if len(v) == 0 {
					continue
				}
				bp, err := plotter.NewBoxPlot(vg.Points(7), float64(bi)*float64(len(seen)+1)+float64(k), v)
				if err != nil {
					return nil, leg, err
				}
				bp.FillColor = colour(k)
				pl.Add(bp)
				if !inLegend[t] {
					inLegend[t] = true
					leg.Add(legend(t), swatch{colour(k)})
				}
			}
		}
		pl.X.Tick.Marker = plot.ConstantTicks(ticks)
		// Every box whole: half a slot beyond the first and last box, and
		// room above the highest whisker.
		pl.X.Min, pl.X.Max = -1, float64(len(paperBounds))*float64(len(seen)+1)-1
		padRange(pl.Plot, 0, 0.05)
		panels = append(panels, pl)
	}
	return panels, leg, nil
}
