package baselines

// AWS Lambda Power Tuning, ported from alexcasalboni/aws-lambda-power-tuning
// (BASELINES.md, "AWS Lambda Power Tuning"). Rules and where they come from:
//
//   - One function at a time; every memory value of the list is invoked Num
//     times (lambda/executor.js, runInSeries / runInParallel; num ≥ 5 by the
//     tool's documentation, 5 here). The tool's state machine runs the memory
//     values in parallel branches and, by default (parallelInvocation =
//     false), the Num invocations of one value in series: the first one
//     starts cold after the new version is published, the others are warm.
//     ParallelInvocation = true invokes the Num at once, all cold.
//   - Duration from the REPORT line, init included (lambda/utils.js,
//     extractDurationFromText reads "Billed Duration", which includes the
//     Init Duration since Lambda bills the init phase): here
//     ⌈(Duration + Init Duration) / 1 ms⌉ of each record.
//   - Trimmed mean dropping ⌊0.2·Num⌋ values at each end
//     (utils.computeAverageDuration, discardTopBottom = 0.2).
//   - Cost = ⌈average ms⌉ · base price per ms at 128 MB · memory/128, no
//     request fee (utils.computePrice with minRAM = 128).
//   - Strategies (lambda/analyzer.js): cost (cheapest, ties to the faster),
//     speed (fastest, ties to the cheaper), balanced (minimum of
//     w·cost/max cost + (1−w)·duration/max duration, w = 0.5, ties to the
//     smaller memory as JavaScript's stable sort keeps them).
//   - As a pipeline baseline (BASELINES.md): each function tuned on its own,
//     picks composed. The tool ignores the pipeline budget; the result says so.
//
// Deviations, each deliberate:
//   - Memory values whose invocations fail (out of memory, timeout) are
//     skipped; the tool's executor throws on a FunctionError (in series at
//     the first one, so the value's later invocations never run, as here)
//     and the whole state machine fails. BASELINES.md lists "values that run out of memory
//     skipped rather than failing the run" among what its users ask for most.
//   - The default strategy is balanced (the project's choice for the
//     "powertuning" series); the tool's own default is cost, available as
//     "powertuning-cost".
//   - Memory values are measured one after another on one function (the
//     backend holds one memory per function), but charged as the tool's
//     parallel Executor branches take them (tuner.Env.Parallel): per
//     function the longest value's time, functions one after another as a
//     user runs the tool once per function. Every invocation's dollars are
//     charged. The Initializer's and Cleaner's version publishing and
//     deletion are not charged.
//   - Result.Feasible is our bookkeeping, not the tool's: the composed
//     configuration's cost estimated from the tool's own averages (times the
//     fan-out of each function, request fees added) against C_bound. It does
//     not influence the pick.
//   - Each function is invoked alone with the input its predecessors would
//     produce for the environment's clip (backend.Invoker), as the tool
//     invokes one Lambda function with a payload.
//
// Evaluations are invocations: Num per memory value per function, 32·5 per
// function on the paper's grid.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

// Power Tuning's defaults.
const (
	ptNum            = 5   // invocations per memory value
	ptDiscard        = 0.2 // discardTopBottom
	ptBalancedWeight = 0.5 // balancedWeight
	ptMinRAM         = 128 // the memory the base price is quoted at
)

// PowerTuning is AWS Lambda Power Tuning applied to every function of the
// pipeline in turn.
type PowerTuning struct {
	// Strategy is "cost", "speed" or "balanced"; empty means balanced.
	Strategy string
	// Num is the number of invocations per memory value (default 5).
	Num int
	// ParallelInvocation invokes the Num invocations of a value at once (the
	// tool's parallelInvocation option); the default runs them in series.
	ParallelInvocation bool
}

// Name is "powertuning" for the balanced strategy and "powertuning-cost" or
// "powertuning-speed" for the others.
func (pt PowerTuning) Name() string {
	switch pt.Strategy {
	case "", "balanced":
		return "powertuning"
	default:
		return "powertuning-" + pt.Strategy
	}
}

// ptStat is one memory value's statistics (analyzer.js extractStatistics).
type ptStat struct {
	power    int
	cost     float64 // averagePrice, USD per invocation
	duration float64 // averageDuration, ms
}

func (pt PowerTuning) Tune(ctx context.Context, p *tuner.Problem) (*tuner.Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	strategy := pt.Strategy
	if strategy == "" {
		strategy = "balanced"
	}
	if strategy != "cost" && strategy != "speed" && strategy != "balanced" {
		return nil, fmt.Errorf("baselines: power tuning strategy %q: want cost, speed or balanced", pt.Strategy)
	}
	num := pt.Num
	if num == 0 {
		num = ptNum
	}
	if num < 1 {
		return nil, fmt.Errorf("baselines: power tuning needs at least one invocation per memory value, got %d", num)
	}
	env := p.Env
	env.CBound = p.CBound()
	tap, restore := installTap(env)
	defer restore()
	env.Start()
	res := &tuner.Result{Tuner: pt.Name(), Unit: "function invocations", Config: backend.Config{}}
	basePerMs := p.Platform.PricePerGBSecond() / 1000 * ptMinRAM / 1024
	var estimate float64
	var skipped []string
	for i, fn := range p.Pipeline.Names() {
		// The state machine's Executor branches, one per memory value, run
		// in parallel: charged as the longest.
		durs := make([][]float64, len(p.Grid))
		failed := make([]bool, len(p.Grid))
		err := env.Parallel(len(p.Grid), func(k int) error {
			var err error
			var n int
			durs[k], n, failed[k], err = pt.invoke(ctx, env, tap, fn, p.Grid[k], num)
			res.Evaluations += n
			return err
		})
		if err != nil {
			return nil, err
		}
		var stats []ptStat
		for k, mb := range p.Grid {
			if failed[k] {
				skipped = append(skipped, fmt.Sprintf("%s@%d", fn, mb))
				continue
			}
			avg := trimmedMean(durs[k], ptDiscard)
			if !(avg > 0) { // analyzer.js drops empty results
				continue
			}
			stats = append(stats, ptStat{power: mb, duration: avg, cost: math.Ceil(avg) * basePerMs * float64(mb) / ptMinRAM})
		}
		if len(stats) == 0 {
			// The tool's analyzer throws on empty statistics; we keep the
			// largest size so the pipeline has a configuration, and say so.
			res.Config[fn] = p.Grid[len(p.Grid)-1]
			estimate = math.Inf(1)
			continue
		}
		best := ptPick(stats, strategy)
		res.Config[fn] = best.power
		inst := p.Pipeline.Nodes[i].Instances(env.Input)
		estimate += float64(inst) * (best.cost + p.Platform.Price.PerRequest)
	}
	res.Feasible = estimate <= p.CBound()
	var note strings.Builder
	fmt.Fprintf(&note, "ignores the pipeline budget: each function picked alone by the %s strategy; "+
		"composed cost estimated from its own averages %.4g USD per request against C_bound %.4g", strategy, estimate, p.CBound())
	if len(skipped) > 0 {
		fmt.Fprintf(&note, "; %d memory values skipped for failed invocations (%s)", len(skipped), strings.Join(skipped, " "))
	}
	res.Note = note.String()
	return env.Finish(res), nil
}

// invoke runs num invocations of fn at mb, in series (up to the first
// failure) or at once, and returns the REPORT durations (ms, init included)
// of those that succeeded, how many it made and whether any failed.
func (pt PowerTuning) invoke(ctx context.Context, env *tuner.Env, tap *reportTap, fn string, mb, num int) ([]float64, int, bool, error) {
	batches, per := num, 1
	if pt.ParallelInvocation {
		batches, per = 1, num
	}
	var durs []float64
	failed, made := false, 0
	for b := 0; b < batches; b++ {
		made += per
		if _, err := env.Invoke(ctx, fn, mb, per); err != nil {
			return nil, 0, false, fmt.Errorf("baselines: power tuning %s at %d MB: %w", fn, mb, err)
		}
		n := 0
		for _, r := range tap.recs {
			if r.Function != fn {
				continue
			}
			n++
			if r.Status != backend.OK {
				failed = true
				continue
			}
			durs = append(durs, reportMs(&r))
		}
		if n < per {
			failed = true
		}
		if failed {
			// executor.js runInSeries throws at the first FunctionError:
			// no further invocation of this value.
			break
		}
	}
	return durs, made, failed, nil
}

// ptPick applies a strategy of analyzer.js to the statistics (in ascending
// memory order).
func ptPick(stats []ptStat, strategy string) ptStat {
	s := append([]ptStat(nil), stats...)
	switch strategy {
	case "cost":
		sort.SliceStable(s, func(i, j int) bool {
			if s[i].cost == s[j].cost {
				return s[i].duration < s[j].duration
			}
			return s[i].cost < s[j].cost
		})
	case "speed":
		sort.SliceStable(s, func(i, j int) bool {
			if s[i].duration == s[j].duration {
				return s[i].cost < s[j].cost
			}
			return s[i].duration < s[j].duration
		})
	default:
		var maxCost, maxDur float64
		for _, x := range s {
			maxCost, maxDur = max(maxCost, x.cost), max(maxDur, x.duration)
		}
		value := func(x ptStat) float64 {
			return ptBalancedWeight*x.cost/maxCost + (1-ptBalancedWeight)*x.duration/maxDur
		}
		sort.SliceStable(s, func(i, j int) bool { return value(s[i]) < value(s[j]) })
	}
	return s[0]
}

// trimmedMean drops ⌊frac·n⌋ values at each end of the sorted values and
// averages the rest (utils.computeAverageDuration).
func trimmedMean(v []float64, frac float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	k := int(float64(len(s)) * frac)
	s = s[k : len(s)-k]
	var sum float64
	for _, x := range s {
		sum += x
	}
	return sum / float64(len(s))
}

// reportMs is a record's duration as a REPORT line bills it with the init
// phase: ⌈(Duration + Init Duration) / 1 ms⌉.
func reportMs(r *backend.Record) float64 {
	return math.Ceil(float64(r.Duration+r.InitDuration) / 1000)
}

// reportTap wraps the environment's backend for the length of one search
// and keeps a copy of every invocation record of the latest measurement:
// the REPORT lines a real tool reads from the invocation's log tail or from
// CloudWatch Logs. The environment still sees every record and does all the
// accounting; the tap only lets a baseline read what its original reads
// (per-invocation durations, init durations, statuses, request ids), which
// the environment's per-function summary does not carry.
type reportTap struct {
	backend.Backend
	recs []backend.Record
}

// installTap puts a tap around env.Backend; restore puts the backend back.
func installTap(env *tuner.Env) (t *reportTap, restore func()) {
	t = &reportTap{Backend: env.Backend}
	env.Backend = t
	return t, func() { env.Backend = t.Backend }
}

func (t *reportTap) sink(next backend.Sink) backend.Sink {
	t.recs = t.recs[:0]
	return backend.SinkFunc(func(r *backend.Record) {
		t.recs = append(t.recs, *r)
		if next != nil {
			next.Record(r)
		}
	})
}

// Run implements backend.Backend.
func (t *reportTap) Run(ctx context.Context, w backend.Workload, sink backend.Sink) (backend.RunStats, error) {
	return t.Backend.Run(ctx, w, t.sink(sink))
}

// Invoke implements backend.Invoker when the wrapped backend does.
func (t *reportTap) Invoke(ctx context.Context, function string, n int, in video.Input, sink backend.Sink) (backend.RunStats, error) {
	inv, ok := t.Backend.(backend.Invoker)
	if !ok {
		return backend.RunStats{}, errNoInvoker
	}
	return inv.Invoke(ctx, function, n, in, t.sink(sink))
}

// InvokeEach implements backend.PayloadInvoker when the wrapped backend does.
func (t *reportTap) InvokeEach(ctx context.Context, function string, n int, ins []video.Input, sink backend.Sink) (backend.RunStats, error) {
	inv, ok := t.Backend.(backend.PayloadInvoker)
	if !ok {
		return backend.RunStats{}, errNoInvoker
	}
	return inv.InvokeEach(ctx, function, n, ins, t.sink(sink))
}

// KeyNext implements tuner.Keyed when the wrapped backend does, so that
// the environment's keys reach the simulator through the tap.
func (t *reportTap) KeyNext(key uint64, fresh bool) {
	if k, ok := t.Backend.(tuner.Keyed); ok {
		k.KeyNext(key, fresh)
	}
}

var errNoInvoker = errors.New("baselines: the backend cannot invoke a function on its own")
