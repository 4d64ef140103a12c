package live

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// sample applies mb to function, invokes it once to warm an environment, then
// n times one after another, and returns the n records (the warm-up
// invocation is returned apart).
func sample(ctx context.Context, b *Backend, function string, mb, n int) (warmup []backend.Record, recs []backend.Record, err error) {
	if err := b.ApplyReason(ctx, backend.Config{function: mb}, "measure "+function); err != nil {
		return nil, nil, err
	}
	in := b.set.Input
	col := backend.SinkFunc(func(r *backend.Record) { recs = append(recs, *r) })
	if _, err := b.Invoke(ctx, function, 1, in, col); err != nil {
		return nil, nil, err
	}
	warmup, recs = recs, nil
	for i := 0; i < n; i++ {
		if _, err := b.Invoke(ctx, function, 1, in, col); err != nil {
			return warmup, recs, err
		}
	}
	return warmup, recs, nil
}

// predict is the simulator's view of the same measurement: a warm-up then
// samples invocations one after another.
func predict(ctx context.Context, s *sim.Sim, function string, mb, samples int, b *Backend) ([]backend.Record, error) {
	if err := s.Apply(ctx, backend.Config{function: mb}); err != nil {
		return nil, err
	}
	var recs []backend.Record
	col := backend.SinkFunc(func(r *backend.Record) { recs = append(recs, *r) })
	if _, err := s.Invoke(ctx, function, 1, b.set.Input, backend.Discard); err != nil {
		return nil, err
	}
	for i := 0; i < samples; i++ {
		if _, err := s.Invoke(ctx, function, 1, b.set.Input, col); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// ValidationRow compares one function at one memory size: measured live
// against the simulator's prediction. Only warm, successful invocations
// enter the comparison; cold starts and failures are counted.
type ValidationRow struct {
	Function        string  `json:"function"`
	MemoryMB        int     `json:"memory_mb"`
	N               int     `json:"n"` // warm successful invocations measured
	Cold            int     `json:"cold"`
	Failed          int     `json:"failed"`
	PredictedFailed int     `json:"predicted_failed"`
	MeasuredMeanMs  float64 `json:"measured_mean_ms"`
	PredictedMeanMs float64 `json:"predicted_mean_ms"`
	MeasuredP95Ms   float64 `json:"measured_p95_ms"`
	PredictedP95Ms  float64 `json:"predicted_p95_ms"`
	// MeanError is (measured − predicted) / predicted mean duration.
	MeanError float64 `json:"mean_error"`
	// KS is the two-sample Kolmogorov–Smirnov distance between the measured
	// and predicted duration distributions (0 identical, 1 disjoint).
	KS float64 `json:"ks"`
	// SamplesMs are the measured warm durations (REPORT Duration), so that
	// cnav calibrate --from can refit the functions to this account.
	SamplesMs []float64 `json:"samples_ms"`
}

// ValidationOptions configure Validate.
type ValidationOptions struct {
	Sizes     []int    // memory sizes to measure
	N         int      // measured invocations per function and size (after one warm-up)
	Samples   int      // simulated invocations per function and size
	Functions []string // default: every pipeline function
	Predictor *sim.Sim // the simulator whose prediction is checked
}

// Validate measures every function at several memory sizes and compares the
// durations with the simulator's prediction. It changes memory sizes; the
// caller restores the originals.
func Validate(ctx context.Context, b *Backend, o ValidationOptions) ([]ValidationRow, error) {
	if o.Predictor == nil || len(o.Sizes) == 0 || o.N < 1 || o.Samples < 1 {
		return nil, errors.New("live: validate needs a predictor, memory sizes, and positive counts")
	}
	fns := o.Functions
	if len(fns) == 0 {
		fns = b.dag.Names()
	}
	var rows []ValidationRow
	for _, f := range fns {
		for _, mb := range o.Sizes {
			warm, meas, err := sample(ctx, b, f, mb, o.N)
			if err != nil {
				return rows, err
			}
			pred, err := predict(ctx, o.Predictor, f, mb, o.Samples, b)
			if err != nil {
				return rows, err
			}
			row := ValidationRow{Function: f, MemoryMB: mb}
			m := durations(append(warm, meas...), &row.Cold, &row.Failed)
			p := durations(pred, new(int), &row.PredictedFailed)
			row.N = len(m)
			row.SamplesMs = m
			row.MeasuredMeanMs, row.MeasuredP95Ms = meanP95(m)
			row.PredictedMeanMs, row.PredictedP95Ms = meanP95(p)
			row.MeanError = (row.MeasuredMeanMs - row.PredictedMeanMs) / row.PredictedMeanMs
			row.KS = KSDistance(m, p)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// durations are the warm successful durations in ms; cold and failed are
// counted.
func durations(recs []backend.Record, cold, failed *int) []float64 {
	var out []float64
	for _, r := range recs {
		switch {
		case r.Status != backend.OK:
			*failed++
		case r.Cold():
			*cold++
		default:
			out = append(out, float64(r.Duration)/1000)
		}
	}
	return out
}

func meanP95(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return sum / float64(len(s)), s[int(math.Ceil(0.95*float64(len(s))))-1]
}

// KSDistance is the two-sample Kolmogorov–Smirnov statistic: the largest
// gap between the two empirical distribution functions. It is NaN when
// either sample is empty.
func KSDistance(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	x := append([]float64(nil), a...)
	y := append([]float64(nil), b...)
	sort.Float64s(x)
	sort.Float64s(y)
	var i, j int
	var d float64
	for i < len(x) && j < len(y) {
		v := math.Min(x[i], y[j])
		for i < len(x) && x[i] <= v {
			i++
		}
		for j < len(y) && y[j] <= v {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(x))-float64(j)/float64(len(y))))
	}
	return d
}

// CMinFunction is the cheapest measured size of one function.
type CMinFunction struct {
	MemoryMB  int     `json:"memory_mb"`
	CostUSD   float64 `json:"cost_per_invocation_usd"`
	Instances int     `json:"instances_per_request"`
}

// CMin is a measured minimum cost per request.
type CMin struct {
	USD         float64                 `json:"c_min_usd"`
	Functions   map[string]CMinFunction `json:"functions"`
	Sizes       []int                   `json:"sizes"`
	Invocations int                     `json:"invocations"`
	SpentUSD    float64                 `json:"spent_usd"`
}

// MeasureCMin measures C_min, the cost per request of the cheapest feasible
// configuration, the only honest way live (there is no ground truth): cost
// is additive over functions, so it sweeps each function alone over sizes
// (one warm-up, then n invocations one after another) and sums, over the
// functions, the fan-out count times the lowest mean cost per warm
// invocation among the sizes where no invocation failed. It is an upper
// bound of the true C_min when the sweep misses the cheapest size.
func MeasureCMin(ctx context.Context, b *Backend, sizes []int, n int) (*CMin, error) {
	if len(sizes) == 0 || n < 1 {
		return nil, errors.New("live: C_min sweep needs memory sizes and at least one invocation")
	}
	spent0 := b.SpentUSD()
	out := &CMin{Functions: map[string]CMinFunction{}, Sizes: append([]int(nil), sizes...)}
	for i := range b.dag.Nodes {
		nd := &b.dag.Nodes[i]
		best := CMinFunction{CostUSD: math.Inf(1), Instances: nd.Instances(b.set.Input)}
		for _, mb := range sizes {
			warm, recs, err := sample(ctx, b, nd.Name, mb, n)
			if err != nil {
				return nil, err
			}
			out.Invocations += len(warm) + len(recs)
			var sum float64
			ok := true
			for _, r := range append(warm, recs...) {
				if r.Status != backend.OK {
					ok = false
				}
			}
			for _, r := range recs {
				sum += r.CostUSD
			}
			if !ok || len(recs) == 0 {
				continue
			}
			if c := sum / float64(len(recs)); c < best.CostUSD {
				best.MemoryMB, best.CostUSD = mb, c
			}
		}
		if math.IsInf(best.CostUSD, 1) {
			return nil, fmt.Errorf("live: C_min sweep: function %s failed at every size of %v", nd.Name, sizes)
		}
		out.Functions[nd.Name] = best
		out.USD += float64(best.Instances) * best.CostUSD
	}
	out.SpentUSD = b.SpentUSD() - spent0
	return out, nil
}

// Input is the clip the backend sends with every request.
func (b *Backend) Input() video.Input { return b.set.Input }
