package baselines

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

// poisson is a Poisson stream of the reference clip.
type poisson struct {
	rng   *rand.Rand
	perUs float64
	t     float64
}

func newPoisson(perSecond float64, seed uint64) *poisson {
	return &poisson{rng: rand.New(rand.NewPCG(seed, 0x706f6973)), perUs: perSecond / 1e6}
}

func (p *poisson) Next(r *backend.Request) bool {
	p.t += p.rng.ExpFloat64() / p.perUs
	r.At, r.Input = int64(p.t), video.Reference
	return true
}

// setup builds face-detection on the default platform: a fresh simulator
// (so that two runs with one seed start from the same state), its ground
// truth and a problem at the given bound, measured at 1 request/s.
func setup(tb testing.TB, seed uint64, bound float64) (*tuner.Problem, *oracle.Oracle) {
	tb.Helper()
	return setupPipeline(tb, "face-detection", seed, bound)
}

func setupPipeline(tb testing.TB, name string, seed uint64, bound float64) (*tuner.Problem, *oracle.Oracle) {
	tb.Helper()
	dag, err := pipeline.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	plat := platform.Default()
	s, err := sim.New(plat, dag, seed)
	if err != nil {
		tb.Fatal(err)
	}
	orc, err := oracle.New(s, plat.Grid(), []video.Input{video.Reference}, 64, seed)
	if err != nil {
		tb.Fatal(err)
	}
	cmin, _, err := orc.CMin()
	if err != nil {
		tb.Fatal(err)
	}
	env := tuner.NewEnv(s, func(k uint64) backend.Source { return newPoisson(1, k) }, seed)
	return &tuner.Problem{Pipeline: dag, Platform: plat, Grid: plat.Grid(), Bound: bound, CMin: cmin, Seed: seed, Env: env}, orc
}

// optimum caches the exhaustive optimum of face-detection per (seed, bound).
var optimum = struct {
	sync.Mutex
	m map[string]oracle.Optimum
}{m: map[string]oracle.Optimum{}}

func exhaustive(t *testing.T, orc *oracle.Oracle, seed uint64, cbound float64) oracle.Optimum {
	t.Helper()
	key := fmt.Sprint(seed, cbound)
	optimum.Lock()
	defer optimum.Unlock()
	if o, ok := optimum.m[key]; ok {
		return o
	}
	o, err := orc.Exhaustive(context.Background(), cbound, 0)
	if err != nil {
		t.Fatal(err)
	}
	optimum.m[key] = o
	return o
}

type tunerCase struct {
	tuner tuner.Tuner
	// evals checks the evaluation count of a result.
	evals func(t *testing.T, p *tuner.Problem, r *tuner.Result)
	long  bool
}

func invocations(r *tuner.Result) int {
	n := 0
	for _, ev := range r.Trace {
		if ev.Kind == "invoke" {
			for _, f := range ev.Functions {
				n += f.Invocations
			}
		}
	}
	return n
}

func pipelineRuns(r *tuner.Result) int {
	n := 0
	for _, ev := range r.Trace {
		if ev.Kind == "pipeline" {
			n++
		}
	}
	return n
}

func wantRuns(want int) func(*testing.T, *tuner.Problem, *tuner.Result) {
	return func(t *testing.T, _ *tuner.Problem, r *tuner.Result) {
		if r.Evaluations != want || pipelineRuns(r) != want {
			t.Errorf("%d evaluations, %d pipeline runs in the trace; want %d", r.Evaluations, pipelineRuns(r), want)
		}
	}
}

// stageEvals checks CharmSeeker's count: E invocations of every stage on
// its own, E observations reported per function; a stage stops when its
// grid is exhausted (ConsBO exits with no candidate left).
func stageEvals(iterations int) func(*testing.T, *tuner.Problem, *tuner.Result) {
	return func(t *testing.T, p *tuner.Problem, r *tuner.Result) {
		E := min(iterations, len(p.Grid))
		n := len(p.Pipeline.Nodes)
		per := map[string]int{}
		for _, ev := range r.Trace {
			if ev.Kind == "invoke" {
				per[ev.Function]++
			}
		}
		if r.Evaluations != n*E || pipelineRuns(r) != 0 {
			t.Errorf("%d evaluations, %d pipeline runs; want %d stage invocations and none", r.Evaluations, pipelineRuns(r), n*E)
		}
		for _, fn := range p.Pipeline.Names() {
			if per[fn] != E || r.Observations[fn] != E {
				t.Errorf("%s: %d invocations in the trace, %d observations reported; want %d", fn, per[fn], r.Observations[fn], E)
			}
		}
	}
}

func tunerCases() []tunerCase {
	powerTuning := func(t *testing.T, p *tuner.Problem, r *tuner.Result) {
		// 5 invocations of every value of every function, in series: a
		// value stops at its first failed invocation (executor.js throws).
		type value struct {
			fn string
			mb int
		}
		made, failedAt := map[value]int{}, map[value]int{}
		for _, ev := range r.Trace {
			for fn, f := range ev.Functions {
				v := value{fn, ev.Config[fn]}
				made[v] += f.Invocations
				if f.Failures > 0 && failedAt[v] == 0 {
					failedAt[v] = made[v]
				}
			}
		}
		if len(made) != len(p.Grid)*len(p.Pipeline.Nodes) {
			t.Errorf("%d (function, memory) values invoked, want %d", len(made), len(p.Grid)*len(p.Pipeline.Nodes))
		}
		for v, n := range made {
			if at := failedAt[v]; at > 0 && n != at || at == 0 && n != ptNum {
				t.Errorf("%s at %d MB: %d invocations, first failure at %d; want %d, or up to the first failure", v.fn, v.mb, n, at, ptNum)
			}
		}
		if r.Evaluations != invocations(r) {
			t.Errorf("%d evaluations, %d invocations in the trace", r.Evaluations, invocations(r))
		}
	}
	return []tunerCase{
		// face-detection has 4 stages: E = 20 (sbo_main.py).
		{tuner: CharmSeeker{}, evals: stageEvals(20)},
		{tuner: CharmSeeker{Iterations: 40}, evals: stageEvals(40), long: true},
		// 10 initial points + 20 batches of 3.
		{tuner: Aquatope{}, evals: wantRuns(70)},
		{tuner: Aquatope{Fixed: true}, evals: wantRuns(70)},
		{tuner: PowerTuning{}, evals: powerTuning},
		{tuner: PowerTuning{Strategy: "cost"}, evals: powerTuning, long: true},
		{tuner: PowerTuning{Strategy: "speed"}, evals: powerTuning, long: true},
		{tuner: Parrotfish{}, evals: func(t *testing.T, p *tuner.Problem, r *tuner.Result) {
			// 3 to 6 sizes per function, each 4 invocations plus at most 8
			// dynamic ones; failed first sizes add 4 each.
			n := len(p.Pipeline.Nodes)
			if r.Evaluations != invocations(r) || r.Evaluations < 3*4*n || r.Evaluations > len(p.Grid)*12*n {
				t.Errorf("%d evaluations, %d invocations in the trace", r.Evaluations, invocations(r))
			}
		}},
	}
}

// comparable strips what depends on the wall clock (At includes the
// tuner's own compute time).
func comparableTrace(tr []tuner.Evaluation) []tuner.Evaluation {
	out := make([]tuner.Evaluation, len(tr))
	for i, ev := range tr {
		ev.At = 0
		out[i] = ev
	}
	return out
}

// nanEqual compares traces treating NaN as equal to NaN.
func nanEqual(a, b []tuner.Evaluation) bool {
	return reflect.DeepEqual(fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b))
}

func TestTuners(t *testing.T) {
	const seed, bound = 7, 0.3
	for _, tc := range tunerCases() {
		name := tc.tuner.Name()
		if cs, ok := tc.tuner.(CharmSeeker); ok && cs.Iterations > 0 {
			name = fmt.Sprintf("%s/iterations=%d", name, cs.Iterations)
		}
		t.Run(name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("long case")
			}
			p, orc := setup(t, seed, bound)
			r, err := tc.tuner.Tune(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tuner != tc.tuner.Name() {
				t.Errorf("result names %q, tuner %q", r.Tuner, tc.tuner.Name())
			}
			for _, fn := range p.Pipeline.Names() {
				if !slices.Contains(p.Grid, r.Config[fn]) {
					t.Errorf("%s at %d MB: not on the grid", fn, r.Config[fn])
				}
			}
			if len(r.Config) != len(p.Pipeline.Nodes) {
				t.Errorf("config %v has %d functions, want %d", r.Config, len(r.Config), len(p.Pipeline.Nodes))
			}
			tc.evals(t, p, r)
			if !(r.SearchSeconds > 0 && r.MeasureSeconds > 0 && r.ComputeSeconds > 0 && r.SearchUSD > 0) {
				t.Errorf("accounting %+v: want positive search, measure and compute seconds and dollars", r.Accounting)
			}
			if len(r.Trace) == 0 {
				t.Fatal("empty trace")
			}
			if _, ok := p.Env.Backend.(*sim.Sim); !ok {
				t.Errorf("the environment's backend is %T after the search, want the simulator back", p.Env.Backend)
			}
			failed := 0
			for _, ev := range r.Trace {
				for _, f := range ev.Functions {
					failed += f.Failures
				}
			}

			// Determinism: same seed, same configuration and trace.
			p2, _ := setup(t, seed, bound)
			r2, err := tc.tuner.Tune(context.Background(), p2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Config, r2.Config) || r.Evaluations != r2.Evaluations || r.Feasible != r2.Feasible || r.Note != r2.Note {
				t.Errorf("two runs with seed %d differ: %v (%d, %v) and %v (%d, %v)", seed, r.Config, r.Evaluations, r.Feasible, r2.Config, r2.Evaluations, r2.Feasible)
			}
			if !nanEqual(comparableTrace(r.Trace), comparableTrace(r2.Trace)) {
				t.Errorf("two runs with seed %d recorded different traces", seed)
			}

			// Regret against the exhaustive optimum, reported, not asserted:
			// baselines get their full strength, not a target.
			truth, err := orc.Evaluate(r.Config)
			if err != nil {
				t.Fatal(err)
			}
			opt := exhaustive(t, orc, seed, p.CBound())
			t.Logf("%s: %v believed feasible %v; truth %.0f ms, %.4g USD (bound %.4g, meets %v); optimum %.0f ms: regret %+.1f %%; "+
				"%d evaluations (%s), %d failed invocations recorded; search %.0f s (compute %.3f s), %.4f USD; %s",
				tc.tuner.Name(), r.Config, r.Feasible, truth.LatencyMs, truth.CostUSD, p.CBound(), truth.Fits && truth.CostUSD <= p.CBound(),
				opt.LatencyMs, 100*(truth.LatencyMs/opt.LatencyMs-1), r.Evaluations, r.Unit, failed, r.SearchSeconds, r.ComputeSeconds, r.SearchUSD, r.Note)
		})
	}
}

// TestCharmSeekerEvaluations: E = 12 for pipelines of 5 or more stages
// (sbo_main.py), 20 below, or Iterations; every stage gets its E.
func TestCharmSeekerEvaluations(t *testing.T) {
	for _, c := range []struct {
		pipeline   string
		iterations int
		want       int
	}{
		{"face-beautification", 0, 12}, // 7 functions
		{"autoclip", 0, 12},            // 8 functions
		{"face-detection", 5, 5},       // fewer than the 6 cost steps: cost step only
	} {
		p, _ := setupPipeline(t, c.pipeline, 11, 0.5)
		r, err := CharmSeeker{Iterations: c.iterations}.Tune(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		n := len(p.Pipeline.Nodes)
		if r.Evaluations != n*c.want {
			t.Errorf("%s, iterations %d: %d evaluations; want %d stages × %d", c.pipeline, c.iterations, r.Evaluations, n, c.want)
		}
		for _, fn := range p.Pipeline.Names() {
			if r.Observations[fn] != c.want {
				t.Errorf("%s, iterations %d: %s has %d observations, want %d", c.pipeline, c.iterations, fn, r.Observations[fn], c.want)
			}
		}
	}
}

// TestCharmSeekerChargesParallelStages: the stages run as parallel
// processes, so the time charged is below the sum of the invocations'
// times (by about the number of stages) and at least the longest stage's;
// every invocation's dollars are charged.
func TestCharmSeekerChargesParallelStages(t *testing.T) {
	p, _ := setup(t, 5, 0.3)
	r, err := CharmSeeker{}.Tune(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var sum, usd float64
	perStage := map[string]float64{}
	for _, ev := range r.Trace {
		sum += ev.Seconds
		usd += ev.USD
		perStage[ev.Function] += ev.Seconds
	}
	var longest float64
	for _, s := range perStage {
		longest = max(longest, s)
	}
	if !(r.MeasureSeconds >= longest*(1-1e-9) && r.MeasureSeconds < sum) {
		t.Errorf("charged %.1f s; the longest stage took %.1f s, all invocations %.1f s", r.MeasureSeconds, longest, sum)
	}
	// The same float64 values summed in another order: 1e-9 relative.
	if math.Abs(r.SearchUSD-usd) > 1e-9*usd {
		t.Errorf("charged $%g, the invocations cost $%g", r.SearchUSD, usd)
	}
	t.Logf("charged %.1f s of %.1f s of invocations (longest stage %.1f s), $%.4f", r.MeasureSeconds, sum, longest, r.SearchUSD)
}

// TestFailuresAreRecorded: memory below a function's working set fails its
// invocations; the sweep records them and goes on.
func TestFailuresAreRecorded(t *testing.T) {
	p, _ := setup(t, 3, 0.5)
	r, err := PowerTuning{Strategy: "cost"}.Tune(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	failedAt := map[string]bool{}
	for _, ev := range r.Trace {
		for fn, f := range ev.Functions {
			if f.Failures > 0 {
				failedAt[fn] = true
				if ev.Config[fn] >= r.Config[fn] {
					t.Errorf("%s failed at %d MB but was picked at %d MB", fn, ev.Config[fn], r.Config[fn])
				}
			}
		}
	}
	// Every function whose working set exceeds 128 MB (by the simulator's
	// ground truth on the environment's clip) has failures recorded there.
	s, err := sim.New(p.Platform, p.Pipeline, 1)
	if err != nil {
		t.Fatal(err)
	}
	oom := 0
	for _, fn := range p.Pipeline.Names() {
		if err := s.Apply(context.Background(), backend.Config{fn: 128}); err != nil {
			t.Fatal(err)
		}
		_, fits, err := s.MeanDurationUs(fn, p.Env.Input)
		if err != nil {
			t.Fatal(err)
		}
		if !fits {
			oom++
			if !failedAt[fn] {
				t.Errorf("%s: runs out of memory at 128 MB but no failed invocation was recorded", fn)
			}
		}
	}
	if oom == 0 {
		t.Fatal("no face-detection function runs out of memory at 128 MB: the test needs one")
	}
}

func TestTrimmedMean(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{5, 1, 3, 100, 2}, 10.0 / 3}, // 5 values: drop 1 at each end
		{[]float64{4, 2}, 3},                   // ⌊0.4⌋ = 0: plain mean
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 1000}, 5.5},
	} {
		if got := trimmedMean(c.v, 0.2); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("trimmedMean(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestPowerTuningStrategies(t *testing.T) {
	stats := []ptStat{
		{power: 128, cost: 2, duration: 100},
		{power: 256, cost: 2, duration: 60}, // cost tie: the faster wins
		{power: 512, cost: 3, duration: 30},
		{power: 1024, cost: 6, duration: 30}, // speed tie: the cheaper wins
	}
	for _, c := range []struct {
		strategy string
		want     int
	}{
		{"cost", 256},
		{"speed", 512},
		// balanced: 0.5·cost/6 + 0.5·duration/100 = 0.667, 0.467, 0.4, 0.65
		{"balanced", 512},
	} {
		if got := ptPick(stats, c.strategy).power; got != c.want {
			t.Errorf("%s picks %d MB, want %d", c.strategy, got, c.want)
		}
	}
}

func TestSobolOrderIsAPermutation(t *testing.T) {
	for skip := 1; skip <= 33; skip++ {
		o := sobolOrder(32, skip)
		s := slices.Clone(o)
		slices.Sort(s)
		for i, v := range s {
			if v != i {
				t.Fatalf("skip %d: order %v is not a permutation of 0..31", skip, o)
			}
		}
	}
	// Skip 1 starts at ½, ¾, ¼ of the grid (Spearmint's grid_seed = 1).
	if o := sobolOrder(32, 1); !slices.Equal(o[:3], []int{16, 24, 8}) {
		t.Errorf("first points %v, want [16 24 8]", o[:3])
	}
}

// TestCartesianPickMatchesEnumeration checks the branch and bound against
// plain enumeration on random small instances of face-detection's DAG.
func TestCartesianPickMatchesEnumeration(t *testing.T) {
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := len(dag.Nodes)
	for trial := 0; trial < 200; trial++ {
		opts := make([][]csOption, n)
		for i := range opts {
			for k := 0; k < 1+rng.IntN(6); k++ {
				opts[i] = append(opts[i], csOption{mb: 128 * (k + 1), cost: rng.Float64(), time: 1 + 100*rng.Float64()})
			}
		}
		budget := 0.5 + 2*rng.Float64()
		// Enumeration.
		best := math.Inf(1)
		idx := make([]int, n)
		w := make([]float64, n)
		var rec func(i int, cost float64)
		rec = func(i int, cost float64) {
			if i == n {
				if cost <= budget {
					best = min(best, criticalPath(dag, w))
				}
				return
			}
			for k, o := range opts[i] {
				idx[i], w[i] = k, o.time
				rec(i+1, cost+o.cost)
			}
		}
		rec(0, 0)
		pick, span, ok, capped := cartesianPick(dag, opts, budget)
		if capped {
			t.Fatal("capped on a small instance")
		}
		if ok != !math.IsInf(best, 1) {
			t.Fatalf("trial %d: found %v, enumeration found %v", trial, ok, best)
		}
		if !ok {
			continue
		}
		var cost float64
		for i, k := range pick {
			cost += opts[i][k].cost
			w[i] = opts[i][k].time
		}
		if cost > budget || math.Abs(span-best) > 1e-9 || math.Abs(criticalPath(dag, w)-best) > 1e-9 {
			t.Fatalf("trial %d: pick costs %v (budget %v), span %v; enumeration's best span %v", trial, cost, budget, span, best)
		}
	}
}

func TestCriticalNodes(t *testing.T) {
	dag, err := pipeline.Load("face-detection") // decode → {face-detect, hd} → encode
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{1, 1, 1, 1}
	hd, _ := dag.Lookup("hd")
	w[hd] = 5
	got := criticalNodes(dag, w)
	var names []string
	for _, i := range got {
		names = append(names, dag.Nodes[i].Name)
	}
	if !slices.Equal(names, []string{"decode", "hd", "encode"}) {
		t.Errorf("critical path %v, want decode hd encode", names)
	}
}

// TestParrotfishFit recovers the parameters of noiseless data.
func TestParrotfishFit(t *testing.T) {
	truth := func(mb float64) float64 { return 200 + 3000*math.Exp(-mb/600) }
	var pts [][2]float64
	for _, mb := range []float64{128, 1408, 4096, 768, 2048} {
		for k := 0; k < 4; k++ {
			pts = append(pts, [2]float64{mb, truth(mb)})
		}
	}
	m := fitParrotfish(pts)
	for _, mb := range []float64{128, 512, 1024, 3000, 4096} {
		// A noiseless fit of the true model family: 0.5 % is loose for
		// the optimiser's stopping tolerance.
		if got, want := m.time(mb), truth(mb); math.Abs(got-want) > 0.005*want {
			t.Errorf("t(%v) = %.1f, want %.1f", mb, got, want)
		}
	}
}
