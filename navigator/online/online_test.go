package online

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/video"
)

// poisson is a Poisson request stream whose clip can change at a time.
type poisson struct {
	rng      *rand.Rand
	perUs, t float64
	in       video.Input
	changeAt float64
	after    video.Input
	max      int
	n        int
}

func (p *poisson) Next(r *backend.Request) bool {
	if p.max > 0 && p.n >= p.max {
		return false
	}
	p.n++
	p.t += p.rng.ExpFloat64() / p.perUs
	r.At, r.Input = int64(p.t), p.in
	if p.changeAt > 0 && p.t >= p.changeAt {
		r.Input = p.after
	}
	return true
}

func setup(t *testing.T, name string, mb int) (*sim.Sim, *pipeline.DAG) {
	t.Helper()
	dag, err := pipeline.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(platform.Default(), dag, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := backend.Config{}
	for _, n := range dag.Names() {
		cfg[n] = mb
	}
	if err := s.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return s, dag
}

type collect struct{ recs []backend.Record }

func (c *collect) Record(r *backend.Record) { c.recs = append(c.recs, *r) }

// The inspector rebuilds every request's executed DAG from records alone.
func TestInspectorRebuildsDAG(t *testing.T) {
	s, dag := setup(t, "face-beautification", 3008)
	in := video.Reference
	in.Faces = 3
	var c collect
	st, err := s.Run(context.Background(), backend.Workload{Source: &poisson{rng: rand.New(rand.NewPCG(1, 1)), perUs: 1e-6, in: in, max: 100}}, &c)
	if err != nil {
		t.Fatal(err)
	}
	insp := NewInspector(dag)
	closed := 0
	for i := range c.recs {
		q := insp.Feed(&c.recs[i])
		if q == nil {
			continue
		}
		closed++
		want := map[string]int{"decode": 1, "roi": 1, "beautify": 3, "judge-resolution": 1, "hd": 1, "restore": 1, "encode": 1}
		got := q.Counts()
		for f, n := range want {
			if got[f] != n {
				t.Fatalf("request %d: %s ran %d times, want %d (%v)", q.ID, f, got[f], n, got)
			}
		}
		path := CriticalPath(dag, q)
		if path[0] != "decode" || path[len(path)-1] != "encode" {
			t.Fatalf("critical path %v", path)
		}
	}
	if int64(closed) != st.Completed || insp.Open() != 0 {
		t.Fatalf("closed %d requests, %d open; the simulator completed %d", closed, insp.Open(), st.Completed)
	}
}

func TestInspectorCountsAnomalies(t *testing.T) {
	_, dag := setup(t, "face-detection", 2048)
	insp := NewInspector(dag)
	good := backend.Record{InvocationID: 1, RequestID: 1, Function: "decode", Start: 100, Duration: 50, BilledMs: 1, MemoryMB: 2048}
	insp.Feed(&good)
	insp.Feed(&good) // duplicate
	old := backend.Record{InvocationID: 2, RequestID: 1, Function: "hd", Start: 10, Duration: 5, BilledMs: 1, MemoryMB: 2048}
	insp.Feed(&old) // ends before the watermark
	missing := backend.Record{InvocationID: 3, RequestID: 1, Function: "hd", Start: 200, Duration: 5}
	insp.Feed(&missing) // no memory size
	alien := backend.Record{InvocationID: 4, RequestID: 1, Function: "sharpen", Start: 200, Duration: 5, BilledMs: 1, MemoryMB: 512}
	insp.Feed(&alien)
	a := insp.Anomalies
	if a.Duplicate != 1 || a.OutOfOrder != 1 || a.MissingFields != 1 || a.UnknownFunction != 1 || insp.Unknown["sharpen"] != 1 {
		t.Fatalf("anomalies %+v, unknown %v", a, insp.Unknown)
	}
}

// A fan-out change (faces 1 → 3) is detected within the detector's run of
// requests after the change.
func TestStructureChangeDetected(t *testing.T) {
	s, dag := setup(t, "face-beautification", 3008)
	one, three := video.Reference, video.Reference
	one.Faces, three.Faces = 1, 3
	var c collect
	if _, err := s.Run(context.Background(), backend.Workload{Source: &poisson{rng: rand.New(rand.NewPCG(2, 1)), perUs: 0.2e-6, in: one, changeAt: 300e6, after: three, max: 120}}, &c); err != nil {
		t.Fatal(err)
	}
	insp := NewInspector(dag)
	sd := NewStructureDetector(dag.Names(), map[string]bool{"beautify": true}, 5)
	after := 0
	for i := range c.recs {
		q := insp.Feed(&c.recs[i])
		if q == nil {
			continue
		}
		if len(q.Invocations["beautify"]) == 3 {
			after++
		}
		if changed, desc := sd.Observe(q); changed {
			if after == 0 {
				t.Fatalf("change declared before it happened: %s", desc)
			}
			if after > 5 {
				t.Fatalf("change detected %d requests after it, want at most 5", after)
			}
			return
		}
	}
	t.Fatal("the fan-out change was not detected")
}

// request builds a closed request by hand: a chain a → b and a → c → d(sink).
func handDAG(t *testing.T) *pipeline.DAG {
	spec := `{name: hand, functions: [{name: a, model: decode}, {name: b, model: judge-resolution}, {name: c, model: hd}, {name: d, model: encode}], edges: [[a, b], [a, c], [b, d], [c, d]]}`
	s, err := pipeline.Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	dag, err := pipeline.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return dag
}

func handRequest(id uint64, cfg backend.Config, costScale float64) *Request {
	q := &Request{ID: id, Invocations: map[string][]backend.Record{}}
	add := func(f string, start, dur int64) {
		mb := cfg[f]
		cost := costScale * float64(dur) / 1e6 * float64(mb) / 1024 * 0.0000166667
		q.Invocations[f] = append(q.Invocations[f], backend.Record{RequestID: id, Function: f, Start: start, Duration: dur, MemoryMB: int32(mb), BilledMs: dur / 1000, CostUSD: cost})
		q.CostUSD += cost
		q.End = max(q.End, start+dur)
	}
	add("a", 0, 1e6)
	add("b", 1e6, 0.2e6) // short branch: not critical
	add("c", 1e6, 3e6)   // long branch: critical
	add("d", 4e6, 1e6)
	return q
}

func window(n int, cfg backend.Config, scale float64) []*Request {
	out := make([]*Request, n)
	for i := range out {
		out[i] = handRequest(uint64(i+1), cfg, scale)
	}
	return out
}

func TestControllerOverBudgetShrinksNonCritical(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	cost := window(1, cfg, 1)[0].CostUSD
	c := NewController(grid, cost/1.5, cfg) // 50 % over the bound
	c.Step(dag, nil)                        // past the cool-down
	d := c.Step(dag, window(20, cfg, 1))
	if !d.Changed {
		t.Fatalf("no change over budget: %s", d.Reason)
	}
	if d.Config["b"] >= 2048 || d.Config["c"] != 2048 {
		t.Fatalf("over budget: b %d (non-critical, must shrink), c %d (critical, must stay)", d.Config["b"], d.Config["c"])
	}
}

func TestControllerUnderBudgetGrowsCritical(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	cost := window(1, cfg, 1)[0].CostUSD
	c := NewController(grid, cost*2, cfg)
	c.Step(dag, nil)
	d := c.Step(dag, window(20, cfg, 1))
	if !d.Changed {
		t.Fatalf("no change under budget: %s", d.Reason)
	}
	grown := 0
	for f, mb := range d.Config {
		if mb > cfg[f] {
			grown++
			if f == "b" {
				t.Fatalf("grew a non-critical function")
			}
		}
	}
	if grown != 1 {
		t.Fatalf("%d functions grew, want exactly one critical function: %v", grown, d.Config)
	}
}

// On a stationary stream the controller settles: no function moves back and
// forth, and changes stop.
func TestControllerDoesNotOscillate(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	cost := window(1, cfg, 1)[0].CostUSD
	c := NewController(grid, cost*1.1, cfg)
	last := map[string]int{}
	flips := 0
	changes := 0
	cur := cfg
	for w := 0; w < 60; w++ {
		d := c.Step(dag, window(20, cur, 1))
		if d.Changed {
			changes++
			for f, mb := range d.Config {
				dir := int(math.Copysign(1, float64(mb-cur[f])))
				if mb != cur[f] {
					if last[f] != 0 && last[f] != dir {
						flips++
					}
					last[f] = dir
				}
			}
			cur = d.Config
		}
	}
	if flips > 0 {
		t.Fatalf("%d reversals on a stationary stream", flips)
	}
	if d := c.Step(dag, window(20, cur, 1)); d.Changed {
		t.Fatalf("still changing after 60 windows: %s", d.Reason)
	}
}

func TestControllerNeedsMinimumObservations(t *testing.T) {
	dag := handDAG(t)
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	c := NewController(platform.Default().Grid(), 1e-12, cfg)
	if d := c.Step(dag, window(2, cfg, 1)); d.Changed || !d.Waiting {
		t.Fatalf("decided on 2 requests (< 3): %+v", d)
	}
	if d := c.Step(dag, window(3, cfg, 1)); !d.Changed {
		t.Fatalf("no decision on 3 identical requests far over the bound: %s", d.Reason)
	}
}

// Δr = α(C_real − C_bound) in both directions: a larger gap moves memory
// further, and the worst-case cost of a relaxation stays within the bound.
func TestControllerStepFollowsGap(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	cost := window(1, cfg, 1)[0].CostUSD
	step := func(bound float64, f string) int {
		c := NewController(grid, bound, cfg)
		d := c.Step(dag, window(20, cfg, 1))
		if !d.Changed {
			t.Fatalf("bound %.3g × cost: no change: %s", bound/cost, d.Reason)
		}
		return d.Config[f] - cfg[f]
	}
	// Under budget: the critical c grows further with more slack, and its
	// worst-case extra cost (no speed-up) fits the slack.
	small, large := step(cost*1.1, "c"), step(cost*1.5, "c")
	if !(0 < small && small < large) {
		t.Fatalf("relaxation: +%d MB at 10 %% slack, +%d MB at 50 %%: want 0 < small < large", small, large)
	}
	cc := window(1, cfg, 1)[0].Invocations["c"][0].CostUSD
	if extra := cc * float64(large) / float64(cfg["c"]); extra > cost*0.5 {
		t.Fatalf("relaxed c by %d MB: worst-case extra $%.3g over the slack $%.3g", large, extra, cost*0.5)
	}
	// Over budget: the non-critical b shrinks further with a larger Δr (b
	// is 3 % of the cost, so any excess beyond the band takes it to the
	// floor at α = 1; α scales the cut).
	cut := func(alpha float64) int {
		c := NewController(grid, cost/1.6, cfg)
		c.Alpha = alpha
		d := c.Step(dag, window(20, cfg, 1))
		if !d.Changed || d.Config["c"] != cfg["c"] {
			t.Fatalf("α %v: %+v", alpha, d)
		}
		return d.Config["b"] - cfg["b"]
	}
	small, large = cut(0.02), cut(1)
	if !(large < small && small < 0) {
		t.Fatalf("constriction at 60 %% over: %d MB at α 0.02, %d MB at α 1: want large < small < 0", small, large)
	}
}

// Over budget with every shrinkable function on the critical path, the cut
// goes where the model says it saves: not to a CPU-bound function whose cost
// does not fall with memory, and nowhere if nothing saves; under budget the
// growth goes where it is predicted to save time. Without a model a critical
// function moves one grid step.
func TestControllerMovesWhereTheModelSaysItPays(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": grid[0], "c": 2048, "d": 2048} // b, the only non-critical one, at its floor
	cost := window(1, cfg, 1)[0].CostUSD
	cpuBound := func(mb []int) (ms, usd []float64) { // time ∝ 1/memory: cost flat
		for _, m := range mb {
			ms, usd = append(ms, 1e3*2048/float64(m)), append(usd, 1e-5)
		}
		return ms, usd
	}
	ioBound := func(mb []int) (ms, usd []float64) { // time flat: cost ∝ memory
		for _, m := range mb {
			ms, usd = append(ms, 1e3), append(usd, 1e-5*float64(m)/2048)
		}
		return ms, usd
	}
	model := func(io map[string]bool) func(string) ([]int, []float64, []float64, bool) {
		return func(fn string) ([]int, []float64, []float64, bool) {
			ms, usd := cpuBound(grid)
			if io[fn] {
				ms, usd = ioBound(grid)
			}
			return grid, ms, usd, true
		}
	}
	step := func(m func(string) ([]int, []float64, []float64, bool)) Decision {
		c := NewController(grid, cost/1.5, cfg)
		c.Model = m
		return c.Step(dag, window(20, cfg, 1))
	}

	d := step(model(map[string]bool{"c": true}))
	if !d.Changed || d.Config["a"] != 2048 || d.Config["d"] != 2048 || d.Config["c"] >= 2048 {
		t.Fatalf("c saves in proportion to memory, a and d save nothing: want only c cut, got %+v", d)
	}
	// c is 0.598 of the cost and must save 1/3 of it: at most
	// 2,048·(1 − 0.557) = 907 MB, and the largest such grid size.
	if d.Config["c"] > 907 || d.Config["c"] < 780 {
		t.Fatalf("c cut to %d MB: want the largest size that saves the gap, 780–907 MB", d.Config["c"])
	}
	if d := step(model(nil)); d.Changed {
		t.Fatalf("every function CPU-bound (no cut saves): want no change, got %+v", d)
	}
	// Under budget the model picks a critical function it predicts to speed
	// up: not c (most time on the path, but its time does not fall with
	// memory) but a or d.
	relax := func() Decision {
		c := NewController(grid, cost*2, cfg)
		c.Model = model(map[string]bool{"c": true})
		return c.Step(dag, window(20, cfg, 1))
	}
	if d := relax(); !d.Changed || d.Config["c"] != cfg["c"] || (d.Config["a"] > cfg["a"]) == (d.Config["d"] > cfg["d"]) {
		t.Fatalf("under budget, c predicted not to speed up: want a or d grown, c left, got %+v", d)
	}
	d = step(nil)
	moved := 0
	for f, mb := range d.Config {
		if mb != cfg[f] {
			moved++
			if k := slices.Index(grid, cfg[f]); mb != grid[k-1] {
				t.Fatalf("without a model %s moved %d → %d MB: want one grid step", f, cfg[f], mb)
			}
		}
	}
	if !d.Changed || moved != 1 {
		t.Fatalf("without a model: want one critical function one step down, got %+v", d)
	}
}

// A noisy window close to the bound waits for more requests instead of
// moving on noise.
func TestControllerWaitsOnNoise(t *testing.T) {
	dag := handDAG(t)
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 2048, "d": 2048}
	cost := window(1, cfg, 1)[0].CostUSD
	var reqs []*Request
	for i := 0; i < 6; i++ {
		reqs = append(reqs, handRequest(uint64(i+1), cfg, 0.7+0.12*float64(i))) // mean 1.0, spread ±30 %
	}
	c := NewController(platform.Default().Grid(), cost*0.94, cfg) // 6 % under the mean
	if d := c.Step(dag, reqs); !d.Waiting || d.Changed {
		t.Fatalf("moved on 6 noisy requests 6 %% over the bound: %+v", d)
	}
	// A minute of catalogue traffic: 60 requests whose costs spread by 43 %
	// of their mean (face-detection's clip mix), 6 % over the bound. Their
	// mean is uncertain by ±9 % at 95 %: still waiting, where deciding on the
	// mean of 40 moved memory on such noise every minute.
	rng := rand.New(rand.NewPCG(1, 2))
	reqs = reqs[:0]
	for i := 0; i < 60; i++ {
		reqs = append(reqs, handRequest(uint64(i+1), cfg, max(0.05, 1+0.43*rng.NormFloat64())))
	}
	var mean float64
	for _, q := range reqs {
		mean += q.CostUSD / 60
	}
	c = NewController(platform.Default().Grid(), mean/1.06, cfg)
	if d := c.Step(dag, reqs); !d.Waiting || d.Changed {
		t.Fatalf("moved on 60 catalogue-like requests 6 %% over the bound: %+v", d)
	}
}

// End to end on the simulator: the resolution drops mid-run; the controller
// spends the freed budget on the critical path and beats the static
// configuration after the change.
func TestOnlineBeatsStaticAfterChange(t *testing.T) {
	run := func(control bool) *Result {
		s, dag := setup(t, "face-beautification", 2048)
		hi, lo := video.Reference, video.Reference
		hi.Faces, lo.Faces = 2, 2
		lo.Width, lo.Height = 640, 360
		src := &poisson{rng: rand.New(rand.NewPCG(3, 1)), perUs: 0.5e-6, in: hi, changeAt: 600e6, after: lo}
		cfg := s.Config()
		var ctl *Controller
		// Bound: the cost of the starting configuration on 1080p clips.
		bound := 0.0012
		if control {
			ctl = NewController(platform.Default().Grid(), bound, cfg)
		}
		res, err := Run(context.Background(), Options{Backend: s, Store: NewMemoryStore(s), DAG: dag, Controller: ctl, Bound: bound,
			Workload: backend.Workload{Source: src, Duration: 3600e6}, Origin: s.Now(), ChangeAt: []int64{600e6}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	static, dyn := run(false), run(true)
	t.Logf("after the change: static %.0f ms ($%.6f), controller %.0f ms ($%.6f), %d reconfigurations",
		static.AfterChange.MeanMs, static.AfterChange.CostPerRequestUSD, dyn.AfterChange.MeanMs, dyn.AfterChange.CostPerRequestUSD, dyn.Summary.Reconfigurations)
	if dyn.Summary.Reconfigurations == 0 || dyn.AfterChange.MeanMs >= static.AfterChange.MeanMs {
		t.Fatalf("controller did not improve on static after the change")
	}
	if dyn.AfterChange.CostPerRequestUSD > 0.0012*1.05 {
		t.Fatalf("controller overspent: $%.6f per request", dyn.AfterChange.CostPerRequestUSD)
	}
}

// fanRequest is a closed request of decode → beautify×k → encode.
func fanRequest(k int) *Request {
	q := &Request{Invocations: map[string][]backend.Record{"decode": {{}}, "encode": {{}}}}
	if k > 0 {
		q.Invocations["beautify"] = make([]backend.Record, k)
	}
	return q
}

// After a fan-out shift the detector reports the new regime's level (what
// the re-plan uses), not a mix with the requests before it, and a stationary
// stream of varying counts does not fire it.
func TestFanOutShiftLevel(t *testing.T) {
	fan := map[string]bool{"beautify": true}
	fns := []string{"decode", "beautify", "encode"}
	sd := NewStructureDetector(fns, fan, 5)
	for i := 0; i < 100; i++ {
		if ch, desc := sd.Observe(fanRequest(1)); ch {
			t.Fatalf("change on a constant stream: %s", desc)
		}
	}
	for i := 1; i <= 5; i++ {
		if ch, desc := sd.Observe(fanRequest(3)); ch {
			if got := sd.FanOut("beautify"); got != 3 {
				t.Fatalf("after %d requests (%s): level %v, want 3", i, desc, got)
			}
			return
		}
	}
	t.Fatal("1 → 3 not detected within 5 requests")
}

// Faces drawn uniformly from 0–4, then all 3: detected, at level 3, and
// never on the varying part.
func TestFanOutShiftOnVaryingCounts(t *testing.T) {
	fns := []string{"decode", "beautify", "encode"}
	rng := rand.New(rand.NewPCG(9, 9))
	sd := NewStructureDetector(fns, map[string]bool{"beautify": true}, 5)
	for i := 0; i < 3000; i++ {
		if ch, desc := sd.Observe(fanRequest(rng.IntN(5))); ch {
			t.Fatalf("request %d: change on a stationary 0–4 stream: %s", i, desc)
		}
	}
	for i := 1; i <= 40; i++ {
		if ch, _ := sd.Observe(fanRequest(3)); ch {
			if got := sd.FanOut("beautify"); math.Abs(got-3) > 0.5 {
				t.Fatalf("level %v after the change to 3, want about 3", got)
			}
			return
		}
	}
	t.Fatal("0–4 → 3 not detected within 40 requests")
}

// stationary draws inputs uniformly from the default catalogue.
func stationary(seed uint64, n int) []video.Input {
	cat := traces.DefaultCatalogue(seed)
	rng := rand.New(rand.NewPCG(seed, 0x696e))
	out := make([]video.Input, n)
	for i := range out {
		out[i] = cat.Clips[rng.IntN(len(cat.Clips))]
	}
	return out
}

// No input shift on stationary catalogue inputs: 5 seeds × 20,000 requests
// (about 75 of the busiest 30-minute default runs). The detector's bound
// allows at most 18 · 10⁵ / 10⁶ = 1.8 false alarms on average over them
// (Lorden); CUSUMs sit far below it in practice, so one alarm fails.
func TestInputDetectorStationary(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 requests")
	}
	for seed := uint64(1); seed <= 5; seed++ {
		d := NewInputDetector()
		for i, in := range stationary(seed, 20000) {
			if shifted, desc, _ := d.Observe(in, video.Reference); shifted {
				t.Fatalf("seed %d request %d: false alarm: %s", seed, i, desc)
			}
		}
	}
}

// 1080p → 360p on catalogue inputs (every clip's resolution set to 360p, as
// traces.Change does) is found within 8 requests (the default catalogue
// has 10 % 360p clips: ⌈ln 10⁶ / ln(0.9/0.14 + 0.1)⌉ = 8 with the baseline's
// Wilson bound near 14 % after 1,000 requests), and the re-profiling clip is
// the reference with the new resolution.
func TestInputDetectorFinds360p(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		d := NewInputDetector()
		for _, in := range stationary(seed, 1000) {
			if shifted, desc, _ := d.Observe(in, video.Reference); shifted {
				t.Fatalf("seed %d: false alarm before the change: %s", seed, desc)
			}
		}
		found := 0
		for i, in := range stationary(seed+100, 40) {
			in.Width, in.Height = 640, 360
			shifted, desc, next := d.Observe(in, video.Reference)
			if !shifted {
				continue
			}
			want := video.Reference
			want.Width, want.Height, want.ID = 640, 360, -1
			if next != want || !strings.Contains(desc, "resolution") {
				t.Fatalf("seed %d: shift %q, re-profile on %+v, want %+v", seed, desc, next, want)
			}
			found = i + 1
			break
		}
		if found == 0 || found > 8 {
			t.Fatalf("seed %d: 1080p → 360p found after %d requests, want 1–8", seed, found)
		}
	}
}

// An input shift triggers one re-search, written after the re-profiling
// time, counted in Summary.Replans; with the controller off nothing is
// written but the shift is still counted.
func TestInputShiftReplans(t *testing.T) {
	run := func(control bool) (*Result, []video.Input) {
		s, dag := setup(t, "face-beautification", 2048)
		src := &catalogueSource{rng: rand.New(rand.NewPCG(4, 1)), perUs: 0.5e-6, cat: traces.DefaultCatalogue(4), changeAt: 600e6}
		var ctl *Controller
		cfg := s.Config()
		if control {
			ctl = NewController(platform.Default().Grid(), 0.01, cfg)
		}
		var asked []video.Input
		res, err := Run(context.Background(), Options{Backend: s, Store: NewMemoryStore(s), DAG: dag, Controller: ctl, Bound: 0.01,
			Workload: backend.Workload{Source: src, Duration: 1200e6}, Origin: s.Now(), ChangeAt: []int64{600e6},
			ReplanInput: func(_ context.Context, in video.Input, _ map[string]float64) (backend.Config, float64, error) {
				asked = append(asked, in)
				c := cfg.Clone()
				c["hd"] = 3008
				return c, 5, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return res, asked
	}
	res, asked := run(true)
	if res.Shifts != 1 || res.Summary.Replans != 1 || len(asked) != 1 || asked[0].Height != 360 || res.Final["hd"] < 3008 {
		t.Fatalf("shifts %d, replans %d, re-profiled on %v, final %v; events %v", res.Shifts, res.Summary.Replans, asked, res.Final, res.Events)
	}
	off, asked := run(false)
	if off.Shifts != 1 || off.Summary.Replans != 0 || len(asked) != 0 || off.Summary.Reconfigurations != 0 {
		t.Fatalf("controller off: shifts %d, replans %d, asked %d, reconfigurations %d", off.Shifts, off.Summary.Replans, len(asked), off.Summary.Reconfigurations)
	}
}

// catalogueSource is a Poisson stream of catalogue clips whose resolution
// drops to 360p at changeAt.
type catalogueSource struct {
	rng      *rand.Rand
	perUs, t float64
	cat      *traces.Catalogue
	changeAt float64
}

func (c *catalogueSource) Next(r *backend.Request) bool {
	c.t += c.rng.ExpFloat64() / c.perUs
	r.At, r.Input = int64(c.t), c.cat.Clips[c.rng.IntN(len(c.cat.Clips))]
	if c.t >= c.changeAt {
		r.Input.Width, r.Input.Height = 640, 360
	}
	return true
}

// Same seed, same bytes: two runs with the controller and re-searches agree.
func TestOnlineDeterministic(t *testing.T) {
	// A model like the navigator's (navigator.Navigator.Curve): time falls
	// with the CPU share up to one vCPU, then barely.
	model := func(fn string) ([]int, []float64, []float64, bool) {
		grid := platform.Default().Grid()
		ms, usd := make([]float64, len(grid)), make([]float64, len(grid))
		for g, mb := range grid {
			ms[g] = 1000 * (0.2 + 0.8*1769/float64(min(mb, 1769)) - 0.05*float64(max(0, mb-1769))/1769)
			usd[g] = ms[g] / 1000 * float64(mb) / 1024 * 0.0000166667
		}
		return grid, ms, usd, true
	}
	run := func(withModel bool) (string, int) {
		s, dag := setup(t, "face-beautification", 2048)
		src := &catalogueSource{rng: rand.New(rand.NewPCG(5, 1)), perUs: 0.5e-6, cat: traces.DefaultCatalogue(5), changeAt: 300e6}
		ctl := NewController(platform.Default().Grid(), 0.002, s.Config())
		if withModel {
			ctl.Model = model
		}
		res, err := Run(context.Background(), Options{Backend: s, Store: NewMemoryStore(s), DAG: dag, Controller: ctl,
			Bound: 0.002, Workload: backend.Workload{Source: src, Duration: 900e6}, Origin: s.Now(), ChangeAt: []int64{300e6}})
		if err != nil {
			t.Fatal(err)
		}
		after := *res.AfterChange
		res.AfterChange = nil
		return fmt.Sprintf("%+v %+v", *res, after), res.Summary.Reconfigurations
	}
	for _, withModel := range []bool{false, true} {
		a, moves := run(withModel)
		if b, _ := run(withModel); a != b {
			t.Fatalf("model %v: two runs with one seed differ:\n%s\n%s", withModel, a, b)
		}
		if moves == 0 {
			t.Errorf("model %v: the controller never moved: the test does not exercise it", withModel)
		}
	}
}

// An out-of-memory failure moves the function to twice the size that
// failed at once (OOMGrowth), never back below a size that failed; a
// failure of a request that ran at an older, smaller size does not raise
// it again. With OOMGrowth 1 it moves one grid step.
func TestControllerOutOfMemoryDoubles(t *testing.T) {
	dag := handDAG(t)
	grid := platform.Default().Grid()
	cfg := backend.Config{"a": 2048, "b": 2048, "c": 512, "d": 2048}
	oom := func(at backend.Config) []*Request {
		qs := window(5, at, 1)
		qs[2].Failed = true
		qs[2].Invocations["c"][0].Status = backend.OOM
		return qs
	}
	for _, tc := range []struct {
		growth float64
		want   int
	}{{2, 1024}, {1, 640}} {
		cost := window(1, cfg, 1)[0].CostUSD
		c := NewController(grid, cost, cfg)
		c.OOMGrowth = tc.growth
		d := c.Step(dag, oom(cfg))
		if !d.Changed || d.Config["c"] != tc.want {
			t.Fatalf("growth %g: out of memory at 512 MB gave c = %d MB (%s), want %d", tc.growth, d.Config["c"], d.Reason, tc.want)
		}
		// A late failure from the 512-MB configuration changes nothing,
		// whether it comes with its window or on its own.
		if d := c.Step(dag, oom(cfg)); d.Changed && d.Config["c"] != tc.want {
			t.Fatalf("growth %g: a late failure at 512 MB moved c to %d MB", tc.growth, d.Config["c"])
		}
		late := oom(cfg)[2].Invocations["c"][0]
		if got, moved := c.OutOfMemory(&late); moved {
			t.Fatalf("growth %g: a late failure at 512 MB moved c to %d MB at once", tc.growth, got["c"])
		}
		// A failure at the size in force raises it at once; an unknown
		// function's failure is left to the inspector.
		now := late
		now.MemoryMB = int32(c.Current()["c"])
		if got, moved := c.OutOfMemory(&now); !moved || got["c"] < 2*tc.want && tc.growth == 2 {
			t.Fatalf("growth %g: a failure at %d MB gave %v (moved %v)", tc.growth, now.MemoryMB, got, moved)
		}
		stray := now
		stray.Function = "nope"
		if _, moved := c.OutOfMemory(&stray); moved {
			t.Fatalf("an unknown function's failure moved the configuration")
		}
		// Far over budget, c never goes back to a size that failed.
		c.Bound = cost / 10
		for k := 0; k < 20; k++ {
			c.Step(dag, window(20, c.Current(), 1))
		}
		if got := c.Current()["c"]; got <= 512 {
			t.Fatalf("growth %g: c back to %d MB, which ran out of memory", tc.growth, got)
		}
	}
}
