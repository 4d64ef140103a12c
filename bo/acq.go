package bo

import "math"

// normPDF is the standard normal density φ.
func normPDF(z float64) float64 {
	return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi)
}

// normCDF is the standard normal distribution function Φ, accurate in both
// tails (erfc avoids the cancellation of 1 + erf for negative z).
func normCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// normQuantile is Φ⁻¹.
func normQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// EI is the closed-form expected improvement for minimisation of a Gaussian
// prediction N(mean, std²) below best, with exploration offset xi ≥ 0
// (Jones, Schonlau and Welch 1998; Lizotte 2008):
//
//	EI = E[max(best − xi − f, 0)] = std·(u Φ(u) + φ(u)),  u = (best − xi − mean)/std.
//
// With std = 0 it is max(best − xi − mean, 0). CharmSeeker's code computes
// u = (best − mean + ξ)/std, an offset that favours exploitation; pass
// xi = −ξ to reproduce it.
func EI(mean, std, best, xi float64) float64 {
	imp := best - xi - mean
	if !(std > 0) {
		return max(imp, 0)
	}
	u := imp / std
	ei := std * (u*normCDF(u) + normPDF(u))
	return max(ei, 0) // rounding for u ≪ 0
}

// ProbFeasible is the probability that a Gaussian prediction N(mean, std²)
// of a constraint lies at or below threshold, Φ((threshold − mean)/std); with
// std = 0 it is 1 when mean ≤ threshold and 0 otherwise.
func ProbFeasible(mean, std, threshold float64) float64 {
	if !(std > 0) {
		if mean <= threshold {
			return 1
		}
		return 0
	}
	return normCDF((threshold - mean) / std)
}

// ConstrainedEI is expected improvement weighted by the probability of
// feasibility (Gardner et al. 2014; Gelbart, Snoek and Adams 2014), the
// acquisition of CharmSeeker's time step: EI(mean, std, best, xi) ·
// ProbFeasible(cmean, cstd, threshold), objective and constraint modelled
// independently.
func ConstrainedEI(mean, std, best, xi, cmean, cstd, threshold float64) float64 {
	return EI(mean, std, best, xi) * ProbFeasible(cmean, cstd, threshold)
}

// PredictEI returns EI at x under g; best and xi are in g's output units.
func PredictEI(g *GP, x []float64, best, xi float64) float64 {
	m, v := g.Predict(x)
	return EI(m, math.Sqrt(v), best, xi)
}

// PredictProbFeasible returns ProbFeasible at x under the constraint GP c.
func PredictProbFeasible(c *GP, x []float64, threshold float64) float64 {
	m, v := c.Predict(x)
	return ProbFeasible(m, math.Sqrt(v), threshold)
}
