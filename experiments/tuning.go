package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/tuners"
	"github.com/confignav/confignav/video"
)

// The paper's cost bounds (§4.2): 30, 50, 80 and 100 % above the minimum.
var paperBounds = []float64{0.3, 0.5, 0.8, 1.0}

// The tuners the paper compares (§4.1), Aquatope in both variants (the
// corrected aquatope-fixed, which the better-baseline headlines use, and the
// literal aquatope, reported beside it: BASELINES.md), and the other
// baselines shown as extra series.
var (
	mainTuners  = []string{"navigator", "charmseeker", "aquatope-fixed", "aquatope"}
	extraTuners = []string{"powertuning", "parrotfish", "random"}
)

// outcome is one tuning run and the ground truth of its answer.
type outcome struct {
	Pipeline, Tuner string
	Workload        workload // what it tuned on and is judged on
	Bound           float64
	Seed            uint64
	Config          backend.Config
	Believed        bool // the tuner believed it met the bound
	Truth           oracle.Truth
	Feasible        bool // by the ground truth
	Optimum         *oracle.Optimum
	CMin, CBound    float64
	Result          *tuner.Result
	// nav is ConfigNavigator after its Tune, detached from the tuning
	// environment, for online runs to clone (navigatorOnline).
	nav *navigator.Navigator
}

// Regret of the answer against the exact optimum (NaN when unknown).
func (o *outcome) Regret() float64 {
	if o.Optimum == nil || math.IsNaN(o.Truth.LatencyMs) {
		return math.NaN()
	}
	return o.Truth.LatencyMs/o.Optimum.LatencyMs - 1
}

// samples is the oracle's sample count per mode.
func (e *Env) samples() int {
	if e.Mode == Full {
		return 256
	}
	return 96
}

// available reports whether a tuner can run in this build and environment.
func (e *Env) available(name string) bool {
	for _, n := range tuners.Names() {
		if n == name {
			if name == "navigator" {
				_, err := e.predictor()
				return err == nil
			}
			return true
		}
	}
	return false
}

// tune runs one tuner on a pipeline and workload at a bound with a seed,
// once per process: experiments on the same workload share runs (fig7 and
// table4 on the catalogue, the others on the tuning clip; Options.TuneOn).
func (e *Env) tune(ctx context.Context, w workload, pipe, name string, bound float64, seed uint64) (*outcome, error) {
	key := fmt.Sprintf("tune|%s|%s|%s|%g|%d", w.name, pipe, name, bound, seed)
	v, err := e.Once(key, func() (any, error) { return e.tuneRun(ctx, w, pipe, name, bound, seed) })
	if err != nil {
		return nil, err
	}
	return v.(*outcome), nil
}

// dagFor loads a pipeline by name, including fig2's 3-function pipelines.
func (e *Env) dagFor(pipe string) (*pipeline.DAG, error) {
	if name, ok := strings.CutPrefix(pipe, measuredPrefix); ok {
		return e.measuredDAG(name)
	}
	for shape, spec := range fig2Specs {
		if pipe == shape+"3" {
			d, err := compile(spec)
			if err != nil {
				return nil, err
			}
			return e.adapt(d), nil
		}
	}
	return e.Pipeline(pipe)
}

func (e *Env) tuneRun(ctx context.Context, w workload, pipe, name string, bound float64, seed uint64) (*outcome, error) {
	dag, err := e.dagFor(pipe)
	if err != nil {
		return nil, err
	}
	// The ground truth uses its own seed, shared by every tuner of a seed, so
	// that tuners are judged on the same truth.
	orc, err := e.workloadTruth(dag, w, seed)
	if err != nil {
		return nil, err
	}
	cmin, _, err := orc.CMin()
	if err != nil {
		return nil, err
	}
	prob, err := e.tuningProblem(dag, w, bound, cmin, seed)
	if err != nil {
		return nil, err
	}
	deps := tuners.Deps{Oracle: orc}
	if name == "navigator" {
		if deps.Predictor, err = e.predictor(); err != nil {
			return nil, err
		}
	}
	t, err := tuners.New(name, deps)
	if err != nil {
		return nil, err
	}
	res, err := t.Tune(ctx, prob)
	if err != nil {
		return nil, fmt.Errorf("%s on %s at +%.0f%%: %w", name, pipe, bound*100, err)
	}
	o := &outcome{Pipeline: pipe, Tuner: name, Workload: w, Bound: bound, Seed: seed, Config: res.Config, Believed: res.Feasible,
		CMin: cmin, CBound: prob.CBound(), Result: res}
	if nav, ok := t.(*navigator.Navigator); ok {
		detached := *prob
		detached.Env = nil
		o.nav = nav.Clone(&detached)
	}
	if res.Config != nil {
		if o.Truth, err = orc.Evaluate(res.Config); err != nil {
			return nil, err
		}
		o.Feasible = o.Truth.Fits && o.Truth.CostUSD <= prob.CBound()*(1+1e-9)
	} else {
		o.Truth = oracle.Truth{LatencyMs: math.NaN(), P95Ms: math.NaN(), CostUSD: math.NaN()}
	}
	if len(dag.Nodes) <= 4 {
		opt, err := orc.Exhaustive(ctx, prob.CBound(), 0)
		if err != nil && !errors.Is(err, oracle.ErrInfeasible) {
			return nil, err
		}
		if err == nil {
			o.Optimum = &opt
		}
	}
	return o, nil
}

// tuningClip is the clip every tuner tunes on: the reference clip with two
// faces.
func tuningClip() video.Input {
	in := video.Reference
	in.Faces = 2
	return in
}

// workloadTruth is the ground truth of a pipeline on a workload.
func (e *Env) workloadTruth(dag *pipeline.DAG, w workload, seed uint64) (*oracle.Oracle, error) {
	if w.cat == nil {
		return e.truth(dag, e.Platform.Grid(), w.clips[0], e.samples(), seed)
	}
	return e.truthOf(dag, e.Platform.Grid(), w.name, w.clips, e.samples(), seed)
}

// tuningProblem is the problem every tuner of a seed is given, on a fresh
// simulator: one simulator seed for every tuner of a seed (common random
// numbers, tuner.MeasurementKey), requests of the workload at one a second.
// Pipeline runs carry the workload's clips. What a tuner runs outside the
// pipeline (ConfigNavigator's profiling, the function-level invocations of
// CharmSeeker, Power Tuning and Parrotfish) runs on the tuning clip, or on a
// catalogue's payloads: the same for every tuner.
func (e *Env) tuningProblem(dag *pipeline.DAG, w workload, bound, cmin float64, seed uint64) (*tuner.Problem, error) {
	s, err := sim.New(e.Platform, dag, seed*7919)
	if err != nil {
		return nil, err
	}
	src, err := w.source()
	if err != nil {
		return nil, err
	}
	in := tuningClip()
	env := tuner.NewEnv(s, src, seed)
	env.Input = in
	env.Payloads = w.payloads
	return &tuner.Problem{Pipeline: dag, Platform: e.Platform, Grid: e.Platform.Grid(), Bound: bound, CMin: cmin, Seed: seed, Env: env}, nil
}

// model is ConfigNavigator's prediction model, loaded once.
func (e *Env) model() (*model.Model, error) {
	v, err := e.Once("model", func() (any, error) {
		if e.Model == nil {
			return nil, errors.New("experiments: no prediction model")
		}
		return e.Model(e.Platform)
	})
	if err != nil {
		return nil, err
	}
	return v.(*model.Model), nil
}

// predictor is the model as ConfigNavigator's Predictor.
func (e *Env) predictor() (navigator.Predictor, error) {
	m, err := e.model()
	if err != nil {
		return nil, err
	}
	return m.Predictor(), nil
}

// poissonStream is a Poisson stream of one clip.
type poissonStream struct {
	rng   *rand.Rand
	perUs float64
	t     float64
	in    video.Input
}

func newPoissonStream(perSecond float64, seed uint64, in video.Input) *poissonStream {
	return &poissonStream{rng: rand.New(rand.NewPCG(seed, 0x70737472)), perUs: perSecond / 1e6, in: in}
}

func (p *poissonStream) Next(r *backend.Request) bool {
	p.t += p.rng.ExpFloat64() / p.perUs
	r.At, r.Input = int64(p.t), p.in
	return true
}

// tuningCells makes one cell per (pipeline, bound, seed); each cell runs
// every available tuner.
func tuningCells(exp string, pipes []string, bounds []float64, seeds int) []Cell {
	var cells []Cell
	for _, p := range pipes {
		for _, b := range bounds {
			for s := 1; s <= seeds; s++ {
				cells = append(cells, Cell{Experiment: exp, Params: Params(map[string]string{"pipeline": p, "bound": fmt.Sprint(b)}), Seed: uint64(s)})
			}
		}
	}
	return cells
}

func cellBound(c Cell) float64 {
	var b float64
	fmt.Sscan(c.Param("bound"), &b)
	return b
}

// tunerList is the tuners a cell runs: the paper's three (Aquatope in both
// variants) and, unless only the main ones are wanted, the extra baselines.
func (e *Env) tunerList(extra bool) []string {
	var out []string
	for _, n := range mainTuners {
		if e.available(n) {
			out = append(out, n)
		}
	}
	if extra {
		for _, n := range extraTuners {
			if e.available(n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// missingTuners names the compared tuners that have no rows (not in this
// build, or no prediction model for ConfigNavigator).
func missingTuners(seen []string) string {
	have := map[string]bool{}
	for _, t := range seen {
		have[t] = true
	}
	var miss []string
	for _, n := range append(append([]string{}, mainTuners...), extraTuners...) {
		if !have[n] {
			miss = append(miss, n)
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return " Not run: " + strings.Join(miss, ", ") + "."
}
