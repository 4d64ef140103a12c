package baselines

// Aquatope (Zhou, Zhang and Delimitrou, ASPLOS 2023), ported from
// zzhou612/aquatope, src/container_resource_manager/bayesian_optimization.py
// and bo_utils.py (BASELINES.md, "Aquatope"). Its Bayesian neural network
// forecasts container demand for pre-warming; the tuner is the constrained
// batch BO below. Rules and where they come from:
//
//   - Objective mapping (stated): the original maximises −cost subject to
//     end-to-end latency − QoS ≤ 0 (obj_function, outcome_constraint); we
//     apply the symmetric swap, maximise −latency (the mean end-to-end
//     latency of the measurement window, in seconds) subject to
//     cost per request ≤ C_bound, the constraint modelled as cost/C_bound
//     with threshold 1 (see deviations).
//   - Dimensions: one per function, its memory (the original also tunes
//     CPU, which Lambda ties to memory); x ∈ [0,1]^d, each coordinate mapped
//     to the nearest grid size (from_x_to_resource_config rounds); the GPs
//     are fitted on x itself.
//   - bo_loop defaults: n_init = 10 uniform random points (torch.rand),
//     n_batch = 20 batches of batch_size q = 3: 70 evaluations, each one
//     pipeline run. Batches overrides n_batch (10 gives the 40 evaluations
//     the paper granted its baselines, §4.1).
//   - Two GPs, objective and constraint (initialize_model: SingleTaskGP
//     each, Matérn-5/2 ARD, Gamma priors: length-scale Γ(3, 6), output
//     scale Γ(2, 0.15), noise Γ(1.1, 0.05) ≥ 1e-4, bo.AquatopePrior()),
//     hyperparameters by maximising the (prior-penalised) marginal
//     likelihood (fit_gpytorch_model), warm-started from the previous batch's
//     (state_dict); bo's fit adds two seeded restarts.
//   - Acquisition (qNoisyExpectedImprovement with ConstrainedMCObjective):
//     32 QMC samples (SobolQMCNormalSampler), sigmoid feasibility η = 1e-3,
//     X_baseline = the training points, the q = 3 batch optimised jointly
//     from 32 raw samples and 10 restarts (optimize_acqf): bo.QNEI, each
//     restart refined by L-BFGS over the relaxed continuous batch
//     (bo.Maximize; BoTorch runs scipy's L-BFGS-B), the batch then snapped
//     to the grid when measured; stopping as scipy's L-BFGS-B defaults do
//     (pgtol 1e-5, ftol 2.2e-9, at most 200 iterations), with the exact
//     gradient of the Monte-Carlo qNEI (bo.QNEI.ValueGrad), as BoTorch's
//     autograd gives it. On acquisitions built from face-detection
//     measurements it reaches 97–98 % (one 90 %) of the value of a 30 times
//     larger search with the calibrated function model of commit 2635745
//     (raw samples alone 36–49 %, compass search from the same starts
//     75–94 %; 89–97 % with the central differences used before), 94–98 %
//     with the model of commit 7850f42, 62–87 % with the model before it
//     (TestAquatopeAcquisitionReachesLargeSearch): η = 1e-3 makes
//     qNEI piecewise flat, and from 32 raw samples and 10 restarts any local
//     method stops in its start's basin, as BoTorch's would.
//   - After each batch (anomaly_detection, confidence 0.95): for every
//     training point, the leave-one-out GP's interval
//     norm.interval(0.95, loc = mean, scale = ·); the point is kept when its
//     weighted objective lies strictly inside, else dropped from the
//     training set for good. The weighted objective (weighted_obj) is the
//     objective with a penalty of 100 when the constraint is violated: here
//     latency + 100 s for a run over C_bound or with failed requests.
//   - Final answer (best_x: argmax of weighted_obj over the filtered training
//     set): the retained run with the lowest measured latency among those
//     that met C_bound with no failed request. If there is none, the
//     cheapest retained run without failures (the cheapest run overall if
//     every retained one failed), reported infeasible.
//
// Literal-code defects, kept in "aquatope" and corrected in
// "aquatope-fixed" (BASELINES.md):
//   - infeasible_cost = 0 (bo_loop default). With a negative objective
//     (−latency), BoTorch's max(obj + 0, 0)·w − 0 is 0 for every sample of
//     a positive latency, so qNEI counts only the posterior samples of
//     negative latency (in our minimisation form f̃ = min(f, 0)·w): it is
//     zero where the objective GP is confident, and the literal variant
//     chases the points where its posterior puts mass below zero latency,
//     far from the data, rather than improvement. That is not quasi-random
//     search: on face-detection at +30 %, seeds 1–4, the optimiser found
//     qNEI > 0 in 79 of 80 batches (mean 1.4–5.3 s of "improvement" per
//     seed). Fixed: the worst (largest) observed latency.
//   - The leave-one-out GP (diagnostic_model) is never fitted: it keeps
//     BoTorch's initial hyperparameters (length-scales and output scale
//     softplus(0) = ln 2, noise 2.0 = the mode of its prior, mean 0).
//     Fixed: the objective GP fitted on all points, its leave-one-out
//     predictions in closed form (Rasmussen and Williams eq. 5.12).
//   - The interval uses the posterior variance as its scale. Fixed: the
//     standard deviation of the left-out observation (latent variance plus
//     noise).
//   - A fourth defect, not in BASELINES.md's list and corrected in
//     aquatope-fixed as well: the filter compares the penalised objective
//     (weighted_obj, +100 when infeasible) with an interval predicted for the
//     unpenalised one, so it drops every run over the bound, not outliers.
//     Fixed: the observed latency itself is compared.
//
// Deviations, each deliberate:
//   - The constraint is cost/C_bound with threshold 1 instead of the raw
//     difference, because η = 1e-3 is in the constraint's units and a cost in
//     dollars per request (~1e-4) would make the sigmoid ½ everywhere.
//   - The GPs standardise their outputs (bo.GP); BoTorch's SingleTaskGP of
//     that version did not, so the priors and the literal LOO GP's initial
//     hyperparameters apply to standardised rather than raw outputs. The
//     literal variance-as-scale defect is unit-dependent; we use seconds.
//   - The public code re-evaluates weighted_obj through a cache keyed by
//     configuration; we compare the stored observation, and a repeated
//     configuration is measured again (the code would reuse the cached value).
//     The 3 random evaluations per batch of update_random_observations (a
//     leftover for a plot) are neither run nor counted.
//   - A run whose every request failed has no latency: the GP sees the worst
//     latency observed so far (the window length before any); its cost is the
//     cost of the invocations that ran.
//   - The acquisition's local search maps the box to the real line
//     (x = σ(u)), where BoTorch's L-BFGS-B keeps bounds; both climb the same
//     piecewise-smooth Monte-Carlo estimate with its exact gradient
//     (bo.QNEI.ValueGrad, derived by hand where BoTorch uses autograd).
//   - The filter never leaves fewer than 2 points (BoTorch would fail); the
//     fixed variant's LOO uses hyperparameters fitted on all points rather
//     than a refit per left-out subset.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/bo"
	"github.com/confignav/confignav/tuner"
)

// Aquatope's bo_loop defaults.
const (
	aqInitial    = 10
	aqBatches    = 20
	aqQ          = 3
	aqMCSamples  = 32
	aqEta        = 1e-3
	aqPenalty    = 100.0              // weighted_obj, seconds of latency
	aqZ          = 1.9599639845400542 // norm.interval(0.95): Φ⁻¹(0.975)
	aqFitRetries = 3
)

// Aquatope is constrained batch Bayesian optimisation with qNEI.
type Aquatope struct {
	// Fixed corrects the public code's three defects.
	Fixed bool
	// Batches is n_batch (default 20).
	Batches int
}

// Name is "aquatope" or "aquatope-fixed".
func (a Aquatope) Name() string {
	if a.Fixed {
		return "aquatope-fixed"
	}
	return "aquatope"
}

// aqObs is one training point.
type aqObs struct {
	x        []float64
	cfg      backend.Config
	lat      float64 // objective, seconds (imputed when every request failed)
	con      float64 // cost / C_bound
	cost     float64 // USD per request (NaN if no request)
	feasible bool
	failed   bool
}

// botorchInit is SingleTaskGP's initial hyperparameter vector for d inputs:
// length-scales and output scale softplus(0) = ln 2, noise 2.0, mean 0.
func botorchInit(d int) []float64 {
	h := make([]float64, d+3)
	for k := 0; k <= d; k++ {
		h[k] = math.Log(math.Ln2)
	}
	h[d+1] = math.Log(2.0)
	return h
}

func (a Aquatope) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	batches := a.Batches
	if batches == 0 {
		batches = aqBatches
	}
	if batches < 0 {
		return nil, fmt.Errorf("baselines: aquatope: negative number of batches %d", batches)
	}
	names := p.Pipeline.Names()
	d := len(names)
	grid, err := memoryGrid(p)
	if err != nil {
		return nil, fmt.Errorf("baselines: aquatope: %w", err)
	}
	B := p.CBound()
	env := p.Env
	env.CBound = B
	env.Start()
	res := &tuner.Result{Tuner: a.Name(), Unit: fmt.Sprintf("pipeline runs of %g s", float64(env.WindowUs)/1e6)}
	rngInit := rand.New(rand.NewPCG(p.Seed, 0x6171696e6974))
	rngAcq := rand.New(rand.NewPCG(p.Seed, 0x6171616371))

	var train []aqObs
	var all []aqObs
	worst := math.NaN()
	measure := func(x []float64) error {
		cfg := backend.Config{}
		for k, name := range names {
			cfg[name] = int(grid.Value(x[k]))
		}
		ev, err := env.Measure(ctx, cfg)
		if err != nil {
			return err
		}
		res.Evaluations++
		o := aqObs{x: append([]float64(nil), x...), cfg: cfg, cost: ev.CostUSD, feasible: ev.Feasible, failed: ev.Failed > 0}
		if lat := ev.LatencyMs / 1000; !math.IsNaN(lat) && !math.IsInf(lat, 0) {
			o.lat = lat
			if math.IsNaN(worst) || lat > worst {
				worst = lat
			}
		} else if !math.IsNaN(worst) {
			o.lat = worst
		} else {
			o.lat = float64(env.WindowUs) / 1e6
		}
		o.con = ev.CostUSD / B
		if math.IsNaN(o.con) || math.IsInf(o.con, 0) {
			o.con = 2
		}
		train = append(train, o)
		all = append(all, o)
		return nil
	}
	for i := 0; i < aqInitial; i++ {
		x := make([]float64, d)
		for k := range x {
			x[k] = rngInit.Float64()
		}
		if err := measure(x); err != nil {
			return nil, err
		}
	}
	fitOpts := aqFitOptions
	newGP := func() *bo.GP { return aqNewGP(d) }
	objGP, conGP := newGP(), newGP()
	data := func() (X [][]float64, lat, con []float64) {
		for _, o := range train {
			X, lat, con = append(X, o.x), append(lat, o.lat), append(con, o.con)
		}
		return X, lat, con
	}
	fallbacks, dropped := 0, 0
	for b := 0; b < batches; b++ {
		X, lat, con := data()
		seed := p.Seed*1_000_003 + uint64(b)
		var batch [][]float64
		if acq, err := a.acquisition(objGP, conGP, X, lat, con, fitOpts(seed), fitOpts(seed+1), rngAcq); err == nil {
			batch, _, err = acq.Optimize(aqQ, bo.DefaultAcqOptions(), rngAcq)
			if err != nil {
				batch = nil
			}
		}
		if batch == nil { // a GP that cannot be fitted: a random batch
			fallbacks++
			objGP, conGP = newGP(), newGP()
			batch = bo.UniformPoints(aqQ, d, rngAcq)
		}
		for _, x := range batch {
			if err := measure(x); err != nil {
				return nil, err
			}
		}
		dropped += a.filter(&train, objGP, fitOpts(seed+2), d)
	}

	// Final answer.
	best := -1
	for i, o := range train {
		if o.feasible && (best < 0 || o.lat < train[best].lat) {
			best = i
		}
	}
	note := fmt.Sprintf("minimise mean latency s.t. cost/C_bound ≤ 1 (Aquatope's objective and constraint swapped); %d runs dropped by the outlier filter, %d kept", dropped, len(train))
	if best >= 0 {
		res.Config, res.Feasible = train[best].cfg.Clone(), true
	} else {
		pool := train
		for i := range pool {
			if !pool[i].failed && (best < 0 || pool[i].cost < pool[best].cost) {
				best = i
			}
		}
		if best < 0 {
			pool = all
			for i := range pool {
				if best < 0 || pool[i].cost < pool[best].cost {
					best = i
				}
			}
		}
		res.Config = pool[best].cfg.Clone()
		note += "; no retained run met the bound: returning the cheapest"
	}
	if fallbacks > 0 {
		note += fmt.Sprintf("; %d batches drawn at random after a GP fit failed", fallbacks)
	}
	if !a.Fixed {
		note += "; literal variant: infeasible_cost 0 (qNEI counts only samples of negative latency)"
	}
	res.Note = note
	return env.Finish(res), nil
}

// aqFitOptions are fit_gpytorch_model's settings as ported: MAP under
// Aquatope's priors, noise ≥ 1e-4, seeded restarts.
func aqFitOptions(seed uint64) bo.FitOptions {
	prior := bo.AquatopePrior()
	bounds := bo.DefaultBounds()
	bounds.Noise[0] = 1e-4
	return bo.FitOptions{Restarts: aqFitRetries, Seed: seed, MaxIterations: 100, Prior: &prior, Bounds: bounds}
}

// aqNewGP is SingleTaskGP's Matérn-5/2 ARD model at BoTorch's initial
// hyperparameters.
func aqNewGP(d int) *bo.GP {
	g := bo.NewGP(bo.NewMatern52(d, math.Ln2, math.Ln2))
	_ = g.SetHyperparameters(botorchInit(d))
	return g
}

// acquisition fits the objective and constraint GPs to the training set
// and returns the batch acquisition (qNoisyExpectedImprovement with the
// constraint folded in); its infeasible value is 0 (literal) or the worst
// observed latency (fixed).
func (a Aquatope) acquisition(objGP, conGP *bo.GP, X [][]float64, lat, con []float64, objOpts, conOpts bo.FitOptions, rng *rand.Rand) (*bo.QNEI, error) {
	if err := objGP.Fit(X, lat, objOpts); err != nil {
		return nil, err
	}
	if err := conGP.Fit(X, con, conOpts); err != nil {
		return nil, err
	}
	cfg := bo.QNEIConfig{Samples: aqMCSamples, Eta: aqEta, Threshold: 1}
	if a.Fixed {
		for _, v := range lat {
			cfg.InfeasibleValue = max(cfg.InfeasibleValue, v)
		}
	}
	return bo.NewQNEI(objGP, conGP, cfg, rng)
}

// filter is the leave-one-out outlier filter; it drops points from train
// and returns how many.
func (a Aquatope) filter(train *[]aqObs, objGP *bo.GP, opts bo.FitOptions, d int) int {
	t := *train
	if len(t) < 3 {
		return 0
	}
	X := make([][]float64, len(t))
	lat := make([]float64, len(t))
	for i, o := range t {
		X[i], lat[i] = o.x, o.lat
	}
	var mean, scale []float64
	if a.Fixed {
		if err := objGP.Fit(X, lat, opts); err != nil {
			return 0
		}
		var v []float64
		mean, v = objGP.LeaveOneOut()
		scale = make([]float64, len(v))
		for i := range v {
			scale[i] = math.Sqrt(v[i])
		}
	} else {
		g := bo.NewGP(bo.NewMatern52(d, math.Ln2, math.Ln2))
		if err := g.SetHyperparameters(botorchInit(d)); err != nil {
			return 0
		}
		if err := g.Fit(X, lat, bo.FitOptions{}); err != nil {
			return 0
		}
		var v []float64
		mean, v = g.LeaveOneOut()
		noise := g.NoiseVariance()
		scale = make([]float64, len(v))
		for i := range v {
			scale[i] = max(v[i]-noise, 0) // the latent variance, used as the scale
		}
	}
	var kept []aqObs
	for i, o := range t {
		w := o.lat
		if !o.feasible && !a.Fixed {
			w += aqPenalty
		}
		if mean[i]-aqZ*scale[i] < w && w < mean[i]+aqZ*scale[i] {
			kept = append(kept, o)
		}
	}
	if len(kept) < 2 {
		return 0
	}
	*train = kept
	return len(t) - len(kept)
}

// memoryGrid is the problem's memory sizes as a BO grid (one dimension per
// function, the same sizes for each).
func memoryGrid(p *tuner.Problem) (bo.Grid, error) {
	values := make([]float64, len(p.Grid))
	for i, m := range p.Grid {
		values[i] = float64(m)
	}
	return bo.NewGrid(values)
}
