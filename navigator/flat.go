package navigator

import (
	"context"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/confignav/confignav/tuner"
)

// flatTolerance is how close (relative) the model's predicted mean time at
// a smaller size must be to the chosen size's for the two to count as one
// plateau, which the model cannot rank and a measurement must: 1 %, far
// inside the model's 7.8 % error (ModelError) and about the spread of the
// measured tables' five samples per size from 3,584 MB on (face-detect's
// means at 3,584 and 4,096 MB: 310 and 325 ms, the larger size slower).
const flatTolerance = 0.01

// flatChance is the one-sided confidence with which a probed smaller size
// must be measured faster (a paired t-test over the payloads) before it
// replaces the chosen size: one standard error. The sign alone (0.5) lost
// up to 0.4 % on the default platform's smooth truth, 0.95 kept only about
// half the measured platform's gains (navigator/doc.go gives the numbers).
const flatChance = 0.84

// refineFlat spends one of the confirmation's remaining runs on the
// plateau the model cannot rank: every function whose model predicts a
// smaller size within flatTolerance of its chosen size's time is measured
// there, on the same payloads (invokePayloads), and takes that size where
// the per-payload medians (tuner.FunctionStats.PayloadMs) show it faster
// with flatChance. On a plateau the smaller size is also the cheaper, so
// the answer stays within the bound; its measured cost is checked anyway.
// It returns best itself when nothing moved (or no run was left).
//
// Why: where the truth is flat (the measured platform's tables from
// 3,584 MB), which size is fastest is decided by sampling noise the model
// smooths away; CharmSeeker measures its way to it and was 0.2–1.2 %
// faster at +80/100 % (full mode, catalogue).
func (n *Navigator) refineFlat(ctx context.Context, p *tuner.Problem, model []NodeModel, best *trial) (*trial, error) {
	if best == nil || best.fns == nil || n.conf.Runs >= n.maxRuns() {
		return best, nil
	}
	probe := slices.Clone(best.idx)
	var moved []int
	for i := range probe {
		mean, cost := model[i].Mean, model[i].Cost
		if mean == nil {
			continue
		}
		a := best.idx[i]
		for j := a - 1; j >= 0 && mean[j] <= mean[a]*(1+flatTolerance) && !math.IsInf(cost[j], 1); j-- {
			probe[i] = j
		}
		if probe[i] != a {
			moved = append(moved, i)
		}
	}
	if len(moved) == 0 {
		return best, nil
	}
	// Only the functions that moved run (in parallel, charged as the
	// slowest), on the payloads the best trial was measured on.
	now := make([]tuner.FunctionStats, len(moved))
	err := p.Env.Parallel(len(moved), func(k int) error {
		i := moved[k]
		var err error
		now[k], err = invokePayloads(ctx, p.Env, p.Pipeline.Nodes[i].Name, p.Grid[probe[i]])
		return err
	})
	if err != nil {
		return nil, err
	}
	n.conf.Runs++
	n.conf.Probed = len(moved)
	out := *best
	out.idx = slices.Clone(best.idx)
	price := p.Platform.PricePerGBSecond()
	for k, i := range moved {
		was := best.fns[p.Pipeline.Nodes[i].Name]
		if now[k].Failures > 0 || !(now[k].MeanMs > 0) || !pairedFaster(now[k].PayloadMs, was.PayloadMs, flatChance) {
			continue
		}
		// The request fee is the same at both sizes.
		out.costUSD += model[i].Invocations * ((now[k].MeanMs*float64(p.Grid[probe[i]]) - was.MeanMs*float64(p.Grid[best.idx[i]])) / 1000 / 1024 * price)
		out.idx[i] = probe[i]
		n.conf.Moved++
	}
	if n.conf.Moved == 0 || out.costUSD > out.targetUSD {
		n.conf.Moved = 0
		return best, nil
	}
	out.cfg = n.config(p, out.idx)
	return &out, nil
}

// pairedFaster reports whether times b are shorter than times a, paired by
// payload, with one-sided confidence chance: a paired t-test on the log
// ratios (a function's speed-up between two sizes is about the same factor
// on every clip, while the clips' times differ tenfold).
func pairedFaster(b, a []float64, chance float64) bool {
	if len(a) != len(b) {
		return false
	}
	var r []float64
	for k := range a {
		if a[k] > 0 && b[k] > 0 {
			r = append(r, math.Log(b[k]/a[k]))
		}
	}
	if len(r) < 2 || len(r) < len(a) {
		return false
	}
	mean, sd := stat.MeanStdDev(r, nil)
	if !(mean < 0) {
		return false
	}
	if sd == 0 {
		return true
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(r) - 1)}.Quantile(chance)
	return -mean/(sd/math.Sqrt(float64(len(r)))) >= t
}
