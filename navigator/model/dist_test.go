package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// distCases cover the shapes the model predicts: a narrow body with a light
// tail, a variance inflated by rare slowdowns (the normal wider than the p95
// says), a heavy tail, and the degenerate inputs NewDist documents.
// exactP95 says whether the fused p95 must equal the parameter: not without
// a tail (p95 at or below the mean) nor where the stretch is limited at zero.
var distCases = []struct {
	name            string
	mean, p95, var_ float64
	exactP95        bool
}{
	{"narrow", 1000, 1100, 60 * 60, true},
	{"inflated variance", 1000, 1100, 260 * 260, true},
	{"heavy tail", 50, 100, 40 * 40, true},
	{"beyond Pareto reach", 10, 40, 9, false},
	{"zero variance", 200, 220, 0, true},
	{"p95 equal to mean", 200, 200, 100, false},
	{"p95 below mean", 200, 180, 100, false},
	{"p95 barely above mean", 200, 200.000001, 100, false},
	{"huge spread", 10, 30, 1e4, false},
}

func TestDistCDFMonotoneAndSpansZeroToOne(t *testing.T) {
	for _, c := range distCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDist(c.mean, c.p95, c.var_)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := d.Quantile(0), d.Quantile(1)
			if lo < 0 {
				t.Errorf("support starts at %v < 0", lo)
			}
			if got := d.CDF(lo - 1); got != 0 {
				t.Errorf("CDF below support = %v, want 0", got)
			}
			if got := d.CDF(hi + 1); got != 1 {
				t.Errorf("CDF above support = %v, want 1", got)
			}
			prev := 0.0
			for i := 0; i <= 10000; i++ {
				x := lo - 1 + (hi-lo+2)*float64(i)/10000
				f := d.CDF(x)
				if math.IsNaN(f) || f < prev || f > 1 {
					t.Fatalf("CDF(%v) = %v after %v: not monotone in [0, 1]", x, f, prev)
				}
				prev = f
			}
		})
	}
}

func TestDistQuantileInvertsCDF(t *testing.T) {
	for _, c := range distCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDist(c.mean, c.p95, c.var_)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []float64{1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1 - 1e-6} {
				x := d.Quantile(u)
				// The table is piecewise linear: CDF(Quantile(u)) = u up to
				// float rounding.
				if got := d.CDF(x); math.Abs(got-u) > 1e-9 {
					t.Errorf("CDF(Quantile(%v) = %v) = %v", u, x, got)
				}
			}
		})
	}
}

func TestDistMeanAndP95(t *testing.T) {
	for _, c := range distCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDist(c.mean, c.p95, c.var_)
			if err != nil {
				t.Fatal(err)
			}
			// The affine correction makes the tabulated mean exact up to
			// rounding; the p95 too when there is a tail and no clamp at 0.
			if m := d.Mean(); math.Abs(m-c.mean) > 1e-9*c.mean {
				t.Errorf("mean %v, want %v", m, c.mean)
			}
			q := d.Quantile(0.95)
			switch {
			case c.exactP95 && math.Abs(q-c.p95) > 1e-9*c.p95:
				t.Errorf("p95 %v, want %v", q, c.p95)
			case !c.exactP95 && c.p95 > c.mean && !(q > c.mean):
				t.Errorf("p95 %v not above the mean %v", q, c.mean)
			}
		})
	}
}

func TestDistSampleMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	for _, c := range distCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewDist(c.mean, c.p95, c.var_)
			if err != nil {
				t.Fatal(err)
			}
			var s float64
			for range n {
				s += d.Sample(rng)
			}
			// Monte Carlo tolerance: 5 standard errors of the mean of n
			// samples from the fused distribution (a false failure has
			// probability below 1e-6).
			se := math.Sqrt(d.Var() / n)
			if got := s / n; math.Abs(got-c.mean) > 5*se+1e-9*c.mean {
				t.Errorf("sample mean %v, want %v ± %v", got, c.mean, 5*se)
			}
		})
	}
}

func TestParetoFitReproducesMeanAndP95(t *testing.T) {
	for _, r := range []float64{1.001, 1.05, 1.2, 1.5, 2, 2.4} {
		mean := 100.0
		p95 := mean * r
		xm, alpha, ok := fitPareto(mean, p95)
		if !ok {
			t.Fatalf("ratio %v: no fit", r)
		}
		if alpha < paretoAlphaStar {
			t.Errorf("ratio %v: α = %v on the heavy branch", r, alpha)
		}
		if got := xm * math.Pow(20, 1/alpha); math.Abs(got-p95) > 1e-9*p95 {
			t.Errorf("ratio %v: Pareto p95 %v, want %v", r, got, p95)
		}
		if got := alpha * xm / (alpha - 1); math.Abs(got-mean) > 1e-9*mean {
			t.Errorf("ratio %v: Pareto mean %v, want %v", r, got, mean)
		}
	}
	// Beyond the reach of any Pareto of this mean: the p95 is kept.
	xm, alpha, ok := fitPareto(100, 300)
	if !ok || alpha != paretoAlphaStar || math.Abs(xm*math.Pow(20, 1/alpha)-300) > 1e-9 {
		t.Errorf("ratio 3: xm %v α %v ok %v", xm, alpha, ok)
	}
	for _, r := range []float64{0.9, 1} {
		if _, _, ok := fitPareto(100, 100*r); ok {
			t.Errorf("ratio %v: want no tail", r)
		}
	}
}

func TestNewDistRejectsBadParameters(t *testing.T) {
	for _, c := range []struct{ mean, p95, v float64 }{
		{math.NaN(), 1, 1}, {1, math.Inf(1), 1}, {1, 1, math.NaN()}, {0, 1, 1}, {-1, 1, 1}, {1, 0, 1}, {1, 1, -1},
	} {
		if _, err := NewDist(c.mean, c.p95, c.v); err == nil {
			t.Errorf("NewDist(%v, %v, %v): no error", c.mean, c.p95, c.v)
		}
	}
	if _, err := NewDist(math.NaN(), 1, 1); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN mean: %v, want ErrNonFinite", err)
	}
	// A literal with bad parameters gives NaN, never a number.
	if v := (Dist{MeanMs: -1}).CDF(1); !math.IsNaN(v) {
		t.Errorf("CDF of an invalid literal = %v", v)
	}
}

func TestDistLiteralMatchesNewDist(t *testing.T) {
	d, _ := NewDist(1000, 1100, 3600)
	lit := Dist{MeanMs: 1000, P95Ms: 1100, VarMs2: 3600}
	for _, u := range []float64{0.1, 0.5, 0.95} {
		if a, b := d.Quantile(u), lit.Quantile(u); a != b {
			t.Errorf("Quantile(%v): %v vs %v", u, a, b)
		}
	}
}
