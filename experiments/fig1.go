package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// fig1: the cold-start effect (paper §2.2, Figure 1b): the time distribution
// of steady (warm) and unsteady (cold) measurements; the paper saw latency
// spikes of up to 213.08 %.
type fig1 struct{}

func init() { register(fig1{}) }

func (fig1) Name() string  { return "fig1" }
func (fig1) Title() string { return "cold starts: steady vs unsteady measurements (Figure 1b)" }

func (fig1) Cells(mode Mode, seeds int) []Cell {
	var cells []Cell
	for _, p := range []string{"face-detection", "face-beautification", "autoclip"} {
		for s := 1; s <= seeds; s++ {
			cells = append(cells, Cell{Experiment: "fig1", Params: Params(map[string]string{"pipeline": p, "memory": "2048"}), Seed: uint64(s)})
		}
	}
	return cells
}

// Run measures every function's duration warm (requests 1 s apart after a
// warm-up) and cold (requests 15 min apart, beyond the keep-alive), with the
// init duration and sandbox set-up a cold invocation waits for.
func (fig1) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	dag, err := env.Pipeline(c.Param("pipeline"))
	if err != nil {
		return nil, err
	}
	mb, _ := strconv.Atoi(c.Param("memory"))
	steadyN, coldN := 100, 20
	if env.Mode == Full {
		steadyN, coldN = 500, 100
	}
	s, err := sim.New(env.Platform, dag, c.Seed)
	if err != nil {
		return nil, err
	}
	cfg := backend.Config{}
	for _, n := range dag.Names() {
		cfg[n] = mb
	}
	if err := s.Apply(ctx, cfg); err != nil {
		return nil, err
	}
	in := video.Reference
	in.Faces = 2
	var rows []Row
	collect := func(series string, skip int) backend.Sink {
		n := 0
		return backend.SinkFunc(func(r *backend.Record) {
			if r.RequestID <= uint64(skip) || r.Status != backend.OK {
				return
			}
			n++
			// A cold invocation's latency includes what it waited for.
			ms := float64(r.Duration+r.InitDuration) / 1000
			rows = append(rows, Row{Pipeline: dag.Name, Series: series, Metric: "duration_ms:" + r.Function, X: float64(n), Value: ms, Bound: nan})
		})
	}
	warmup := 5
	steady := spaced(steadyN+warmup, 1e6, in)
	if _, err := s.Run(ctx, backend.Workload{Source: steady}, collect("steady", warmup)); err != nil {
		return nil, err
	}
	cold := spaced(coldN, int64(env.Platform.KeepAliveS*1e6)+300e6, in)
	if _, err := s.Run(ctx, backend.Workload{Source: cold}, collect("unsteady", 0)); err != nil {
		return nil, err
	}
	return rows, nil
}

// spaced yields n requests gap µs apart.
type spacedSource struct {
	n, i int
	gap  int64
	in   video.Input
}

func spaced(n int, gap int64, in video.Input) *spacedSource {
	return &spacedSource{n: n, gap: gap, in: in}
}

func (s *spacedSource) Next(r *backend.Request) bool {
	if s.i >= s.n {
		return false
	}
	r.At, r.Input = int64(s.i)*s.gap, s.in
	s.i++
	return true
}

func (fig1) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "cold starts: steady vs unsteady measurements (Figure 1b)"}
	// Spike of a function in one seed: its slowest unsteady measurement over
	// its steady median.
	type key struct {
		pipe, metric string
		seed         int64
	}
	steady := map[key][]float64{}
	unsteady := map[key][]float64{}
	for _, r := range rows {
		k := key{r.Pipeline, r.Metric, r.Seed}
		if r.Series == "steady" {
			steady[k] = append(steady[k], r.Value)
		} else {
			unsteady[k] = append(unsteady[k], r.Value)
		}
	}
	perSeedMax := map[int64]float64{}
	perSeedMedian := map[int64][]float64{}
	sec.Table = [][]string{{"pipeline", "function", "steady median (ms)", "unsteady median (ms)", "max spike (%)"}}
	type agg struct{ st, un []float64 }
	byFn := map[[2]string]*agg{}
	var order [][2]string
	for k, st := range steady {
		un := unsteady[k]
		if len(un) == 0 {
			continue
		}
		med := median(st)
		spike := (maxOf(un)/med - 1) * 100
		perSeedMax[k.seed] = math.Max(perSeedMax[k.seed], spike)
		perSeedMedian[k.seed] = append(perSeedMedian[k.seed], (median(un)/med-1)*100)
		fk := [2]string{k.pipe, k.metric}
		if byFn[fk] == nil {
			byFn[fk] = &agg{}
			order = append(order, fk)
		}
		byFn[fk].st = append(byFn[fk].st, st...)
		byFn[fk].un = append(byFn[fk].un, un...)
	}
	sort.Slice(order, func(a, b int) bool { return order[a][0]+order[a][1] < order[b][0]+order[b][1] })
	for _, fk := range order {
		a := byFn[fk]
		sec.Table = append(sec.Table, []string{fk[0], fk[1][len("duration_ms:"):],
			fmt.Sprintf("%.0f", median(a.st)), fmt.Sprintf("%.0f", median(a.un)), fmt.Sprintf("%.1f", (maxOf(a.un)/median(a.st)-1)*100)})
	}
	var maxes, meds []float64
	for _, seed := range sortedSeeds(perSeedMax) {
		maxes = append(maxes, perSeedMax[seed])
		meds = append(meds, median(perSeedMedian[seed]))
	}
	sec.Headlines = []Headline{
		headline("largest cold-start spike over the steady median", 213.08, maxes, "%", 60, "max over functions of the three pipelines at 2,048 MB"),
		headline("median cold-start slowdown", math.NaN(), meds, "%", 10, "median over functions"),
	}
	sec.Text = "Every function of the three pipelines at 2,048 MB, measured warm (requests 1 s apart after a warm-up) and cold " +
		"(requests spaced beyond the keep-alive). A cold measurement includes the init duration it waited for. " +
		"The spike is a function's slowest cold measurement relative to its steady median."
	// Figure: box plots of steady vs unsteady per function of face-beautification.
	p := newPlot("face-beautification at 2,048 MB: steady vs unsteady", "function", "duration (ms)")
	var names []string
	i := 0
	for _, fk := range order {
		if fk[0] != "face-beautification" {
			continue
		}
		a := byFn[fk]
		for s, vals := range [][]float64{a.st, a.un} {
			bp, err := plotter.NewBoxPlot(vg.Points(10), float64(i)*3+float64(s), plotter.Values(vals))
			if err != nil {
				return nil, err
			}
			bp.FillColor = colour(s)
			p.Add(bp)
			if i == 0 {
				p.Legend.Add([]string{"steady", "unsteady"}[s], swatch{colour(s)})
			}
		}
		names = append(names, fk[1][len("duration_ms:"):])
		i++
	}
	var ticks []plot.Tick
	for k, n := range names {
		ticks = append(ticks, plot.Tick{Value: float64(k)*3 + 0.5, Label: n})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	f, err := figs.Save("fig1", 24*vg.Centimeter, 10*vg.Centimeter, p)
	if err != nil {
		return nil, err
	}
	sec.Figures = []string{f}
	return sec, nil
}

func maxOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

func sortedSeeds[V any](m map[int64]V) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}
