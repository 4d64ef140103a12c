package navigator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/tuner"
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
	// Confirm is how many of the best distinct candidates are measured on the
	// backend before answering: 0 means the default, 1; a negative value
	// trusts the model and measures nothing. Each is one pipeline run,
	// charged like any measurement.
	Confirm int
	// MemoryMargin keeps sizes at least this factor above the profiled peak
	// memory (default 1.1): the model predicts time, not out-of-memory
	// failures, so sizes the profile shows to be too small are excluded.
	MemoryMargin float64
	// Recalibrate is how many times the search reruns against a bound
	// scaled by the measured-to-predicted cost ratio when no confirmed
	// candidate met the bound (0: default 2; negative: never).
	Recalibrate int
	// Store keeps group configurations between searches (warm start).
	Store *Store

	// last is the most recent Tune's problem, profiles and search options,
	// kept so that Research can re-plan without profiling again.
	last *lastTune
}

type lastTune struct {
	p     *tuner.Problem
	feats []backend.Features
	opts  Options
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
	feats := make([]backend.Features, len(dag.Nodes))
	for i, nd := range dag.Nodes {
		if nd.Profile == nil && nd.Table != nil {
			return nil, fmt.Errorf("navigator: function %q is table-driven: it has no basic-operation profile to predict from", nd.Name)
		}
		f, err := env.Profile(ctx, nd.Name)
		if err != nil {
			return nil, fmt.Errorf("navigator: profile %q: %w", nd.Name, err)
		}
		feats[i] = f
	}
	nodes, err := n.Models(p, feats)
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
	n.last = &lastTune{p: p, feats: feats, opts: opts}
	res := &tuner.Result{Tuner: n.Name(), Unit: fmt.Sprintf("profiling runs + pipeline runs of %g s", float64(env.WindowUs)/1e6)}
	plan, err := Search(ctx, NewPartition(dag), nodes, p.CBound(), opts, n.Store)
	if errors.Is(err, ErrInfeasible) {
		res.Note = "infeasible: no configuration is predicted to meet the bound"
		res.Evaluations = env.Evaluations("profile")
		return env.Finish(res), nil
	}
	if err != nil {
		return nil, err
	}
	res.Config, res.Feasible = n.config(p, plan.Config), true
	confirm := n.Confirm
	if confirm == 0 {
		confirm = 1
	} else if confirm < 0 {
		confirm = 0
	}
	if confirm > 0 {
		search := func(bound float64) (*Plan, error) {
			return Search(ctx, NewPartition(dag), nodes, bound, opts, n.Store)
		}
		if err := n.confirm(ctx, p, plan, confirm, search, res); err != nil {
			return nil, err
		}
	}
	res.Evaluations = env.Evaluations("profile") + env.Evaluations("pipeline")
	return env.Finish(res), nil
}

// confirm measures the k best candidates and keeps the fastest measured one
// that met the bound. When none did, the model under-predicted cost: the
// worst measured-to-predicted cost ratio r recalibrates the search, which runs
// again against C_bound / r, and its new candidates are measured in turn, up
// to Recalibrate times. If none is ever feasible it returns the cheapest
// measured configuration, marked infeasible.
func (n *Navigator) confirm(ctx context.Context, p *tuner.Problem, plan *Plan, k int, search func(bound float64) (*Plan, error), res *tuner.Result) error {
	bestMs, cheapest := math.Inf(1), math.Inf(1)
	var bestCfg, cheapCfg = res.Config, res.Config
	measured := map[string]bool{}
	bound, attempts := p.CBound(), n.Recalibrate
	if attempts == 0 {
		attempts = 2
	} else if attempts < 0 {
		attempts = 0
	}
	runs := 0
	for attempt := 0; ; attempt++ {
		ratio := 1.0
		for i := 0; i < k && i < len(plan.Candidates); i++ {
			c := plan.Candidates[i]
			cfg := n.config(p, c.Config)
			if measured[cfg.String()] {
				continue
			}
			measured[cfg.String()] = true
			ev, err := p.Env.Measure(ctx, cfg)
			if err != nil {
				return err
			}
			runs++
			if ev.Feasible && ev.LatencyMs < bestMs {
				bestMs, bestCfg = ev.LatencyMs, cfg
			}
			if ev.Failed == 0 && ev.CostUSD < cheapest {
				cheapest, cheapCfg = ev.CostUSD, cfg
			}
			if c.CostUSD > 0 && ev.CostUSD/c.CostUSD > ratio {
				ratio = ev.CostUSD / c.CostUSD
			}
		}
		if !math.IsInf(bestMs, 1) {
			res.Config, res.Feasible = bestCfg, true
			if attempt > 0 {
				res.Note = fmt.Sprintf("recalibrated the cost model %d time(s) after measured candidates exceeded the bound; %d confirmation runs", attempt, runs)
			}
			return nil
		}
		if attempt >= attempts || ratio <= 1 {
			break
		}
		bound /= ratio
		next, err := search(bound)
		if errors.Is(err, ErrInfeasible) {
			break
		}
		if err != nil {
			return err
		}
		plan = next
	}
	res.Config, res.Feasible = cheapCfg, false
	res.Note = fmt.Sprintf("none of the %d measured candidates met the bound; returning the cheapest measured", runs)
	return nil
}

func (n *Navigator) config(p *tuner.Problem, idx []int) backend.Config {
	c := backend.Config{}
	for i, nd := range p.Pipeline.Nodes {
		c[nd.Name] = p.Grid[idx[i]]
	}
	return c
}

// Models turns features into the search's node models: Monte-Carlo samples
// of each function's time at every grid size (common random numbers across
// sizes; the slowest of its fan-out instances on the environment's clip) and
// its expected cost per request from the predicted mean and public prices.
func (n *Navigator) Models(p *tuner.Problem, feats []backend.Features) ([]NodeModel, error) {
	return n.models(p, feats, nil)
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
	nodes, err := n.models(p, n.last.feats, func(nd *pipeline.Node) int {
		if v, ok := fanout[nd.Name]; ok && nd.FanOut != "" && v >= 0 && !math.IsInf(v, 0) {
			return int(math.Ceil(v))
		}
		return nd.Instances(p.Env.Input)
	})
	if err != nil {
		return nil, err
	}
	// One allocation round, and searches around the stored group
	// configurations (local search instead of Bayesian optimisation,
	// exhaustive within 4 grid steps): the structure moved a little, so the
	// answer is near the stored one.
	opts := n.last.opts
	opts.Rounds, opts.Large, opts.Radius = 1, nil, 4
	plan, err := Search(ctx, NewPartition(p.Pipeline), nodes, p.CBound(), opts, n.Store)
	if err != nil {
		return nil, err
	}
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
	known := map[string]backend.Features{}
	for i, nd := range n.last.p.Pipeline.Nodes {
		known[nd.Name] = n.last.feats[i]
	}
	feats := make([]backend.Features, len(p.Pipeline.Nodes))
	for i, nd := range p.Pipeline.Nodes {
		if f, ok := known[nd.Name]; ok {
			feats[i] = f
			continue
		}
		if nd.Profile == nil && nd.Table != nil {
			return nil, fmt.Errorf("navigator: function %q is table-driven: it has no basic-operation profile to predict from", nd.Name)
		}
		f, err := p.Env.Profile(ctx, nd.Name)
		if err != nil {
			return nil, fmt.Errorf("navigator: profile %q: %w", nd.Name, err)
		}
		feats[i] = f
	}
	nodes, err := n.models(p, feats, nil)
	if err != nil {
		return nil, err
	}
	opts := n.last.opts
	opts.Rounds, opts.Large, opts.Radius = 1, nil, 4
	plan, err := Search(ctx, NewPartition(p.Pipeline), nodes, p.CBound(), opts, n.Store)
	if err != nil {
		return nil, err
	}
	n.last = &lastTune{p: p, feats: feats, opts: n.last.opts}
	return n.config(p, plan.Config), nil
}

// models builds the node models; instances (nil: from the environment's
// clip) gives each node's fan-out count.
func (n *Navigator) models(p *tuner.Problem, feats []backend.Features, instances func(*pipeline.Node) int) ([]NodeModel, error) {
	if instances == nil {
		instances = func(nd *pipeline.Node) int { return nd.Instances(p.Env.Input) }
	}
	samples := n.Samples
	if samples <= 0 {
		samples = 256
	}
	margin := n.MemoryMargin
	if margin == 0 {
		margin = 1.1
	}
	price, fee := p.Platform.PricePerGBSecond(), p.Platform.Price.PerRequest
	nodes := make([]NodeModel, len(feats))
	for i, nd := range p.Pipeline.Nodes {
		k := instances(&p.Pipeline.Nodes[i])
		w := max(k, 1)
		rng := rand.New(rand.NewPCG(p.Seed, uint64(i)+0x6d63))
		u := make([]float64, samples*w)
		for j := range u {
			u[j] = (float64(rng.Uint64()>>11) + 0.5) / (1 << 53) // open interval (0, 1)
		}
		peakMB := feats[i].PeakMemoryBytes / (1 << 20)
		nm := NodeModel{Samples: make([][]float64, len(p.Grid)), Cost: make([]float64, len(p.Grid))}
		for g, mb := range p.Grid {
			xs := make([]float64, samples)
			if !math.IsNaN(peakMB) && float64(mb) < peakMB*margin {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
				nm.Samples[g], nm.Cost[g] = xs, math.Inf(1)
				continue
			}
			pred, err := n.Predictor.Predict(feats[i], mb)
			if errors.Is(err, ErrOutOfMemory) {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
				nm.Samples[g], nm.Cost[g] = xs, math.Inf(1)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("navigator: predict %q at %d MB: %w", nd.Name, mb, err)
			}
			m := pred.Mean()
			if math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
				return nil, fmt.Errorf("navigator: predict %q at %d MB: mean %v is not a finite time", nd.Name, mb, m)
			}
			for j := range xs {
				if k == 0 {
					continue
				}
				var t float64
				for inst := 0; inst < k; inst++ {
					q := pred.Quantile(u[j*w+inst])
					if math.IsNaN(q) || math.IsInf(q, 0) {
						return nil, fmt.Errorf("navigator: predict %q at %d MB: quantile %v is not finite", nd.Name, mb, q)
					}
					t = math.Max(t, q)
				}
				xs[j] = t
			}
			nm.Samples[g] = xs
			nm.Cost[g] = float64(k) * (m/1000*float64(mb)/1024*price + fee)
		}
		nodes[i] = nm
	}
	return nodes, nil
}
