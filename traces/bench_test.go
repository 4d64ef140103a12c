package traces

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confignav/confignav/backend"
)

// benchTrace is a synthetic full day (1440 minutes) of nf functions and its
// Azure 2019 CSV and Parquet forms.
type benchData struct {
	trace   *Trace
	csv     []byte
	parquet []byte
}

var (
	benchOnce sync.Once
	benchSet  benchData
)

func benchInput(b *testing.B) benchData {
	benchOnce.Do(func() {
		p := DefaultSynthParams()
		p.Functions = 2000
		t, err := Synthesize(p, 1)
		if err != nil {
			b.Fatal(err)
		}
		var c, q bytes.Buffer
		if err := t.WriteCSV(&c); err != nil {
			b.Fatal(err)
		}
		if err := t.WriteParquet(&q); err != nil {
			b.Fatal(err)
		}
		benchSet = benchData{trace: t, csv: c.Bytes(), parquet: q.Bytes()}
	})
	return benchSet
}

// BenchmarkLoad compares parsing the CSV with reading its Parquet cache. Both
// report throughput in bytes of CSV, so the ratio of their MB/s is the
// speed-up of the cache (target: CSV ≥ 100 MB/s, Parquet ≥ 10× CSV).
func BenchmarkLoad(b *testing.B) {
	d := benchInput(b)
	b.Run("format=csv", func(b *testing.B) {
		b.SetBytes(int64(len(d.csv)))
		for i := 0; i < b.N; i++ {
			if _, err := ReadAzure2019(bytes.NewReader(d.csv), "bench.csv"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("format=parquet", func(b *testing.B) {
		b.SetBytes(int64(len(d.csv)))
		b.ReportMetric(float64(len(d.parquet)), "file-bytes")
		for i := 0; i < b.N; i++ {
			if _, err := ReadParquet(bytes.NewReader(d.parquet), "bench.parquet"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoad2021 is BenchmarkLoad for a per-invocation trace: 200
// functions, about a million calls.
func BenchmarkLoad2021(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	t := &Trace{Source: SourceAzure2021, Kind: PerInvocation}
	for f := 0; f < 200; f++ {
		t.Functions = append(t.Functions, Function{App: hash64(r), Name: hash64(r)})
		// Mean gaps from 0.2 s to about a minute: some 10^6 calls in all.
		gap := 0.2e6 * math.Exp(6*r.Float64())
		for at := gap * r.Float64(); at < 3600e6; at += gap * r.ExpFloat64() {
			t.Calls = append(t.Calls, Call{Start: int64(at), Duration: int64(1e5 * r.ExpFloat64()), Func: int32(f)})
			t.Functions[f].Invocations++
		}
	}
	slices.SortStableFunc(t.Calls, func(a, b Call) int { return cmpInt64(a.Start, b.Start) })
	t.Minutes = int(t.Calls[len(t.Calls)-1].Start/MinuteMicros) + 1
	var c, q bytes.Buffer
	if err := t.WriteCSV(&c); err != nil {
		b.Fatal(err)
	}
	if err := t.WriteParquet(&q); err != nil {
		b.Fatal(err)
	}
	b.Run("format=csv", func(b *testing.B) {
		b.SetBytes(int64(c.Len()))
		b.ReportMetric(float64(len(t.Calls)), "calls")
		for i := 0; i < b.N; i++ {
			if _, err := ReadAzure2021(bytes.NewReader(c.Bytes()), "bench.csv"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("format=parquet", func(b *testing.B) {
		b.SetBytes(int64(c.Len()))
		b.ReportMetric(float64(q.Len()), "file-bytes")
		for i := 0; i < b.N; i++ {
			if _, err := ReadParquet(bytes.NewReader(q.Bytes()), "bench.parquet"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkArrivals measures request generation from a per-minute trace,
// inputs included (target: ≥ 20 M arrivals/s).
func BenchmarkArrivals(b *testing.B) {
	d := benchInput(b)
	for _, within := range []string{WithinUniform, WithinPoisson, WithinEquidistant} {
		b.Run("within="+within, func(b *testing.B) {
			var n int64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				src, err := OpenTrace(d.trace, Options{Seed: uint64(i), Within: within})
				if err != nil {
					b.Fatal(err)
				}
				var r backend.Request
				for src.Next(&r) {
					n++
				}
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "arrivals/s")
			b.ReportMetric(float64(n)/float64(b.N), "arrivals/op")
		})
	}
}

// BenchmarkPoisson measures the --rate stream, one million requests an op.
func BenchmarkPoisson(b *testing.B) {
	const n = 1_000_000
	var r backend.Request
	for i := 0; i < b.N; i++ {
		src := mustPoisson(b, 1000, uint64(i), nil, nil)
		for k := 0; k < n; k++ {
			src.Next(&r)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "arrivals/s")
}

func BenchmarkSynthesize(b *testing.B) {
	for _, nf := range []int{500} {
		b.Run(fmt.Sprintf("functions=%d/minutes=1440", nf), func(b *testing.B) {
			p := DefaultSynthParams()
			p.Functions = nf
			for i := 0; i < b.N; i++ {
				if _, err := Synthesize(p, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
