package experiments

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// meanCI is the mean of xs and a 95 % Student-t confidence interval (NaN
// bounds for fewer than two values). NaNs are ignored.
func meanCI(xs []float64) (m, lo, hi float64) {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	m = stat.Mean(v, nil)
	if len(v) < 2 {
		return m, math.NaN(), math.NaN()
	}
	se := stat.StdDev(v, nil) / math.Sqrt(float64(len(v)))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(v) - 1)}.Quantile(0.975)
	return m, m - t*se, m + t*se
}

// median of xs (NaNs ignored).
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// filter returns the rows matching every non-empty field of want (and the
// metric).
func filter(rows []Row, keep func(r *Row) bool) []Row {
	var out []Row
	for i := range rows {
		if keep(&rows[i]) {
			out = append(out, rows[i])
		}
	}
	return out
}

func values(rows []Row) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = r.Value
	}
	return out
}

// uniq lists distinct strings in first-seen order.
func uniq(rows []Row, get func(r *Row) string) []string {
	seen := map[string]bool{}
	var out []string
	for i := range rows {
		k := get(&rows[i])
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// mean of xs (NaNs ignored; NaN when none).
func mean(xs []float64) float64 {
	var s float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
