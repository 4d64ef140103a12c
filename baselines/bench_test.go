package baselines

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/bo"
	"github.com/confignav/confignav/tuner"
)

// BenchmarkTune runs each baseline once per iteration on face-detection at
// bound +30 % and reports, besides ns/op (which includes the simulator), the
// tuner's own compute as the environment accounts it (compute-s/op, the
// quantity of the target "a whole Aquatope run's own compute under 5 s"),
// the virtual measurement time (measure-s/op) and the evaluations.
func BenchmarkTune(b *testing.B) {
	for _, t := range []tuner.Tuner{
		Aquatope{}, Aquatope{Fixed: true}, CharmSeeker{}, PowerTuning{}, Parrotfish{},
	} {
		b.Run(fmt.Sprintf("tuner=%s/pipeline=face-detection", t.Name()), func(b *testing.B) {
			var compute, measure, evals float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p, _ := setup(b, uint64(i+1), 0.3)
				b.StartTimer()
				r, err := t.Tune(context.Background(), p)
				if err != nil {
					b.Fatal(err)
				}
				compute += r.ComputeSeconds
				measure += r.MeasureSeconds
				evals += float64(r.Evaluations)
			}
			n := float64(b.N)
			b.ReportMetric(compute/n, "compute-s/op")
			b.ReportMetric(measure/n, "measure-s/op")
			b.ReportMetric(evals/n, "evals/op")
		})
	}
}

// BenchmarkAquatopeAcquisition times Aquatope's own compute per run
// without the simulator: the optimisation of the joint q = 3 qNEI (32 raw
// samples, 10 L-BFGS restarts) for each of the 20 batches of an
// aquatope-fixed run on face-detection (seed 3, bound +30 %; the training
// sets of TestAquatopeAcquisitionReachesLargeSearch, no outlier filter),
// with qNEI's exact gradient (gradient=exact, what Aquatope runs) and with
// the central differences it replaced (gradient=central), so one run of the
// benchmark gives the speed-up. Besides ns/op it reports the acquisition
// evaluations per op (a gradient counts as one evaluation with
// gradient=exact, as 2·q·d value evaluations with gradient=central) and the
// mean qNEI reached over the 20 acquisitions, so that a speed-up that
// weakened the search would show.
func BenchmarkAquatopeAcquisition(b *testing.B) {
	var batches []int
	for i := 1; i <= aqBatches; i++ {
		batches = append(batches, i)
	}
	acqs := aqTestAcquisitions(b, batches)
	for _, mode := range []string{"exact", "central"} {
		b.Run("gradient="+mode, func(b *testing.B) {
			var evals, reached float64
			for i := 0; i < b.N; i++ {
				for bi, acq := range acqs {
					d := acq.Dim()
					batch := make([][]float64, aqQ)
					set := func(x []float64) {
						for j := range batch {
							batch[j] = x[j*d : (j+1)*d]
						}
					}
					rng := rand.New(rand.NewPCG(8, uint64(bi)))
					var v float64
					var err error
					if mode == "exact" {
						_, v, err = bo.MaximizeGrad(func(x, grad []float64) float64 {
							set(x)
							evals++
							if grad == nil {
								w, _ := acq.Value(batch)
								return w
							}
							w, _ := acq.ValueGrad(batch, grad)
							return w
						}, aqQ*d, bo.DefaultAcqOptions(), rng)
					} else {
						_, v, err = bo.Maximize(func(x []float64) float64 {
							set(x)
							evals++
							w, _ := acq.Value(batch)
							return w
						}, aqQ*d, bo.DefaultAcqOptions(), rng)
					}
					if err != nil {
						b.Fatal(err)
					}
					reached += v
				}
			}
			n := float64(b.N)
			b.ReportMetric(evals/n, "evals/op")
			b.ReportMetric(reached/n/float64(len(acqs)), "qnei/op")
		})
	}
}
