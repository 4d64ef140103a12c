package navigator_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

// tuneOnce runs ConfigNavigator with the committed model on the simulator.
func tuneOnce(t testing.TB, pipe string, seed uint64) (*navigator.Navigator, *tuner.Result, *tuner.Problem, *oracle.Oracle) {
	t.Helper()
	plat := platform.Default()
	m, err := model.LoadFile(filepath.Join("..", "results", "reference", "model.json"), plat)
	if err != nil {
		t.Fatal(err)
	}
	dag, err := pipeline.Load(pipe)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(plat, dag, seed)
	if err != nil {
		t.Fatal(err)
	}
	orc, err := oracle.New(s, plat.Grid(), []video.Input{video.Reference}, 64, seed)
	if err != nil {
		t.Fatal(err)
	}
	cmin, _, err := orc.CMin()
	if err != nil {
		t.Fatal(err)
	}
	env := tuner.NewEnv(s, func(u uint64) backend.Source { return &steady{gap: 1e6} }, seed)
	p := &tuner.Problem{Pipeline: dag, Platform: plat, Grid: plat.Grid(), Bound: 0.5, CMin: cmin, Seed: seed, Env: env}
	n := &navigator.Navigator{Predictor: m.Predictor()}
	res, err := n.Tune(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return n, res, p, orc
}

// steady is one reference clip every gap µs.
type steady struct{ gap, t int64 }

func (s *steady) Next(r *backend.Request) bool {
	s.t += s.gap
	r.At, r.Input = s.t, video.Reference
	return true
}

func TestTuneWithModel(t *testing.T) {
	n, res, p, orc := tuneOnce(t, "face-beautification", 7)
	if res.Config == nil {
		t.Fatalf("no configuration: %s", res.Note)
	}
	// One profiling run per function plus at most MaxRuns (6) confirmation
	// runs: the paper's point is how few measurements it needs.
	if prof, runs := countKind(res, "profile"), countKind(res, "pipeline"); prof != len(p.Pipeline.Nodes) || runs < 1 || runs > 6 || runs != n.Confirmation().Runs {
		t.Errorf("%d profiling runs and %d pipeline runs (confirmation says %d), want %d and 1–6", prof, runs, n.Confirmation().Runs, len(p.Pipeline.Nodes))
	}
	truth, err := orc.Evaluate(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	// The confirmation measured it within the bound; the ground truth may
	// differ by measurement noise, not by more.
	if res.Feasible && truth.CostUSD > 1.05*p.CBound() {
		t.Errorf("truth cost %.8f is well over the bound %.8f", truth.CostUSD, p.CBound())
	}
	// Same seed, same answer.
	_, again, _, _ := tuneOnce(t, "face-beautification", 7)
	if again.Config.String() != res.Config.String() {
		t.Errorf("same seed, different configurations: %s vs %s", res.Config, again.Config)
	}

	// The model behind the answer, for the online controller: every grid
	// size, a finite time and cost where the answer put each function.
	beautify := func() []float64 {
		for _, nd := range p.Pipeline.Nodes {
			mb, ms, usd, ok := n.Curve(nd.Name)
			if !ok || len(mb) != len(p.Grid) || len(ms) != len(mb) || len(usd) != len(mb) {
				t.Fatalf("Curve(%s): ok %v, %d sizes, %d times, %d costs; want %d of each", nd.Name, ok, len(mb), len(ms), len(usd), len(p.Grid))
			}
			g := slices.Index(mb, res.Config[nd.Name])
			if g < 0 || !(ms[g] > 0) || !(usd[g] > 0) || math.IsInf(ms[g]+usd[g], 0) {
				t.Fatalf("Curve(%s) at the answer's %d MB: %v ms, $%v", nd.Name, res.Config[nd.Name], ms, usd)
			}
			if nd.Name == "beautify" {
				return usd
			}
		}
		t.Fatal("no beautify")
		return nil
	}
	if _, _, _, ok := n.Curve("no-such-function"); ok {
		t.Error("Curve of a function outside the pipeline: ok")
	}
	two := beautify()

	// Structure update: four faces instead of two; re-planned without
	// profiling or measuring.
	before := len(res.Trace)
	t0 := time.Now()
	cfg, err := n.Research(context.Background(), map[string]float64{"beautify": 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("re-search %v: %s", time.Since(t0), cfg)
	if len(cfg) != len(p.Pipeline.Nodes) {
		t.Fatalf("re-search config %s", cfg)
	}
	if len(p.Env.Trace()) != before {
		t.Error("re-search measured or profiled")
	}
	// The curve follows the re-search: four instances cost more than two.
	if four := beautify(); !(four[len(four)-1] > 1.5*two[len(two)-1]) {
		t.Errorf("beautify at %d MB after the re-search for 4 faces: $%.3g per request, before $%.3g", p.Grid[len(p.Grid)-1], four[len(four)-1], two[len(two)-1])
	}
}

func TestResearchBeforeTune(t *testing.T) {
	if _, err := (&navigator.Navigator{}).Research(context.Background(), nil); err == nil {
		t.Fatal("no error")
	}
}

func countKind(r *tuner.Result, kind string) int {
	n := 0
	for _, e := range r.Trace {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func BenchmarkResearch(b *testing.B) {
	n, _, _, _ := tuneOnce(b, "face-beautification", 7)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Research(ctx, map[string]float64{"beautify": float64(1 + i%5)}); err != nil {
			b.Fatal(err)
		}
	}
}

// withExtra is face-detection with one more function: a thumbnail scaler
// between decode and encode.
func withExtra(t testing.TB) *pipeline.DAG {
	t.Helper()
	base, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	spec := *base.Spec
	spec.Name = "face-detection+thumbnail"
	spec.Functions = append(append([]pipeline.Function(nil), spec.Functions...), pipeline.Function{Name: "thumbnail", Model: "scale"})
	spec.Edges = append(append([]pipeline.Edge(nil), spec.Edges...), pipeline.Edge{From: "decode", To: "thumbnail"}, pipeline.Edge{From: "thumbnail", To: "encode"})
	d, err := pipeline.Compile(&spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newProblem is p for another pipeline, on a simulator of it.
func newProblem(t testing.TB, p *tuner.Problem, d *pipeline.DAG) *tuner.Problem {
	t.Helper()
	s, err := sim.New(p.Platform, d, p.Seed)
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	q.Pipeline = d
	q.Env = tuner.NewEnv(s, func(u uint64) backend.Source { return &steady{gap: 1e6} }, p.Seed)
	return &q
}

func TestResearchPipelineProfilesOnlyTheNewFunction(t *testing.T) {
	n, _, p, _ := tuneOnce(t, "face-detection", 3)
	q := newProblem(t, p, withExtra(t))
	cfg, err := n.ResearchPipeline(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg) != 5 || cfg["thumbnail"] == 0 {
		t.Fatalf("config %s", cfg)
	}
	tr := q.Env.Trace()
	if len(tr) != 1 || tr[0].Kind != "profile" || tr[0].Function != "thumbnail" {
		t.Fatalf("re-search evaluated %+v, want one profiling run of thumbnail", tr)
	}
}

func BenchmarkResearchAddedFunction(b *testing.B) {
	n, _, p, _ := tuneOnce(b, "face-detection", 3)
	d := withExtra(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := *n // each iteration re-plans from the same Tune
		q := newProblem(b, p, d)
		b.StartTimer()
		if _, err := m.ResearchPipeline(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDriftFloorMeasured re-measures what DriftFloor stands for: the spread
// of one 30-s window's mean cost around the true mean that the window's own
// per-request standard error does not explain, over independent seeds, each
// window after three at other sizes as in a search. If the simulator's
// noise changes, the constant must be measured again.
func TestDriftFloorMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("30 simulated tuning starts")
	}
	plat := platform.Default()
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	all := func(mb int) backend.Config {
		c := backend.Config{}
		for _, n := range dag.Names() {
			c[n] = mb
		}
		return c
	}
	const seeds = 30
	var ratios []float64
	var se2 float64
	for seed := uint64(1); seed <= seeds; seed++ {
		s, err := sim.New(plat, dag, seed)
		if err != nil {
			t.Fatal(err)
		}
		orc, err := oracle.New(s, plat.Grid(), []video.Input{video.Reference}, 256, seed)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := orc.Evaluate(all(2048))
		if err != nil {
			t.Fatal(err)
		}
		env := tuner.NewEnv(s, func(u uint64) backend.Source { return &steady{gap: 1e6} }, seed)
		env.Start()
		for k := 0; k < 3; k++ {
			if _, err := env.Measure(context.Background(), all(1024+128*k)); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := env.Measure(context.Background(), all(2048))
		if err != nil {
			t.Fatal(err)
		}
		ratios = append(ratios, ev.CostUSD/truth.CostUSD)
		se2 += (ev.CostSE / ev.CostUSD) * (ev.CostSE / ev.CostUSD) / seeds
	}
	var mean, ss float64
	for _, r := range ratios {
		mean += r / seeds
	}
	for _, r := range ratios {
		ss += (r - mean) * (r - mean)
	}
	sd := math.Sqrt(ss / (seeds - 1))
	floor := math.Sqrt(math.Max(0, sd*sd-se2))
	t.Logf("measured/true cost: mean %.4f, sd %.4f; own standard error %.4f; floor %.4f (DriftFloor %.4f)", mean, sd, math.Sqrt(se2), floor, navigator.DriftFloor)
	// 30 seeds estimate a standard deviation to about ±13 % (one σ).
	if floor < navigator.DriftFloor/1.4 || floor > navigator.DriftFloor*1.4 {
		t.Errorf("the drift floor measures %.4f, DriftFloor is %.4f: measure it again", floor, navigator.DriftFloor)
	}
	if math.Abs(mean-1) > 3*sd/math.Sqrt(seeds) {
		t.Errorf("a window measures %.4f of the true cost on average: biased", mean)
	}
}

// Copies of one tuned navigator re-search independently: what one copy's
// re-searches change (its store, profiles and problem) neither the original
// nor another copy sees, and a copy profiles in its own environment.
func TestCloneIsIndependent(t *testing.T) {
	n, _, p, _ := tuneOnce(t, "face-detection", 3)
	ctx := context.Background()
	a, b := n.Clone(newProblem(t, p, p.Pipeline)), n.Clone(newProblem(t, p, p.Pipeline))
	want, err := b.Research(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := len(p.Env.Trace())
	small := video.Reference
	small.Width, small.Height = 640, 360
	if _, err := a.ResearchInput(ctx, small, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ResearchPipeline(ctx, newProblem(t, p, withExtra(t))); err != nil {
		t.Fatal(err)
	}
	if got := len(p.Env.Trace()); got != before {
		t.Fatalf("a copy's re-profiling was charged to the original's environment (%d → %d evaluations)", before, got)
	}
	for name, m := range map[string]*navigator.Navigator{"the original": n, "the other copy": b} {
		got, err := m.Research(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() || len(got) != 4 {
			t.Fatalf("%s re-searched %s after a copy re-planned for 360p and a fifth function, want %s", name, got, want)
		}
	}
}

// servedFaceDetection is face-detection on the default platform serving
// clips through source, with the ground truth over clips and a navigator
// with the committed model.
func servedFaceDetection(t *testing.T, seed uint64, bound float64, clips []video.Input, samples int, source func(uint64) backend.Source) (*tuner.Problem, *oracle.Oracle, *navigator.Navigator) {
	t.Helper()
	plat := platform.Default()
	m, err := model.LoadFile(filepath.Join("..", "results", "reference", "model.json"), plat)
	if err != nil {
		t.Fatal(err)
	}
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(plat, dag, seed)
	if err != nil {
		t.Fatal(err)
	}
	orc, err := oracle.New(s, plat.Grid(), clips, samples, seed)
	if err != nil {
		t.Fatal(err)
	}
	cmin, _, err := orc.CMin()
	if err != nil {
		t.Fatal(err)
	}
	env := tuner.NewEnv(s, source, seed)
	p := &tuner.Problem{Pipeline: dag, Platform: plat, Grid: plat.Grid(), Bound: bound, CMin: cmin, Seed: seed, Env: env}
	return p, orc, &navigator.Navigator{Predictor: m.Predictor()}
}

// TestTuneCorrectsACostLevelItDidNotProfile profiles on the 5-s reference
// clip while the pipeline serves 1-s clips: every predicted cost is above
// the bound (stated against the served clips' minimum). ConfigNavigator
// searches as far above its predicted minimum as the bound is above the
// true one, and its confirmation measures and corrects the level, instead
// of answering nothing.
func TestTuneCorrectsACostLevelItDidNotProfile(t *testing.T) {
	short := video.Reference
	short.Seconds = 1
	p, orc, n := servedFaceDetection(t, 3, 0.5, []video.Input{short}, 64, func(uint64) backend.Source { return &steadyClip{gap: 1e6, in: short} })
	p.Env.Input = video.Reference // the profiling clip
	res, err := n.Tune(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config == nil {
		t.Fatalf("no configuration: %s", res.Note)
	}
	if sc := n.Confirmation().Scales; len(sc) == 0 || sc[0] <= 1 {
		t.Errorf("bound scales %v: the first search should run above C_bound (nothing predicted fits under it)", sc)
	}
	truth, err := orc.Evaluate(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Feasible || !truth.Fits || truth.CostUSD > 1.05*p.CBound() {
		t.Errorf("answer %v (believed feasible %v): truth cost %.3g of C_bound, fits %v; want within the bound: %s",
			res.Config, res.Feasible, truth.CostUSD/p.CBound(), truth.Fits, res.Note)
	}
}

// TestTuneOnPayloads: a pipeline that serves the 50-clip catalogue, with
// ten representative payloads. ConfigNavigator profiles every function on
// each payload and confirms on the payloads (a warm-up and a measured
// invocation of every function per run, no pipeline window, whose mean
// follows which clips arrived), and its answer meets the bound in truth
// over the catalogue.
func TestTuneOnPayloads(t *testing.T) {
	const seed = 2
	cat := traces.DefaultCatalogue(seed)
	p, orc, n := servedFaceDetection(t, seed, 0.3, cat.Clips, 100, func(k uint64) backend.Source {
		src, err := traces.Poisson(1, k, cat, nil)
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
	p.Env.Payloads = tuner.Representatives(cat.Clips, 10)
	res, err := n.Tune(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	nodes := len(p.Pipeline.Nodes)
	c := n.Confirmation()
	want := 2 * c.Runs * nodes // a warm-up and a measurement per function and run
	if c.Probed > 0 {          // the plateau probe runs only the functions it tries
		want = 2 * ((c.Runs-1)*nodes + c.Probed)
	}
	if prof, pipe, inv := countKind(res, "profile"), countKind(res, "pipeline"), countKind(res, "invoke"); prof != 10*nodes || pipe != 0 ||
		inv != want || inv == 0 {
		t.Errorf("%d profiling runs, %d pipeline runs, %d invocations for %d confirmation runs (%d functions probed); want %d, 0 and %d",
			prof, pipe, inv, c.Runs, c.Probed, 10*nodes, want)
	}
	if res.Config == nil {
		t.Fatalf("no configuration: %s", res.Note)
	}
	truth, err := orc.Evaluate(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Feasible || !truth.Fits || truth.CostUSD > p.CBound() {
		t.Errorf("answer %v: truth cost %.3f of C_bound, fits %v (believed feasible %v); want within the bound: %s",
			res.Config, truth.CostUSD/p.CBound(), truth.Fits, res.Feasible, res.Note)
	}
}

// steadyClip is one clip every gap µs.
type steadyClip struct {
	gap, t int64
	in     video.Input
}

func (s *steadyClip) Next(r *backend.Request) bool {
	s.t += s.gap
	r.At, r.Input = s.t, s.in
	return true
}
