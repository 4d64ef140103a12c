package tuner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Problem is one tuning task.
type Problem struct {
	Pipeline *pipeline.DAG
	Platform *platform.Profile
	Grid     []int   // memory sizes a tuner may choose, ascending (the paper's 32)
	Bound    float64 // x in C_bound = (1 + x)·C_min
	CMin     float64 // USD per request of the cheapest feasible configuration
	Seed     uint64  // for the tuner's own randomness
	Env      *Env
}

// CBound is the cost bound in USD per request.
func (p *Problem) CBound() float64 { return (1 + p.Bound) * p.CMin }

// Validate checks the problem before a tuner starts.
func (p *Problem) Validate() error {
	var errs []error
	if p.Pipeline == nil || p.Platform == nil || p.Env == nil {
		return errors.New("tuner: problem needs a pipeline, a platform and an environment")
	}
	if math.IsNaN(p.Bound) || p.Bound <= 0 || math.IsInf(p.Bound, 0) {
		errs = append(errs, fmt.Errorf("tuner: bound %v: want a positive fraction above the minimum cost (0.3 for 30 %%)", p.Bound))
	}
	if !(p.CMin > 0) || math.IsInf(p.CMin, 0) {
		errs = append(errs, fmt.Errorf("tuner: minimum cost %v per request: want a positive number", p.CMin))
	}
	if len(p.Grid) == 0 || !sort.IntsAreSorted(p.Grid) {
		errs = append(errs, errors.New("tuner: memory grid must be non-empty and ascending"))
	}
	for _, m := range p.Grid {
		if err := p.Platform.CheckMemory(m); err != nil {
			errs = append(errs, fmt.Errorf("tuner: grid: %w", err))
			break
		}
	}
	return errors.Join(errs...)
}

// Tuner chooses a memory configuration.
type Tuner interface {
	Name() string
	Tune(ctx context.Context, p *Problem) (*Result, error)
}

// Result is a tuner's answer and its accounting.
type Result struct {
	Tuner       string
	Config      backend.Config
	Feasible    bool   // whether the tuner believes Config meets the bound
	Evaluations int    // in the tuner's own unit (pipeline runs, invocations, model queries…)
	Unit        string // what one evaluation is
	Note        string // deviations, infeasibility, anything a reader must know
	Accounting
	Trace []Evaluation // every configuration measured, in order
	// Observations counts, per function, the observations the tuner's
	// models got of it, in its own unit (nil when the tuner observes only
	// whole pipelines).
	Observations map[string]int
}

// Accounting is what a search cost.
type Accounting struct {
	MeasureSeconds float64 // workload streamed on the backend (virtual in simulation)
	ProfileSeconds float64 // local profiling runs
	ComputeSeconds float64 // the tuner's own compute (wall clock)
	SearchSeconds  float64 // the sum
	SearchUSD      float64 // dollars the measurements cost
}

// FunctionStats is what one measurement saw of one function.
type FunctionStats struct {
	Invocations int
	Failures    int
	Cold        int
	MeanMs      float64 // mean duration of successful invocations
	P95Ms       float64
	CostUSD     float64 // per pipeline request
	// PayloadMs is, for Env.Invoke on payloads, the median duration of the
	// successful invocations on each payload, in Env.Payloads' order (NaN
	// where all failed): what a paired comparison of two sizes needs, as
	// the mean over all payloads moves with one straggler (nil otherwise).
	PayloadMs []float64
}

// Evaluation is one measurement of a configuration.
type Evaluation struct {
	Config    backend.Config
	Kind      string // "pipeline", "invoke" or "profile"
	Function  string // for invoke/profile
	Requests  int64
	Failed    int64   // requests that failed (e.g. out of memory)
	LatencyMs float64 // mean end-to-end latency of completed requests (NaN if none)
	P95Ms     float64
	CostUSD   float64 // per request
	// CostSE is the standard error of CostUSD from the spread of the
	// window's per-request costs (clip to clip, cold starts, noise); NaN
	// with fewer than two requests.
	CostSE    float64
	Feasible  bool // cost ≤ bound and no failures
	Functions map[string]FunctionStats
	Seconds   float64 // what this measurement cost in time
	USD       float64 // and in dollars
	At        float64 // search seconds when it finished (for convergence curves)
}

// Env is the measurement environment. It is not safe for concurrent use.
type Env struct {
	Backend backend.Backend
	// Source makes the request stream for one measurement. Its seed is keyed
	// by the environment's seed, the window index and the phase (warm-up or
	// window): measurements at different indices are independent, and every
	// configuration measured at one index sees the same arrivals.
	Source func(seed uint64) backend.Source
	// WindowUs is how long a measurement streams requests (30 s default).
	WindowUs int64
	// WarmupUs streams requests for this long after applying a configuration
	// and before the window, so that the window sees warm environments, not
	// the burst of cold starts a memory change causes (15 s default; 0: none).
	// The warm-up is charged (time and dollars) but not observed.
	WarmupUs int64
	// Input is the clip used for direct invocations and profiling.
	Input video.Input
	// Payloads, when the pipeline serves more than one clip, are the clips
	// work outside the pipeline runs on instead of Input, each standing for
	// an equal share of the workload (Representatives): Invoke invokes the
	// function on every one at once, and tuners that profile (ProfileOn)
	// profile each. Every tuner of a problem gets the same payloads, the
	// way AWS Lambda Power Tuning takes weighted payloads. nil: Input.
	Payloads []video.Input
	// CBound is used to mark evaluations feasible.
	CBound float64

	seed      uint64
	window    uint64 // measurements since Start: the window index of the next
	inGroup   bool   // inside Parallel
	acct      Accounting
	trace     []Evaluation
	started   time.Time
	insideEnv time.Duration
}

// Keyed is a backend whose randomness can be keyed run by run (the
// simulator). The Env keys every measurement with its seed, the
// configuration measured and the window index, so that two tuners that
// measure one configuration at the same window index of the same seed see
// the same noise (common random numbers: BASELINES.md, "Accounting for
// every tuner"). KeyNext applies to the next Run or Invoke only; fresh asks
// the backend to start that run from no warm environment, so that what it
// measures does not depend on what ran before.
type Keyed interface {
	KeyNext(key uint64, fresh bool)
}

// Phases of a measurement, mixed into its key.
const (
	phaseWarmup uint64 = iota + 1
	phaseWindow
	phaseInvoke
)

// MeasurementKey is the key of one run of a measurement: the environment's
// seed, the window index within the tuner's run (counted from Start), the
// phase (warm-up, window or single-function invocation) and the
// configuration, given as a string (backend.Config.String, or
// "function=MB" for an invocation). No tuner name and no global counter
// enter it.
func MeasurementKey(seed, window, phase uint64, config string) uint64 {
	h := uint64(0xcbf29ce484222325) // FNV-1a of the configuration
	for i := 0; i < len(config); i++ {
		h ^= uint64(config[i])
		h *= 0x100000001b3
	}
	return mix(mix(mix(mix(seed)^window)^phase) ^ h)
}

// sourceSeed is the seed of the request stream of one run: the same for
// every configuration measured at that window index, so configurations are
// also compared on common arrivals.
func sourceSeed(seed, window, phase uint64) uint64 {
	return mix(mix(mix(seed^0x736f75726365)^window) ^ phase)
}

// mix is SplitMix64's finaliser.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// key keys the backend's next run when it can be keyed.
func (e *Env) key(window, phase uint64, config string, fresh bool) {
	if k, ok := e.Backend.(Keyed); ok {
		k.KeyNext(MeasurementKey(e.seed, window, phase, config), fresh)
	}
}

// NewEnv makes an environment. seed keys its measurements' randomness
// (with the configuration and the window index; see MeasurementKey): two
// environments with one seed whose tuners measure the same configuration at
// the same window index see the same noise.
func NewEnv(b backend.Backend, source func(seed uint64) backend.Source, seed uint64) *Env {
	return &Env{Backend: b, Source: source, WindowUs: 30e6, WarmupUs: 15e6, Input: video.Reference, seed: seed}
}

// Start begins the accounting of a search: compute time counts from here.
func (e *Env) Start() {
	e.acct = Accounting{}
	e.trace = nil
	e.window = 0
	e.inGroup = false
	e.insideEnv = 0
	e.started = time.Now()
}

// Accounting is the cost of the search so far.
func (e *Env) Accounting() Accounting {
	a := e.acct
	if !e.started.IsZero() {
		a.ComputeSeconds = (time.Since(e.started) - e.insideEnv).Seconds()
	}
	a.SearchSeconds = a.MeasureSeconds + a.ProfileSeconds + a.ComputeSeconds
	return a
}

// Trace is every evaluation so far.
func (e *Env) Trace() []Evaluation { return append([]Evaluation(nil), e.trace...) }

// Evaluations counts the evaluations of a kind so far.
func (e *Env) Evaluations(kind string) int {
	n := 0
	for _, ev := range e.trace {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// Finish fills a result's accounting and trace.
func (e *Env) Finish(r *Result) *Result {
	r.Accounting = e.Accounting()
	r.Trace = e.Trace()
	return r
}

// Parallel runs n branches of measurements that the tuner's original runs
// at the same time (AWS Lambda Power Tuning's memory values, CharmSeeker's
// stages). The branches run one after another here, since the backend holds
// one configuration per function, but the group is charged the time of its
// longest branch rather than the sum: each branch's measurement seconds
// count from the group's start. Dollars are charged for every measurement
// of every branch. Evaluation.At of a measurement in a branch is the search
// time at the group's start plus its branch's measurement seconds so far.
// Parallel groups do not nest.
func (e *Env) Parallel(n int, branch func(i int) error) error {
	if e.inGroup {
		return fmt.Errorf("tuner: parallel groups do not nest")
	}
	e.inGroup = true
	start := e.acct.MeasureSeconds
	var longest float64
	defer func() {
		e.acct.MeasureSeconds = start + longest
		e.inGroup = false
	}()
	for i := 0; i < n; i++ {
		e.acct.MeasureSeconds = start
		err := branch(i)
		longest = max(longest, e.acct.MeasureSeconds-start)
		if err != nil {
			return err
		}
	}
	return nil
}

// Measure applies a configuration and streams the workload through the
// pipeline for one window. A measurement where invocations fail (out of
// memory) is not an error: it is returned with Failed > 0 and Feasible false,
// so tuners record it and go on.
func (e *Env) Measure(ctx context.Context, cfg backend.Config) (Evaluation, error) {
	t0 := time.Now()
	defer func() { e.insideEnv += time.Since(t0) }()
	if err := e.Backend.Apply(ctx, cfg); err != nil {
		return Evaluation{}, err
	}
	k := e.window
	e.window++
	// The key names the whole configuration in force, not only the
	// functions cfg sets.
	full := e.Backend.Config().String()
	var warm backend.RunStats
	if e.WarmupUs > 0 {
		e.key(k, phaseWarmup, full, true)
		var err error
		warm, err = e.Backend.Run(ctx, backend.Workload{Source: e.Source(sourceSeed(e.seed, k, phaseWarmup)), Duration: e.WarmupUs}, backend.Discard)
		if err != nil {
			return Evaluation{}, fmt.Errorf("tuner: warm-up: %w", err)
		}
	}
	e.key(k, phaseWindow, full, e.WarmupUs <= 0)
	col := newCollector()
	st, err := e.Backend.Run(ctx, backend.Workload{Source: e.Source(sourceSeed(e.seed, k, phaseWindow)), Duration: e.WindowUs}, col)
	if err != nil {
		return Evaluation{}, err
	}
	ev := col.evaluation(st)
	ev.Config, ev.Kind = cfg.Clone(), "pipeline"
	// The warm-up is paid for like the window.
	st.Elapsed += warm.Elapsed
	st.CostUSD += warm.CostUSD
	return e.record(ev, st), nil
}

// Invoke applies memory mb to one function and invokes it n times in
// parallel on the environment's clip, or on each of its Payloads at once
// (one request per payload). The backend must implement backend.Invoker,
// and backend.PayloadInvoker for payloads.
func (e *Env) Invoke(ctx context.Context, function string, mb, n int) (Evaluation, error) {
	t0 := time.Now()
	defer func() { e.insideEnv += time.Since(t0) }()
	inv, ok := e.Backend.(backend.Invoker)
	if !ok {
		return Evaluation{}, fmt.Errorf("tuner: the backend cannot invoke a function on its own")
	}
	pinv, ok := e.Backend.(backend.PayloadInvoker)
	if len(e.Payloads) > 0 && !ok {
		return Evaluation{}, fmt.Errorf("tuner: the backend cannot invoke a function on %d payloads at once", len(e.Payloads))
	}
	if err := e.Backend.Apply(ctx, backend.Config{function: mb}); err != nil {
		return Evaluation{}, err
	}
	k := e.window
	e.window++
	// Not fresh: invocations of one function at one size in a row reuse
	// its warm environments, as on Lambda (a size change retires them).
	e.key(k, phaseInvoke, fmt.Sprintf("%s=%d", function, mb), false)
	col := newCollector()
	var st backend.RunStats
	var err error
	if len(e.Payloads) > 0 {
		col.byReq = map[uint64][]float64{}
		st, err = pinv.InvokeEach(ctx, function, n, e.Payloads, col)
	} else {
		st, err = inv.Invoke(ctx, function, n, e.Input, col)
	}
	if err != nil {
		return Evaluation{}, err
	}
	ev := col.evaluation(st)
	ev.Config, ev.Kind, ev.Function = backend.Config{function: mb}, "invoke", function
	return e.record(ev, st), nil
}

// Profile runs one local profiling run of a function on the environment's
// clip and charges its time.
func (e *Env) Profile(ctx context.Context, function string) (backend.Features, error) {
	return e.ProfileOn(ctx, function, e.Input)
}

// ProfileOn runs one local profiling run of a function on a clip (one of
// Payloads, or a clip of a new input regime) and charges its time.
func (e *Env) ProfileOn(ctx context.Context, function string, in video.Input) (backend.Features, error) {
	t0 := time.Now()
	defer func() { e.insideEnv += time.Since(t0) }()
	f, err := e.Backend.Profile(ctx, function, in)
	if err != nil {
		return f, err
	}
	e.acct.ProfileSeconds += f.WallSeconds
	e.trace = append(e.trace, Evaluation{Kind: "profile", Function: function, Seconds: f.WallSeconds, At: e.Accounting().SearchSeconds,
		LatencyMs: math.NaN(), P95Ms: math.NaN(), CostUSD: math.NaN()})
	return f, nil
}

func (e *Env) record(ev Evaluation, st backend.RunStats) Evaluation {
	ev.Seconds = float64(st.Elapsed) / 1e6
	ev.USD = st.CostUSD
	e.acct.MeasureSeconds += ev.Seconds
	e.acct.SearchUSD += ev.USD
	ev.Feasible = ev.Failed == 0 && ev.Requests > 0 && (e.CBound == 0 || ev.CostUSD <= e.CBound)
	ev.At = e.Accounting().SearchSeconds
	e.trace = append(e.trace, ev)
	return ev
}

// collector aggregates records per function.
type collector struct {
	fns map[string]*fnAcc
	req map[uint64]float64 // cost of each request, summed over its invocations
	// byReq, when set, keeps every successful duration per request (one
	// function's invocations on payloads: request ids follow the payloads).
	byReq map[uint64][]float64
}

type fnAcc struct {
	stats FunctionStats
	sum   float64
	durs  []float64
}

func newCollector() *collector {
	return &collector{fns: map[string]*fnAcc{}, req: map[uint64]float64{}}
}

func (c *collector) Record(r *backend.Record) {
	a := c.fns[r.Function]
	if a == nil {
		a = &fnAcc{}
		c.fns[r.Function] = a
	}
	a.stats.Invocations++
	a.stats.CostUSD += r.CostUSD
	c.req[r.RequestID] += r.CostUSD
	if r.Cold() {
		a.stats.Cold++
	}
	if r.Status != backend.OK {
		a.stats.Failures++
		return
	}
	ms := float64(r.Duration) / 1000
	a.sum += ms
	a.durs = append(a.durs, ms)
	if c.byReq != nil {
		c.byReq[r.RequestID] = append(c.byReq[r.RequestID], ms)
	}
}

func (c *collector) evaluation(st backend.RunStats) Evaluation {
	ev := Evaluation{Requests: st.Requests, Failed: st.Failed, LatencyMs: st.E2E.Mean, P95Ms: st.E2E.P95,
		CostUSD: math.NaN(), Functions: map[string]FunctionStats{}}
	if st.Requests > 0 {
		ev.CostUSD = st.CostUSD / float64(st.Requests)
	}
	ev.CostSE = meanSE(c.req)
	for name, a := range c.fns {
		s := a.stats
		ok := len(a.durs)
		s.MeanMs, s.P95Ms = math.NaN(), math.NaN()
		if ok > 0 {
			s.MeanMs = a.sum / float64(ok)
			sort.Float64s(a.durs)
			s.P95Ms = a.durs[int(math.Ceil(0.95*float64(ok)))-1]
		}
		if st.Requests > 0 {
			s.CostUSD /= float64(st.Requests)
		}
		if c.byReq != nil {
			s.PayloadMs = c.payloadMedians()
		}
		ev.Functions[name] = s
	}
	return ev
}

// payloadMedians is the median successful duration on each request, in
// request-id order (NaN for a request whose invocations all failed).
func (c *collector) payloadMedians() []float64 {
	ids := slices.Sorted(maps.Keys(c.req))
	out := make([]float64, len(ids))
	for k, id := range ids {
		d := c.byReq[id]
		if len(d) == 0 {
			out[k] = math.NaN()
			continue
		}
		slices.Sort(d)
		if m := len(d); m%2 == 1 {
			out[k] = d[m/2]
		} else {
			out[k] = (d[m/2-1] + d[m/2]) / 2
		}
	}
	return out
}

// meanSE is the standard error of the mean of the values (NaN for fewer
// than two), summed in key order so that it is reproducible to the bit.
func meanSE(m map[uint64]float64) float64 {
	n := len(m)
	if n < 2 {
		return math.NaN()
	}
	keys := slices.Sorted(maps.Keys(m))
	var mean float64
	for _, k := range keys {
		mean += m[k]
	}
	mean /= float64(n)
	var ss float64
	for _, k := range keys {
		d := m[k] - mean
		ss += d * d
	}
	return math.Sqrt(ss / float64(n-1) / float64(n))
}
