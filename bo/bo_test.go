package bo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/bo"
)

// branin is the Branin–Hoo function on the unit square mapped to
// [−5, 10] × [0, 15]; its global minimum is 0.397887 (three minimisers).
func branin(u []float64) float64 {
	x1, x2 := -5+15*u[0], 15*u[1]
	const (
		a = 1
		r = 6
		s = 10
	)
	b := 5.1 / (4 * math.Pi * math.Pi)
	c := 5 / math.Pi
	t := 1 / (8 * math.Pi)
	v := x2 - b*x1*x1 + c*x1 - r
	return a*v*v + s*(1-t)*math.Cos(x1) + s
}

const braninMin = 0.397887

// hartmann6 is the six-dimensional Hartmann function on [0,1]^6; its global
// minimum is −3.32237.
func hartmann6(x []float64) float64 {
	alpha := [4]float64{1.0, 1.2, 3.0, 3.2}
	A := [4][6]float64{
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	}
	P := [4][6]float64{
		{1312, 1696, 5569, 124, 8283, 5886},
		{2329, 4135, 8307, 3736, 1004, 9991},
		{2348, 1451, 3522, 2883, 3047, 6650},
		{4047, 8828, 8732, 5743, 1091, 381},
	}
	var s float64
	for i := 0; i < 4; i++ {
		var in float64
		for j := 0; j < 6; j++ {
			d := x[j] - P[i][j]*1e-4
			in += A[i][j] * d * d
		}
		s += alpha[i] * math.Exp(-in)
	}
	return -s
}

const hartmann6Min = -3.32237

// runEI runs sequential EI Bayesian optimisation of f on [0,1]^dim with a
// Matérn-5/2 GP fitted by maximum likelihood: nInit scrambled-Sobol points,
// then one EI maximiser per step, budget evaluations in all. It returns the
// evaluated points and values.
func runEI(tb testing.TB, f func([]float64) float64, dim, nInit, budget int, seed uint64) ([][]float64, []float64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	X, err := bo.SobolPoints(nInit, dim, rng)
	if err != nil {
		tb.Fatal(err)
	}
	y := make([]float64, len(X))
	for i, x := range X {
		y[i] = f(x)
	}
	g := bo.NewGP(bo.NewMatern52(dim, 0.3, 1))
	opts := bo.DefaultFitOptions()
	acq := bo.DefaultAcqOptions()
	for len(X) < budget {
		opts.Seed = uint64(len(X))
		if err := g.Fit(X, y, opts); err != nil {
			tb.Fatal(err)
		}
		best, _ := g.Best()
		x, _, err := bo.MaximizeEI(g, best, 0, acq, rng)
		if err != nil {
			tb.Fatal(err)
		}
		X = append(X, x)
		y = append(y, f(x))
	}
	return X, y
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

// TestBOBranin runs sequential EI (ξ = 0) with a Matérn-5/2 GP fitted by
// maximum likelihood on Branin from 5 scrambled-Sobol points. The bound is
// not statistical: the run is deterministic for the seed. Over seeds 1–8 the
// best value came within 0.05 of the global minimum after 17–27
// evaluations, so 40 leaves a margin for code changes that alter the path.
func TestBOBranin(t *testing.T) {
	const budget, tol = 40, 0.05
	_, y := runEI(t, branin, 2, 5, budget, 1)
	if best := minOf(y); best-braninMin > tol {
		t.Errorf("best Branin value after %d evaluations %.5f, want within %v of %.6f", budget, best, tol, braninMin)
	}
}

// TestBOHartmann6 runs the same loop on Hartmann-6 from 10 points for 60
// evaluations. Hartmann-6 has a second-best local minimum at −3.2032, 0.12
// above the global one; the tolerance 0.2 accepts either of the two best
// basins. Over seeds 1–6 every run ended in one of them, and four of six
// came within 0.02 of −3.32237.
func TestBOHartmann6(t *testing.T) {
	if testing.Short() {
		t.Skip("60 GP fits in six dimensions")
	}
	const budget, tol = 60, 0.2
	_, y := runEI(t, hartmann6, 6, 10, budget, 3)
	if best := minOf(y); best-hartmann6Min > tol {
		t.Errorf("best Hartmann-6 value after %d evaluations %.5f, want within %v of %.5f", budget, best, tol, hartmann6Min)
	}
}

// TestDeterminism runs each random component twice from the same seed and
// requires bit-identical results.
func TestDeterminism(t *testing.T) {
	t.Run("ei-loop", func(t *testing.T) {
		X1, y1 := runEI(t, branin, 2, 5, 15, 9)
		X2, y2 := runEI(t, branin, 2, 5, 15, 9)
		for i := range y1 {
			if y1[i] != y2[i] || X1[i][0] != X2[i][0] || X1[i][1] != X2[i][1] {
				t.Fatalf("evaluation %d differs: %v → %v vs %v → %v", i, X1[i], y1[i], X2[i], y2[i])
			}
		}
	})
	X, y, c := benchData(30, 3)
	fit := func() (*bo.GP, *bo.GP) {
		opts := bo.DefaultFitOptions()
		opts.Seed = 4
		g := bo.NewGP(bo.NewMatern52(3, 0.3, 1))
		gc := bo.NewGP(bo.NewMatern52(3, 0.3, 1))
		if err := g.Fit(X, y, opts); err != nil {
			t.Fatal(err)
		}
		if err := gc.Fit(X, c, opts); err != nil {
			t.Fatal(err)
		}
		return g, gc
	}
	t.Run("qnei-batch", func(t *testing.T) {
		var runs [2][][]float64
		for r := range runs {
			g, gc := fit()
			cfg := bo.DefaultQNEIConfig()
			cfg.Threshold, cfg.InfeasibleValue = 1, maxOf(y)
			rng := rand.New(rand.NewPCG(10, 10))
			a, err := bo.NewQNEI(g, gc, cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			batch, _, err := a.Optimize(3, bo.DefaultAcqOptions(), rng)
			if err != nil {
				t.Fatal(err)
			}
			runs[r] = batch
		}
		for j := range runs[0] {
			for k := range runs[0][j] {
				if runs[0][j][k] != runs[1][j][k] {
					t.Fatalf("batch differs: %v vs %v", runs[0], runs[1])
				}
			}
		}
	})
	t.Run("slice-and-designs", func(t *testing.T) {
		var runs [2][][]float64
		for r := range runs {
			g, _ := fit()
			rng := rand.New(rand.NewPCG(12, 12))
			s, err := g.SliceSample(bo.DefaultSliceOptions(), rng)
			if err != nil {
				t.Fatal(err)
			}
			lhs, _ := bo.LatinHypercube(8, 3, rng)
			sob, _ := bo.SobolPoints(8, 3, rng)
			runs[r] = append(append(s, lhs...), sob...)
		}
		for i := range runs[0] {
			for k := range runs[0][i] {
				if runs[0][i][k] != runs[1][i][k] {
					t.Fatalf("row %d differs: %v vs %v", i, runs[0][i], runs[1][i])
				}
			}
		}
	})
}
