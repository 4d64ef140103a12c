package sim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// quiet is the default platform with every source of randomness in execution
// time switched off, so durations can be checked exactly.
func quiet() *platform.Profile {
	p := platform.Default()
	p.Noise = platform.Noise{InterferenceAlpha: 2, InterferenceMax: 1, DriftPeriodS: 1}
	p.ColdStart.FirstInvocationSlowdown = 1
	p.Hop = platform.Hop{}
	return p
}

// single is a one-function pipeline with an inline profile.
func single(t testing.TB, prof fnmodel.Profile) *pipeline.DAG {
	t.Helper()
	dag, err := pipeline.Compile(&pipeline.Spec{Name: "single", Functions: []pipeline.Function{{Name: "f", Profile: &prof}}})
	if err != nil {
		t.Fatal(err)
	}
	return dag
}

func builtin(t testing.TB, name string) *pipeline.DAG {
	t.Helper()
	dag, err := pipeline.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return dag
}

func newSim(t testing.TB, p *platform.Profile, dag *pipeline.DAG, seed uint64, mb int) *Sim {
	t.Helper()
	s, err := New(p, dag, seed)
	if err != nil {
		t.Fatal(err)
	}
	c := backend.Config{}
	for _, n := range dag.Names() {
		c[n] = mb
	}
	if err := s.Apply(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return s
}

// digest hashes every field of every record.
type digest struct {
	h     [32]byte
	sum   []byte
	count int
	recs  []backend.Record
	keep  bool
}

func (d *digest) Record(r *backend.Record) {
	var b [8 * 12]byte
	for i, v := range []uint64{r.InvocationID, r.RequestID, uint64(r.Node), uint64(r.Instance), uint64(r.Start),
		uint64(r.Duration), uint64(r.BilledMs), uint64(r.MemoryMB), uint64(r.MaxMemoryMB), uint64(r.InitDuration),
		uint64(r.Status), math.Float64bits(r.CostUSD)} {
		binary.LittleEndian.PutUint64(b[i*8:], v)
	}
	d.h = sha256.Sum256(append(d.h[:], b[:]...))
	d.count++
	if d.keep {
		d.recs = append(d.recs, *r)
	}
}

func TestDeterminism(t *testing.T) {
	run := func(seed uint64) ([32]byte, backend.RunStats) {
		s := newSim(t, platform.Default(), builtin(t, "face-beautification"), seed, 2048)
		var d digest
		in := video.Reference
		in.Faces = 3
		st, err := s.Run(context.Background(), backend.Workload{Source: newPoisson(5, 7, in, 0), Duration: 120e6}, &d)
		if err != nil {
			t.Fatal(err)
		}
		if d.count == 0 {
			t.Fatal("no records")
		}
		return d.h, st
	}
	a, sa := run(1)
	b, sb := run(1)
	c, _ := run(2)
	if a != b || sa != sb {
		t.Fatalf("same seed gave different output: %x vs %x", a[:8], b[:8])
	}
	if a == c {
		t.Fatal("different seeds gave identical output")
	}
}

// With one environment, Poisson arrivals at rate λ and keep-alive T, a request
// is cold when the gap since the previous invocation ended exceeds T:
// P(cold) = exp(−λ(T + s)) for service time s ≪ 1/λ (memoryless arrivals).
func TestColdStartFractionMatchesAnalytic(t *testing.T) {
	p := quiet()
	p.KeepAliveS = 600
	s := newSim(t, p, single(t, fnmodel.Profile{Runtime: "go", CPUMs: 100, Threads: 1, WorkingSetMB: 10}), 3, 1769)
	const lambda = 1.0 / 600 // per second: mean gap equals the keep-alive
	const n = 20000
	st, err := s.Run(context.Background(), backend.Workload{Source: newPoisson(lambda, 11, video.Reference, n)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	service := 0.1 // s at 1 vCPU, plus negligible S3 time
	want := math.Exp(-lambda * (p.KeepAliveS + service))
	got := float64(st.ColdStarts) / float64(st.Invocations)
	// Binomial standard error sqrt(p(1−p)/n) ≈ 0.0034; allow 4 of them.
	tol := 4 * math.Sqrt(want*(1-want)/n)
	if math.Abs(got-want) > tol {
		t.Fatalf("cold fraction %.4f, analytic %.4f ± %.4f", got, want, tol)
	}
}

// AWS's pricing example: 512 MB, 3 million invocations of 1 s each cost
// 1.5 M GB-s × $0.0000166667 = $25.00 plus 3 M × $0.20/M = $0.60.
func TestBillingMatchesAWSFormula(t *testing.T) {
	p := platform.Default()
	one := p.Cost(p.BilledMs(1_000_000), 512)
	total := one * 3e6
	if math.Round(total*100) != 2560 {
		t.Fatalf("3M × 1 s at 512 MB = $%.4f, want $25.60", total)
	}
	// Rounding up to 1 ms: 1.0001 ms bills 2 ms, 1 ms bills 1 ms.
	if p.BilledMs(1001) != 2 || p.BilledMs(1000) != 1 || p.BilledMs(0) != 0 {
		t.Fatalf("billing granularity: %d %d %d", p.BilledMs(1001), p.BilledMs(1000), p.BilledMs(0))
	}
	arm := *p
	arm.Arch = "arm64"
	if got := arm.Cost(1000, 1024) - arm.Price.PerRequest; math.Abs(got-0.0000133334) > 1e-12 {
		t.Fatalf("arm64 1 GB-s = %v", got)
	}

	// A simulated invocation bills ceil(duration) and costs by the formula.
	s := newSim(t, quiet(), single(t, fnmodel.Profile{Runtime: "go", CPUMs: 123.4567, Threads: 1}), 1, 1024)
	d := &digest{keep: true}
	if _, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: []int64{0, 10e6}, in: video.Reference}}, d); err != nil {
		t.Fatal(err)
	}
	for _, r := range d.recs {
		// INIT is billed (AWS since 1 August 2025): a cold invocation bills
		// its init duration too.
		if want := (r.Duration + r.InitDuration + 999) / 1000; r.BilledMs != want {
			t.Errorf("billed %d ms for %d µs (init %d µs), want %d", r.BilledMs, r.Duration, r.InitDuration, want)
		}
		if want := float64(r.BilledMs)/1000*1*0.0000166667 + 0.2e-6; math.Abs(r.CostUSD-want) > 1e-15 {
			t.Errorf("cost %v, want %v", r.CostUSD, want)
		}
	}
}

// A pure-CPU single-threaded function takes W/c below one vCPU (time-sliced)
// and W above it.
func TestCPUShareAndTimeSlicing(t *testing.T) {
	p := quiet()
	prof := fnmodel.Profile{Runtime: "go", CPUMs: 1000, Threads: 1}
	for _, tc := range []struct {
		mb   int
		want float64 // ms
	}{
		{128, 1000 * 1769.0 / 128},
		{885, 1000 * 1769.0 / 885},
		{1769, 1000},
		{3538, 1000},
		{10240, 1000},
	} {
		s := newSim(t, p, single(t, prof), 1, tc.mb)
		got, fits, err := s.MeanDurationUs("f", video.Reference)
		if err != nil || !fits {
			t.Fatal(err, fits)
		}
		if math.Abs(got/1000-tc.want) > 1e-6*tc.want {
			t.Errorf("%d MB: %.3f ms, want %.3f", tc.mb, got/1000, tc.want)
		}
	}
	// A fully parallel function with 6 threads uses its whole share (a
	// fractional CFS share over the threads), up to the visible cores.
	par := fnmodel.Profile{Runtime: "go", CPUMs: 6000, ParallelFraction: 1, Threads: 6}
	at := func(mb int) float64 {
		s := newSim(t, p, single(t, par), 1, mb)
		us, _, _ := s.MeanDurationUs("f", video.Reference)
		return us / 1000
	}
	for _, mb := range []int{3538, 5000, 10240} {
		if got, want := at(mb), 6000/(float64(mb)/1769); math.Abs(got-want) > 1e-6*want {
			t.Errorf("%d MB: %.3f ms, want %.3f", mb, got, want)
		}
	}
	// Two threads flatten at two vCPUs (3,538 MB).
	two := fnmodel.Profile{Runtime: "go", CPUMs: 6000, ParallelFraction: 1, Threads: 2}
	s := newSim(t, p, single(t, two), 1, 8000)
	if us, _, _ := s.MeanDurationUs("f", video.Reference); math.Abs(us/1000-3000) > 1e-6 {
		t.Errorf("two threads at 8,000 MB: %.3f ms, want 3000", us/1000)
	}
}

// Latency never rises with memory for a CPU-bound function, and it keeps
// falling above one vCPU while the threads can use the share: no stairs (the
// measured functions show none; see fnmodel's package doc).
func TestNoStairs(t *testing.T) {
	p := platform.Default()
	prof := fnmodel.Profile{Runtime: "go", CPUMs: 8000, ParallelFraction: 0.9, Threads: 2, AutoThreads: true, WorkingSetMB: 64}
	var prev float64 = math.Inf(1)
	for _, mb := range p.Grid() {
		s := newSim(t, p, single(t, prof), 1, mb)
		us, _, _ := s.MeanDurationUs("f", video.Reference)
		if us > prev*(1+1e-12) {
			t.Fatalf("%d MB: %.1f ms is slower than the smaller size's %.1f ms", mb, us/1000, prev/1000)
		}
		if mb > 1769 && mb < 4096 {
			if drop := (prev - us) / prev; drop <= 0 || drop > 0.10 {
				t.Fatalf("%d MB: a step of %.1f %% from the size below, want a smooth gain", mb, 100*drop)
			}
		}
		prev = us
	}
}

func TestBadInput(t *testing.T) {
	s := newSim(t, platform.Default(), builtin(t, "face-detection"), 1, 1024)
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  backend.Config
		want string
	}{
		{backend.Config{"decode": 64}, "valid sizes are 128–10240 MB"},
		{backend.Config{"decode": 20000}, "valid sizes are 128–10240 MB"},
		{backend.Config{"nope": 1024}, `unknown function "nope"`},
	} {
		err := s.Apply(ctx, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%v) = %v, want error containing %q", tc.cfg, err, tc.want)
		}
	}
	if s.Config()["decode"] != 1024 {
		t.Error("a rejected configuration changed the memory")
	}
	bad := video.Reference
	bad.FPS = math.NaN()
	if _, err := s.Run(ctx, backend.Workload{Source: &fixed{at: []int64{0}, in: bad}}, nil); err == nil || !strings.Contains(err.Error(), "fps") {
		t.Errorf("NaN fps: %v", err)
	}
	if _, err := s.Run(ctx, backend.Workload{Source: &fixed{at: []int64{5, 1}, in: video.Reference}}, nil); err == nil || !strings.Contains(err.Error(), "not time-sorted") {
		t.Errorf("unsorted source: %v", err)
	}
	if _, err := s.Profile(ctx, "nope", video.Reference); err == nil {
		t.Error("profile of unknown function succeeded")
	}
}

// Keep-alive, memory change and warm reuse, on a single function with
// requests spaced far apart.
func TestEnvironmentLifecycle(t *testing.T) {
	p := quiet()
	p.KeepAliveS = 600
	s := newSim(t, p, single(t, fnmodel.Profile{Runtime: "python", CPUMs: 50, Threads: 1}), 1, 1024)
	ctx := context.Background()
	cold := func(at ...int64) []bool {
		d := &digest{keep: true}
		if _, err := s.Run(ctx, backend.Workload{Source: &fixed{at: at, in: video.Reference}}, d); err != nil {
			t.Fatal(err)
		}
		var out []bool
		for _, r := range d.recs {
			out = append(out, r.Cold())
		}
		return out
	}
	// First cold; 5 min later warm; 11 min after that cold again.
	got := cold(0, 300e6, 300e6+660e6)
	if fmt.Sprint(got) != "[true false true]" {
		t.Fatalf("keep-alive: cold = %v, want [true false true]", got)
	}
	// Next run starts right after: warm.
	if got := cold(1e6); fmt.Sprint(got) != "[false]" {
		t.Fatalf("warm reuse across runs: %v", got)
	}
	// A memory change retires the environment.
	if err := s.Apply(ctx, backend.Config{"f": 2048}); err != nil {
		t.Fatal(err)
	}
	if got := cold(1e6); fmt.Sprint(got) != "[true]" {
		t.Fatalf("after memory change: %v, want cold", got)
	}
}

func TestOutOfMemoryFailsRequest(t *testing.T) {
	s := newSim(t, platform.Default(), builtin(t, "face-detection"), 1, 1024)
	// Every real function fits in 128 MB on 1080p, 5 s; hd's calibrated
	// working set grows with the frames, so a 4K minute does not.
	big := video.Reference
	big.Width, big.Height, big.Seconds = 3840, 2160, 60
	if err := s.Apply(context.Background(), backend.Config{"hd": 128}); err != nil {
		t.Fatal(err)
	}
	d := &digest{keep: true}
	var done []uint64
	s.RequestDone = func(id uint64, e2eUs int64, failed bool) {
		if !failed {
			t.Errorf("request %d reported done, want failed", id)
		}
		done = append(done, id)
	}
	st, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: []int64{0, 600e6}, in: big}}, d)
	if err != nil {
		t.Fatal(err)
	}
	if st.Failed != 2 || st.Completed != 0 {
		t.Fatalf("failed %d completed %d, want 2 failed", st.Failed, st.Completed)
	}
	if len(done) != 2 || done[0] != 1 || done[1] != 2 {
		t.Errorf("RequestDone saw %v, want requests 1 and 2", done)
	}
	oom := 0
	for _, r := range d.recs {
		if r.Function == "hd" && r.Status == backend.OOM {
			oom++
			if r.MaxMemoryMB != 128 {
				t.Errorf("OOM record max memory %d, want 128", r.MaxMemoryMB)
			}
		}
		if r.Function == "encode" {
			t.Error("encode ran after its predecessor failed")
		}
	}
	if oom != 2 {
		t.Fatalf("%d OOM records, want 2", oom)
	}
}

func TestFanOutFollowsFaces(t *testing.T) {
	for _, faces := range []int{0, 1, 3, 20} {
		s := newSim(t, platform.Default(), builtin(t, "face-beautification"), 1, 3008)
		in := video.Reference
		in.Faces = faces
		d := &digest{keep: true}
		st, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: []int64{0}, in: in}}, d)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range d.recs {
			if r.Function == "beautify" {
				n++
			}
		}
		want := min(faces, 8) // fanout_max: 8
		if n != want || st.Completed != 1 {
			t.Errorf("faces=%d: %d beautify invocations (want %d), completed %d", faces, n, want, st.Completed)
		}
	}
}

// A burst above the account limit is throttled and retried; with no retries
// the excess fails.
func TestThrottling(t *testing.T) {
	p := platform.Default()
	p.Concurrency.Account = 10
	p.Concurrency.Retries = 0
	dag := single(t, fnmodel.Profile{Runtime: "go", CPUMs: 1000, Threads: 1})
	s := newSim(t, p, dag, 1, 1769)
	at := make([]int64, 30)
	st, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: at, in: video.Reference}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Throttled != 20 || st.Failed != 20 || st.Completed != 10 {
		t.Fatalf("throttled %d failed %d completed %d, want 20/20/10", st.Throttled, st.Failed, st.Completed)
	}
	p.Concurrency.Retries = 5
	s = newSim(t, p, dag, 1, 1769)
	st, err = s.Run(context.Background(), backend.Workload{Source: &fixed{at: make([]int64, 30), in: video.Reference}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Throttled == 0 || st.Completed != 30 {
		t.Fatalf("with retries: throttled %d completed %d, want all 30 completed", st.Throttled, st.Completed)
	}
}

// Per-function scale-up: at most ScaleUpPerWindow new environments per window.
func TestScaleUpLimit(t *testing.T) {
	p := platform.Default()
	p.Concurrency.ScaleUpPerWindow = 5
	p.Concurrency.Retries = 0
	s := newSim(t, p, single(t, fnmodel.Profile{Runtime: "go", CPUMs: 1000, Threads: 1}), 1, 1769)
	st, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: make([]int64, 8), in: video.Reference}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.ColdStarts != 5 || st.Throttled != 3 {
		t.Fatalf("cold %d throttled %d, want 5 and 3", st.ColdStarts, st.Throttled)
	}
}

func TestCancel(t *testing.T) {
	s := newSim(t, platform.Default(), builtin(t, "face-detection"), 1, 2048)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Run(ctx, backend.Workload{Source: newPoisson(1000, 1, video.Reference, 0), Duration: 3600e6}, nil)
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("cancelled run: %v", err)
	}
}

// Per-invocation records carry the REPORT fields consistently.
func TestRecordsAreConsistent(t *testing.T) {
	s := newSim(t, platform.Default(), builtin(t, "autoclip"), 5, 2048)
	d := &digest{keep: true}
	st, err := s.Run(context.Background(), backend.Workload{Source: newPoisson(2, 3, video.Reference, 200)}, d)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(d.recs)) != st.Invocations || st.Invocations != 8*st.Requests {
		t.Fatalf("%d records, %d invocations, %d requests", len(d.recs), st.Invocations, st.Requests)
	}
	var cost float64
	for _, r := range d.recs {
		cost += r.CostUSD
		if r.MemoryMB != 2048 || r.MaxMemoryMB > r.MemoryMB || r.Duration <= 0 || r.BilledMs*1000 < r.Duration {
			t.Fatalf("inconsistent record %+v", r)
		}
	}
	if math.Abs(cost-st.CostUSD) > 1e-12 {
		t.Fatalf("record costs sum to %v, stats say %v", cost, st.CostUSD)
	}
	if !(st.E2E.P50 <= st.E2E.P95 && st.E2E.P95 <= st.E2E.P99 && st.E2E.P99 <= st.E2E.Max) {
		t.Fatalf("percentiles out of order: %+v", st.E2E)
	}
}

// A table-driven function draws its times from the measured samples (scaled by
// the clip), with no model noise added.
func TestTableDrivenFunction(t *testing.T) {
	tb := &fnmodel.Table{Runtime: "go", WorkingSetMB: 100, Input: video.Reference, Scale: fnmodel.Scale{Pixels: 1},
		Rows: []fnmodel.Row{{MemoryMB: 128, SamplesMs: []float64{400, 500, 600}}, {MemoryMB: 1024, SamplesMs: []float64{100, 110, 120}}}}
	dag, err := pipeline.Compile(&pipeline.Spec{Name: "t", Functions: []pipeline.Function{{Name: "m", Table: tb}}})
	if err != nil {
		t.Fatal(err)
	}
	p := quiet()
	s := newSim(t, p, dag, 1, 1024)
	d := &digest{keep: true}
	half := video.Reference
	half.Width, half.Height = 1920, 540 // half the pixels: half the time
	if _, err := s.Run(context.Background(), backend.Workload{Source: newPoisson(0.01, 1, half, 200)}, d); err != nil {
		t.Fatal(err)
	}
	perByte, perObj := fnmodel.Transfer(p, 1024)
	transfer := half.EncodedBytes()*perByte + 2*perObj
	for _, r := range d.recs {
		exec := float64(r.Duration) - transfer
		if exec < 50e3-2 || exec > 60e3+2 { // samples 100–120 ms, halved
			t.Fatalf("table-driven duration %v µs outside the halved samples", exec)
		}
	}
	if err := s.Apply(context.Background(), backend.Config{"m": 2048}); err == nil || !strings.Contains(err.Error(), "outside the measured range") {
		t.Fatalf("memory beyond the table: %v", err)
	}
	if _, err := s.Profile(context.Background(), "m", video.Reference); err == nil || !strings.Contains(err.Error(), "table-driven") {
		t.Fatalf("profile of a table-driven function: %v", err)
	}
}

// The oracle's WarmUs is the engine's ground truth: on a noiseless platform a
// warm invocation lasts exactly WarmUs.
func TestWarmUsMatchesEngine(t *testing.T) {
	dag := builtin(t, "face-beautification")
	s := newSim(t, quiet(), dag, 1, 2048)
	in := video.Reference
	in.Faces = 2
	d := &digest{keep: true}
	if _, err := s.Run(context.Background(), backend.Workload{Source: &fixed{at: []int64{0, 120e6}, in: in}}, d); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range d.recs {
		if r.RequestID != 2 {
			continue
		}
		if r.Cold() {
			t.Fatalf("%s cold on the second request", r.Function)
		}
		want, fits, err := s.WarmUs(int(r.Node), 2048, in, Draw{Interference: 1})
		if err != nil || !fits {
			t.Fatal(err, fits)
		}
		if math.Abs(float64(r.Duration)-want) > 1 {
			t.Errorf("%s: engine %d µs, WarmUs %.0f µs", r.Function, r.Duration, want)
		}
		checked++
	}
	if checked != 8 { // 6 plain nodes + 2 beautify instances
		t.Fatalf("checked %d invocations", checked)
	}
}
