package bo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/optimize"
)

// Bounds are the box, on the natural scale, that hyperparameters are kept in
// while fitting or sampling; a zero pair takes the default. They apply to
// standardised outputs and to inputs in [0,1].
type Bounds struct {
	LengthScale [2]float64 // default [0.01, 100]
	OutputScale [2]float64 // σ², default [1e-3, 1e3]
	Noise       [2]float64 // σn², default [1e-6, 2]
}

// DefaultBounds returns the default box.
func DefaultBounds() Bounds {
	return Bounds{
		LengthScale: [2]float64{0.01, 100},
		OutputScale: [2]float64{1e-3, 1e3},
		Noise:       [2]float64{1e-6, 2},
	}
}

func (b Bounds) withDefaults() Bounds {
	def := DefaultBounds()
	if b.LengthScale == [2]float64{} {
		b.LengthScale = def.LengthScale
	}
	if b.OutputScale == [2]float64{} {
		b.OutputScale = def.OutputScale
	}
	if b.Noise == [2]float64{} {
		b.Noise = def.Noise
	}
	return b
}

func (b Bounds) validate() error {
	b = b.withDefaults()
	for _, p := range []struct {
		name string
		v    [2]float64
	}{{"length-scale", b.LengthScale}, {"output-scale", b.OutputScale}, {"noise", b.Noise}} {
		if !(p.v[0] > 0 && p.v[1] > p.v[0]) || math.IsInf(p.v[1], 0) {
			return fmt.Errorf("bo: %s bounds [%v, %v] need 0 < lo < hi < ∞", p.name, p.v[0], p.v[1])
		}
	}
	return nil
}

// FitOptions configure hyperparameter fitting in GP.Fit.
type FitOptions struct {
	// Restarts is the number of L-BFGS runs (gonum/optimize) on the (penalised) log marginal
	// likelihood: the first starts from the GP's current hyperparameters,
	// the others from random points drawn with Seed. Zero keeps the
	// hyperparameters as they are and only conditions on the data.
	Restarts int
	// Seed seeds the random starting points.
	Seed uint64
	// MaxIterations bounds the L-BFGS iterations of each run (default 100).
	MaxIterations int
	// Prior, when non-nil, turns maximum likelihood into maximum a
	// posteriori estimation.
	Prior *Prior
	// Bounds is the hyperparameter box (zero fields take the defaults).
	Bounds Bounds
}

// DefaultFitOptions returns maximum likelihood with 3 L-BFGS runs of at most
// 100 iterations and the default bounds.
func DefaultFitOptions() FitOptions {
	return FitOptions{Restarts: 3, MaxIterations: 100, Bounds: DefaultBounds()}
}

// Validate reports inconsistent options.
func (o FitOptions) Validate() error {
	if o.Restarts < 0 {
		return fmt.Errorf("bo: negative number of restarts %d", o.Restarts)
	}
	if o.MaxIterations < 0 {
		return fmt.Errorf("bo: negative iteration limit %d", o.MaxIterations)
	}
	if err := o.Prior.validate(); err != nil {
		return err
	}
	return o.Bounds.validate()
}

// hyperBox returns the log-space box of the hyperparameter vector: the
// bounds intersected with the priors' supports, and the mean within the range
// of the standardised outputs (Spearmint's rule).
func (g *GP) hyperBox(b Bounds, pr *Prior) (lo, hi []float64, err error) {
	b = b.withDefaults()
	d := g.d
	nh := d + 3
	lo, hi = make([]float64, nh), make([]float64, nh)
	clip := func(lo, hi float64, p ScalarPrior) (float64, float64) {
		if p != nil {
			plo, phi := p.Support()
			lo, hi = max(lo, plo), min(hi, phi)
		}
		return math.Log(lo), math.Log(hi)
	}
	var lsP, osP, nP ScalarPrior
	if pr != nil {
		lsP, osP, nP = pr.LengthScale, pr.OutputScale, pr.Noise
	}
	for k := 0; k < d; k++ {
		lo[k], hi[k] = clip(b.LengthScale[0], b.LengthScale[1], lsP)
	}
	lo[d], hi[d] = clip(b.OutputScale[0], b.OutputScale[1], osP)
	lo[d+1], hi[d+1] = clip(b.Noise[0], b.Noise[1], nP)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, v := range g.ys {
		ymin, ymax = min(ymin, v), max(ymax, v)
	}
	if ymax-ymin < 1e-9 {
		ymin, ymax = ymin-1, ymax+1
	}
	lo[d+2], hi[d+2] = ymin, ymax
	for i := range lo {
		if !(lo[i] <= hi[i]) {
			return nil, nil, fmt.Errorf("bo: hyperparameter %d has an empty range: bounds and prior support do not overlap", i)
		}
	}
	return lo, hi, nil
}

// logPrior returns Σ log p over the hyperparameters with priors and adds
// its gradient with respect to h into grad (if non-nil). With jacobian, each
// prior term gains log v (the density of log v rather than of v).
func logPrior(pr *Prior, h, grad []float64, d int, jacobian bool) float64 {
	if pr == nil {
		return 0
	}
	var lp float64
	add := func(p ScalarPrior, i int) {
		if p == nil {
			return
		}
		l, dl := p.LogDensity(h[i])
		if jacobian {
			l += h[i]
			dl++
		}
		lp += l
		if grad != nil {
			grad[i] += dl
		}
	}
	for k := 0; k < d; k++ {
		add(pr.LengthScale, k)
	}
	add(pr.OutputScale, d)
	add(pr.Noise, d+1)
	return lp
}

// optimize maximises the log marginal likelihood (plus log prior) over the
// box with gonum's L-BFGS (optimize.LBFGS, Armijo backtracking line search)
// in unconstrained coordinates u, h = lo + (hi−lo)·σ(u), keeping the best of
// opts.Restarts runs. A run stops after opts.MaxIterations iterations, when
// the largest gradient component falls below 1e-4, or when three iterations
// in a row improve the objective by less than 1e-6·max(1, |f|). Hyperparameters
// where the covariance cannot be factorised evaluate to +Inf, which the line
// search treats as a failed step and backs away from.
func (g *GP) optimize(opts FitOptions) error {
	lo, hi, err := g.hyperBox(opts.Bounds, opts.Prior)
	if err != nil {
		return err
	}
	nh := len(lo)
	d := g.d
	w := newLMLWork(len(g.x))
	h := make([]float64, nh)
	gh := make([]float64, nh)
	toH := func(u []float64) {
		for i, ui := range u {
			h[i] = min(max(lo[i]+(hi[i]-lo[i])*sigmoid(ui), lo[i]), hi[i])
		}
	}
	// eval computes the objective and its gradient at u together (they
	// share the Cholesky factor); gonum asks for them in separate calls, so
	// the last point's value and gradient are cached.
	var (
		lastU    []float64
		lastF    float64
		lastGrad = make([]float64, nh)
	)
	eval := func(u []float64) {
		if lastU != nil && equalSlices(u, lastU) {
			return
		}
		lastU = append(lastU[:0], u...)
		toH(u)
		lml, err := g.evalLML(h, gh, w)
		if err != nil {
			clear(lastGrad)
			lastF = math.Inf(1)
			return
		}
		lp := logPrior(opts.Prior, h, gh, d, false)
		for i, ui := range u {
			s := sigmoid(ui)
			lastGrad[i] = -gh[i] * (hi[i] - lo[i]) * s * (1 - s)
		}
		lastF = -(lml + lp)
		if math.IsNaN(lastF) {
			lastF = math.Inf(1)
		}
	}
	problem := optimize.Problem{
		Func: func(u []float64) float64 { eval(u); return lastF },
		Grad: func(grad, u []float64) { eval(u); copy(grad, lastGrad) },
	}
	maxIter := opts.MaxIterations
	if maxIter == 0 {
		maxIter = 100
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	toU := func(h []float64) []float64 {
		u := make([]float64, nh)
		for i := range h {
			if hi[i]-lo[i] < 1e-12 {
				continue
			}
			f := min(max((h[i]-lo[i])/(hi[i]-lo[i]), 1e-6), 1-1e-6)
			u[i] = math.Log(f / (1 - f))
		}
		return u
	}
	bestF := math.Inf(1)
	var bestH []float64
	for r := 0; r < opts.Restarts; r++ {
		var h0 []float64
		if r == 0 {
			h0 = g.Hyperparameters()
		} else {
			h0 = randomHyper(rng, d, lo, hi)
		}
		settings := &optimize.Settings{
			GradientThreshold: 1e-4,
			MajorIterations:   maxIter,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-6, Relative: 1e-6, Iterations: 3},
		}
		method := &optimize.LBFGS{Linesearcher: &optimize.Backtracking{}, Store: 10}
		res, err := optimize.Minimize(problem, toU(h0), settings, method)
		// An early stop (a line search that can make no more progress, an
		// infinite value at the start) is not fatal: the best point reached
		// so far still counts if it is finite.
		if res == nil || (err != nil && res.X == nil) {
			continue
		}
		f := res.F
		if math.IsInf(f, 0) || math.IsNaN(f) {
			continue
		}
		if f < bestF {
			bestF = f
			toH(res.X)
			bestH = append(bestH[:0], h...)
		}
	}
	if bestH == nil {
		return fmt.Errorf("%w: hyperparameter optimisation found no finite likelihood in %d runs", ErrNotPositiveDefinite, opts.Restarts)
	}
	return g.SetHyperparameters(bestH)
}

// randomHyper draws a starting point: length-scales log-uniform on
// [0.05, 2], σ² log-uniform on [0.3, 3], σn² log-uniform on [1e-4, 0.1],
// mean uniform on [−0.5, 0.5], each clipped into the box.
func randomHyper(rng *rand.Rand, d int, lo, hi []float64) []float64 {
	h := make([]float64, d+3)
	u := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	for k := 0; k < d; k++ {
		h[k] = u(math.Log(0.05), math.Log(2))
	}
	h[d] = u(math.Log(0.3), math.Log(3))
	h[d+1] = u(math.Log(1e-4), math.Log(0.1))
	h[d+2] = u(-0.5, 0.5)
	for i := range h {
		h[i] = min(max(h[i], lo[i]), hi[i])
	}
	return h
}

func sigmoid(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
