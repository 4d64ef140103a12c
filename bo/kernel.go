package bo

import (
	"fmt"
	"math"
)

// Kernel is a stationary covariance function with automatic relevance
// determination (one length-scale per input dimension) and an output scale:
//
//	k(x, x') = σ² g(r²),  r² = Σ_i (x_i − x'_i)² / ℓ_i².
//
// Its hyperparameters live in log space, [log ℓ_1 … log ℓ_d, log σ²], so an
// optimiser or sampler may move them freely. The interface is closed: the
// package provides Matern52 and SquaredExp.
type Kernel interface {
	// Dim returns the input dimension d.
	Dim() int
	// NumParams returns d+1.
	NumParams() int
	// Params returns a copy of the log-space hyperparameters.
	Params() []float64
	// SetParams sets the log-space hyperparameters from p (length d+1).
	SetParams(p []float64) error
	// Cov returns k(x, y).
	Cov(x, y []float64) float64
	// Variance returns σ² = k(x, x).
	Variance() float64
	// Clone returns an independent copy.
	Clone() Kernel

	// profile returns g(r²) and dg/d(r²).
	profile(r2 float64) (g, dg float64)
	// profileBatch writes g and dg/d(r²) for every r2[i].
	profileBatch(r2, g, dg []float64)
}

// ARD holds the hyperparameters shared by both kernels.
type ARD struct {
	// LogLengthScale holds log ℓ_i, one per input dimension.
	LogLengthScale []float64
	// LogVariance is log σ², the output scale.
	LogVariance float64
}

func newARD(dim int, lengthScale, variance float64) ARD {
	a := ARD{LogLengthScale: make([]float64, dim), LogVariance: math.Log(variance)}
	for i := range a.LogLengthScale {
		a.LogLengthScale[i] = math.Log(lengthScale)
	}
	return a
}

// Dim returns the input dimension.
func (a *ARD) Dim() int { return len(a.LogLengthScale) }

// NumParams returns the number of log-space hyperparameters, Dim()+1.
func (a *ARD) NumParams() int { return len(a.LogLengthScale) + 1 }

// Params returns [log ℓ_1 … log ℓ_d, log σ²].
func (a *ARD) Params() []float64 {
	return append(append([]float64(nil), a.LogLengthScale...), a.LogVariance)
}

// SetParams sets [log ℓ_1 … log ℓ_d, log σ²].
func (a *ARD) SetParams(p []float64) error {
	if len(p) != a.NumParams() {
		return fmt.Errorf("bo: kernel takes %d parameters, got %d", a.NumParams(), len(p))
	}
	for i, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bo: kernel parameter %d is %v", i, v)
		}
	}
	copy(a.LogLengthScale, p)
	a.LogVariance = p[len(p)-1]
	return nil
}

// Variance returns σ².
func (a *ARD) Variance() float64 { return math.Exp(a.LogVariance) }

// LengthScales returns ℓ_1 … ℓ_d.
func (a *ARD) LengthScales() []float64 {
	ls := make([]float64, len(a.LogLengthScale))
	for i, v := range a.LogLengthScale {
		ls[i] = math.Exp(v)
	}
	return ls
}

func (a *ARD) scaledDist2(x, y []float64) float64 {
	if len(x) != len(a.LogLengthScale) || len(y) != len(a.LogLengthScale) {
		panic(fmt.Sprintf("bo: kernel of dimension %d applied to points of dimension %d and %d", len(a.LogLengthScale), len(x), len(y)))
	}
	var r2 float64
	for i, l := range a.LogLengthScale {
		d := (x[i] - y[i]) * math.Exp(-l)
		r2 += d * d
	}
	return r2
}

// Matern52 is the Matérn kernel with smoothness ν = 5/2:
//
//	g(r²) = (1 + √5 r + 5r²/3) exp(−√5 r),
//
// the kernel of both CharmSeeker (Spearmint) and Aquatope (BoTorch).
type Matern52 struct{ ARD }

// NewMatern52 returns a Matérn-5/2 kernel on dim inputs with every
// length-scale ℓ and output scale σ² = variance.
func NewMatern52(dim int, lengthScale, variance float64) *Matern52 {
	return &Matern52{newARD(dim, lengthScale, variance)}
}

// Cov returns k(x, y).
func (k *Matern52) Cov(x, y []float64) float64 {
	g, _ := k.profile(k.scaledDist2(x, y))
	return k.Variance() * g
}

// Clone returns an independent copy.
func (k *Matern52) Clone() Kernel {
	return &Matern52{ARD{LogLengthScale: append([]float64(nil), k.LogLengthScale...), LogVariance: k.LogVariance}}
}

// profile: with r = √(r²), g = (1+√5r+5r²/3)e^{−√5r} and
// dg/d(r²) = −(5/6)(1+√5r)e^{−√5r}, finite at r = 0.
func (*Matern52) profile(r2 float64) (g, dg float64) {
	sr := math.Sqrt(5 * r2)
	e := math.Exp(-sr)
	return (1 + sr + 5*r2/3) * e, -5.0 / 6 * (1 + sr) * e
}

func (*Matern52) profileBatch(r2, g, dg []float64) {
	for i, v := range r2 {
		sr := math.Sqrt(5 * v)
		e := math.Exp(-sr)
		g[i] = (1 + sr + 5*v/3) * e
		dg[i] = -5.0 / 6 * (1 + sr) * e
	}
}

// SquaredExp is the squared-exponential (RBF) kernel, g(r²) = exp(−r²/2).
type SquaredExp struct{ ARD }

// NewSquaredExp returns a squared-exponential kernel on dim inputs with every
// length-scale ℓ and output scale σ² = variance.
func NewSquaredExp(dim int, lengthScale, variance float64) *SquaredExp {
	return &SquaredExp{newARD(dim, lengthScale, variance)}
}

// Cov returns k(x, y).
func (k *SquaredExp) Cov(x, y []float64) float64 {
	g, _ := k.profile(k.scaledDist2(x, y))
	return k.Variance() * g
}

// Clone returns an independent copy.
func (k *SquaredExp) Clone() Kernel {
	return &SquaredExp{ARD{LogLengthScale: append([]float64(nil), k.LogLengthScale...), LogVariance: k.LogVariance}}
}

func (*SquaredExp) profile(r2 float64) (g, dg float64) {
	e := math.Exp(-r2 / 2)
	return e, -e / 2
}

func (*SquaredExp) profileBatch(r2, g, dg []float64) {
	for i, v := range r2 {
		e := math.Exp(-v / 2)
		g[i] = e
		dg[i] = -e / 2
	}
}
