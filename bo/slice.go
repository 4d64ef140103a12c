package bo

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SliceOptions configure SliceSample.
type SliceOptions struct {
	// Samples is the number of hyperparameter samples returned
	// (CharmSeeker: 20).
	Samples int
	// BurnIn is the number of sweeps discarded before the first sample.
	BurnIn int
	// Thin is the number of sweeps per returned sample (at least 1).
	Thin int
	// Width is the initial bracket width of each univariate slice step, in
	// log units (Spearmint: 1).
	Width float64
	// Prior is the prior on the hyperparameters (nil: flat in log space
	// within Bounds).
	Prior *Prior
	// Bounds is the hyperparameter box (zero fields take the defaults).
	Bounds Bounds
}

// DefaultSliceOptions returns 20 samples after 10 burn-in sweeps, one sweep
// per sample, bracket width 1.
func DefaultSliceOptions() SliceOptions {
	return SliceOptions{Samples: 20, BurnIn: 10, Thin: 1, Width: 1, Bounds: DefaultBounds()}
}

// Validate reports inconsistent options.
func (o SliceOptions) Validate() error {
	switch {
	case o.Samples < 1:
		return fmt.Errorf("bo: slice sampling needs at least one sample, got %d", o.Samples)
	case o.BurnIn < 0:
		return fmt.Errorf("bo: negative burn-in %d", o.BurnIn)
	case o.Thin < 1:
		return fmt.Errorf("bo: thinning %d is below 1", o.Thin)
	case !(o.Width > 0) || math.IsInf(o.Width, 0):
		return fmt.Errorf("bo: slice width %v is not positive and finite", o.Width)
	}
	if err := o.Prior.validate(); err != nil {
		return err
	}
	return o.Bounds.validate()
}

// SliceSample draws hyperparameter vectors from their posterior given the
// data of the last Fit, p(θ | y) ∝ p(y | θ) p(θ), by univariate slice
// sampling with stepping out and shrinkage (Neal 2003) swept over every
// coordinate of the log-space vector in turn, starting from the current
// hyperparameters. This is how CharmSeeker's Spearmint chooser integrates out
// its GP hyperparameters (Spearmint sweeps the length-scales one at a time
// and mean, amplitude and noise along a random direction; here every
// coordinate is swept singly). Priors stated on the natural scale gain the
// log-Jacobian of the log transform.
//
// It returns opts.Samples vectors in the layout of Hyperparameters and
// leaves the GP at the last one, so a later call continues the chain. Build
// an Ensemble from the samples to average an acquisition over them.
func (g *GP) SliceSample(opts SliceOptions, rng *rand.Rand) ([][]float64, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if !g.fitted {
		return nil, ErrNotFitted
	}
	if rng == nil {
		return nil, fmt.Errorf("bo: slice sampling needs a random source")
	}
	lo, hi, err := g.hyperBox(opts.Bounds, opts.Prior)
	if err != nil {
		return nil, err
	}
	d := g.d
	w := newLMLWork(len(g.x))
	logp := func(h []float64) float64 {
		for i, v := range h {
			if v < lo[i] || v > hi[i] {
				return math.Inf(-1)
			}
		}
		lml, err := g.evalLML(h, nil, w)
		if err != nil {
			return math.Inf(-1)
		}
		lp := lml + logPrior(opts.Prior, h, nil, d, true)
		if math.IsNaN(lp) {
			return math.Inf(-1)
		}
		return lp
	}
	h := g.Hyperparameters()
	for i := range h {
		h[i] = min(max(h[i], lo[i]), hi[i])
	}
	lp := logp(h)
	if math.IsInf(lp, -1) {
		return nil, fmt.Errorf("%w: zero posterior density at the starting hyperparameters", ErrNotPositiveDefinite)
	}
	sweep := func() {
		for i := range h {
			h[i], lp = sliceStep(func(v float64) float64 {
				old := h[i]
				h[i] = v
				l := logp(h)
				h[i] = old
				return l
			}, h[i], lp, opts.Width, rng)
		}
	}
	for range opts.BurnIn {
		sweep()
	}
	out := make([][]float64, 0, opts.Samples)
	for range opts.Samples {
		for range opts.Thin {
			sweep()
		}
		out = append(out, append([]float64(nil), h...))
	}
	if err := g.SetHyperparameters(h); err != nil {
		return nil, err
	}
	return out, nil
}

// sliceStep performs one univariate slice-sampling update of x0 (with log
// density lp0) under logp: stepping out by width w at most 32 times on each
// side, then shrinking the bracket towards x0.
func sliceStep(logp func(float64) float64, x0, lp0, w float64, rng *rand.Rand) (float64, float64) {
	const maxOut = 32
	logy := lp0 - rng.ExpFloat64()
	left := x0 - w*rng.Float64()
	right := left + w
	j := rng.IntN(maxOut)
	k := maxOut - 1 - j
	for ; j > 0 && logp(left) > logy; j-- {
		left -= w
	}
	for ; k > 0 && logp(right) > logy; k-- {
		right += w
	}
	for range 200 {
		x1 := left + (right-left)*rng.Float64()
		lp1 := logp(x1)
		if lp1 > logy {
			return x1, lp1
		}
		if x1 < x0 {
			left = x1
		} else {
			right = x1
		}
	}
	return x0, lp0 // bracket collapsed onto x0 (only by rounding)
}
