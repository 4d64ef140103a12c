package bo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/optimize"
)

// LocalSearch names the local optimiser Maximize refines its restarts with.
type LocalSearch int

const (
	// LBFGS is gonum/optimize's L-BFGS on the box mapped to the real line
	// coordinate by coordinate (x = σ(u)), with the function's own gradient
	// (MaximizeGrad) or central differences (Maximize): the gradient-based
	// multi-start local search of BoTorch's optimize_acqf (scipy's L-BFGS-B
	// with autograd gradients). The default.
	LBFGS LocalSearch = iota
	// Compass is derivative-free compass search (Kolda, Lewis and Torczon
	// 2003), clamped to the box.
	Compass
)

// AcqOptions configure Maximize.
type AcqOptions struct {
	// RawSamples is the number of scrambled-Sobol points the acquisition is
	// first evaluated at (Aquatope: 32).
	RawSamples int
	// Restarts is the number of those points refined by local search
	// (Aquatope: 10).
	Restarts int
	// Local is the local optimiser (default LBFGS).
	Local LocalSearch
	// MaxIterations bounds the L-BFGS iterations of each restart (BoTorch's
	// optimize_acqf: maxiter 200).
	MaxIterations int
	// MaxEvals bounds the acquisition evaluations of each compass search.
	MaxEvals int
	// InitialStep and MinStep are the first and smallest step of the compass
	// search, in unit-cube coordinates.
	InitialStep, MinStep float64
}

// DefaultAcqOptions returns Aquatope's (BoTorch's) 32 raw samples and 10
// restarts refined by L-BFGS of at most 200 iterations; the compass
// settings (100 evaluations, steps from 0.1 down to 1e-3) apply when Local is
// Compass.
func DefaultAcqOptions() AcqOptions {
	return AcqOptions{RawSamples: 32, Restarts: 10, Local: LBFGS, MaxIterations: 200, MaxEvals: 100, InitialStep: 0.1, MinStep: 1e-3}
}

// Validate reports inconsistent options.
func (o AcqOptions) Validate() error {
	switch {
	case o.RawSamples < 1:
		return fmt.Errorf("bo: acquisition needs at least one raw sample, got %d", o.RawSamples)
	case o.Restarts < 0 || o.Restarts > o.RawSamples:
		return fmt.Errorf("bo: %d restarts outside [0, %d raw samples]", o.Restarts, o.RawSamples)
	case o.Local != LBFGS && o.Local != Compass:
		return fmt.Errorf("bo: unknown local search %d", o.Local)
	case o.Local == LBFGS && o.MaxIterations < 0:
		return fmt.Errorf("bo: negative L-BFGS iteration budget %d", o.MaxIterations)
	case o.Local == Compass && o.MaxEvals < 0:
		return fmt.Errorf("bo: negative local search budget %d", o.MaxEvals)
	case o.Local == Compass && !(o.MinStep > 0 && o.InitialStep >= o.MinStep && o.InitialStep <= 1):
		return fmt.Errorf("bo: local search steps %v down to %v need 0 < min ≤ initial ≤ 1", o.InitialStep, o.MinStep)
	}
	return nil
}

// Maximize maximises f over [0,1]^dim the way BoTorch's optimize_acqf
// does: f is evaluated at RawSamples scrambled-Sobol points; Restarts of
// them are picked by Boltzmann sampling on their standardised values
// (BoTorch's initialize_q_batch, η = 1, the best point always kept;
// uniformly when all values tie); each is refined by the local search of
// opts.Local, and the best point seen is returned.
//
// L-BFGS (the default) works on u with x = σ(u) coordinate-wise, so the box
// needs no bound constraints (gonum's L-BFGS has none; BoTorch uses scipy's
// L-BFGS-B): starts are clamped to [1e-6, 1 − 1e-6] and the gradient is
// taken by central differences in u (step 1e-5, 2·dim evaluations; see
// MaximizeGrad for an exact one), which for a Monte-Carlo acquisition with
// fixed base samples is the gradient of a piecewise-smooth function, as
// autograd's is. Compass search (Local =
// Compass) tries ±step along each coordinate in turn, keeps any
// improvement, halves the step after a sweep without one, and stops below
// MinStep or after MaxEvals evaluations.
//
// f must not keep x. The result is deterministic given rng's state.
func Maximize(f func(x []float64) float64, dim int, opts AcqOptions, rng *rand.Rand) ([]float64, float64, error) {
	return maximize(f, nil, dim, opts, rng)
}

// MaximizeGrad is Maximize for a function that also returns its gradient:
// fg(x, grad) returns f(x) and, when grad is not nil, writes ∇f(x) into it.
// L-BFGS then takes the gradient from fg (chained through x = σ(u)) instead
// of 2·dim central differences, as BoTorch's L-BFGS-B takes autograd's;
// raw samples and compass search call fg with a nil grad. fg must not keep
// x or grad.
func MaximizeGrad(fg func(x, grad []float64) float64, dim int, opts AcqOptions, rng *rand.Rand) ([]float64, float64, error) {
	if fg == nil {
		return nil, 0, fmt.Errorf("bo: MaximizeGrad needs a function")
	}
	return maximize(func(x []float64) float64 { return fg(x, nil) }, fg, dim, opts, rng)
}

func maximize(f func(x []float64) float64, fg func(x, grad []float64) float64, dim int, opts AcqOptions, rng *rand.Rand) ([]float64, float64, error) {
	if err := opts.Validate(); err != nil {
		return nil, 0, err
	}
	if dim < 1 {
		return nil, 0, fmt.Errorf("bo: dimension %d is not positive", dim)
	}
	if rng == nil {
		return nil, 0, fmt.Errorf("bo: acquisition optimisation needs a random source")
	}
	var raw [][]float64
	if dim <= MaxSobolDim {
		raw, _ = SobolPoints(opts.RawSamples, dim, rng)
	} else {
		raw = UniformPoints(opts.RawSamples, dim, rng)
	}
	vals := make([]float64, len(raw))
	for i, x := range raw {
		vals[i] = finiteOr(f(x), math.Inf(-1))
	}
	starts := boltzmannPick(vals, opts.Restarts, rng)
	bestI := argmax(vals)
	bestX, bestV := append([]float64(nil), raw[bestI]...), vals[bestI]
	for _, i := range starts {
		var x []float64
		var v float64
		if opts.Local == Compass {
			x, v = compassSearch(f, raw[i], vals[i], opts)
		} else {
			x, v = lbfgsSearch(f, fg, raw[i], vals[i], opts)
		}
		if v > bestV {
			bestX, bestV = x, v
		}
	}
	return bestX, bestV, nil
}

func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) {
		return alt
	}
	return v
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// boltzmannPick chooses k distinct indices with probability proportional
// to exp((v − mean)/sd) (sequentially without replacement), making sure the
// best index is among them; with sd = 0 it picks uniformly.
func boltzmannPick(vals []float64, k int, rng *rand.Rand) []int {
	n := len(vals)
	if k == 0 {
		return nil
	}
	var mean, cnt float64
	for _, v := range vals {
		if !math.IsInf(v, 0) {
			mean += v
			cnt++
		}
	}
	var sd float64
	if cnt > 0 {
		mean /= cnt
		for _, v := range vals {
			if !math.IsInf(v, 0) {
				sd += (v - mean) * (v - mean)
			}
		}
		sd = math.Sqrt(sd / cnt)
	}
	if !(sd > 0) {
		return rng.Perm(n)[:k]
	}
	w := make([]float64, n)
	for i, v := range vals {
		if math.IsInf(v, -1) {
			continue
		}
		w[i] = math.Exp(min((v-mean)/sd, 700))
	}
	picked := make([]int, 0, k)
	taken := make([]bool, n)
	for len(picked) < k {
		var total float64
		for i, wi := range w {
			if !taken[i] {
				total += wi
			}
		}
		if !(total > 0) {
			for i := range taken { // the rest have zero weight: take in order
				if !taken[i] && len(picked) < k {
					taken[i] = true
					picked = append(picked, i)
				}
			}
			break
		}
		r := rng.Float64() * total
		sel := -1
		for i, wi := range w {
			if taken[i] {
				continue
			}
			sel = i
			if r < wi {
				break
			}
			r -= wi
		}
		taken[sel] = true
		picked = append(picked, sel)
	}
	best := argmax(vals)
	if !taken[best] {
		picked[k-1] = best
	}
	sort.Ints(picked)
	return picked
}

// compassSearch climbs f from x0 (value f0) by coordinate steps.
func compassSearch(f func(x []float64) float64, x0 []float64, f0 float64, opts AcqOptions) ([]float64, float64) {
	x := append([]float64(nil), x0...)
	fx := f0
	step := opts.InitialStep
	evals := 0
	for step >= opts.MinStep && evals < opts.MaxEvals {
		improved := false
		for i := range x {
			for _, sgn := range [2]float64{1, -1} {
				if evals >= opts.MaxEvals {
					break
				}
				old := x[i]
				nx := clamp01(old + sgn*step)
				if nx == old {
					continue
				}
				x[i] = nx
				v := f(x)
				evals++
				if v > fx {
					fx = v
					improved = true
					break
				}
				x[i] = old
			}
		}
		if !improved {
			step /= 2
		}
	}
	return x, fx
}

// MaximizeEI returns the point of [0,1]^d that maximises EI under g (best
// and xi in g's output units), using Maximize.
func MaximizeEI(g *GP, best, xi float64, opts AcqOptions, rng *rand.Rand) ([]float64, float64, error) {
	if !g.fitted {
		return nil, 0, ErrNotFitted
	}
	buf := make([]float64, g.N())
	f := func(x []float64) float64 {
		m, v := g.predictStd(x, buf)
		return EI(g.yMean+g.yScale*m, g.yScale*math.Sqrt(v), best, xi)
	}
	return Maximize(f, g.d, opts, rng)
}

// lbfgsSearch climbs f from x0 (value f0) by L-BFGS on u, x = σ(u), with
// the gradient of fg or, when fg is nil, central-difference gradients; it
// returns the better of the start and the optimiser's end point.
func lbfgsSearch(f func(x []float64) float64, fg func(x, grad []float64) float64, x0 []float64, f0 float64, opts AcqOptions) ([]float64, float64) {
	const (
		edge = 1e-6 // starts are kept this far inside the box
		h    = 1e-5 // difference step in u
	)
	dim := len(x0)
	u0 := make([]float64, dim)
	for i, v := range x0 {
		v = min(max(v, edge), 1-edge)
		u0[i] = math.Log(v / (1 - v))
	}
	x := make([]float64, dim)
	ub := make([]float64, dim)
	neg := func(u []float64) float64 {
		for i, v := range u {
			x[i] = 1 / (1 + math.Exp(-v))
		}
		v := f(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(1)
		}
		return -v
	}
	problem := optimize.Problem{
		Func: neg,
		Grad: func(grad, u []float64) {
			copy(ub, u)
			for i := range ub {
				ui := ub[i]
				ub[i] = ui + h
				fp := neg(ub)
				ub[i] = ui - h
				fm := neg(ub)
				ub[i] = ui
				grad[i] = (fp - fm) / (2 * h)
				if math.IsInf(grad[i], 0) || math.IsNaN(grad[i]) {
					grad[i] = 0
				}
			}
		},
	}
	if fg != nil {
		// gonum asks for the value and then the gradient at the same u: one
		// call of fg gives both, the gradient kept for the Grad that follows.
		gx := make([]float64, dim)
		cu, cg := make([]float64, dim), make([]float64, dim)
		cached := false
		fun := func(u []float64) float64 {
			for i, v := range u {
				x[i] = 1 / (1 + math.Exp(-v))
			}
			v := fg(x, gx)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				cached = false
				return math.Inf(1)
			}
			for i, ui := range u {
				_, dx := sigmoidPair(ui) // 1 − x, without cancellation
				gi := -gx[i] * x[i] * dx
				if math.IsInf(gi, 0) || math.IsNaN(gi) {
					gi = 0
				}
				cg[i] = gi
			}
			copy(cu, u)
			cached = true
			return -v
		}
		problem = optimize.Problem{
			Func: fun,
			Grad: func(grad, u []float64) {
				if !cached || !equalSlices(cu, u) {
					fun(u)
				}
				if !cached {
					clear(grad)
					return
				}
				copy(grad, cg)
			},
		}
		neg = fun
	}
	// scipy's L-BFGS-B defaults, which BoTorch's gen_candidates_scipy keeps:
	// pgtol 1e-5 on the gradient's largest component, and ftol 2.2e-9 on
	// one iteration's relative decrease.
	settings := &optimize.Settings{
		MajorIterations:   opts.MaxIterations,
		GradientThreshold: 1e-5,
		Converger:         &optimize.FunctionConverge{Absolute: 2.2e-9, Relative: 2.2e-9, Iterations: 1},
	}
	bestX, bestV := append([]float64(nil), x0...), f0
	r, _ := optimize.Minimize(problem, u0, settings, &optimize.LBFGS{})
	if r != nil && r.X != nil {
		if v := -neg(r.X); v > bestV {
			bestV = v
			bestX = append(bestX[:0], x...)
		}
	}
	return bestX, bestV
}
