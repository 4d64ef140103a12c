package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Dist is a predicted execution-time distribution (§3.1 "Time Distribution
// Modeling"): a normal fitted to the mean and variance, a Pareto fitted to the
// mean and the 95th percentile, fused by a logistic smoothing function. The
// fields are the predicted parameters; CDF, Quantile and Sample describe the
// fused distribution, tabulated once by NewDist (and by Model.Predict). A Dist
// built as a literal works too but tabulates on every call.
//
// The fused distribution has exactly the mean MeanMs and the 95th percentile
// P95Ms (up to the interpolation of its table, see the package doc); its
// variance follows VarMs2 only as far as the normal body and the p95 agree.
type Dist struct {
	MeanMs float64 `json:"mean_ms"`
	P95Ms  float64 `json:"p95_ms"`
	VarMs2 float64 `json:"var_ms2"`
	t      *table
}

// table is the fused distribution as a piecewise-uniform density: the CDF is
// linear between the points x, rising from 0 at x[0] to 1 at x[len-1].
type table struct {
	x, cdf []float64
}

// Grid sizes of the tabulation: uniform points over the body, geometric over
// the Pareto tail.
const (
	bodyPoints = 240
	tailPoints = 80
)

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

// NewDist validates the parameters and tabulates the fused distribution.
// MeanMs must be positive, P95Ms positive and VarMs2 non-negative, all finite.
// Degenerate inputs are handled explicitly: a variance below (1e-4·mean)² is
// raised to it (a near point mass); a p95 at or below the mean, or so close to
// it that no Pareto of finite shape fits, gives no Pareto tail (the normal
// alone); a p95 above what a Pareto of the mean can reach (2.456 × mean) gives
// the heaviest-tailed Pareto of the fit's branch, matched to the p95.
func NewDist(meanMs, p95Ms, varMs2 float64) (Dist, error) {
	d := Dist{MeanMs: meanMs, P95Ms: p95Ms, VarMs2: varMs2}
	t, err := d.tabulate()
	if err != nil {
		return Dist{}, err
	}
	d.t = t
	return d, nil
}

func (d Dist) check() error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"mean", d.MeanMs}, {"p95", d.P95Ms}, {"variance", d.VarMs2}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return fmt.Errorf("%w: %s = %v", ErrNonFinite, v.name, v.v)
		}
	}
	if d.MeanMs <= 0 || d.P95Ms <= 0 || d.VarMs2 < 0 {
		return fmt.Errorf("model: distribution needs mean > 0, p95 > 0 and variance ≥ 0 (got %v, %v, %v)", d.MeanMs, d.P95Ms, d.VarMs2)
	}
	return nil
}

func (d Dist) tab() *table {
	if d.t != nil {
		return d.t
	}
	t, err := d.tabulate()
	if err != nil {
		return nil
	}
	return t
}

// CDF is P(T ≤ x) of the fused distribution. It is NaN for a Dist whose
// parameters are invalid (use NewDist to get the error).
func (d Dist) CDF(x float64) float64 {
	t := d.tab()
	if t == nil || math.IsNaN(x) {
		return math.NaN()
	}
	n := len(t.x)
	if x <= t.x[0] {
		return 0
	}
	if x >= t.x[n-1] {
		return 1
	}
	i := sort.SearchFloat64s(t.x, x) // t.x[i-1] < x ≤ t.x[i]
	f := (x - t.x[i-1]) / (t.x[i] - t.x[i-1])
	return t.cdf[i-1] + f*(t.cdf[i]-t.cdf[i-1])
}

// Quantile inverts the CDF: the smallest x with CDF(x) = u. u is meant to lie
// in (0, 1); u ≤ 0 and u ≥ 1 give the ends of the tabulated support, NaN
// gives NaN.
func (d Dist) Quantile(u float64) float64 {
	t := d.tab()
	if t == nil || math.IsNaN(u) {
		return math.NaN()
	}
	return t.quantile(u)
}

func (t *table) quantile(u float64) float64 {
	n := len(t.cdf)
	if u <= 0 {
		return t.x[0]
	}
	if u >= 1 {
		return t.x[n-1]
	}
	i := sort.SearchFloat64s(t.cdf, u) // cdf[i-1] < u ≤ cdf[i]
	if i == 0 {
		return t.x[0]
	}
	f := (u - t.cdf[i-1]) / (t.cdf[i] - t.cdf[i-1])
	return t.x[i-1] + f*(t.x[i]-t.x[i-1])
}

// Sample draws one execution time (ms) by inverse transform.
func (d Dist) Sample(rng *rand.Rand) float64 {
	t := d.tab()
	if t == nil {
		return math.NaN()
	}
	return t.quantile(rng.Float64())
}

// Mean is the mean of the tabulated fused distribution (equal to MeanMs up to
// rounding, by construction).
func (d Dist) Mean() float64 {
	t := d.tab()
	if t == nil {
		return math.NaN()
	}
	m, _ := t.moments()
	return m
}

// Var is the variance of the tabulated fused distribution.
func (d Dist) Var() float64 {
	t := d.tab()
	if t == nil {
		return math.NaN()
	}
	_, v := t.moments()
	return v
}

// moments of the piecewise-uniform density.
func (t *table) moments() (mean, variance float64) {
	var m1, m2 float64
	for i := 1; i < len(t.x); i++ {
		p := t.cdf[i] - t.cdf[i-1]
		a, b := t.x[i-1], t.x[i]
		m1 += p * (a + b) / 2
		m2 += p * (a*a + a*b + b*b) / 3
	}
	return m1, math.Max(0, m2-m1*m1)
}

// paretoAlphaStar is where g(α) = 20^(1/α)·(α−1)/α, the ratio p95/mean of a
// Pareto of shape α, peaks: α* = ln 20 / (ln 20 − 1).
var paretoAlphaStar = math.Log(20) / (math.Log(20) - 1)

// paretoRatio is g(α) = p95/mean of a Pareto (type I) of shape α > 1.
func paretoRatio(alpha float64) float64 {
	return math.Pow(20, 1/alpha) * (alpha - 1) / alpha
}

// maxParetoAlpha bounds the fitted shape: beyond it the Pareto is narrower
// than the tabulation can resolve and the tail is dropped.
const maxParetoAlpha = 1e5

// fitPareto fits a Pareto (type I: P(T > x) = (xm/x)^α for x ≥ xm) to a mean
// and a 95th percentile. Its mean is α·xm/(α−1) and its p95 xm·20^(1/α), so
// α solves g(α) = p95/mean. g rises from 0 at α = 1 to 2.456 at α* ≈ 1.50 and
// falls to 1 as α → ∞: every ratio in (1, 2.456) has two roots, and the fit
// takes the lighter-tailed one (α > α*, finite variance for α > 2), since an
// execution-time tail is a bounded slowdown. A ratio at or above the peak
// takes α* and matches the p95 (the mean is then not reproduced). ok is false
// when the ratio is at or below 1 or needs α > maxParetoAlpha: no tail.
func fitPareto(mean, p95 float64) (xm, alpha float64, ok bool) {
	r := p95 / mean
	if !(r > 1) || paretoRatio(maxParetoAlpha) >= r {
		return 0, 0, false
	}
	if r >= paretoRatio(paretoAlphaStar) {
		alpha = paretoAlphaStar
		return p95 / math.Pow(20, 1/alpha), alpha, true
	}
	lo, hi := math.Log(paretoAlphaStar), math.Log(maxParetoAlpha) // g decreasing on [α*, ∞)
	for range 200 {
		mid := (lo + hi) / 2
		if paretoRatio(math.Exp(mid)) > r {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-14 {
			break
		}
	}
	alpha = math.Exp((lo + hi) / 2)
	return mean * (alpha - 1) / alpha, alpha, true
}

// tabulate builds the fused distribution (see the package doc):
//
//	f(x) ∝ (1 − w(x))·φ(x; μ, σ) + w(x)·π(x; xm, α),   w(x) = 1/(1 + e^(−(x−c)/s))
//
// with c = μ + 1.645σ (the normal's own 95th percentile: the ramp hands over
// from the normal's tail to the Pareto's body) and s = σ/2, on x ≥ 0,
// normalised by the trapezoid rule, then mapped affinely x → a + b·x so that
// the table's mean is μ and its 95th percentile the p95.
func (d Dist) tabulate() (*table, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	mu := d.MeanMs
	sigma := math.Max(math.Sqrt(d.VarMs2), 1e-4*mu)
	xm, alpha, tail := fitPareto(mu, d.P95Ms)
	c := mu + z95*sigma
	s := sigma / 2

	lo := math.Max(0, mu-7*sigma)
	hiBody := mu + 8*sigma
	xs := make([]float64, 0, bodyPoints+tailPoints+1)
	for i := range bodyPoints {
		xs = append(xs, lo+(hiBody-lo)*float64(i)/float64(bodyPoints-1))
	}
	if tail {
		hiTail := xm * math.Pow(1e-7, -1/alpha) // the Pareto's 1 − 1e-7 quantile
		if hiTail > hiBody*1.0001 {
			r := math.Log(hiTail / hiBody)
			for i := 1; i <= tailPoints; i++ {
				xs = append(xs, hiBody*math.Exp(r*float64(i)/float64(tailPoints)))
			}
		}
		// The Pareto density jumps at xm: put a point on each side.
		if xm > lo && xm < xs[len(xs)-1] {
			xs = append(xs, xm*(1-1e-12), xm)
			sort.Float64s(xs)
		}
	}
	dens := make([]float64, len(xs))
	inv := 1 / (sigma * math.Sqrt(2*math.Pi))
	for i, x := range xs {
		z := (x - mu) / sigma
		f := inv * math.Exp(-z*z/2)
		if tail {
			w := 1 / (1 + math.Exp(-(x-c)/s))
			var p float64
			if x >= xm {
				p = alpha / xm * math.Pow(xm/x, alpha+1)
			}
			f = (1-w)*f + w*p
		}
		dens[i] = f
	}
	cdf := make([]float64, len(xs))
	for i := 1; i < len(xs); i++ {
		cdf[i] = cdf[i-1] + (dens[i]+dens[i-1])/2*(xs[i]-xs[i-1])
	}
	total := cdf[len(cdf)-1]
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("%w: fused density of mean %v, p95 %v, variance %v does not normalise", ErrNonFinite, d.MeanMs, d.P95Ms, d.VarMs2)
	}
	for i := range cdf {
		cdf[i] /= total
	}
	cdf[len(cdf)-1] = 1
	t := &table{x: xs, cdf: cdf}

	// Affine correction: mean → μ exactly, p95 → the p95 when there is a tail
	// (when there is none the p95 is at or below the mean and only the mean is
	// kept, with the normal's spread).
	m, _ := t.moments()
	b := 1.0
	if tail {
		if q := t.quantile(0.95); q > m {
			b = (d.P95Ms - mu) / (q - m)
		}
	}
	// Execution times are not negative: a stretch (b > 1) that would move the
	// support's lower end below zero is limited, and the p95 is then only
	// approached.
	if x0 := mu + b*(xs[0]-m); x0 < 0 && m > xs[0] {
		b = mu / (m - xs[0])
	}
	for i := range xs {
		xs[i] = mu + b*(xs[i]-m)
	}
	// Points at equal x (b tiny) would make the CDF jump; drop the duplicates.
	k := 1
	for i := 1; i < len(xs); i++ {
		if xs[i] > xs[k-1] {
			xs[k], cdf[k] = xs[i], cdf[i]
			k++
		} else {
			cdf[k-1] = cdf[i]
		}
	}
	t.x, t.cdf = xs[:k], cdf[:k]
	if k < 2 {
		return nil, fmt.Errorf("%w: distribution of mean %v, p95 %v, variance %v collapsed to a point", ErrNonFinite, d.MeanMs, d.P95Ms, d.VarMs2)
	}
	return t, nil
}

// String formats the parameters.
func (d Dist) String() string {
	return fmt.Sprintf("mean %.4g ms, p95 %.4g ms, sd %.4g ms", d.MeanMs, d.P95Ms, math.Sqrt(d.VarMs2))
}
