package navigator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

// Prediction is a predicted latency distribution of one function at one
// memory size (§3.1: normal body fused with a Pareto tail).
type Prediction interface {
	Mean() float64              // ms
	Quantile(u float64) float64 // ms, u in (0, 1)
}

// Predictor predicts a function's latency distribution at a memory size from
// the basic-operation features of one profiling run (§3.1).
type Predictor interface {
	Predict(f backend.Features, mb int) (Prediction, error)
}

// ErrOutOfMemory is what a Predictor returns (wrapped) for a size at which the
// function is predicted to run out of memory; the search treats the size as
// infeasible.
var ErrOutOfMemory = errors.New("navigator: predicted out of memory")

// Navigator is ConfigNavigator's offline phase as a tuner.Tuner.
type Navigator struct {
	Predictor Predictor
	Options   Options
	// Samples is the Monte-Carlo sample count per function and size
	// (default 256).
	Samples int
	// MemoryMargin keeps sizes at least this factor above the profiled peak
	// memory (default 1.1): the model predicts time, not out-of-memory
	// failures, so sizes the profile shows to be too small are excluded.
	MemoryMargin float64
	// Chance is the probability with which the answer should meet the cost
	// bound (a chance constraint; default 0.95, must lie in (0, 1)). It sets
	// the first search's bound scale from ModelError and the margin a
	// confirmation run's measured cost must keep below C_bound given its
	// sampling error (see confirm).
	Chance float64
	// ModelError is the relative standard deviation of the model's predicted
	// mean cost (0: default 0.078; negative: none). The default is the
	// prediction model's validation error: a mean absolute percentage error
	// of 6.2 % at ≥ 512 MB (cnav model eval, results/reference/model.json of
	// 2026-12-04), which is σ ≈ 7.8 % for normal errors (MAPE = σ·√(2/π)).
	ModelError float64
	// MaxRuns is the most pipeline runs the confirmation may charge (0:
	// default 6; negative: trust the model and measure nothing).
	MaxRuns int
	// NoPlateauProbe skips refineFlat: the run after the confirmation that
	// measures smaller sizes the model cannot tell from the chosen ones
	// (payload confirmations only).
	NoPlateauProbe bool
	// Store keeps group configurations between searches (warm start).
	Store *Store

	conf  Confirmation
	preds map[predKey]predEntry // memoised predictions

	// last is the most recent Tune's problem, profiles and search options,
	// kept so that Research can re-plan without profiling again.
	last *lastTune
}

type lastTune struct {
	p     *tuner.Problem
	clips []video.Input        // the clips the features were profiled on
	feats [][]backend.Features // [clip][node]
	opts  Options
	// nodes are the models behind the last plan (Curve): the confirmation's
	// corrected ones after Tune, the re-search's after a re-search.
	nodes []NodeModel
}

// Name is "navigator".
func (*Navigator) Name() string { return "navigator" }

// Tune profiles every function once, predicts its distribution at every grid
// size, searches, and confirms the best candidates by measurement.
func (n *Navigator) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if n.Predictor == nil {
		return nil, errors.New("navigator: no prediction model (train one with cnav model train)")
	}
	env := p.Env
	env.CBound = p.CBound()
	env.Start()
	dag := p.Pipeline
	// One profiling run per function on each payload (the workload's
	// representative clips) or on the environment's clip.
	clips := env.Payloads
	if len(clips) == 0 {
		clips = []video.Input{env.Input}
	}
	feats := make([][]backend.Features, len(clips))
	for c, in := range clips {
		var err error
		if feats[c], err = profileAll(ctx, env, dag, in, nil); err != nil {
			return nil, err
		}
	}
	nodes, err := n.models(p, clips, feats, nil)
	if err != nil {
		return nil, err
	}
	if n.Store == nil {
		n.Store = NewStore()
	}
	opts := n.Options
	if opts.Large == nil {
		evals := opts.withDefaults().BOEvaluations
		opts.Large = BayesianSearch(evals, p.Seed)
	}
	if opts.Seed == 0 {
		opts.Seed = p.Seed
	}
	n.last = &lastTune{p: p, clips: clips, feats: feats, opts: opts, nodes: nodes}
	n.conf = Confirmation{Chance: n.chance()}
	res := &tuner.Result{Tuner: n.Name(), Unit: fmt.Sprintf("profiling runs + pipeline runs of %g s", float64(env.WindowUs)/1e6)}
	if len(env.Payloads) > 1 {
		res.Unit = fmt.Sprintf("profiling runs + function invocations on %d payloads", len(env.Payloads))
	}
	search := func(nodes []NodeModel, bound float64) (*Plan, error) {
		return Search(ctx, NewPartition(dag), nodes, bound, opts, n.Store)
	}
	scale := n.firstScale()
	plan, err := search(nodes, scale*p.CBound())
	if errors.Is(err, ErrInfeasible) && scale < 1 {
		// The chance constraint leaves no room: the mean prediction may.
		scale = 1
		plan, err = search(nodes, p.CBound())
	}
	if cmin := predictedCMin(nodes); errors.Is(err, ErrInfeasible) && n.maxRuns() > 0 && !math.IsInf(cmin, 1) && cmin*(1+p.Bound) > p.CBound() {
		// Nothing is predicted to fit: the model's costs are off by a level
		// (the profiling clip is lighter or heavier than the requests the
		// pipeline serves). Search as far above the predicted minimum as
		// the bound is above the true one and let the confirmation's first
		// run measure the level and correct it.
		scale = cmin * (1 + p.Bound) / p.CBound()
		plan, err = search(nodes, scale*p.CBound())
	}
	if errors.Is(err, ErrInfeasible) {
		res.Note = "infeasible: no configuration is predicted to meet the bound"
		res.Evaluations = env.Evaluations("profile")
		return env.Finish(res), nil
	}
	if err != nil {
		return nil, err
	}
	res.Config, res.Feasible = n.config(p, plan.Config), true
	if n.maxRuns() > 0 {
		if err := n.confirm(ctx, p, nodes, scale, plan, search, res); err != nil {
			return nil, err
		}
	}
	res.Evaluations = env.Evaluations("profile") + env.Evaluations("pipeline") + env.Evaluations("invoke")
	return env.Finish(res), nil
}

// Clone is a copy of the navigator for re-searches in another environment:
// the last Tune's profiles, search options, memoised predictions and stored
// group configurations are copied, and p (the same pipeline and grid; its
// Env profiles for ResearchInput and ResearchPipeline) takes the tuned
// problem's place. Re-searches of one copy do not change the other, so one
// Tune can serve several online runs without searching again. Predictor is
// shared: it must be safe for concurrent use, as every tuner's is.
func (n *Navigator) Clone(p *tuner.Problem) *Navigator {
	c := *n
	c.Store = n.Store.clone()
	c.preds = maps.Clone(n.preds)
	c.conf.Scales = slices.Clone(n.conf.Scales)
	if n.last != nil {
		l := *n.last
		l.p = p
		c.last = &l
	}
	return &c
}

// Confirmation says what the last Tune's confirmation did.
type Confirmation struct {
	Chance float64   // the probability the chance constraint used
	Runs   int       // pipeline runs charged
	Scales []float64 // bound scales searched, in order
	// Probed is how many functions the plateau probe (refineFlat) measured
	// at a smaller size (0: no probe run), Moved how many of them it moved.
	Probed, Moved int
}

// Confirmation returns what the last Tune's confirmation did.
func (n *Navigator) Confirmation() Confirmation { return n.conf }

func (n *Navigator) chance() float64 {
	if n.Chance > 0 && n.Chance < 1 {
		return n.Chance
	}
	return 0.95
}

func (n *Navigator) modelError() float64 {
	switch {
	case n.ModelError < 0:
		return 0
	case n.ModelError == 0:
		return 0.078
	}
	return n.ModelError
}

func (n *Navigator) maxRuns() int {
	switch {
	case n.MaxRuns < 0:
		return 0
	case n.MaxRuns == 0:
		return 6
	}
	return n.MaxRuns
}

// z is the standard normal quantile of the chance.
func (n *Navigator) z() float64 { return math.Sqrt2 * math.Erfinv(2*n.chance()-1) }

// firstScale is the bound scale of the first search: the predicted mean cost
// C must satisfy P(C·(1+ε) ≤ C_bound) ≥ Chance with ε ~ N(0, ModelError²), the
// same ε for every function (the model's errors within one pipeline are
// systematic rather than independent: they come from the same platform
// effects, so the comonotone sum is the safe one), which is
// C ≤ C_bound / (1 + z·ModelError).
func (n *Navigator) firstScale() float64 { return 1 / (1 + n.z()*n.modelError()) }

// trial is one confirmation run.
type trial struct {
	cfg       backend.Config
	idx       []int // cfg as grid indices
	feasible  bool
	latencyMs float64
	costUSD   float64
	predicted float64 // the plan's predicted cost
	scale     float64
	targetUSD float64                        // the measured cost it had to stay under
	fns       map[string]tuner.FunctionStats // per function, what was measured
}

// confirm measures the search's answers and moves the bound scale s (the
// search runs against s·C_bound) until the measurements bracket the largest
// feasible scale, keeping the fastest configuration measured feasible:
//
//   - a run is feasible when it had no failure and its measured cost m keeps
//     below C_bound with the chance: m ≤ T = C_bound − z·se, where se is the
//     standard error of the window's mean cost: the larger of the model's
//     predicted per-request spread (the predicted variance of each function
//     at its size, independent between functions and requests, over the
//     window's requests) and the spread of the window's own per-request
//     costs, plus the window-to-window drift floor DriftFloor (windowSE);
//   - while only feasible (or only infeasible) runs exist, the next scale is
//     the secant step s' = T·P/(m·C_bound) that would bring the measured cost
//     to T given the last run's measured-to-predicted cost ratio m/P, moved by
//     at least 2 % and at most a factor 4/3 (the ratio differs between
//     configurations: an unlimited step overshot by a factor of three on the
//     measured platform);
//   - once both exist, regula falsi: the scale where the measured costs of
//     the largest feasible and the smallest infeasible scale interpolate to T,
//     kept inside the middle 60 % of the bracket (in log scale) so that it
//     shrinks at least as fast as every other bisection step;
//   - a search that returns a configuration already measured costs nothing
//     and counts as that measurement; a scale at which no configuration is
//     predicted to fit moves halfway back towards the last searched scale.
//
// It stops after MaxRuns runs, when the bracket is narrower than 0.5 %, or
// after 4·MaxRuns searches. If nothing measured was feasible it returns the
// cheapest measured configuration, marked infeasible.
func (n *Navigator) confirm(ctx context.Context, p *tuner.Problem, nodes []NodeModel, scale float64, plan *Plan, search func(nodes []NodeModel, bound float64) (*Plan, error), res *tuner.Result) error {
	cb, z, maxRuns := p.CBound(), n.z(), n.maxRuns()
	cal := newCalibration(len(nodes))
	model := nodes
	recal := false // the last run changed the model
	// With payloads (a workload of many clips) a pipeline window's mean is
	// dominated by which clips arrived: the confirmation measures every
	// function on the payloads instead (measurePayloads).
	onPayloads := len(p.Env.Payloads) > 1
	byCfg := map[string]*trial{}
	var trials []*trial
	var lo, hi, last *trial // largest feasible, smallest infeasible, last measured
	for searches := 1; ; searches++ {
		if plan != nil {
			n.conf.Scales = append(n.conf.Scales, scale)
			cfg := n.config(p, plan.Config)
			key := cfg.String()
			t := byCfg[key]
			if t == nil {
				if n.conf.Runs >= maxRuns {
					break
				}
				var ev tuner.Evaluation
				var se float64
				var err error
				if onPayloads {
					ev, err = measurePayloads(ctx, p, model, plan.Config)
					se = DriftFloor * ev.CostUSD
				} else {
					ev, err = p.Env.Measure(ctx, cfg)
					se = windowSE(model, plan.Config, ev.Requests, ev.CostSE)
				}
				if err != nil {
					return err
				}
				n.conf.Runs++
				if cal.add(p, nodes, plan.Config, ev) {
					model = cal.apply(p, nodes)
					recal = true
				}
				t = &trial{cfg: cfg, idx: slices.Clone(plan.Config), latencyMs: ev.LatencyMs, costUSD: ev.CostUSD, predicted: plan.CostUSD, targetUSD: cb - z*se, fns: ev.Functions}
				t.feasible = ev.Failed == 0 && ev.Requests > 0 && ev.CostUSD <= t.targetUSD
				byCfg[key] = t
				trials = append(trials, t)
			}
			// This scale's answer, measured now or before.
			at := *t
			at.scale = scale
			if at.feasible {
				if lo == nil || scale > lo.scale {
					lo = &at
				}
			} else if hi == nil || scale < hi.scale {
				hi = &at
			}
			last = &at
		}
		if n.conf.Runs >= maxRuns || searches >= 4*maxRuns || last == nil {
			break
		}
		prev := scale
		switch {
		case plan == nil: // nothing fits at this scale: back towards the last one
			scale = math.Sqrt(scale * last.scale)
		case recal:
			// The model now predicts what was measured: the scales of earlier
			// runs belong to another model, and the target itself is the
			// next bound.
			recal, lo, hi = false, nil, nil
			scale = last.targetUSD / cb
		case lo != nil && hi != nil:
			if hi.scale/lo.scale < 1.005 {
				goto done
			}
			x := lo.scale
			if hi.costUSD > lo.costUSD {
				x = lo.scale + (lo.targetUSD-lo.costUSD)*(hi.scale-lo.scale)/(hi.costUSD-lo.costUSD)
			}
			l, h := math.Log(lo.scale), math.Log(hi.scale)
			scale = math.Exp(math.Min(math.Max(math.Log(math.Max(x, 1e-9)), l+0.2*(h-l)), l+0.8*(h-l)))
		default:
			next := scale
			if last.costUSD > 0 && last.predicted > 0 {
				next = last.targetUSD * last.predicted / (last.costUSD * cb)
			}
			if lo != nil { // only feasible so far: go up
				next = math.Min(math.Max(next, scale*1.02), scale*4/3)
			} else {
				next = math.Max(math.Min(next, scale/1.02), scale*3/4)
			}
			if !(next > 0) || math.IsInf(next, 0) {
				goto done
			}
			scale = next
		}
		if math.Abs(scale/prev-1) < 1e-9 {
			break
		}
		next, err := search(model, scale*cb)
		if errors.Is(err, ErrInfeasible) {
			plan = nil
			continue
		}
		if err != nil {
			return err
		}
		plan = next
	}
done:
	n.last.nodes = model
	if onPayloads {
		// Payload measurements give no end-to-end latency: every trial is
		// ranked by the final corrected model's.
		for _, t := range trials {
			t.latencyMs = predictLatency(p.Pipeline, model, t.idx)
		}
	}
	var best, cheap *trial
	for _, t := range trials {
		if t.feasible && (best == nil || t.latencyMs < best.latencyMs) {
			best = t
		}
		if cheap == nil || t.costUSD < cheap.costUSD {
			cheap = t
		}
	}
	plateau := ""
	if onPayloads && best != nil && !n.NoPlateauProbe {
		was := best
		var err error
		if best, err = n.refineFlat(ctx, p, model, best); err != nil {
			return err
		}
		if best != was {
			plateau = fmt.Sprintf("; measured faster on its plateau: %s", best.cfg)
		}
	}
	switch {
	case best != nil:
		res.Config, res.Feasible = best.cfg, true
		res.Note = fmt.Sprintf("%d confirmation runs over bound scales %s; kept the fastest measured within the bound at %.0f %% chance (measured cost %.3f of C_bound)%s",
			n.conf.Runs, fmtScales(n.conf.Scales), 100*n.chance(), best.costUSD/cb, plateau)
	case cheap != nil:
		res.Config, res.Feasible = cheap.cfg, false
		res.Note = fmt.Sprintf("none of the %d measured configurations met the bound at %.0f %% chance; returning the cheapest measured (%.3f of C_bound)",
			n.conf.Runs, 100*n.chance(), cheap.costUSD/cb)
	}
	return nil
}

// measurePayloads measures configuration idx the way CharmSeeker measures
// a stage, for every function at once (tuner.Env.Parallel: charged as the
// slowest): payloadInvocations invocations of the function at its size on
// each payload (tuner.Env.Invoke), after as many that warm the
// environments. It returns what a pipeline window would have given:
// per-function mean times and failures, and the warm cost of a request, the
// sum over functions of the expected invocations per request times the
// cost of the mean REPORT Duration (billed INIT is not what the
// configuration costs once warm; measured cold, face-detection's cost on
// ten payloads came out 1.26 of C_bound where the truth was 0.88). The
// end-to-end latency is not measured (NaN).
//
// The payloads are fixed, so their mean has no clip-mix noise: a pipeline
// window of 30 catalogue requests measured face-detection's cost from 5 %
// below to 20 % above the catalogue's true mean (seeds 1–3, +30 %, at
// 4,096 MB), and the model corrected by the high ones predicted that
// nothing fits the bound.
func measurePayloads(ctx context.Context, p *tuner.Problem, nodes []NodeModel, idx []int) (tuner.Evaluation, error) {
	env := p.Env
	price, fee := p.Platform.PricePerGBSecond(), p.Platform.Price.PerRequest
	ev := tuner.Evaluation{Kind: "payloads", Config: backend.Config{}, LatencyMs: math.NaN(), P95Ms: math.NaN(), CostSE: math.NaN(),
		Functions: map[string]tuner.FunctionStats{}, Requests: int64(len(env.Payloads))}
	err := env.Parallel(len(p.Pipeline.Nodes), func(i int) error {
		nd := &p.Pipeline.Nodes[i]
		mb := p.Grid[idx[i]]
		ev.Config[nd.Name] = mb
		fs, err := invokePayloads(ctx, env, nd.Name, mb)
		if err != nil {
			return err
		}
		ev.Functions[nd.Name] = fs
		if fs.Failures > 0 {
			// Out of memory on some payload: the run is infeasible, and the
			// calibration forbids the size; its cost still steers the next
			// scale, from the invocations that finished (else the model).
			ev.Failed++
		}
		if !(fs.MeanMs >= 0) {
			ev.CostUSD += nodes[i].Cost[idx[i]]
			return nil
		}
		ev.CostUSD += nodes[i].Invocations * (fs.MeanMs/1000*float64(mb)/1024*price + fee)
		return nil
	})
	return ev, err
}

// invokePayloads measures one function at mb MB on the environment's
// payloads: payloadInvocations invocations on each, after as many that
// warm the environments (the first invocations at a size start cold and
// run slower, platform.ColdStart.FirstInvocationSlowdown: a warm-up,
// charged and not observed, as before a pipeline window).
func invokePayloads(ctx context.Context, env *tuner.Env, fn string, mb int) (tuner.FunctionStats, error) {
	if _, err := env.Invoke(ctx, fn, mb, payloadInvocations); err != nil {
		return tuner.FunctionStats{}, fmt.Errorf("navigator: confirm %s at %d MB on the payloads: %w", fn, mb, err)
	}
	one, err := env.Invoke(ctx, fn, mb, payloadInvocations)
	if err != nil {
		return tuner.FunctionStats{}, fmt.Errorf("navigator: confirm %s at %d MB on the payloads: %w", fn, mb, err)
	}
	return one.Functions[fn], nil
}

// payloadInvocations is how many times measurePayloads invokes a function
// on each payload: 3, so that a function's mean is over 30 invocations on
// ten payloads, as over a 30-s pipeline window's requests. With one per
// payload, one straggler (the platform's interference tail: 28.8 s against
// a 3.8-s mean for face-detect) moved the measured cost by 30 %.
const payloadInvocations = 3

// predictLatency is the node models' mean end-to-end latency of
// configuration idx (the longest path per Monte-Carlo sample): the search's
// objective, and the confirmation's ranking of payload measurements.
func predictLatency(dag *pipeline.DAG, nodes []NodeModel, idx []int) float64 {
	samples := len(nodes[0].Samples[idx[0]])
	fin := make([]float64, len(nodes))
	var sum float64
	for j := 0; j < samples; j++ {
		var end float64
		for v, nd := range dag.Nodes {
			start := 0.0
			for _, q := range nd.Preds {
				start = maxTime(start, fin[q])
			}
			fin[v] = start + nodes[v].Samples[idx[v]][j]
			end = maxTime(end, fin[v])
		}
		sum += end
	}
	return sum / float64(samples)
}

// calibration corrects each function's predictions by what confirmation runs
// measured (the per-function durations of the REPORT lines, §3.3.3's log
// inspection): ln(measured mean / predicted mean) at each measured size,
// interpolated linearly in log2(memory) between measured sizes and held
// constant beyond them. One run corrects a function's level (the measured
// platform's times differ from the model's by up to a factor of three); runs
// at other sizes correct its slope.
//
// A function whose invocations failed (out of memory: the profile's peak
// memory under-states what the platform needs) is not allowed at that size
// or any smaller one again.
type calibration struct {
	at     [][]calPoint // per node, ascending memory
	failed []int        // per node, the largest grid index that failed (-1: none)
}

type calPoint struct {
	x, lr float64 // log2(MB), ln(measured/predicted)
	n     int
}

func newCalibration(nodes int) *calibration {
	c := &calibration{at: make([][]calPoint, nodes), failed: make([]int, nodes)}
	for i := range c.failed {
		c.failed[i] = -1
	}
	return c
}

// add records a measurement of configuration idx; it reports whether anything
// was learnt.
func (c *calibration) add(p *tuner.Problem, nodes []NodeModel, idx []int, ev tuner.Evaluation) bool {
	changed := false
	for i, nd := range p.Pipeline.Nodes {
		fs, ok := ev.Functions[nd.Name]
		if ok && fs.Failures > 0 && idx[i] > c.failed[i] {
			c.failed[i], changed = idx[i], true
		}
		if !ok || nodes[i].Mean == nil || fs.Invocations-fs.Failures < 1 || !(fs.MeanMs > 0) {
			continue
		}
		pm := nodes[i].Mean[idx[i]]
		if !(pm > 0) {
			continue
		}
		x, lr := math.Log2(float64(p.Grid[idx[i]])), math.Log(fs.MeanMs/pm)
		pts := c.at[i]
		k := sort.Search(len(pts), func(j int) bool { return pts[j].x >= x })
		if k < len(pts) && pts[k].x == x {
			pts[k].lr = (pts[k].lr*float64(pts[k].n) + lr) / float64(pts[k].n+1)
			pts[k].n++
		} else {
			pts = append(pts, calPoint{})
			copy(pts[k+1:], pts[k:])
			pts[k] = calPoint{x: x, lr: lr, n: 1}
		}
		c.at[i] = pts
		changed = true
	}
	return changed
}

// factor is the correction of node i at log2 size x.
func (c *calibration) factor(i int, x float64) float64 {
	pts := c.at[i]
	switch {
	case len(pts) == 0:
		return 1
	case x <= pts[0].x:
		return math.Exp(pts[0].lr)
	case x >= pts[len(pts)-1].x:
		return math.Exp(pts[len(pts)-1].lr)
	}
	k := sort.Search(len(pts), func(j int) bool { return pts[j].x >= x })
	a, b := pts[k-1], pts[k]
	return math.Exp(a.lr + (b.lr-a.lr)*(x-a.x)/(b.x-a.x))
}

// apply returns the node models with times, costs and spreads corrected.
func (c *calibration) apply(p *tuner.Problem, nodes []NodeModel) []NodeModel {
	fee := p.Platform.Price.PerRequest
	out := make([]NodeModel, len(nodes))
	for i, nm := range nodes {
		if len(c.at[i]) == 0 && c.failed[i] < 0 {
			out[i] = nm
			continue
		}
		k := nm.Invocations
		cm := NodeModel{Samples: make([][]float64, len(nm.Samples)), Cost: make([]float64, len(nm.Cost)),
			CostSD: make([]float64, len(nm.CostSD)), Mean: make([]float64, len(nm.Mean)), Invocations: k}
		for g := range nm.Samples {
			f := c.factor(i, math.Log2(float64(p.Grid[g])))
			xs := make([]float64, len(nm.Samples[g]))
			for j, v := range nm.Samples[g] {
				xs[j] = v * f
			}
			cm.Samples[g] = xs
			cm.Cost[g] = nm.Cost[g]
			if !math.IsInf(nm.Cost[g], 1) {
				cm.Cost[g] = (nm.Cost[g]-k*fee)*f + k*fee
			}
			if g <= c.failed[i] {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
				cm.Cost[g] = math.Inf(1)
			}
			if g < len(nm.CostSD) {
				cm.CostSD[g] = nm.CostSD[g] * f
			}
			if g < len(nm.Mean) {
				cm.Mean[g] = nm.Mean[g] * f
			}
		}
		out[i] = cm
	}
	return out
}

// DriftFloor is the relative standard deviation of a 30-s window's mean cost
// that averaging its requests does not remove: the speed of the few
// environments that serve it and the traffic tide's phase. Measured
// 2026-12-04 as the spread of measured/true mean cost of one window (after
// its warm-up, following three windows at other sizes) over 30 seeds:
// 3.2–3.7 % on face-detection and autoclip at 1,536, 2,048 and 3,072 MB on
// both platforms, of which the window's own per-request standard error
// explains about 1 %, leaving √(3.4² − 1²) ≈ 3.2 %. (An earlier 1.5 % came
// from consecutive windows of one run at one configuration, which share
// environments and tide: it let 2 of 6 answers on face-detection at +30 %
// end 0.5–2.7 % over the bound in truth.)
const DriftFloor = 0.032

// windowSE is the standard error (USD) of the mean cost per request that a
// window of n requests measures for the configuration idx: the larger of
// the predicted per-request cost spread of each function at its size over n
// requests and the window's own standard error measured (NaN: not
// measured), and DriftFloor of the predicted cost. The measured spread
// covers what the prediction of one function's warm time on one clip does
// not: a workload of several clips, cold starts and interference in the
// window.
func windowSE(nodes []NodeModel, idx []int, n int64, measured float64) float64 {
	var v, c float64
	for i, nm := range nodes {
		if nm.CostSD != nil {
			v += nm.CostSD[idx[i]] * nm.CostSD[idx[i]]
		}
		c += nm.Cost[idx[i]]
	}
	if n > 0 {
		v /= float64(n)
	}
	if measured*measured > v {
		v = measured * measured
	}
	return math.Sqrt(v + DriftFloor*DriftFloor*c*c)
}

func fmtScales(s []float64) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%.3f", x)
	}
	return "[" + strings.Join(out, " ") + "]"
}

func (n *Navigator) config(p *tuner.Problem, idx []int) backend.Config {
	c := backend.Config{}
	for i, nd := range p.Pipeline.Nodes {
		c[nd.Name] = p.Grid[idx[i]]
	}
	return c
}

// Curve is the model of function fn behind the last plan (the Tune's,
// corrected by its confirmation, or the latest re-search's): at each grid
// size mb[g], the mean time the function adds to a request (ms; the slowest
// of its fan-out instances) and its cost per request (USD; +Inf where the
// size is not allowed). The online controller weighs its cuts with it
// (online.Controller.Model). ok is false before any Tune and for a function
// outside the pipeline.
func (n *Navigator) Curve(fn string) (mb []int, ms, usd []float64, ok bool) {
	if n.last == nil || n.last.nodes == nil {
		return nil, nil, nil, false
	}
	i := slices.IndexFunc(n.last.p.Pipeline.Nodes, func(nd pipeline.Node) bool { return nd.Name == fn })
	if i < 0 {
		return nil, nil, nil, false
	}
	nm := n.last.nodes[i]
	ms = make([]float64, len(nm.Samples))
	for g, xs := range nm.Samples {
		var sum float64
		for _, x := range xs {
			sum += x
		}
		ms[g] = sum / float64(len(xs)) // NaN without samples
	}
	return slices.Clone(n.last.p.Grid), ms, slices.Clone(nm.Cost), true
}

// Models turns features profiled on the environment's clip into the
// search's node models: Monte-Carlo samples of each function's time at
// every grid size (common random numbers across sizes; the slowest of its
// fan-out instances on the clip) and its expected cost per request from the
// predicted mean and public prices.
func (n *Navigator) Models(p *tuner.Problem, feats []backend.Features) ([]NodeModel, error) {
	return n.models(p, []video.Input{p.Env.Input}, [][]backend.Features{feats}, nil)
}

// profileAll returns the features of every function of dag on a clip, in
// node order: those in known as they are, the others from one profiling
// run each, charged to env.
func profileAll(ctx context.Context, env *tuner.Env, dag *pipeline.DAG, in video.Input, known map[string]backend.Features) ([]backend.Features, error) {
	feats := make([]backend.Features, len(dag.Nodes))
	for i, nd := range dag.Nodes {
		if f, ok := known[nd.Name]; ok {
			feats[i] = f
			continue
		}
		if nd.Profile == nil && nd.Table != nil {
			return nil, fmt.Errorf("navigator: function %q is table-driven: it has no basic-operation profile to predict from", nd.Name)
		}
		f, err := env.ProfileOn(ctx, nd.Name, in)
		if err != nil {
			return nil, fmt.Errorf("navigator: profile %q: %w", nd.Name, err)
		}
		feats[i] = f
	}
	return feats, nil
}

// fanoutCounts is the instance count of each node on a clip, with the
// observed mean count (rounded up) for the fan-out nodes fanout names.
func fanoutCounts(fanout map[string]float64) func(*pipeline.Node, video.Input) int {
	return func(nd *pipeline.Node, in video.Input) int {
		if v, ok := fanout[nd.Name]; ok && nd.FanOut != "" && v >= 0 && !math.IsInf(v, 0) {
			return int(math.Ceil(v))
		}
		return nd.Instances(in)
	}
}

// Research re-runs the offline search of the last Tune for a changed
// structure (§3.3: structure update) without profiling again: fanout gives
// the observed mean instance count of fan-out nodes (rounded up; others keep
// the count of the tuning clip). The store warm-starts the groups, so this
// takes milliseconds. Nothing is measured.
func (n *Navigator) Research(ctx context.Context, fanout map[string]float64) (backend.Config, error) {
	if n.last == nil {
		return nil, errors.New("navigator: re-search before any Tune")
	}
	p := n.last.p
	nodes, err := n.models(p, n.last.clips, n.last.feats, fanoutCounts(fanout))
	if err != nil {
		return nil, err
	}
	// One allocation round, and searches around the stored group
	// configurations (local search instead of Bayesian optimisation,
	// exhaustive within 4 grid steps): the structure moved a little, so the
	// answer is near the stored one.
	opts := n.last.opts
	opts.Rounds, opts.Large, opts.Radius = 1, nil, 4
	plan, err := researchSearch(ctx, p, nodes, opts, n.Store)
	if err != nil {
		return nil, err
	}
	last := *n.last // clones share the old one
	last.nodes = nodes
	n.last = &last
	return n.config(p, plan.Config), nil
}

// ResearchPipeline re-plans for a changed pipeline (§3.3: a function was
// added or removed): p is the new problem, its Env able to profile the new
// functions. Functions profiled by an earlier Tune or ResearchPipeline keep
// their features; only new ones are profiled (charged to p.Env). The search
// runs like Research (one round, around stored group configurations) and
// nothing is measured. The new problem becomes the one Research re-plans.
func (n *Navigator) ResearchPipeline(ctx context.Context, p *tuner.Problem) (backend.Config, error) {
	if n.last == nil {
		return nil, errors.New("navigator: re-search before any Tune")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	clips := n.last.clips
	feats := make([][]backend.Features, len(clips))
	for c, in := range clips {
		known := map[string]backend.Features{}
		for i, nd := range n.last.p.Pipeline.Nodes {
			known[nd.Name] = n.last.feats[c][i]
		}
		var err error
		if feats[c], err = profileAll(ctx, p.Env, p.Pipeline, in, known); err != nil {
			return nil, err
		}
	}
	nodes, err := n.models(p, clips, feats, fanoutCounts(nil))
	if err != nil {
		return nil, err
	}
	opts := n.last.opts
	opts.Rounds, opts.Large, opts.Radius = 1, nil, 4
	plan, err := researchSearch(ctx, p, nodes, opts, n.Store)
	if err != nil {
		return nil, err
	}
	n.last = &lastTune{p: p, clips: clips, feats: feats, opts: n.last.opts, nodes: nodes}
	return n.config(p, plan.Config), nil
}

// ResearchInput re-plans after the input distribution shifted (§3.3.2 and
// §4.5: lower-resolution input): every function is profiled again on in, a
// clip of the new regime (one local profiling run each, charged to the last
// problem's environment), and the search runs on the new profiles like
// Research (one round, local search for large groups, fewer Monte-Carlo
// samples) but over the whole grid: an input change can move a function's
// best size far from the stored one (hd passes 1080p frames through and
// upscales 360p ones). fanout is as for Research; nodes it does not name
// take their instance count from in. The new profiles and clip become the
// ones later re-searches start from. Nothing is measured.
func (n *Navigator) ResearchInput(ctx context.Context, in video.Input, fanout map[string]float64) (backend.Config, error) {
	if n.last == nil {
		return nil, errors.New("navigator: re-search before any Tune")
	}
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("navigator: re-search input: %w", err)
	}
	p := n.last.p
	feats, err := profileAll(ctx, p.Env, p.Pipeline, in, nil)
	if err != nil {
		return nil, fmt.Errorf("navigator: on the new input: %w", err)
	}
	clips, all := []video.Input{in}, [][]backend.Features{feats}
	nodes, err := n.models(p, clips, all, fanoutCounts(fanout))
	if err != nil {
		return nil, err
	}
	opts := n.last.opts
	opts.Rounds, opts.Large, opts.Radius = 1, nil, 0
	plan, err := researchSearch(ctx, p, nodes, opts, n.Store)
	if err != nil {
		return nil, err
	}
	n.last = &lastTune{p: p, clips: clips, feats: all, opts: n.last.opts, nodes: nodes}
	return n.config(p, plan.Config), nil
}

// researchSearch is a re-search's search. The bound is C_bound while
// something is predicted to fit under it; when the structure grew past it
// (more fan-out instances than the tuning clip had: even the cheapest sizes
// cost more than C_bound), it is the same fraction above the new structure's
// predicted minimum cost (the paper's bounds are stated relative to the
// minimum cost), so that a re-plan always has an answer.
func researchSearch(ctx context.Context, p *tuner.Problem, nodes []NodeModel, opts Options, store *Store) (*Plan, error) {
	plan, err := Search(ctx, NewPartition(p.Pipeline), nodes, p.CBound(), opts, store)
	if !errors.Is(err, ErrInfeasible) {
		return plan, err
	}
	cmin := predictedCMin(nodes)
	if math.IsInf(cmin, 1) || cmin*(1+p.Bound) <= p.CBound() {
		return nil, err
	}
	return Search(ctx, NewPartition(p.Pipeline), nodes, cmin*(1+p.Bound), opts, store)
}

// predictedCMin is the predicted minimum cost per request: each function at
// its cheapest size (a function's cost depends on its own size only).
func predictedCMin(nodes []NodeModel) float64 {
	var cmin float64
	for _, nm := range nodes {
		m := math.Inf(1)
		for _, c := range nm.Cost {
			m = math.Min(m, c)
		}
		cmin += m
	}
	return cmin
}

// researchSamples is the Monte-Carlo sample count of a re-search (Research):
// a quarter of the default, which keeps the re-plan after a fan-out change
// under 10 ms (BenchmarkResearch) and, on face-beautification with 1–5 faces,
// its answer within one grid step of the full count's.
const researchSamples = 64

// predict is the Predictor's answer, memoised per (function, features, size):
// a re-search predicts the same functions again.
func (n *Navigator) predict(f backend.Features, name string, mb int) (Prediction, error) {
	key := predKey{name: name, mb: mb, wall: f.WallSeconds, instr: f.Instructions, peak: f.PeakMemoryBytes}
	if e, ok := n.preds[key]; ok {
		return e.pred, e.err
	}
	pred, err := n.Predictor.Predict(f, mb)
	if n.preds == nil {
		n.preds = map[predKey]predEntry{}
	}
	n.preds[key] = predEntry{pred, err}
	return pred, err
}

type predKey struct {
	name              string
	mb                int
	wall, instr, peak float64
}

type predEntry struct {
	pred Prediction
	err  error
}

// models builds the node models from features profiled on clips (each
// clip an equal share of the workload: tuner.Env.Payloads); instances (nil:
// each node's count on the clip) gives each node's fan-out count on a clip.
// Monte-Carlo sample j is a request of clip j mod len(clips) in every node,
// so that a request's functions see one clip (a clip slow in one function
// is slow in the next: the critical path takes that into account), and the
// expected cost is the mean over the clips. With one clip this is the
// model of that clip alone.
func (n *Navigator) models(p *tuner.Problem, clips []video.Input, feats [][]backend.Features, instances func(*pipeline.Node, video.Input) int) ([]NodeModel, error) {
	research := instances != nil
	if instances == nil {
		instances = func(nd *pipeline.Node, in video.Input) int { return nd.Instances(in) }
	}
	samples := n.Samples
	if samples <= 0 {
		samples = 256
	}
	if research {
		samples = min(samples, researchSamples)
	}
	margin := n.MemoryMargin
	if margin == 0 {
		margin = 1.1
	}
	price, fee := p.Platform.PricePerGBSecond(), p.Platform.Price.PerRequest
	nc := len(clips)
	nodes := make([]NodeModel, len(p.Pipeline.Nodes))
	preds := make([]Prediction, nc)
	ms, sds := make([]float64, nc), make([]float64, nc)
	for i, nd := range p.Pipeline.Nodes {
		ks := make([]int, nc)
		w, invocations := 1, 0.0
		peakMB := math.Inf(-1)
		for c, in := range clips {
			ks[c] = instances(&p.Pipeline.Nodes[i], in)
			w = max(w, ks[c])
			invocations += float64(max(ks[c], 1)) / float64(nc)
			// The largest peak of any clip: a size that fits the light
			// clips fails the heavy ones.
			peakMB = math.Max(peakMB, feats[c][i].PeakMemoryBytes/(1<<20))
		}
		rng := rand.New(rand.NewPCG(p.Seed, uint64(i)+0x6d63))
		u := make([]float64, samples*w)
		for j := range u {
			u[j] = (float64(rng.Uint64()>>11) + 0.5) / (1 << 53) // open interval (0, 1)
		}
		nm := NodeModel{Samples: make([][]float64, len(p.Grid)), Cost: make([]float64, len(p.Grid)), CostSD: make([]float64, len(p.Grid)),
			Mean: make([]float64, len(p.Grid)), Invocations: invocations}
	grid:
		for g, mb := range p.Grid {
			xs := make([]float64, samples)
			oom := func() {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
				nm.Samples[g], nm.Cost[g] = xs, math.Inf(1)
			}
			if !math.IsNaN(peakMB) && float64(mb) < peakMB*margin {
				oom()
				continue
			}
			for c := range clips {
				pred, err := n.predict(feats[c][i], nd.Name, mb)
				if errors.Is(err, ErrOutOfMemory) {
					oom()
					continue grid
				}
				if err != nil {
					return nil, fmt.Errorf("navigator: predict %q at %d MB: %w", nd.Name, mb, err)
				}
				m := pred.Mean()
				if math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
					return nil, fmt.Errorf("navigator: predict %q at %d MB: mean %v is not a finite time", nd.Name, mb, m)
				}
				preds[c], ms[c] = pred, m
				// The spread of one instance's time: the predicted variance
				// where the prediction gives one, else from its 95th
				// percentile as if normal.
				if v, ok := pred.(interface{ Var() float64 }); ok {
					sds[c] = math.Sqrt(math.Max(v.Var(), 0))
				} else {
					sds[c] = math.Max(pred.Quantile(0.95)-m, 0) / 1.645
				}
			}
			for j := range xs {
				c := j % nc
				k := ks[c]
				var t float64
				for inst := 0; inst < k; inst++ {
					q := preds[c].Quantile(u[j*w+inst])
					if math.IsNaN(q) || math.IsInf(q, 0) {
						return nil, fmt.Errorf("navigator: predict %q at %d MB: quantile %v is not finite", nd.Name, mb, q)
					}
					t = math.Max(t, q)
				}
				xs[j] = t
			}
			nm.Samples[g] = xs
			usd := float64(mb) / 1024 * price / 1000 // per ms
			if nc == 1 {
				k := float64(ks[0])
				nm.Mean[g] = ms[0]
				nm.Cost[g] = k * (ms[0]/1000*float64(mb)/1024*price + fee)
				// k instances add independent variances.
				nm.CostSD[g] = math.Sqrt(k) * sds[0] / 1000 * float64(mb) / 1024 * price
				continue
			}
			// A mixture of the clips: the mean time of an invocation, the
			// mean cost of a request, and a request's cost variance within
			// and between clips.
			var inv, tsum, cost, within float64
			costs := make([]float64, nc)
			for c := range clips {
				k := float64(ks[c])
				inv += k
				tsum += k * ms[c]
				costs[c] = k * (ms[c]*usd + fee)
				cost += costs[c] / float64(nc)
				within += k * sds[c] * sds[c] * usd * usd / float64(nc)
			}
			var between float64
			for _, x := range costs {
				between += (x - cost) * (x - cost) / float64(nc)
			}
			nm.Mean[g] = mean(ms)
			if inv > 0 {
				nm.Mean[g] = tsum / inv
			}
			nm.Cost[g], nm.CostSD[g] = cost, math.Sqrt(within+between)
		}
		nodes[i] = nm
	}
	return nodes, nil
}
