package bo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/bo"
)

// TestQNEIGradient checks QNEI.ValueGrad's analytic gradient against
// central differences at random batches, with and without a constraint, for
// Aquatope's sharp feasibility weight (η = 1e-3) and a soft one (η = 0.1)
// that exercises the constraint's derivative everywhere, under the
// Matérn-5/2 kernel (Aquatope's) and the squared exponential.
//
// Tolerance, and where it comes from: with its base samples fixed the
// estimate is smooth except where a sample's best candidate or its clamp at
// zero switches; between such kinks central differences with step h have
// truncation error h²·f‴/6 and rounding error ε·|f|/h. With h = 1e-6 in the
// unit cube, f‴ at most of order 1/η² = 1e6 times the value's scale and
// ε ≈ 1e-16, both are below 1e-6 of the gradient's scale, so we require
// |analytic − numeric| ≤ 1e-4 · (|numeric| + the gradient's largest
// component / 100). A kink within h of the point shows as central
// differences at h and h/2 disagreeing by more than that; such components
// are skipped, and must be rare (at most 1 in 20).
func TestQNEIGradient(t *testing.T) {
	const d, n = 3, 14
	rng := rand.New(rand.NewPCG(11, 12))
	X := bo.UniformPoints(n, d, rng)
	lat := make([]float64, n)
	con := make([]float64, n)
	var worst float64
	for i, x := range X {
		lat[i] = 2 + math.Sin(4*x[0]) + x[1]*x[1] - 0.5*x[2] + 0.02*rng.NormFloat64()
		con[i] = 0.4 + 0.9*x[0] + 0.5*x[1]*x[2] + 0.01*rng.NormFloat64()
		worst = max(worst, lat[i])
	}
	fit := func(y []float64, se bool) *bo.GP {
		var k bo.Kernel = bo.NewMatern52(d, 0.4, 1)
		if se {
			k = bo.NewSquaredExp(d, 0.4, 1)
		}
		g := bo.NewGP(k)
		if err := g.Fit(X, y, bo.FitOptions{Restarts: 1, Seed: 3, MaxIterations: 100}); err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, tc := range []struct {
		kernel string
		eta    float64
		cons   bool
		q      int
	}{
		{"matern52", 1e-3, true, 3}, {"matern52", 0.1, true, 3}, {"matern52", 0.1, true, 1},
		{"matern52", 0, false, 3}, {"matern52", 0, false, 2}, {"squaredexp", 0.1, true, 3},
	} {
		t.Run(fmt.Sprintf("kernel=%s/eta=%g/constraint=%v/q=%d", tc.kernel, tc.eta, tc.cons, tc.q), func(t *testing.T) {
			se := tc.kernel == "squaredexp"
			obj, cons := fit(lat, se), fit(con, se)
			cfg := bo.DefaultQNEIConfig()
			var c *bo.GP
			if tc.cons {
				cfg.Eta, cfg.Threshold, cfg.InfeasibleValue, c = tc.eta, 1, worst, cons
			}
			a, err := bo.NewQNEI(obj, c, cfg, rand.New(rand.NewPCG(5, 5)))
			if err != nil {
				t.Fatal(err)
			}
			prng := rand.New(rand.NewPCG(7, uint64(tc.q)))
			grad := make([]float64, tc.q*d)
			var checked, kinks, nonzero int
			var worstRatio float64 // largest |analytic − numeric| / tolerance
			for trial := 0; trial < 2000 && checked < 60; trial++ {
				batch := bo.UniformPoints(tc.q, d, prng)
				v, err := a.ValueGrad(batch, grad)
				if err != nil {
					t.Fatal(err)
				}
				if v0, _ := a.Value(batch); v0 != v {
					t.Fatalf("ValueGrad's value %.17g, Value's %.17g", v, v0)
				}
				if v == 0 {
					continue
				}
				fd := func(j, k int, h float64) float64 {
					old := batch[j][k]
					batch[j][k] = old + h
					fp, _ := a.Value(batch)
					batch[j][k] = old - h
					fm, _ := a.Value(batch)
					batch[j][k] = old
					return (fp - fm) / (2 * h)
				}
				num := make([]float64, len(grad))
				var scale float64
				for i := range grad {
					num[i] = fd(i/d, i%d, 1e-6)
					scale = max(scale, math.Abs(num[i]))
				}
				for i, g := range grad {
					tol := 1e-4 * (math.Abs(num[i]) + scale/100)
					if math.Abs(fd(i/d, i%d, 5e-7)-num[i]) > tol {
						kinks++
						continue
					}
					checked++
					if g != 0 {
						nonzero++
					}
					worstRatio = max(worstRatio, math.Abs(g-num[i])/tol)
					if math.Abs(g-num[i]) > tol {
						t.Errorf("batch %v: ∂qNEI/∂x[%d][%d] analytic %.10g, central differences %.10g", batch, i/d, i%d, g, num[i])
					}
				}
			}
			if checked < 60 || nonzero < checked/3 {
				t.Fatalf("only %d components checked (%d nonzero); want batches where qNEI has a gradient", checked, nonzero)
			}
			if kinks*20 > checked+kinks {
				t.Errorf("%d of %d components straddle a kink; want at most 1 in 20", kinks, checked+kinks)
			}
			t.Logf("%d components agree (%d nonzero), %d skipped at a kink; largest error %.2g of the tolerance", checked, nonzero, kinks, worstRatio)
		})
	}
}

// TestQNEIGradientDegenerate: a batch with a repeated point (a singular
// Σ_qq, its second pivot floored to zero) or a point on an observation
// still has a finite gradient.
func TestQNEIGradientDegenerate(t *testing.T) {
	g := noiselessGP(t, func(x float64) float64 { return math.Sin(6*x) + x }, 0.05, 0.3, 0.55, 0.8, 0.95)
	a, err := bo.NewQNEI(g, nil, bo.DefaultQNEIConfig(), rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range [][][]float64{{{0.4}, {0.4}, {0.7}}, {{0.3}, {0.42}, {0.42}}, {{0.55}, {0.1}}} {
		grad := make([]float64, len(batch))
		if _, err := a.ValueGrad(batch, grad); err != nil {
			t.Fatal(err)
		}
		for i, v := range grad {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("batch %v: gradient[%d] = %v", batch, i, v)
			}
		}
	}
}
