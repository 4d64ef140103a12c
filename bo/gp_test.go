package bo_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/confignav/confignav/bo"
)

// inv3 returns the inverse of a 3×3 matrix by cofactors and its determinant.
func inv3(a [3][3]float64) (inv [3][3]float64, det float64) {
	c := func(i, j int) float64 { // cofactor C_ij
		r := [2]int{}
		k := 0
		for x := 0; x < 3; x++ {
			if x != i {
				r[k] = x
				k++
			}
		}
		s := [2]int{}
		k = 0
		for y := 0; y < 3; y++ {
			if y != j {
				s[k] = y
				k++
			}
		}
		m := a[r[0]][s[0]]*a[r[1]][s[1]] - a[r[0]][s[1]]*a[r[1]][s[0]]
		if (i+j)%2 == 1 {
			m = -m
		}
		return m
	}
	for j := 0; j < 3; j++ {
		det += a[0][j] * c(0, j)
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			inv[j][i] = c(i, j) / det
		}
	}
	return inv, det
}

// TestGPThreePoints checks the posterior of a GP on three 1-D observations
// against the textbook formulas evaluated with an explicit 3×3 inverse:
// μ(x) = m + k(x)ᵀ A⁻¹ (y − m), σ²(x) = k(x,x) − k(x)ᵀ A⁻¹ k(x),
// A = K + σn²I, log p(y) = −½(y−m)ᵀA⁻¹(y−m) − ½ log|A| − (3/2) log 2π.
// The GP standardises y (mean 5, sample sd 2 here), so in original units
// its kernel is s²σ²g(r²), its noise s²σn² and its mean ȳ + s·c.
func TestGPThreePoints(t *testing.T) {
	X := [][]float64{{0}, {0.5}, {1}}
	y := []float64{3, 7, 5} // mean 5, sample sd 2
	const (
		ybar, s = 5.0, 2.0
		ell     = 0.4
		sf2     = 1.3  // standardised output scale
		sn2     = 0.01 // standardised noise variance
		c       = 0.2  // standardised constant mean
	)
	profiles := []struct {
		name string
		k    bo.Kernel
		g    func(r float64) float64
	}{
		{"squaredexp", bo.NewSquaredExp(1, ell, sf2), func(r float64) float64 { return math.Exp(-r * r / 2) }},
		{"matern52", bo.NewMatern52(1, ell, sf2), func(r float64) float64 {
			return (1 + math.Sqrt(5)*r + 5*r*r/3) * math.Exp(-math.Sqrt(5)*r)
		}},
	}
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			gp := bo.NewGP(p.k)
			h := gp.Hyperparameters()
			h[2], h[3] = math.Log(sn2), c
			if err := gp.SetHyperparameters(h); err != nil {
				t.Fatal(err)
			}
			if err := gp.Fit(X, y, bo.FitOptions{}); err != nil {
				t.Fatal(err)
			}
			k := func(a, b float64) float64 { return s * s * sf2 * p.g(math.Abs(a-b)/ell) }
			m := ybar + s*c
			var A [3][3]float64
			for i := 0; i < 3; i++ {
				for j := 0; j < 3; j++ {
					A[i][j] = k(X[i][0], X[j][0])
				}
				A[i][i] += s * s * sn2
			}
			Ainv, det := inv3(A)
			var r [3]float64
			for i := range r {
				r[i] = y[i] - m
			}
			var quad float64
			for i := 0; i < 3; i++ {
				for j := 0; j < 3; j++ {
					quad += r[i] * Ainv[i][j] * r[j]
				}
			}
			wantLML := -0.5*quad - 0.5*math.Log(det) - 1.5*math.Log(2*math.Pi)
			// All comparisons are to rounding: a 3×3 system with condition
			// number below 1e3 loses at most ~1e-13 relative.
			const tol = 1e-9
			if got := gp.LogMarginalLikelihood(); math.Abs(got-wantLML) > tol {
				t.Errorf("log marginal likelihood %.12f, want %.12f", got, wantLML)
			}
			xs := []float64{0.25, 0.8, 0.5, 1.7}
			for _, x := range xs {
				var kx [3]float64
				for i := range kx {
					kx[i] = k(x, X[i][0])
				}
				mean, variance := m, k(x, x)
				for i := 0; i < 3; i++ {
					for j := 0; j < 3; j++ {
						mean += kx[i] * Ainv[i][j] * r[j]
						variance -= kx[i] * Ainv[i][j] * kx[j]
					}
				}
				gm, gv := gp.Predict([]float64{x})
				if math.Abs(gm-mean) > tol || math.Abs(gv-variance) > tol {
					t.Errorf("x = %v: Predict (%.12f, %.12f), want (%.12f, %.12f)", x, gm, gv, mean, variance)
				}
			}
			// Joint prediction: diagonal as Predict, off-diagonal by formula.
			jm, jc := gp.PredictJoint([][]float64{{xs[0]}, {xs[1]}})
			var ka, kb [3]float64
			for i := range ka {
				ka[i], kb[i] = k(xs[0], X[i][0]), k(xs[1], X[i][0])
			}
			cov := k(xs[0], xs[1])
			for i := 0; i < 3; i++ {
				for j := 0; j < 3; j++ {
					cov -= ka[i] * Ainv[i][j] * kb[j]
				}
			}
			if math.Abs(jc.At(0, 1)-cov) > tol {
				t.Errorf("joint covariance %.12f, want %.12f", jc.At(0, 1), cov)
			}
			for i, x := range xs[:2] {
				pm, pv := gp.Predict([]float64{x})
				if math.Abs(jm[i]-pm) > tol || math.Abs(jc.At(i, i)-pv) > tol {
					t.Errorf("joint marginal %d (%.12f, %.12f) differs from Predict (%.12f, %.12f)", i, jm[i], jc.At(i, i), pm, pv)
				}
			}
		})
	}
}

// TestGPFitLearnsNoise fits a GP by maximum likelihood to 60 noisy samples
// of a smooth function and checks that the likelihood improved and the
// learned noise variance is near the truth.
func TestGPFitLearnsNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const sd = 0.1
	X := bo.UniformPoints(60, 1, rng)
	y := make([]float64, len(X))
	for i, x := range X {
		y[i] = math.Sin(6*x[0]) + sd*rng.NormFloat64()
	}
	for _, k := range []bo.Kernel{bo.NewMatern52(1, 0.3, 1), bo.NewSquaredExp(1, 0.3, 1)} {
		g := bo.NewGP(k)
		if err := g.Fit(X, y, bo.FitOptions{}); err != nil {
			t.Fatal(err)
		}
		before := g.LogMarginalLikelihood()
		opts := bo.DefaultFitOptions()
		opts.Seed = 1
		if err := g.Fit(X, y, opts); err != nil {
			t.Fatal(err)
		}
		if after := g.LogMarginalLikelihood(); !(after >= before) {
			t.Errorf("%T: log marginal likelihood fell from %.4f to %.4f", k, before, after)
		}
		// The ML noise variance from 60 residuals has relative standard
		// error about √(2/60) ≈ 0.18; a factor of two either way is more
		// than 3.5 standard errors.
		if nv := g.NoiseVariance(); nv < sd*sd/2 || nv > sd*sd*2 {
			t.Errorf("%T: learned noise variance %.4g, true %.4g", k, nv, sd*sd)
		}
		// Posterior mean within 3 noise sd of the truth at a fresh point.
		if m, _ := g.Predict([]float64{0.37}); math.Abs(m-math.Sin(6*0.37)) > 3*sd {
			t.Errorf("%T: mean at 0.37 is %.4f, truth %.4f", k, m, math.Sin(6*0.37))
		}
	}
}

// TestGPMAPPriors checks that both baseline priors fit and keep the
// length-scales inside their support.
func TestGPMAPPriors(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	X := bo.UniformPoints(25, 3, rng)
	y := make([]float64, len(X))
	for i, x := range X {
		y[i] = x[0]*x[0] + math.Sin(3*x[1]) + 0.01*rng.NormFloat64()
	}
	for _, tc := range []struct {
		name  string
		prior bo.Prior
		maxLS float64
	}{
		{"aquatope", bo.AquatopePrior(), 100},
		{"charmseeker", bo.CharmSeekerPrior(), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := bo.NewGP(bo.NewMatern52(3, 0.5, 1))
			opts := bo.DefaultFitOptions()
			opts.Prior = &tc.prior
			if err := g.Fit(X, y, opts); err != nil {
				t.Fatal(err)
			}
			h := g.Hyperparameters()
			for k := 0; k < 3; k++ {
				if ls := math.Exp(h[k]); ls > tc.maxLS*(1+1e-12) {
					t.Errorf("length-scale %d is %.4g above %v", k, ls, tc.maxLS)
				}
			}
		})
	}
}

// TestGPBadInput checks that malformed data is refused with an error naming
// the offending index.
func TestGPBadInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		X    [][]float64
		y    []float64
		want string
	}{
		{"empty", nil, nil, "no observations"},
		{"lengths", [][]float64{{0.1, 0.2}}, []float64{1, 2}, "1 inputs but 2 outputs"},
		{"dimension", [][]float64{{0.1, 0.2}, {0.3}}, []float64{1, 2}, "X[1] has dimension 1"},
		{"nan input", [][]float64{{0.1, 0.2}, {nan, 0.3}}, []float64{1, 2}, "X[1][0] is NaN"},
		{"inf input", [][]float64{{0.1, inf}}, []float64{1}, "X[0][1] is +Inf"},
		{"nan output", [][]float64{{0.1, 0.2}, {0.3, 0.4}}, []float64{1, nan}, "y[1] is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := bo.NewGP(bo.NewMatern52(2, 0.5, 1))
			err := g.Fit(tc.X, tc.y, bo.DefaultFitOptions())
			if !errors.Is(err, bo.ErrBadInput) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bo: ") {
				t.Errorf("error %v, want ErrBadInput mentioning %q", err, tc.want)
			}
		})
	}
}

// TestGPJitter conditions a nearly noiseless GP on a repeated input, which
// makes K singular, and checks that a jitter rescues the factorisation.
func TestGPJitter(t *testing.T) {
	g := bo.NewGP(bo.NewSquaredExp(1, 0.5, 1))
	h := g.Hyperparameters()
	h[2] = math.Log(1e-300) // no noise at all
	if err := g.SetHyperparameters(h); err != nil {
		t.Fatal(err)
	}
	if err := g.Fit([][]float64{{0.2}, {0.2}, {0.7}}, []float64{1, 1, 2}, bo.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !(g.Jitter() > 0) {
		t.Errorf("jitter %v, want positive", g.Jitter())
	}
	if m, v := g.Predict([]float64{0.4}); math.IsNaN(m) || math.IsNaN(v) || v < 0 {
		t.Errorf("prediction (%v, %v) after jitter", m, v)
	}
}

// TestSliceSampleEnsemble draws hyperparameter samples and checks their
// shape, their box, and that the ensemble averages its members.
func TestSliceSampleEnsemble(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	X := bo.UniformPoints(12, 2, rng)
	y := make([]float64, len(X))
	for i, x := range X {
		y[i] = math.Log(1+x[0]) + 0.5*x[1] + 0.01*rng.NormFloat64()
	}
	g := bo.NewGP(bo.NewMatern52(2, 0.5, 1))
	if err := g.Fit(X, y, bo.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := bo.DefaultSliceOptions()
	prior := bo.CharmSeekerPrior()
	opts.Prior = &prior
	samples, err := g.SliceSample(opts, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != opts.Samples {
		t.Fatalf("%d samples, want %d", len(samples), opts.Samples)
	}
	for i, h := range samples {
		for k := 0; k < 2; k++ {
			if ls := math.Exp(h[k]); ls > 2*(1+1e-12) {
				t.Errorf("sample %d: length-scale %d = %.4g outside the top-hat (0, 2]", i, k, ls)
			}
		}
	}
	e, err := bo.NewEnsemble(g, samples)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.4, 0.6}
	best, _ := g.Best()
	var want float64
	for i := 0; i < e.Len(); i++ {
		want += bo.PredictEI(e.Member(i), x, best, 0.01)
	}
	want /= float64(e.Len())
	if got := e.EI(x, best, 0.01); math.Abs(got-want) > 1e-15 {
		t.Errorf("ensemble EI %.17g, mean of members %.17g", got, want)
	}
}
