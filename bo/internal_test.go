package bo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestLMLGradient compares the analytic gradient of the log marginal
// likelihood with central differences.
func TestLMLGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		k    Kernel
	}{
		{"matern52", NewMatern52(3, 0.4, 1.3)},
		{"squaredexp", NewSquaredExp(3, 0.4, 1.3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			X := UniformPoints(12, 3, rng)
			y := make([]float64, len(X))
			for i, x := range X {
				y[i] = math.Sin(3*x[0]) + x[1]*x[1] - 0.5*x[2] + 0.05*rng.NormFloat64()
			}
			g := NewGP(tc.k)
			if err := g.Fit(X, y, FitOptions{}); err != nil {
				t.Fatal(err)
			}
			h := g.Hyperparameters()
			h[0], h[1], h[2] = math.Log(0.3), math.Log(0.7), math.Log(1.5)
			h[4] = math.Log(0.02)
			h[5] = 0.1
			w := newLMLWork(len(X))
			grad := make([]float64, len(h))
			if _, err := g.evalLML(h, grad, w); err != nil {
				t.Fatal(err)
			}
			const step = 1e-5
			for i := range h {
				hp := append([]float64(nil), h...)
				hm := append([]float64(nil), h...)
				hp[i] += step
				hm[i] -= step
				fp, _ := g.evalLML(hp, nil, w)
				fm, _ := g.evalLML(hm, nil, w)
				num := (fp - fm) / (2 * step)
				// Central differences have O(step²) truncation and
				// O(ε·|L|/step) rounding error, about 1e-9 here.
				if math.Abs(num-grad[i]) > 1e-5*(1+math.Abs(num)) {
					t.Errorf("∂L/∂h[%d]: analytic %.8g, numeric %.8g", i, grad[i], num)
				}
			}
		})
	}
}

// TestPrimitivePolynomialsMatchJoeKuo checks that enumerating primitive
// polynomials by degree and coefficient reproduces the (s, a) columns of
// Joe and Kuo's table, so dimensions beyond it continue their order.
func TestPrimitivePolynomialsMatchJoeKuo(t *testing.T) {
	sobolMu.Lock()
	defer sobolMu.Unlock()
	for dim := 2; dim <= JoeKuoDims; dim++ {
		s, a := primitivePolynomial(dim - 1)
		row := joeKuo[dim-2]
		if uint32(s) != row[0] || uint32(a) != row[1] {
			t.Errorf("dimension %d: enumerated (s=%d, a=%d), table (s=%d, a=%d)", dim, s, a, row[0], row[1])
		}
		if len(row) != 2+int(row[0]) {
			t.Errorf("dimension %d: %d initial numbers for degree %d", dim, len(row)-2, row[0])
		}
		for k, m := range row[2:] {
			if m%2 == 0 || m >= 1<<(k+1) {
				t.Errorf("dimension %d: m_%d = %d is not odd and below 2^%d", dim, k+1, m, k+1)
			}
		}
	}
	// Counts of primitive polynomials of degree 1…8 are φ(2^s−1)/s:
	// 1, 1, 2, 2, 6, 6, 18, 16 (OEIS A011260).
	want := []int{1, 1, 2, 2, 6, 6, 18, 16}
	got := make([]int, 9)
	for i := 1; i <= JoeKuoDims-1; i++ {
		s, _ := primitivePolynomial(i)
		got[s]++
	}
	for s, w := range want {
		if got[s+1] != w {
			t.Errorf("degree %d: %d primitive polynomials, want %d", s+1, got[s+1], w)
		}
	}
}

// TestFactorJitter checks that a singular but positive semidefinite matrix
// is factorised with a jitter, and that an indefinite one is refused with
// ErrNotPositiveDefinite.
func TestFactorJitter(t *testing.T) {
	var chol mat.Cholesky
	singular := mat.NewSymDense(2, []float64{1, 1, 1, 1})
	j, err := factorJitter(&chol, singular)
	if err != nil || !(j > 0) {
		t.Errorf("singular PSD matrix: jitter %v, error %v; want positive jitter, no error", j, err)
	}
	indefinite := mat.NewSymDense(2, []float64{1, 2, 2, 1}) // eigenvalues 3, −1
	if _, err := factorJitter(&chol, indefinite); !errors.Is(err, ErrNotPositiveDefinite) {
		t.Errorf("indefinite matrix: error %v, want ErrNotPositiveDefinite", err)
	}
}

// TestSliceStepNormal runs the univariate slice sampler on a standard
// normal and checks the first two moments.
func TestSliceStepNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	logp := func(x float64) float64 { return -0.5 * x * x }
	const n = 4000
	x, lp := 3.0, logp(3)
	var s, s2 float64
	for i := 0; i < n+100; i++ {
		x, lp = sliceStep(logp, x, lp, 1, rng)
		if i >= 100 {
			s += x
			s2 += x * x
		}
	}
	mean, vr := s/n, s2/n-(s/n)*(s/n)
	// Slice sampling a unit normal with width 1 has an integrated
	// autocorrelation time below 4, so the effective sample size exceeds
	// 1000: the standard error of the mean is under 0.032 and of the
	// variance under 0.045 (√(2/1000)); the bounds are 4 standard errors.
	if math.Abs(mean) > 0.13 || math.Abs(vr-1) > 0.18 {
		t.Errorf("slice samples of N(0,1): mean %.3f, variance %.3f", mean, vr)
	}
}

// TestLeaveOneOutMatchesRefit compares the closed-form leave-one-out
// prediction with a GP refitted without the point (same hyperparameters and
// standardisation, so the two must agree to rounding).
func TestLeaveOneOutMatchesRefit(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	X := UniformPoints(9, 2, rng)
	y := make([]float64, len(X))
	for i, x := range X {
		y[i] = math.Cos(4*x[0]) * x[1]
	}
	g := NewGP(NewMatern52(2, 0.3, 1.2))
	if err := g.Fit(X, y, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	mean, variance := g.LeaveOneOut()
	for i := range X {
		// Refit on the others in standardised units with the same model.
		sub := &GP{kernel: g.kernel.Clone(), logNoise: g.logNoise, mean: g.mean, d: 2}
		var Xs [][]float64
		var ys []float64
		for j := range X {
			if j != i {
				Xs = append(Xs, X[j])
				ys = append(ys, g.ys[j])
			}
		}
		sub.setData(Xs, ys)
		sub.yMean, sub.yScale = 0, 1
		copy(sub.ys, ys)
		if err := sub.factor(); err != nil {
			t.Fatal(err)
		}
		m, v := sub.Predict(X[i])
		m = g.yMean + g.yScale*m
		v = g.yScale*g.yScale*v + g.NoiseVariance()
		if math.Abs(m-mean[i]) > 1e-8 || math.Abs(v-variance[i]) > 1e-8 {
			t.Errorf("point %d: closed form (%.10f, %.10f), refit (%.10f, %.10f)", i, mean[i], variance[i], m, v)
		}
	}
}
