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
// (compass: 58–74 %). The bounds hold for both: we require ≥ 55 % on every acquisition, ≥ 65 % on
// average, and the local search to add at least half again to the best raw
// sample: a broken local search (returning its starts) fails all three.
func TestAquatopeAcquisitionReachesLargeSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("30× acquisition search")
	}
	p, _ := setup(t, 3, 0.3)
	names := p.Pipeline.Names()
	d := len(names)
	values := make([]float64, len(p.Grid))
	for i, m := range p.Grid {
		values[i] = float64(m)
	}
	grid, err := bo.NewGrid(values)
	if err != nil {
		t.Fatal(err)
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
			t.Fatal(err)
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
	large := bo.DefaultAcqOptions()
	large.RawSamples, large.Restarts = 30*large.RawSamples, 30*large.Restarts
	largeCompass := large
	largeCompass.Local = bo.Compass
	var sum float64
	batches := []int{5, 12, 20}
	for _, b := range batches {
		for len(X) < aqInitial+aqQ*b {
			measure()
		}
		a := Aquatope{Fixed: true}
		acq, err := a.acquisition(aqNewGP(d), aqNewGP(d), X, lat, con, aqFitOptions(uint64(b)), aqFitOptions(uint64(b)+1), rand.New(rand.NewPCG(7, uint64(b))))
		if err != nil {
			t.Fatal(err)
		}
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
			b, len(X), v, 100*v/ref, ref, 100*vc/ref, 100*vr/ref)
		if v < 0.55*ref {
			t.Errorf("batch %d: %.1f %% of the large search's qNEI, want ≥ 55 %%", b, 100*v/ref)
		}
	}
	if m := sum / float64(len(batches)); m < 0.65 {
		t.Errorf("%.1f %% of the large search's qNEI on average, want ≥ 65 %%", 100*m)
	}
}
