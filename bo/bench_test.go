package bo_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/confignav/confignav/bo"
)

// benchData returns n seeded points of [0,1]^d with a smooth objective
// (a shifted sphere plus a ripple, noise sd 0.01) and a constraint
// (a linear cost of order one).
func benchData(n, d int) (X [][]float64, y, c []float64) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	X = bo.UniformPoints(n, d, rng)
	for _, x := range X {
		var f, cost float64
		for j, v := range x {
			f += (v - 0.3) * (v - 0.3)
			f += 0.1 * math.Sin(7*v+float64(j))
			cost += v / float64(d)
		}
		y = append(y, f+0.01*rng.NormFloat64())
		c = append(c, 0.5+cost+0.01*rng.NormFloat64())
	}
	return X, y, c
}

// BenchmarkFitAndAcquire times one step of a tuner: fit the GP(s) by
// maximum likelihood with the default 3 restarts, then optimise the
// acquisition with the default 32 raw samples and 10 restarts. acq=ei is
// CharmSeeker-style sequential EI; acq=qnei fits an objective and a
// constraint GP and optimises a q = 3 batch jointly, as Aquatope does.
func BenchmarkFitAndAcquire(b *testing.B) {
	for _, sz := range []struct{ n, d int }{{20, 2}, {70, 8}} {
		X, y, c := benchData(sz.n, sz.d)
		b.Run(fmt.Sprintf("n=%d/d=%d/acq=ei", sz.n, sz.d), func(b *testing.B) {
			var fit, acq time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				g := bo.NewGP(bo.NewMatern52(sz.d, 0.3, 1))
				opts := bo.DefaultFitOptions()
				opts.Seed = uint64(i)
				if err := g.Fit(X, y, opts); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				best, _ := g.Best()
				rng := rand.New(rand.NewPCG(uint64(i), 2))
				if _, _, err := bo.MaximizeEI(g, best, 0.01, bo.DefaultAcqOptions(), rng); err != nil {
					b.Fatal(err)
				}
				fit += t1.Sub(t0)
				acq += time.Since(t1)
			}
			b.ReportMetric(float64(fit.Microseconds())/1e3/float64(b.N), "fit-ms/op")
			b.ReportMetric(float64(acq.Microseconds())/1e3/float64(b.N), "acq-ms/op")
		})
		b.Run(fmt.Sprintf("n=%d/d=%d/acq=qnei/q=3", sz.n, sz.d), func(b *testing.B) {
			var fit, acq time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				opts := bo.DefaultFitOptions()
				opts.Seed = uint64(i)
				opts.Prior = &bo.Prior{}
				*opts.Prior = bo.AquatopePrior()
				g := bo.NewGP(bo.NewMatern52(sz.d, 0.3, 1))
				gc := bo.NewGP(bo.NewMatern52(sz.d, 0.3, 1))
				if err := g.Fit(X, y, opts); err != nil {
					b.Fatal(err)
				}
				if err := gc.Fit(X, c, opts); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				rng := rand.New(rand.NewPCG(uint64(i), 3))
				cfg := bo.DefaultQNEIConfig()
				cfg.Threshold = 1
				cfg.InfeasibleValue = maxOf(y)
				a, err := bo.NewQNEI(g, gc, cfg, rng)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := a.Optimize(3, bo.DefaultAcqOptions(), rng); err != nil {
					b.Fatal(err)
				}
				fit += t1.Sub(t0)
				acq += time.Since(t1)
			}
			b.ReportMetric(float64(fit.Microseconds())/1e3/float64(b.N), "fit-ms/op")
			b.ReportMetric(float64(acq.Microseconds())/1e3/float64(b.N), "acq-ms/op")
		})
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// BenchmarkSliceEnsemble times one CharmSeeker stage step: slice-sample 20
// hyperparameter vectors (10 burn-in sweeps) for a GP on n observations of
// a one-dimensional knob, build the ensemble and average EI over it at all
// 32 grid settings.
func BenchmarkSliceEnsemble(b *testing.B) {
	for _, n := range []int{6, 20} {
		X, y, _ := benchData(n, 1)
		b.Run(fmt.Sprintf("n=%d/d=1/samples=20", n), func(b *testing.B) {
			prior := bo.CharmSeekerPrior()
			opts := bo.DefaultSliceOptions()
			opts.Prior = &prior
			for i := 0; i < b.N; i++ {
				g := bo.NewGP(bo.NewMatern52(1, 0.5, 1))
				if err := g.Fit(X, y, bo.FitOptions{}); err != nil {
					b.Fatal(err)
				}
				s, err := g.SliceSample(opts, rand.New(rand.NewPCG(uint64(i), 5)))
				if err != nil {
					b.Fatal(err)
				}
				e, err := bo.NewEnsemble(g, s)
				if err != nil {
					b.Fatal(err)
				}
				best, _ := g.Best()
				for k := 0; k < 32; k++ {
					e.EI([]float64{float64(k) / 31}, best, 0.01)
				}
			}
		})
	}
}
