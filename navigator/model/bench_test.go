package model

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/confignav/confignav/platform"
)

func BenchmarkPredict(b *testing.B) {
	ds, m := smallModel(b)
	f := ds.Functions[1].Features
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Predict(f, 1024+128*(i%16)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrain trains on the default dataset size (the measurement is not
// timed; it is reported as measure-s).
func BenchmarkTrain(b *testing.B) {
	for _, n := range []int{400} {
		b.Run(fmt.Sprintf("functions=%d", n), func(b *testing.B) {
			t0 := time.Now()
			ds, err := Measure(context.Background(), platform.Default(), Synthesize(n, 1), DefaultSamples, 1)
			if err != nil {
				b.Fatal(err)
			}
			measure := time.Since(t0).Seconds()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Train(ds, DefaultTrainOptions()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(measure, "measure-s")
		})
	}
}
