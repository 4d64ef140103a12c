package bo

import (
	"fmt"
	"math"
)

// ScalarPrior is a prior density over one positive hyperparameter v
// (a length-scale, the output scale σ² or the noise variance σn²), stated on
// v itself, not on log v. Densities may be unnormalised.
type ScalarPrior interface {
	// LogDensity returns log p(v) at v = exp(logv), up to a constant, and
	// its derivative with respect to logv.
	LogDensity(logv float64) (lp, dlp float64)
	// Support returns the interval (lo, hi] outside which p(v) = 0.
	Support() (lo, hi float64)
}

// Gamma is the Gamma(Shape, Rate) density, p(v) ∝ v^(Shape−1) e^(−Rate·v),
// with mean Shape/Rate (GPyTorch's GammaPrior(concentration, rate)).
type Gamma struct{ Shape, Rate float64 }

// LogDensity implements ScalarPrior.
func (p Gamma) LogDensity(logv float64) (lp, dlp float64) {
	v := math.Exp(logv)
	return (p.Shape-1)*logv - p.Rate*v, (p.Shape - 1) - p.Rate*v
}

// Support implements ScalarPrior.
func (Gamma) Support() (lo, hi float64) { return 0, math.Inf(1) }

// LogNormal is the log-normal density: log v ~ N(Mu, Sigma²), so
// p(v) ∝ exp(−(log v − Mu)²/(2 Sigma²)) / v.
type LogNormal struct{ Mu, Sigma float64 }

// LogDensity implements ScalarPrior.
func (p LogNormal) LogDensity(logv float64) (lp, dlp float64) {
	z := (logv - p.Mu) / p.Sigma
	return -0.5*z*z - logv, -z/p.Sigma - 1
}

// Support implements ScalarPrior.
func (LogNormal) Support() (lo, hi float64) { return 0, math.Inf(1) }

// TopHat is the flat density on (Lo, Hi].
type TopHat struct{ Lo, Hi float64 }

// LogDensity implements ScalarPrior. The bounds are compared in log space,
// exactly as the fitting box is built, so the box's edge stays inside.
func (p TopHat) LogDensity(logv float64) (lp, dlp float64) {
	if logv > math.Log(p.Hi) || (p.Lo > 0 && logv < math.Log(p.Lo)) {
		return math.Inf(-1), 0
	}
	return 0, 0
}

// Support implements ScalarPrior.
func (p TopHat) Support() (lo, hi float64) { return p.Lo, p.Hi }

// Horseshoe is Spearmint's closed-form stand-in for the horseshoe density
// on a noise variance, p(v) ∝ log(1 + (Scale/v)²), which puts a pole at zero
// and a Cauchy-like tail above Scale.
type Horseshoe struct{ Scale float64 }

// LogDensity implements ScalarPrior.
func (p Horseshoe) LogDensity(logv float64) (lp, dlp float64) {
	u := p.Scale * p.Scale * math.Exp(-2*logv) // (Scale/v)²
	l := math.Log1p(u)
	if l <= 0 {
		return math.Inf(-1), 0
	}
	return math.Log(l), -2 * u / ((1 + u) * l)
}

// Support implements ScalarPrior.
func (Horseshoe) Support() (lo, hi float64) { return 0, math.Inf(1) }

// Prior collects the priors on a GP's hyperparameters; a nil field is flat
// (within the box bounds of FitOptions). The length-scale prior applies to
// each length-scale independently. All priors are on the standardised
// outputs the GP works with (zero mean, unit variance).
//
// Maximum a posteriori fitting (Fit) adds log p(v) to the log marginal
// likelihood without a change-of-variables term, as GPyTorch does, so the
// optimum is the posterior mode in the natural parameters. Slice sampling
// (SliceSample) adds the log-Jacobian of the log transform for every
// hyperparameter with a prior, so samples follow the stated posterior.
type Prior struct {
	LengthScale ScalarPrior
	OutputScale ScalarPrior
	Noise       ScalarPrior
}

// AquatopePrior returns the priors of BoTorch's SingleTaskGP that Aquatope
// fits: length-scale Γ(3, 6), output scale Γ(2, 0.15) and noise variance
// Γ(1.1, 0.05). (BoTorch also bounds the noise below by 1e-4; set
// FitOptions.Bounds.Noise[0] to match.)
func AquatopePrior() Prior {
	return Prior{
		LengthScale: Gamma{Shape: 3, Rate: 6},
		OutputScale: Gamma{Shape: 2, Rate: 0.15},
		Noise:       Gamma{Shape: 1.1, Rate: 0.05},
	}
}

// CharmSeekerPrior returns the priors of CharmSeeker's Spearmint chooser
// (GPEISBOChooser.py): length-scales top-hat on (0, 2], noise horseshoe with
// scale 0.1, and the amplitude prior written there as
// log p(σ²) = −½ (log σ²)², which as a density on σ² is LogNormal{Mu: 1,
// Sigma: 1} (the code omits the 1/σ² factor of a log-normal centred at 0).
func CharmSeekerPrior() Prior {
	return Prior{
		LengthScale: TopHat{Lo: 0, Hi: 2},
		OutputScale: LogNormal{Mu: 1, Sigma: 1},
		Noise:       Horseshoe{Scale: 0.1},
	}
}

func (p *Prior) validate() error {
	if p == nil {
		return nil
	}
	check := func(name string, s ScalarPrior) error {
		switch s := s.(type) {
		case Gamma:
			if !(s.Shape > 0 && s.Rate > 0) {
				return fmt.Errorf("bo: %s prior Gamma(%v, %v) needs positive shape and rate", name, s.Shape, s.Rate)
			}
		case LogNormal:
			if !(s.Sigma > 0) || math.IsInf(s.Mu, 0) || math.IsNaN(s.Mu) {
				return fmt.Errorf("bo: %s prior LogNormal(%v, %v) needs finite mu and positive sigma", name, s.Mu, s.Sigma)
			}
		case TopHat:
			if !(s.Lo >= 0 && s.Hi > s.Lo) {
				return fmt.Errorf("bo: %s prior TopHat(%v, %v) needs 0 <= lo < hi", name, s.Lo, s.Hi)
			}
		case Horseshoe:
			if !(s.Scale > 0) {
				return fmt.Errorf("bo: %s prior Horseshoe(%v) needs a positive scale", name, s.Scale)
			}
		}
		return nil
	}
	if err := check("length-scale", p.LengthScale); err != nil {
		return err
	}
	if err := check("output-scale", p.OutputScale); err != nil {
		return err
	}
	return check("noise", p.Noise)
}
