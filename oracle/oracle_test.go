package oracle

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

func setup(t *testing.T, name string, p *platform.Profile) (*sim.Sim, *pipeline.DAG) {
	t.Helper()
	dag, err := pipeline.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(p, dag, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s, dag
}

// quiet switches off every source of randomness and the hop.
func quiet() *platform.Profile {
	p := platform.Default()
	p.Noise = platform.Noise{InterferenceAlpha: 2, InterferenceMax: 1, DriftPeriodS: 1}
	p.ColdStart.FirstInvocationSlowdown = 1
	p.Hop = platform.Hop{}
	return p
}

type lastE2E struct{ ends map[uint64]int64 }

func (l *lastE2E) Record(r *backend.Record) {
	if e := r.Start + r.Duration; e > l.ends[r.RequestID] {
		l.ends[r.RequestID] = e
	}
}

// On a noiseless platform the oracle's latency is the simulator's warm latency.
func TestEvaluateMatchesWarmSimulation(t *testing.T) {
	s, dag := setup(t, "face-beautification", quiet())
	in := video.Reference
	in.Faces = 3
	grid := []int{1769, 3008}
	o, err := New(s, grid, []video.Input{in}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := backend.Config{}
	for i, n := range dag.Names() {
		cfg[n] = grid[i%2]
	}
	truth, err := o.Evaluate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Warm the environments with one request, then measure the second.
	src := &twoRequests{in: in}
	st, err := s.Run(context.Background(), backend.Workload{Source: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = st
	st, err = s.Run(context.Background(), backend.Workload{Source: &twoRequests{in: in, one: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.ColdStarts != 0 {
		t.Fatalf("%d cold starts in the warm request", st.ColdStarts)
	}
	if math.Abs(st.E2E.Mean-truth.LatencyMs) > 0.01 {
		t.Fatalf("simulated warm latency %.3f ms, oracle %.3f ms", st.E2E.Mean, truth.LatencyMs)
	}
	if math.Abs(st.CostUSD-truth.CostUSD) > 1e-12 {
		t.Fatalf("simulated cost %v, oracle %v", st.CostUSD, truth.CostUSD)
	}
}

type twoRequests struct {
	in  video.Input
	one bool
	n   int
}

func (s *twoRequests) Next(r *backend.Request) bool {
	if s.n > 0 && s.one || s.n > 1 {
		return false
	}
	r.At, r.Input = int64(s.n)*1e6, s.in
	s.n++
	return true
}

// Exhaustive agrees with brute force over Evaluate, and C_min is a lower bound.
func TestExhaustiveAgainstBruteForce(t *testing.T) {
	s, dag := setup(t, "face-detection", platform.Default())
	grid := []int{1024, 1536, 1769, 2048, 3008, 4096}
	o, err := New(s, grid, []video.Input{video.Reference}, 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	cmin, cminCfg, err := o.CMin()
	if err != nil {
		t.Fatal(err)
	}
	if tr, _ := o.Evaluate(cminCfg); math.Abs(tr.CostUSD-cmin) > 1e-15 {
		t.Fatalf("C_min %v but its configuration costs %v", cmin, tr.CostUSD)
	}
	for _, x := range []float64{0.1, 0.3, 1} {
		bound := (1 + x) * cmin
		opt, err := o.Exhaustive(context.Background(), bound, 0)
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(1)
		everyConfig(dag, grid, func(cfg backend.Config) {
			tr, _ := o.Evaluate(cfg)
			if tr.Fits && tr.CostUSD < cmin*(1-1e-12) {
				t.Fatalf("%v costs %v below C_min %v", cfg, tr.CostUSD, cmin)
			}
			if tr.Fits && tr.CostUSD <= bound && tr.LatencyMs < best {
				best = tr.LatencyMs
			}
		})
		if math.Abs(opt.LatencyMs-best) > 1e-9*best {
			t.Fatalf("x=%v: exhaustive %.3f ms, brute force %.3f ms", x, opt.LatencyMs, best)
		}
		if opt.CostUSD > bound {
			t.Fatalf("optimum over the bound")
		}
	}
	if _, err := o.Exhaustive(context.Background(), cmin*0.5, 0); !errors.Is(err, ErrInfeasible) {
		t.Fatalf("bound below C_min: %v", err)
	}
}

// BenchmarkExhaustive32x4 is the target: the exact optimum over 32^4
// configurations under 30 s on one core.
func BenchmarkExhaustive32x4(b *testing.B) {
	dag, _ := pipeline.Load("face-detection")
	p := platform.Default()
	s, _ := sim.New(p, dag, 1)
	o, err := New(s, p.Grid(), []video.Input{video.Reference}, 256, 1)
	if err != nil {
		b.Fatal(err)
	}
	cmin, _, _ := o.CMin()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opt, err := o.Exhaustive(context.Background(), 1.3*cmin, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(opt.Visited), "configs")
	}
}

// The lower-bound pruning of Exhaustive keeps the exact answer on a DAG with
// a join and a fan-out node, where the path bound is loosest.
func TestExhaustivePrunedMatchesBruteForceWithFanOut(t *testing.T) {
	spec, err := pipeline.Parse([]byte(`{name: fan, functions: [{name: decode, model: decode}, {name: beautify, model: beautify, fanout: faces},
	  {name: roi, model: roi}, {name: encode, model: encode}],
	  edges: [[decode, beautify], [decode, roi], [beautify, encode], [roi, encode]]}`))
	if err != nil {
		t.Fatal(err)
	}
	dag, err := pipeline.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(platform.Default(), dag, 5)
	if err != nil {
		t.Fatal(err)
	}
	in := video.Reference
	in.Faces = 3
	grid := []int{512, 1024, 1769, 2048, 3008, 3584, 4096}
	o, err := New(s, grid, []video.Input{in}, 48, 5)
	if err != nil {
		t.Fatal(err)
	}
	cmin, _, err := o.CMin()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{0.05, 0.3, 2} {
		bound := (1 + x) * cmin
		opt, err := o.Exhaustive(context.Background(), bound, 0)
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(1)
		everyConfig(dag, grid, func(cfg backend.Config) {
			if tr, _ := o.Evaluate(cfg); tr.Fits && tr.CostUSD <= bound && tr.LatencyMs < best {
				best = tr.LatencyMs
			}
		})
		if math.Abs(opt.LatencyMs-best) > 1e-9*best {
			t.Fatalf("x=%v: exhaustive %.3f ms, brute force %.3f ms", x, opt.LatencyMs, best)
		}
	}
}

// everyConfig calls f with every configuration of dag's functions over grid.
func everyConfig(dag *pipeline.DAG, grid []int, f func(backend.Config)) {
	names := dag.Names()
	idx := make([]int, len(names))
	for {
		cfg := backend.Config{}
		for i, n := range names {
			cfg[n] = grid[idx[i]]
		}
		f(cfg)
		k := 0
		for ; k < len(idx); k++ {
			if idx[k]++; idx[k] < len(grid) {
				break
			}
			idx[k] = 0
		}
		if k == len(idx) {
			return
		}
	}
}
