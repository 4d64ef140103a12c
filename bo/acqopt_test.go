package bo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/bo"
)

// TestMaximizeLBFGS: the default local search climbs a smooth function to
// its maximum inside the box and to one on its boundary. Tolerances: inside,
// the optimum is found to the line search's convergence (1e-9 relative in
// f, so |x − x*| ≲ 1e-4); on the boundary, x = σ(u) approaches the face only
// as u grows, and 1e-3 is where the function's flattening (f changes by
// ~1e-6 there) stops the convergence test.
func TestMaximizeLBFGS(t *testing.T) {
	const dim = 6
	center := []float64{0.2, 0.35, 0.5, 0.65, 0.8, 0.9}
	inside := func(x []float64) float64 {
		var s float64
		for i, v := range x {
			s -= (v - center[i]) * (v - center[i]) * float64(1+i)
		}
		return s
	}
	x, v, err := bo.Maximize(inside, dim, bo.DefaultAcqOptions(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if math.Abs(x[i]-center[i]) > 1e-4 {
			t.Errorf("inside: x[%d] = %.6f, want %.2f (value %g)", i, x[i], center[i], v)
		}
	}
	edge := func(x []float64) float64 { // increasing in x[0]: maximum on the face x[0] = 1
		return x[0] - (x[1]-0.3)*(x[1]-0.3)
	}
	x, _, err = bo.Maximize(edge, 2, bo.DefaultAcqOptions(), rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if x[0] < 1-1e-3 || math.Abs(x[1]-0.3) > 1e-3 {
		t.Errorf("edge: x = %v, want (1, 0.3)", x)
	}
	// Compass search stays available and valid.
	opts := bo.DefaultAcqOptions()
	opts.Local = bo.Compass
	if _, _, err := bo.Maximize(inside, dim, opts, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	opts.Local = 7
	if _, _, err := bo.Maximize(inside, dim, opts, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("unknown local search accepted")
	}
}
