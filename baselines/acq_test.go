package baselines

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/bo"
)

// TestAquatopeAcquisitionReachesLargeSearch: on the acquisitions
// aquatope-fixed builds from face-detection measurements (10 random runs
// plus 3 per batch, at batches 5, 12 and 20), the default optimiser (32
// raw samples, 10 L-BFGS restarts: BoTorch's optimize_acqf as Aquatope
// calls it) is compared with a 30 times larger search (960 raw samples, 300
// restarts, each refined by L-BFGS and by compass search, the best kept)
// and with its own raw samples alone.
//
// Tolerance, and where it comes from: the acquisition is deterministic
// (fixed base samples), so the gaps are the optimiser's. With η = 1e-3 the
// feasibility weight of each of the 32 Monte-Carlo samples is nearly a step,
// so qNEI of the joint batch is piecewise flat; a local method, with
// gradients (BoTorch's L-BFGS-B included) or without, stops on the flat or
// in the basin its start lies in, and the gap to the larger search is the
// 32-start budget's, not the local convergence's. With the function model
// of commit 7850f42 the local search lifts the best raw sample from 32–54 %
// of the larger search's value to 94–98 % (compass search from the same
// starts: 91–93 %); with the model before it, from 29–40 % to 62–87 %
// (compass: 58–74 %). With the calibrated model of commit 2635745, L-BFGS
// with central differences reached 90.3, 89.1 and 97.2 % (values 8.04, 18.37,
// 7.55) and with qNEI's exact gradient (bo.QNEI.ValueGrad) 98.3, 90.1 and
// 96.7 % (8.77, 18.94, 7.50; compass 94.3, 75.2, 83.5 %; raw samples 44.9,
// 36.2, 48.5 %): which basin a restart ends in moves with rounding, by a few
// per cent per acquisition either way (BenchmarkAquatopeAcquisition: over
// the 20 acquisitions of a run both gradients reach the same mean within
// 1 %). The bounds hold for all: we require ≥ 55 % on every acquisition,
// ≥ 65 % on average, and the local search to add at least half again to the
// best raw sample: a broken local search (returning its starts) fails all
// three.
func TestAquatopeAcquisitionReachesLargeSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("30× acquisition search")
	}
	batches := []int{5, 12, 20}
	acqs := aqTestAcquisitions(t, batches)
	large := bo.DefaultAcqOptions()
	large.RawSamples, large.Restarts = 30*large.RawSamples, 30*large.Restarts
	largeCompass := large
	largeCompass.Local = bo.Compass
	var sum float64
	for bi, b := range batches {
		acq := acqs[bi]
		_, v, err := acq.Optimize(aqQ, bo.DefaultAcqOptions(), rand.New(rand.NewPCG(8, uint64(b))))
		if err != nil {
			t.Fatal(err)
		}
		compass := bo.DefaultAcqOptions()
		compass.Local = bo.Compass
		_, vc, _ := acq.Optimize(aqQ, compass, rand.New(rand.NewPCG(8, uint64(b))))
		rawOnly := bo.DefaultAcqOptions()
		rawOnly.Restarts = 0
		_, vr, _ := acq.Optimize(aqQ, rawOnly, rand.New(rand.NewPCG(8, uint64(b))))
		if !(v >= 1.5*vr) {
			t.Errorf("batch %d: local search took the best raw sample's %.4g only to %.4g", b, vr, v)
		}
		_, r1, _ := acq.Optimize(aqQ, large, rand.New(rand.NewPCG(9, uint64(b))))
		_, r2, _ := acq.Optimize(aqQ, largeCompass, rand.New(rand.NewPCG(9, uint64(b))))
		ref := max(r1, r2, v, vc)
		if !(ref > 0) {
			t.Fatalf("batch %d: the large search found qNEI %v; want an acquisition with room to improve", b, ref)
		}
		sum += v / ref
		t.Logf("batch %d (%d points): L-BFGS %.4g = %.1f %% of the large search's %.4g; compass %.1f %%; raw samples alone %.1f %%",
			b, aqInitial+aqQ*b, v, 100*v/ref, ref, 100*vc/ref, 100*vr/ref)
		if v < 0.55*ref {
			t.Errorf("batch %d: %.1f %% of the large search's qNEI, want ≥ 55 %%", b, 100*v/ref)
		}
	}
	if m := sum / float64(len(batches)); m < 0.65 {
		t.Errorf("%.1f %% of the large search's qNEI on average, want ≥ 65 %%", 100*m)
	}
}

// aqTestAcquisitions returns the acquisitions aquatope-fixed builds from
// face-detection measurements (seed 3, bound +30 %): 10 random runs plus 3
// per batch, one acquisition at each of batches (ascending).
func aqTestAcquisitions(tb testing.TB, batches []int) []*bo.QNEI {
	tb.Helper()
	p, _ := setup(tb, 3, 0.3)
	names := p.Pipeline.Names()
	d := len(names)
	grid, err := memoryGrid(p)
	if err != nil {
		tb.Fatal(err)
	}
	B := p.CBound()
	rng := rand.New(rand.NewPCG(5, 6))
	var X [][]float64
	var lat, con []float64
	worst := 0.0
	measure := func() {
		x := make([]float64, d)
		cfg := backend.Config{}
		for k, name := range names {
			x[k] = rng.Float64()
			cfg[name] = int(grid.Value(x[k]))
		}
		ev, err := p.Env.Measure(context.Background(), cfg)
		if err != nil {
			tb.Fatal(err)
		}
		l := ev.LatencyMs / 1000
		if math.IsNaN(l) {
			l = worst
		}
		worst = max(worst, l)
		c := ev.CostUSD / B
		if math.IsNaN(c) {
			c = 2
		}
		X, lat, con = append(X, x), append(lat, l), append(con, c)
	}
	for i := 0; i < aqInitial; i++ {
		measure()
	}
	var out []*bo.QNEI
	for _, b := range batches {
		for len(X) < aqInitial+aqQ*b {
			measure()
		}
		a := Aquatope{Fixed: true}
		acq, err := a.acquisition(aqNewGP(d), aqNewGP(d), X, lat, con, aqFitOptions(uint64(b)), aqFitOptions(uint64(b)+1), rand.New(rand.NewPCG(7, uint64(b))))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, acq)
	}
	return out
}
