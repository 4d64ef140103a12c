package sim

import (
	"context"
	"testing"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// copySink stands for a consumer that keeps each record briefly.
type copySink struct {
	last backend.Record
	n    int
}

func (c *copySink) Record(r *backend.Record) { c.last = *r; c.n++ }

// BenchmarkEngine measures events per second of the core model on one core
// (target ≥ 3 M/s) and with every record going to a sink (target ≥ 1 M/s).
// One b.N is one pipeline request.
func BenchmarkEngine(b *testing.B) {
	for _, name := range []string{"face-detection", "autoclip"} {
		for _, records := range []string{"off", "sink"} {
			b.Run("pipeline="+name+"/records="+records, func(b *testing.B) {
				p := platform.Default()
				s := newSim(b, p, builtin(b, name), 1, 2048)
				var sink backend.Sink = backend.Discard
				if records == "sink" {
					sink = &copySink{}
				}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				st, err := s.Run(context.Background(), backend.Workload{Source: newPoisson(30, 1, video.Reference, b.N)}, sink)
				if err != nil {
					b.Fatal(err)
				}
				el := time.Since(start).Seconds()
				b.ReportMetric(float64(st.Events)/el, "events/s")
				b.ReportMetric(float64(st.Events)/float64(b.N), "events/request")
			})
		}
	}
}
