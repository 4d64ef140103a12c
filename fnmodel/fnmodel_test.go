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
		want := 1.0
		if _, pass := p.Scale.EffectivePixels(video.Reference); pass {
			want = 0 // hd passes 1080p frames through
		}
		if math.Abs(f.Work-want) > 1e-12 || math.Abs(f.WorkingSet-1) > 1e-12 || math.Abs(f.Output-1) > 1e-12 {
			t.Errorf("%s: factors at the reference clip %+v, want work %v, working set and output 1", name, f, want)
		}
	}
}

func TestUpscaleRule(t *testing.T) {
	// judge-resolution's rule: below 720 lines, ×⌈720/height⌉ (at most 4).
	hd := Scale{Pixels: 1, Frames: 1, OutputPixels: 1, OutputFrames: 1, UpscaleTo: 720, Passes: true}
	restore := Scale{Pixels: 1, Frames: 1, UpscaleTo: 720}
	in := video.Reference
	for _, tc := range []struct {
		h        int
		mult     float64
		passes   bool
		hdWork   float64
		restWork float64
	}{
		{1080, 1, true, 0, 1},
		{720, 1, true, 0, 720.0 * 1280 / (1920 * 1080)},
		{360, 4, false, 4 * 640 * 360 / (1920.0 * 1080), 4 * 640 * 360 / (1920.0 * 1080)},
		{240, 9, false, 9 * 426 * 240 / (1920.0 * 1080), 9 * 426 * 240 / (1920.0 * 1080)},
		{144, 16, false, 16 * 256 * 144 / (1920.0 * 1080), 16 * 256 * 144 / (1920.0 * 1080)}, // ⌈5⌉ capped at 4
	} {
		in.Height = tc.h
		in.Width = map[int]int{1080: 1920, 720: 1280, 360: 640, 240: 426, 144: 256}[tc.h]
		px, pass := hd.EffectivePixels(in)
		if pass != tc.passes || math.Abs(px/in.Pixels()-tc.mult) > 1e-12 {
			t.Errorf("%dp: pixels ×%v pass %v, want ×%v pass %v", tc.h, px/in.Pixels(), pass, tc.mult, tc.passes)
		}
		if f := hd.Factors(in); math.Abs(f.Work-tc.hdWork) > 1e-12 {
			t.Errorf("%dp: hd work %v, want %v", tc.h, f.Work, tc.hdWork)
		}
		if f := restore.Factors(in); math.Abs(f.Work-tc.restWork) > 1e-12 {
			t.Errorf("%dp: restore work %v, want %v", tc.h, f.Work, tc.restWork)
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
		{0, 1, 0.5, 2000},       // time-sliced
		{1, 4, 0.5, 2000},       // all threads share half a core
		{1, 4, 1, 1000},         // one core's worth
		{1, 4, 1.5, 1000 / 1.5}, // a fractional share over four threads: no waves
		{1, 4, 3.9, 1000 / 3.9},
		{1, 4, 4, 250},         // one core per thread
		{1, 4, 6, 250},         // no more threads to use
		{0.5, 2, 2, 500 + 250}, // Amdahl
		{0.5, 2, 1.5, 500 + 500/1.5},
	} {
		if got := CPUTimeUs(1000, tc.p, tc.k, tc.c); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("p=%v k=%d c=%v: %v, want %v", tc.p, tc.k, tc.c, got, tc.want)
		}
	}
}

func TestAutoThreadsFollowVisibleCores(t *testing.T) {
	plat := platform.Default()
	p := Profile{Runtime: "go", CPUMs: 1000, ParallelFraction: 1, Threads: 2, AutoThreads: true}
	f := p.Scale.Factors(video.Reference)
	at := func(mb int) float64 { pt := p.At(plat, mb); us, _ := pt.Mean(f, 0, 0); return us }
	// 4,096 MB: 2.32 vCPU over 3 visible cores, so 3 threads use all of it.
	if got, want := at(4096), 1e6/plat.VCPU(4096); math.Abs(got-want) > 1e-6 {
		t.Errorf("auto threads at 4,096 MB: %v µs, want %v", got, want)
	}
	fixed := p
	fixed.AutoThreads = false // two threads plateau at two vCPUs (3,538 MB)
	pt := fixed.At(plat, 4096)
	if got, _ := pt.Mean(f, 0, 0); math.Abs(got-5e5) > 1e-6 {
		t.Errorf("two threads at 4,096 MB: %v µs, want 500000", got)
	}
}

func TestSmallQuota(t *testing.T) {
	q := QuotaSlowdown{Coef: 0.1, Exp: 2}
	if q.Factor(1) != 1 || q.Factor(2) != 1 {
		t.Fatal("slowdown at or above one vCPU")
	}
	if got := q.Factor(0.25); math.Abs(got-(1+0.1*9)) > 1e-12 {
		t.Fatalf("factor at a quarter vCPU %v, want 1.9", got)
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

func TestUseAndResetProfiles(t *testing.T) {
	orig, _ := Builtin("decode")
	refit := orig
	refit.CPUMs *= 2
	if err := UseProfiles(map[string]Profile{"decode": refit}); err != nil {
		t.Fatal(err)
	}
	got, _ := Builtin("decode")
	other, _ := Builtin("encode")
	if got.CPUMs != 2*orig.CPUMs || other.CPUMs == 0 {
		t.Fatalf("refit decode %v (want %v), encode kept %v", got.CPUMs, 2*orig.CPUMs, other.CPUMs)
	}
	bad := refit
	bad.Threads = -1
	if err := UseProfiles(map[string]Profile{"decode": bad}); err == nil {
		t.Fatal("an invalid profile was used")
	}
	ResetProfiles()
	if got, _ := Builtin("decode"); got.CPUMs != orig.CPUMs {
		t.Fatalf("after reset %v, want %v", got.CPUMs, orig.CPUMs)
	}
}
