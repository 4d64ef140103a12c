package hist

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestQuantileRelativeError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	xs := make([]float64, 100000)
	for i := range xs {
		xs[i] = math.Exp(rng.NormFloat64()*2 + 10) // log-normal over several decades
		h.Add(xs[i])
	}
	sort.Float64s(xs)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999} {
		want := xs[int(math.Ceil(q*float64(len(xs))))-1]
		got := h.Quantile(q)
		// The construction guarantees α = 0.5 % relative error for the rank's order statistic.
		if math.Abs(got-want)/want > alpha+1e-9 {
			t.Errorf("q=%v: got %v, want %v within %.1f%%", q, got, want, alpha*100)
		}
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if math.Abs(h.Mean()-mean)/mean > 1e-9 {
		t.Errorf("mean %v, want %v", h.Mean(), mean)
	}
}

func TestEmptyAndMerge(t *testing.T) {
	var a, b Histogram
	if !math.IsNaN(a.Quantile(0.5)) || !math.IsNaN(a.Mean()) {
		t.Fatal("empty histogram must report NaN")
	}
	a.Add(100)
	b.Add(300)
	b.Add(math.NaN())
	a.Merge(&b)
	if a.Count() != 2 || a.Mean() != 200 || a.Max() != 300 {
		t.Fatalf("merge: count %d mean %v max %v", a.Count(), a.Mean(), a.Max())
	}
}
