package baselines

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/tuner"
)

// Random measures Budget configurations drawn uniformly from the grid and
// returns the fastest one whose measured cost met the bound. Budget defaults
// to 40, the number of search iterations the paper gives CharmSeeker and
// Aquatope (§4.1).
type Random struct {
	Budget int
}

func (Random) Name() string { return "random" }

func (r Random) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	budget := r.Budget
	if budget <= 0 {
		budget = 40
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x72616e64))
	env := p.Env
	env.CBound = p.CBound()
	env.Start()
	res := &tuner.Result{Tuner: r.Name(), Unit: fmt.Sprintf("pipeline runs of %g s", float64(env.WindowUs)/1e6)}
	bestLat := math.Inf(1)
	cheapest := math.Inf(1)
	var cheapestCfg backend.Config
	for i := 0; i < budget; i++ {
		cfg := backend.Config{}
		for _, n := range p.Pipeline.Names() {
			cfg[n] = p.Grid[rng.IntN(len(p.Grid))]
		}
		ev, err := env.Measure(ctx, cfg)
		if err != nil {
			return nil, err
		}
		res.Evaluations++
		if ev.Feasible && ev.LatencyMs < bestLat {
			bestLat, res.Config, res.Feasible = ev.LatencyMs, cfg, true
		}
		if ev.Failed == 0 && ev.CostUSD < cheapest {
			cheapest, cheapestCfg = ev.CostUSD, cfg
		}
	}
	if !res.Feasible {
		res.Config = cheapestCfg
		res.Note = "no measured configuration met the bound; returning the cheapest that ran"
	}
	return env.Finish(res), nil
}
