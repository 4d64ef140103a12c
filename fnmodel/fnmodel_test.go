package fnmodel

import (
	"math"
	"strings"
	"testing"

	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

func TestFactorsAtReferenceAreOne(t *testing.T) {
	for _, name := range BuiltinNames() {
		p, _ := Builtin(name)
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := p.Scale.Factors(video.Reference)
		if math.Abs(f.Work-1) > 1e-12 || math.Abs(f.WorkingSet-1) > 1e-12 {
			t.Errorf("%s: factors at the reference clip %+v, want 1", name, f)
		}
	}
}

func TestScaling(t *testing.T) {
	s := Scale{Pixels: 1, Frames: 1, Faces: 0.5, WorkingSetPixels: 0.5}
	in := video.Reference
	in.Width, in.Height = 960, 540 // a quarter of the pixels
	in.FPS = 60                    // twice the frames
	in.Faces = 3
	f := s.Factors(in)
	if want := 0.25 * 2 * 2.0; math.Abs(f.Work-want) > 1e-12 || math.Abs(f.WorkingSet-0.5) > 1e-12 {
		t.Fatalf("factors %+v, want work %v and working set 0.5", f, want)
	}
}

func TestCPUTime(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		k    int
		c    float64
		want float64
	}{
		{0, 1, 0.5, 2000},              // time-sliced
		{1, 4, 0.5, 2000},              // all threads sliced
		{1, 4, 1, 1000},                // four waves of 250
		{1, 4, 1.5, 750},               // ⌈4/1.5⌉ = 3 waves
		{1, 4, 2, 500},                 // two waves
		{1, 4, 3.9, 500},               // still two waves: the stair
		{1, 4, 4, 250},                 // one wave
		{1, 4, 6, 250},                 // no more threads to use
		{0.5, 2, 2, 500 + 250},         // Amdahl
		{0.5, 2, 1.0000001, 500 + 500}, // just above one core: still two waves
	} {
		if got := CPUTimeUs(1000, tc.p, tc.k, tc.c); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("p=%v k=%d c=%v: %v, want %v", tc.p, tc.k, tc.c, got, tc.want)
		}
	}
}

func TestOutOfMemoryAndPressure(t *testing.T) {
	plat := platform.Default()
	p := Profile{Runtime: "go", CPUMs: 1000, Threads: 1, WorkingSetMB: 1000}
	f := p.Scale.Factors(video.Reference)
	slow, fits := func() (float64, bool) { pt := p.At(plat, 1200); return pt.Mean(f, 0, 0) }()
	fast, _ := func() (float64, bool) { pt := p.At(plat, 1769); return pt.Mean(f, 0, 0) }()
	if !fits {
		t.Fatal("1,000 MB fits in 1,200 MB")
	}
	// 1,200/1,000 = 1.2 < knee 1.5: slowed by pressure, beyond the CPU share's 1769/1200.
	if slow <= fast*1769/1200 {
		t.Fatalf("no memory pressure: %v at 1200 MB vs %v at 1769 MB", slow, fast)
	}
	pt := p.At(plat, 512)
	if _, fits := pt.Mean(f, 0, 0); fits {
		t.Fatal("1,000 MB fits in 512 MB")
	}
}

func TestTable(t *testing.T) {
	tb := Table{Runtime: "go", Input: video.Reference, Rows: []Row{
		{MemoryMB: 128, SamplesMs: []float64{30, 10, 20}},
		{MemoryMB: 256, SamplesMs: []float64{5, 15}},
	}}
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := tb.Quantile(128, 0.5); got != 20000 {
		t.Fatalf("median at 128 MB: %v µs", got)
	}
	if got := tb.Quantile(192, 0); got != 7500 { // halfway between 10 and 5 ms
		t.Fatalf("interpolated minimum: %v µs", got)
	}
	if err := tb.Covers(512); err == nil || !strings.Contains(err.Error(), "128–256 MB") {
		t.Fatalf("extrapolation allowed: %v", err)
	}
	bad := Table{Runtime: "go", Input: video.Reference, Rows: []Row{{MemoryMB: 128, SamplesMs: []float64{math.NaN()}}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "not a positive number") {
		t.Fatalf("NaN sample: %v", err)
	}
}
