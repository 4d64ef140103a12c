package bo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// LatinHypercube returns n points in [0,1)^dim such that, in every
// dimension, each of the n strata [k/n, (k+1)/n) holds exactly one point
// (McKay, Beckman and Conover 1979). Points are uniform within their stratum
// and strata are matched across dimensions by independent permutations drawn
// from rng. CharmSeeker uses it to split the leftover budget across stages.
func LatinHypercube(n, dim int, rng *rand.Rand) ([][]float64, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("bo: Latin hypercube needs at least one point, got %d", n)
	case dim < 1:
		return nil, fmt.Errorf("bo: Latin hypercube dimension %d is not positive", dim)
	case rng == nil:
		return nil, fmt.Errorf("bo: Latin hypercube needs a random source")
	}
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = make([]float64, dim)
	}
	for j := 0; j < dim; j++ {
		perm := rng.Perm(n)
		for i, k := range perm {
			u := (float64(k) + rng.Float64()) / float64(n)
			if u >= 1 { // rounding at the top stratum
				u = math.Nextafter(1, 0)
			}
			pts[i][j] = u
		}
	}
	return pts, nil
}

// UniformPoints returns n points drawn uniformly from [0,1)^dim with rng,
// which must not be nil.
func UniformPoints(n, dim int, rng *rand.Rand) [][]float64 {
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = make([]float64, dim)
		for j := range pts[i] {
			pts[i][j] = rng.Float64()
		}
	}
	return pts
}

// Grid maps an ordered list of discrete settings of one knob, such as the
// memory sizes a Lambda function may take, to and from the unit interval.
// Setting i sits at i/(n−1), so settings are equally spaced by rank (a single
// setting sits at ½); a unit value maps back to the nearest setting.
type Grid struct {
	values []float64
}

// NewGrid returns the grid of the given strictly increasing, finite values.
func NewGrid(values []float64) (Grid, error) {
	if len(values) == 0 {
		return Grid{}, fmt.Errorf("bo: grid has no values")
	}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Grid{}, fmt.Errorf("bo: grid value %d is %v", i, v)
		}
		if i > 0 && v <= values[i-1] {
			return Grid{}, fmt.Errorf("bo: grid values not strictly increasing at index %d (%v after %v)", i, v, values[i-1])
		}
	}
	return Grid{values: append([]float64(nil), values...)}, nil
}

// Len returns the number of settings.
func (g Grid) Len() int { return len(g.values) }

// Values returns a copy of the settings.
func (g Grid) Values() []float64 { return append([]float64(nil), g.values...) }

// Unit returns the position in [0,1] of setting i.
func (g Grid) Unit(i int) float64 {
	if i < 0 || i >= len(g.values) {
		panic(fmt.Sprintf("bo: grid index %d outside [0, %d)", i, len(g.values)))
	}
	if len(g.values) == 1 {
		return 0.5
	}
	return float64(i) / float64(len(g.values)-1)
}

// Index returns the index of the setting nearest to the unit value u; values
// outside [0,1] are clamped.
func (g Grid) Index(u float64) int {
	n := len(g.values)
	if n == 1 || math.IsNaN(u) {
		return 0
	}
	i := int(math.Round(clamp01(u) * float64(n-1)))
	return min(max(i, 0), n-1)
}

// Value returns the setting nearest to the unit value u.
func (g Grid) Value(u float64) float64 { return g.values[g.Index(u)] }

// Snap returns the unit position of the setting nearest to u.
func (g Grid) Snap(u float64) float64 { return g.Unit(g.Index(u)) }

// IndexOf returns the index of setting v, or an error if v is not a setting.
func (g Grid) IndexOf(v float64) (int, error) {
	i := sort.SearchFloat64s(g.values, v)
	if i == len(g.values) || g.values[i] != v {
		return 0, fmt.Errorf("bo: %v is not a grid value", v)
	}
	return i, nil
}

func clamp01(u float64) float64 {
	return min(max(u, 0), 1)
}
