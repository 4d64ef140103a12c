package baselines

import (
	"context"
	"errors"
	"fmt"

	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/tuner"
)

// Exhaustive returns the exact optimum of the simulator's ground truth.
type Exhaustive struct {
	Oracle *oracle.Oracle
}

func (Exhaustive) Name() string { return "exhaustive" }

func (x Exhaustive) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if x.Oracle == nil {
		return nil, errors.New("baselines: exhaustive needs the simulator's ground truth; it cannot run against a live backend")
	}
	p.Env.Start()
	opt, err := x.Oracle.Exhaustive(ctx, p.CBound(), 0)
	res := &tuner.Result{Tuner: x.Name(), Unit: "configurations evaluated on the ground truth"}
	if errors.Is(err, oracle.ErrInfeasible) {
		res.Note = "infeasible: no configuration meets the bound"
		return p.Env.Finish(res), nil
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: %w", err)
	}
	res.Config, res.Feasible, res.Evaluations = opt.Config, true, opt.Visited
	return p.Env.Finish(res), nil
}
