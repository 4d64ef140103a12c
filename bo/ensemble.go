package bo

import (
	"fmt"
	"math"
)

// Ensemble is a set of GPs that share one data set and differ in their
// hyperparameters, typically the slice samples of SliceSample. Acquisitions
// computed through it are averaged over its members, which approximates
// integrating the hyperparameters out (Snoek, Larochelle and Adams 2012), as
// CharmSeeker does over 20 samples.
type Ensemble struct {
	members []*GP
}

// NewEnsemble returns one fitted GP per hyperparameter vector in samples,
// each a copy of the fitted g with those hyperparameters.
func NewEnsemble(g *GP, samples [][]float64) (*Ensemble, error) {
	if !g.fitted {
		return nil, ErrNotFitted
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%w: ensemble of no samples", ErrBadInput)
	}
	e := &Ensemble{members: make([]*GP, len(samples))}
	for i, h := range samples {
		m := &GP{
			kernel: g.kernel.Clone(), logNoise: g.logNoise, mean: g.mean, d: g.d,
			x: g.x, y: g.y, ys: g.ys, yMean: g.yMean, yScale: g.yScale, sq: g.sq,
		}
		if err := m.SetHyperparameters(h); err != nil {
			return nil, fmt.Errorf("%w (ensemble member %d)", err, i)
		}
		e.members[i] = m
	}
	return e, nil
}

// Len returns the number of members.
func (e *Ensemble) Len() int { return len(e.members) }

// Member returns member i.
func (e *Ensemble) Member(i int) *GP { return e.members[i] }

// Average returns the mean over members of acq(mean, std), the member's
// prediction at x in original units.
func (e *Ensemble) Average(x []float64, acq func(mean, std float64) float64) float64 {
	var s float64
	for _, m := range e.members {
		mu, v := m.Predict(x)
		s += acq(mu, math.Sqrt(v))
	}
	return s / float64(len(e.members))
}

// EI returns expected improvement averaged over the members.
func (e *Ensemble) EI(x []float64, best, xi float64) float64 {
	return e.Average(x, func(m, s float64) float64 { return EI(m, s, best, xi) })
}

// ProbFeasible returns the probability of feasibility averaged over the
// members.
func (e *Ensemble) ProbFeasible(x []float64, threshold float64) float64 {
	return e.Average(x, func(m, s float64) float64 { return ProbFeasible(m, s, threshold) })
}

// ConstrainedEI returns the member average of EI under e times the
// probability of feasibility under cons, pairing member i of e with member
// i mod cons.Len() of cons, as CharmSeeker pairs its objective and
// constraint hyperparameter samples. (CharmSeeker uses plain EI while every
// observed point is within budget; that switch is left to the caller.)
func (e *Ensemble) ConstrainedEI(cons *Ensemble, x []float64, best, xi, threshold float64) float64 {
	var s float64
	for i, m := range e.members {
		mu, v := m.Predict(x)
		c := cons.members[i%len(cons.members)]
		cm, cv := c.Predict(x)
		s += ConstrainedEI(mu, math.Sqrt(v), best, xi, cm, math.Sqrt(cv), threshold)
	}
	return s / float64(len(e.members))
}
