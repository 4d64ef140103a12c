package bo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// AcqOptions configure Maximize.
type AcqOptions struct {
	// RawSamples is the number of scrambled-Sobol points the acquisition is
	// first evaluated at (Aquatope: 32).
	RawSamples int
	// Restarts is the number of those points refined by local search
	// (Aquatope: 10).
	Restarts int
	// MaxEvals bounds the acquisition evaluations of each local search.
	MaxEvals int
	// InitialStep and MinStep are the first and smallest step of the local
	// search, in unit-cube coordinates.
	InitialStep, MinStep float64
}

// DefaultAcqOptions returns Aquatope's 32 raw samples and 10 restarts, with
// local searches of at most 100 evaluations and steps from 0.1 down to 1e-3.
func DefaultAcqOptions() AcqOptions {
	return AcqOptions{RawSamples: 32, Restarts: 10, MaxEvals: 100, InitialStep: 0.1, MinStep: 1e-3}
}

// Validate reports inconsistent options.
func (o AcqOptions) Validate() error {
	switch {
	case o.RawSamples < 1:
		return fmt.Errorf("bo: acquisition needs at least one raw sample, got %d", o.RawSamples)
	case o.Restarts < 0 || o.Restarts > o.RawSamples:
		return fmt.Errorf("bo: %d restarts outside [0, %d raw samples]", o.Restarts, o.RawSamples)
	case o.MaxEvals < 0:
		return fmt.Errorf("bo: negative local search budget %d", o.MaxEvals)
	case !(o.MinStep > 0 && o.InitialStep >= o.MinStep && o.InitialStep <= 1):
		return fmt.Errorf("bo: local search steps %v down to %v need 0 < min ≤ initial ≤ 1", o.InitialStep, o.MinStep)
	}
	return nil
}

// Maximize maximises f over [0,1]^dim the way BoTorch's optimize_acqf
// does, with a derivative-free local step: f is evaluated at RawSamples
// scrambled-Sobol points; Restarts of them are picked by Boltzmann sampling
// on their standardised values (BoTorch's initialize_q_batch, η = 1, the best
// point always kept; uniformly when all values tie); each is refined by
// compass search (Kolda, Lewis and Torczon 2003): try ±step along each
// coordinate in turn, keep any improvement, halve the step after a sweep
// without one, stop below MinStep or after MaxEvals evaluations. Compass
// search was chosen over Nelder–Mead because it respects the box exactly by
// clamping and makes progress within a small budget even in the
// q·d-dimensional space of a joint batch, where a simplex would spend its
// budget on the first simplex.
//
// f must not keep x. The result is deterministic given rng's state.
func Maximize(f func(x []float64) float64, dim int, opts AcqOptions, rng *rand.Rand) ([]float64, float64, error) {
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
		x, v := compassSearch(f, raw[i], vals[i], opts)
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
