package baselines

import (
	"context"
	"fmt"
	"testing"

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
