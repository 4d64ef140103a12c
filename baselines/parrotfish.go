package baselines

// Parrotfish (Moghimi et al., SoCC 2023), ported from ubc-cirrus-lab/parrotfish
// (BASELINES.md, "Parrotfish"). Rules and where they come from:
//
//   - Model (src/parrotfish.py): cost(m) = a0·m + a1·m·exp(−m/a2), that is
//     t(m) = a0 + a1·exp(−m/a2) times m, fitted by least squares to m·t of
//     every datapoint with a ≥ 0 (ParametricFunction.fit, scipy curve_fit
//     from p0 = [⌊d0/10⌋]·3, d0 the duration of the smallest-memory
//     datapoint). Here gonum/optimize's L-BFGS on log a (so a > 0), from
//     that p0 and from one start read off the data, the better fit kept;
//     memory in GB and time in units of the mean duration for conditioning.
//   - Durations: "Billed Duration" of each REPORT line (aws_log_parser.py,
//     backend.Record.BilledMs), which includes the init phase exactly when
//     the platform bills it (platform.Price.BilledInit). A failed invocation
//     is ENOMEM.
//   - Sampling a memory size (recommendation/sampler.py, defaults.py): 4
//     invocations at once (MIN_SAMPLE_PER_CONFIG, explore_parallel), then
//     dynamic sampling: up to 8 more single invocations while the
//     coefficient of variation exceeds 0.05, each replacing the datapoint
//     whose replacement lowers the CV most (if any does). A size contributes
//     4 datapoints. The samples are warm (see the deviations).
//   - Initial sizes (Sampler.initialize_sample): the smallest size that runs
//     (on ENOMEM drop every size below the failed one + 128 MB and retry),
//     then the sizes at index ⌈len/3⌉ and the last of what is left.
//   - Knowledge (recommendation/objectives/fit_to_real_cost_objective.py):
//     1 + Σ over sampled sizes of exp(−(m − m_s)²/(2·200²)), a Gaussian bump
//     of σ = 200 MB and height 1 per sampled size; next size = the unsampled
//     one minimising predicted cost × knowledge; stop when the knowledge at
//     the predicted optimum exceeds 3 (TERMINATION_THRESHOLD) or the sample
//     holds more than 20 datapoints (MAX_TOTAL_SAMPLE_COUNT,
//     recommender._is_termination_reached), so 3 to 6 sizes per function.
//   - Workflow mode (src/step_function/execution_time_optimizer.py): start
//     from each function's cost-optimal size, then repeatedly raise by one
//     step the function on the critical path with the lowest ratio of cost
//     increase to time reduction (predicted by the fits), recomputing the
//     critical path after each raise.
//
// Adaptation to our objective (no SLO, a cost bound), and how it is
// calibrated: the workflow mode raises critical-path functions, from each
// function's predicted cost-optimal size, while the predicted pipeline cost
// after the raise stays within a budget, and stops when no critical-path
// raise both saves time and fits. The budget starts at C_bound and is
// calibrated by measurement: the pick is measured with one pipeline window
// (tuner.Env.Measure, charged like any other); if it costs more than
// C_bound, the budget is scaled by predicted/measured cost and the raise is
// redone from the start, at most 3 measurements; the last pick is returned,
// feasible if its measurement met the bound. The fit's prediction alone is
// not enough: it prices only the sampled functions' billed time, and away
// from its samples it errs one way or the other. On face-detection at +30 %
// (seeds 1–6) the outcome depends on where the fit errs: with the function
// model before commit 7850f42, comparing the bare prediction with C_bound
// left 4 of 6 answers 2–12 % over the bound in truth, Parrotfish's own cost
// tolerance window ((1 + x) times the predicted cost-optimal start) 6 of 6
// (2–8 %), and the measured calibration 2 of 6 (1–3 %); with the calibrated
// model of 7850f42, the bare prediction and the measured calibration 2 of 6
// (1–3 %), the window none. The measured calibration is the rule that does
// not depend on where the fit errs; its remaining misses are within one
// 30 s window's noise. The predicted pipeline cost is Σ over functions of
// fan-out instances × (t(m)·m·price + request fee), the predicted pipeline
// time the critical path of predicted function times. One step is the next size of the grid
// (the code steps 10 MB on a 1 MB grid). The calibration measurements are
// ours: Parrotfish's workflow driver targets an SLO and does not measure
// the pipeline.
//
// Deviations, each deliberate:
//   - BASELINES.md's single-function defaults (threshold 3, 4 + 8
//     invocations, CV 0.05) are used for every function; the code's
//     step-function driver overrides them (threshold 2, 3 + 3, CV 0.1).
//   - The code minimises over the unfiltered memory space and can recommend
//     a size that ran out of memory; here only sizes at or above the
//     smallest that ran are candidates. A later size that fails is dropped
//     from the space (the code raises and stops); with fewer than 3 sizes
//     left after ENOMEM the code raises NoMemoryLeftError, here the search
//     goes on with the sizes left.
//   - Fan-out functions are invoked 4 instances at a time through
//     backend.Invoker, their predicted cost multiplied by the instances a
//     request has (the workflow driver counts Map iterations the same way).
//   - Warm samples. Each size's 4 sampled invocations run in environments
//     started by a first round of 4 invocations at that size, charged (time
//     and dollars, counted as evaluations) but not fitted. The public code
//     samples right after updating the configuration and reads "Billed
//     Duration", which on the Lambda it was written for (before init
//     billing, 1 August 2025) left the init phase out; what it priced was
//     execution time. Here a new environment's first invocation also runs
//     slower (platform ColdStart.FirstInvocationSlowdown, ×1.25), which
//     fitted from cold samples made Parrotfish predict cost 23 % above the
//     truth (issue 14) and never raise memory at +30 %.
//   - Result.Feasible is whether the last calibration measurement met the
//     bound.
//
// Evaluations are invocations (4 warming and 4 sampled per size plus the
// dynamic ones); the 1–3 calibrating pipeline runs are in the trace and
// charged, not counted.

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/optimize"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/tuner"
)

// Parrotfish's defaults (src/configuration/defaults.py).
const (
	pfInvocations = 4    // MIN_SAMPLE_PER_CONFIG
	pfDynamicMax  = 8    // max_sample_per_config
	pfCVThreshold = 0.05 // coefficient_of_variation_threshold
	pfMaxSamples  = 20   // MAX_TOTAL_SAMPLE_COUNT (datapoints)
	pfTermination = 3.0  // TERMINATION_THRESHOLD
	pfSigmaMB     = 200.0
	pfENOMEMStep  = 128 // sizes ≥ failed + 128 MB are kept

	// pfCalibrationRounds bounds the pipeline measurements that calibrate
	// the workflow adaptation (ours; see the package doc).
	pfCalibrationRounds = 3
)

// Parrotfish fits a parametric time-vs-memory model per function and
// composes the functions with its workflow mode under the cost bound.
type Parrotfish struct{}

func (Parrotfish) Name() string { return "parrotfish" }

// pfModel is a fitted t(m) = D·(a0 + a1·exp(−(m/1024)/a2)) in ms.
type pfModel struct {
	a [3]float64
	d float64 // duration scale, ms
}

func (m pfModel) time(mb float64) float64 {
	return m.d * (m.a[0] + m.a[1]*math.Exp(-mb/1024/m.a[2]))
}

// pfFunction is the search state of one function.
type pfFunction struct {
	space     []int // sizes that may be sampled (smallest that runs and up)
	sampled   map[int]bool
	points    [][2]float64 // (mb, ms) datapoints
	knowledge map[int]float64
	model     pfModel
}

func (f *pfFunction) bump(mb int) {
	for _, m := range f.space {
		d := float64(m - mb)
		f.knowledge[m] += math.Exp(-d * d / (2 * pfSigmaMB * pfSigmaMB))
	}
}

// optimum is the space's size minimising predicted cost m·t(m).
func (f *pfFunction) optimum() int {
	best, bestV := f.space[0], math.Inf(1)
	for _, m := range f.space {
		if v := float64(m) * f.model.time(float64(m)); v < bestV {
			best, bestV = m, v
		}
	}
	return best
}

func (pf Parrotfish) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	env := p.Env
	B := p.CBound()
	env.CBound = B
	tap, restore := installTap(env)
	defer restore()
	env.Start()
	res := &tuner.Result{Tuner: pf.Name(), Unit: "function invocations (and 1–3 pipeline runs calibrating the workflow budget)", Config: backend.Config{}}
	names := p.Pipeline.Names()
	fns := make([]*pfFunction, len(names))
	var skipped int
	for i, fn := range names {
		f, dropped, err := pf.tuneFunction(ctx, env, tap, fn, p.Grid, &res.Evaluations)
		if err != nil {
			return nil, err
		}
		skipped += dropped
		fns[i] = f
	}

	// Workflow mode under the cost bound.
	n := len(names)
	mem := make([]int, n)      // index into fns[i].space
	inst := make([]float64, n) // fan-out instances per request
	ok := true
	for i, f := range fns {
		inst[i] = float64(p.Pipeline.Nodes[i].Instances(env.Input))
		if f == nil {
			ok = false
			continue
		}
		opt := f.optimum()
		mem[i] = sort.SearchInts(f.space, opt)
	}
	price := p.Platform.PricePerGBSecond()
	fnCost := func(i, k int) float64 {
		mb := float64(fns[i].space[k])
		return inst[i] * (fns[i].model.time(mb)/1000*mb/1024*price + p.Platform.Price.PerRequest)
	}
	times := func() []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = fns[i].model.time(float64(fns[i].space[mem[i]]))
		}
		return w
	}
	total := func() float64 {
		var c float64
		for i := range fns {
			c += fnCost(i, mem[i])
		}
		return c
	}
	if !ok {
		for i, f := range fns {
			if f == nil {
				res.Config[names[i]] = p.Grid[len(p.Grid)-1]
			} else {
				res.Config[names[i]] = f.space[mem[i]]
			}
		}
		res.Note = "a function ran out of memory at every size it tried; no prediction"
		return env.Finish(res), nil
	}
	// The bound, calibrated: within C_bound and within (1 + x) times the
	// predicted cost of the cost-optimal start (Parrotfish's cost tolerance
	// window, in the fit's own units); see the package doc.
	start := total()
	startMem := append([]int(nil), mem...)
	// raise is the workflow mode under a budget in predicted dollars, from
	// the cost-optimal start.
	raise := func(budget float64) int {
		copy(mem, startMem)
		raises := 0
		for {
			cost := total()
			best, bestRatio := -1, math.Inf(1)
			for _, i := range criticalNodes(p.Pipeline, times()) {
				k := mem[i]
				if k+1 >= len(fns[i].space) {
					continue
				}
				dt := fns[i].model.time(float64(fns[i].space[k])) - fns[i].model.time(float64(fns[i].space[k+1]))
				dc := fnCost(i, k+1) - fnCost(i, k)
				if !(dt > 0) || cost+dc > budget {
					continue
				}
				if r := dc / dt; r < bestRatio {
					best, bestRatio = i, r
				}
			}
			if best < 0 {
				return raises
			}
			mem[best]++
			raises++
		}
	}
	config := func() backend.Config {
		c := backend.Config{}
		for i, f := range fns {
			c[names[i]] = f.space[mem[i]]
		}
		return c
	}
	// Calibration: measure the pick with one pipeline window; if it costs
	// more than C_bound, scale the budget by predicted/measured and raise
	// again from the start, at most pfCalibrationRounds measurements.
	budget := B
	var picked backend.Config
	var measured []string
	var raises int
	for round := 0; round < pfCalibrationRounds; round++ {
		raises = raise(budget)
		cfg := config()
		predicted := total()
		ev, err := env.Measure(ctx, cfg)
		if err != nil {
			return nil, err
		}
		measured = append(measured, fmt.Sprintf("$%.4g measured for $%.4g predicted", ev.CostUSD, predicted))
		picked = cfg
		if ev.Feasible {
			res.Feasible = true
			break
		}
		if ev.Failed > 0 || !(ev.CostUSD > 0) {
			break
		}
		budget *= predicted / ev.CostUSD
	}
	res.Config = picked
	res.Note = fmt.Sprintf("raised from the predicted cost-optimal start ($%.4g) within a budget calibrated by pipeline measurements (%s) against C_bound $%.4g; critical path %.1f ms predicted after %d raises",
		start, strings.Join(measured, ", then "), B, criticalPath(p.Pipeline, times()), raises)
	if !res.Feasible {
		res.Note += "; no measured pick met the bound"
	}
	if skipped > 0 {
		res.Note += fmt.Sprintf("; %d sizes dropped after failed invocations", skipped)
	}
	return env.Finish(res), nil
}

// tuneFunction runs Parrotfish's recommender on one function. It returns
// nil when no size of the grid ran.
func (pf Parrotfish) tuneFunction(ctx context.Context, env *tuner.Env, tap *reportTap, fn string, grid []int, evals *int) (*pfFunction, int, error) {
	f := &pfFunction{space: append([]int(nil), grid...), sampled: map[int]bool{}, knowledge: map[int]float64{}}
	dropped := 0
	sample := func(mb int) (bool, error) {
		durs, ok, err := pf.sample(ctx, env, tap, fn, mb, evals)
		if err != nil || !ok {
			return false, err
		}
		f.sampled[mb] = true
		for _, d := range durs {
			f.points = append(f.points, [2]float64{float64(mb), d})
		}
		return true, nil
	}
	drop := func(mb int) {
		dropped++
		k := sort.SearchInts(f.space, mb)
		f.space = append(f.space[:k:k], f.space[k+1:]...)
	}
	// The smallest size that runs.
	for {
		if len(f.space) == 0 {
			return nil, dropped, nil
		}
		first := f.space[0]
		ran, err := sample(first)
		if err != nil {
			return nil, dropped, err
		}
		if ran {
			break
		}
		dropped++
		k := sort.SearchInts(f.space, first+pfENOMEMStep)
		f.space = append([]int(nil), f.space[k:]...)
	}
	// A third of the way up, and the largest.
	for _, pick := range []func() int{
		func() int { return f.space[min(int(math.Ceil(float64(len(f.space))/3)), len(f.space)-1)] },
		func() int { return f.space[len(f.space)-1] },
	} {
		mb := pick()
		if f.sampled[mb] {
			continue
		}
		ran, err := sample(mb)
		if err != nil {
			return nil, dropped, err
		}
		if !ran {
			drop(mb)
		}
	}
	for _, m := range f.space {
		if f.sampled[m] {
			f.bump(m)
		}
	}
	f.model = fitParrotfish(f.points)
	for len(f.points) <= pfMaxSamples && 1+f.knowledge[f.optimum()] <= pfTermination {
		next, nextV := -1, math.Inf(1)
		for _, m := range f.space {
			if f.sampled[m] {
				continue
			}
			v := float64(m) * f.model.time(float64(m)) * (1 + f.knowledge[m])
			if next < 0 || v < nextV {
				next, nextV = m, v
			}
		}
		if next < 0 {
			break // no size left (NoMemoryLeftError)
		}
		ran, err := sample(next)
		if err != nil {
			return nil, dropped, err
		}
		if !ran {
			drop(next)
			continue
		}
		f.bump(next)
		f.model = fitParrotfish(f.points)
	}
	return f, dropped, nil
}

// sample invokes fn at mb 4 times at once, then dynamically, and returns
// the 4 durations kept; ok is false when an invocation failed (ENOMEM).
func (pf Parrotfish) sample(ctx context.Context, env *tuner.Env, tap *reportTap, fn string, mb int, evals *int) (durs []float64, ok bool, err error) {
	// The warming round: as many invocations as the sample, at once, to
	// start the environments the sample then runs in; charged, not fitted.
	if _, ok, err = pf.invoke(ctx, env, tap, fn, mb, pfInvocations, evals); err != nil || !ok {
		return nil, ok, err
	}
	durs, ok, err = pf.invoke(ctx, env, tap, fn, mb, pfInvocations, evals)
	if err != nil || !ok {
		return nil, ok, err
	}
	minCV := cv(durs)
	for k := 0; k < pfDynamicMax && minCV > pfCVThreshold; k++ {
		one, ok1, err := pf.invoke(ctx, env, tap, fn, mb, 1, evals)
		if err != nil {
			return nil, false, err
		}
		if !ok1 {
			break // an exploration error ends dynamic sampling
		}
		values := append([]float64(nil), durs...)
		for i := range values {
			old := values[i]
			values[i] = one[0]
			if c := cv(values); c < minCV {
				minCV = c
				durs = append(durs[:0:0], values...)
			}
			values[i] = old
		}
	}
	return durs, true, nil
}

func (pf Parrotfish) invoke(ctx context.Context, env *tuner.Env, tap *reportTap, fn string, mb, n int, evals *int) ([]float64, bool, error) {
	if _, err := env.Invoke(ctx, fn, mb, n); err != nil {
		return nil, false, fmt.Errorf("baselines: parrotfish %s at %d MB: %w", fn, mb, err)
	}
	*evals += n
	var durs []float64
	for k := range tap.recs {
		r := &tap.recs[k]
		if r.Function != fn {
			continue
		}
		if r.Status != backend.OK {
			return nil, false, nil
		}
		durs = append(durs, float64(r.BilledMs))
	}
	return durs, len(durs) >= n, nil
}

// cv is the coefficient of variation with the sample standard deviation
// (numpy std with ddof = 1 over the mean).
func cv(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss/float64(len(v)-1)) / m
}

// fitParrotfish fits t(m) to the datapoints by least squares on m·t(m)
// (the code's cost curve), with gonum/optimize's L-BFGS on log a from the
// code's p0 and from a start read off the data, keeping the better fit.
func fitParrotfish(pts [][2]float64) pfModel {
	var D float64
	for _, q := range pts {
		D += q[1]
	}
	D /= float64(len(pts))
	if !(D > 0) {
		D = 1
	}
	sorted := append([][2]float64(nil), pts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i][0] < sorted[j][0] })
	x := make([]float64, len(sorted))
	y := make([]float64, len(sorted))
	for i, q := range sorted {
		x[i], y[i] = q[0]/1024, q[1]/D
	}
	ssr := func(th, grad []float64) float64 {
		a0, a1, a2 := math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])
		var f, g0, g1, g2 float64
		for i, xi := range x {
			e := math.Exp(-xi / a2)
			r := xi * (a0 + a1*e - y[i])
			f += r * r
			g0 += 2 * r * xi
			g1 += 2 * r * xi * e
			g2 += 2 * r * xi * a1 * e * xi / (a2 * a2)
		}
		if grad != nil {
			grad[0], grad[1], grad[2] = g0*a0, g1*a1, g2*a2
		}
		if math.IsNaN(f) {
			return math.Inf(1)
		}
		return f
	}
	problem := optimize.Problem{
		Func: func(th []float64) float64 { return ssr(th, nil) },
		Grad: func(grad, th []float64) { ssr(th, grad) },
	}
	// The code's p0: ⌊d0/10⌋ for each parameter, in ms and MB.
	p0 := max(math.Floor(sorted[0][1]/10), 1)
	lo, hi := x[0], x[len(x)-1]
	yLo, yHi := y[0], y[len(y)-1]
	a2 := max((hi-lo)/3, 0.05)
	starts := [][3]float64{
		{p0 / D, p0 / D, p0 / 1024},
		{max(yHi, 1e-3), max(yLo-yHi, 1e-3) * math.Exp(lo/a2), a2},
	}
	best := pfModel{a: [3]float64{1, 0, 1}, d: D}
	bestF := math.Inf(1)
	for _, s := range starts {
		th := []float64{math.Log(s[0]), math.Log(s[1]), math.Log(s[2])}
		settings := &optimize.Settings{
			GradientThreshold: 1e-12,
			MajorIterations:   500,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-10, Iterations: 20},
		}
		r, err := optimize.Minimize(problem, th, settings, &optimize.LBFGS{})
		if r == nil || (err != nil && r.X == nil) {
			continue
		}
		if f := ssr(r.X, nil); f < bestF && !math.IsInf(f, 0) {
			bestF = f
			best.a = [3]float64{math.Exp(r.X[0]), math.Exp(r.X[1]), math.Exp(r.X[2])}
		}
	}
	return best
}
