package navigator

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/bo"
)

// BayesianSearch searches a group too large for exhaustive search (§3.2.2
// "Hybrid Search") with Bayesian optimisation on the model: the objective is
// the group's predicted mean time, so every evaluation costs microseconds, not
// a measurement. Cost is known exactly from the predictions, so instead of
// modelling it the acquisition is maximised over candidates that meet the
// budget: each iteration scores a fresh set of scrambled-Sobol points snapped
// to the grid and filtered by cost, plus the single-size neighbours of the
// incumbent, by expected improvement under a Matérn-5/2 GP fitted by maximum
// likelihood. The warm start (the stored configuration of the closest cost)
// is the first point; the rest of the initial design is Sobol. Budget: evals
// model evaluations in total (Options.BOEvaluations).
func BayesianSearch(evals int, seed uint64) func(ctx context.Context, p *GroupProblem) ([]int, error) {
	return func(ctx context.Context, p *GroupProblem) ([]int, error) {
		d := len(p.Free)
		rng := rand.New(rand.NewPCG(seed, uint64(d)))
		toUnit := func(idx []int) []float64 {
			x := make([]float64, d)
			for k, g := range idx {
				x[k] = (float64(g) + 0.5) / float64(p.Grid)
			}
			return x
		}
		fromUnit := func(x []float64) []int {
			idx := make([]int, d)
			for k, v := range x {
				idx[k] = min(p.Grid-1, max(0, int(v*float64(p.Grid))))
			}
			return idx
		}
		fits := func(idx []int) bool {
			c := 0.0
			for k, g := range idx {
				c += p.Costs[k][g]
			}
			return c <= p.Budget*(1+1e-12)
		}
		var X [][]float64
		var y []float64
		var bestIdx []int
		best := math.Inf(1)
		seen := map[string]bool{}
		try := func(idx []int) {
			key := string(toBytes(idx))
			if seen[key] || !fits(idx) {
				return
			}
			seen[key] = true
			ms, _ := p.Eval(idx)
			if math.IsInf(ms, 1) {
				return
			}
			X = append(X, toUnit(idx))
			y = append(y, ms)
			if ms < best {
				best, bestIdx = ms, append([]int(nil), idx...)
			}
		}
		if p.Start != nil {
			try(p.Start)
		}
		cheap := make([]int, d)
		for k := range cheap {
			cheap[k] = cheapestIndex(p, k)
		}
		try(cheap)
		initial := min(10, evals/3)
		pts, err := bo.SobolPoints(4*initial+64, d, rng)
		if err != nil {
			return nil, err
		}
		for _, x := range pts {
			if len(y) >= initial {
				break
			}
			try(fromUnit(x))
		}
		gp := bo.NewGP(bo.NewMatern52(d, 0.3, 1))
		for it := 0; len(y) < evals && it < 4*evals; it++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			opts := bo.DefaultFitOptions()
			opts.Seed = seed + uint64(it)
			if err := gp.Fit(X, y, opts); err != nil {
				break // degenerate data (e.g. all equal): stop with the incumbent
			}
			cands, err := bo.SobolPoints(256, d, rng)
			if err != nil {
				return nil, err
			}
			var pool [][]int
			for _, x := range cands {
				pool = append(pool, fromUnit(x))
			}
			for k := 0; k < d && bestIdx != nil; k++ {
				for _, step := range []int{-1, 1} {
					n := append([]int(nil), bestIdx...)
					n[k] += step
					if n[k] >= 0 && n[k] < p.Grid {
						pool = append(pool, n)
					}
				}
			}
			var next []int
			bestEI := -1.0
			for _, idx := range pool {
				if seen[string(toBytes(idx))] || !fits(idx) {
					continue
				}
				m, v := gp.Predict(toUnit(idx))
				if ei := bo.EI(m, math.Sqrt(math.Max(v, 0)), best, 0); ei > bestEI {
					bestEI, next = ei, idx
				}
			}
			if next == nil {
				break
			}
			try(next)
		}
		return bestIdx, nil
	}
}

func toBytes(idx []int) []byte {
	b := make([]byte, len(idx))
	for i, g := range idx {
		b[i] = byte(g)
	}
	return b
}
