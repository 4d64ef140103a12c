package model

import (
	"context"
	"fmt"
	"math"

	"github.com/confignav/confignav/platform"
)

// Errors are prediction errors by memory size: the mean absolute percentage
// error (|predicted − measured| / measured × 100) of the mean, the p95 and the
// variance over the functions measured at that size. N counts them; the
// errors are NaN where N is 0.
type Errors struct {
	N    []int     `json:"n"`
	Mean []float64 `json:"mean_pct"`
	P95  []float64 `json:"p95_pct"`
	Var  []float64 `json:"var_pct"`
}

func newErrors(k int) Errors {
	e := Errors{N: make([]int, k), Mean: make([]float64, k), P95: make([]float64, k), Var: make([]float64, k)}
	return e
}

func (e *Errors) finish() {
	for i, n := range e.N {
		if n == 0 {
			e.Mean[i], e.P95[i], e.Var[i] = math.NaN(), math.NaN(), math.NaN()
			continue
		}
		e.Mean[i] /= float64(n)
		e.P95[i] /= float64(n)
		e.Var[i] /= float64(n)
	}
}

// Average is the N-weighted mean of the errors at sizes of at least minMB
// (NaN if there are none).
func (e *Errors) Average(grid []int, minMB int) (mean, p95, variance float64) {
	var n float64
	for i, mb := range grid {
		if mb < minMB || e.N[i] == 0 {
			continue
		}
		w := float64(e.N[i])
		mean += e.Mean[i] * w
		p95 += e.P95[i] * w
		variance += e.Var[i] * w
		n += w
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return mean / n, p95 / n, variance / n
}

// FunctionErrors are one function's errors by memory (N is 0 or 1 per size).
type FunctionErrors struct {
	Name string `json:"name"`
	// Missing: the function is not in the dataset.
	Missing bool `json:"missing,omitempty"`
	Errors
}

// Report is the evaluation of a model (the paper's Figure 8 and Table 5).
type Report struct {
	MemoryMB []int `json:"memory_mb"`
	// Validation is over the model's validation functions (never trained on,
	// never used for early stopping) found in the dataset.
	Validation          Errors `json:"validation"`
	ValidationFunctions int    `json:"validation_functions"`
	// Functions are the named functions, one by one.
	Functions []FunctionErrors `json:"functions"`
	// Failed counts (function, memory) points the model could not predict
	// (a feature not measured, or a non-finite prediction): left out above.
	Failed int `json:"failed"`
}

// Evaluate compares the model's predictions with the dataset's measurements
// at every grid size where the function was measured (a prediction is made
// there even when the profiled peak memory is above the size, since the
// measurement shows the function ran): over the model's validation functions
// by memory, and for each named function (typically the pipelines' functions,
// measured the same way and never trained on).
func Evaluate(m *Model, ds *Dataset, fns []string) Report {
	r := Report{MemoryMB: append([]int(nil), ds.Grid...), Validation: newErrors(len(ds.Grid))}
	col := make(map[int]int, len(ds.Grid))
	for i, mb := range ds.Grid {
		col[mb] = i
	}
	add := func(e *Errors, f *FunctionStats) {
		for _, p := range f.Points {
			j, ok := col[p.MemoryMB]
			if !ok || !p.OK() {
				continue
			}
			mean, p95, v, err := m.predict(&f.Features, p.MemoryMB, false)
			if err != nil {
				r.Failed++
				continue
			}
			e.N[j]++
			e.Mean[j] += 100 * math.Abs(mean-p.MeanMs) / p.MeanMs
			e.P95[j] += 100 * math.Abs(p95-p.P95Ms) / p.P95Ms
			e.Var[j] += 100 * math.Abs(v-p.VarMs2) / p.VarMs2
		}
	}
	for _, name := range m.p.Training.ValidationFunctions {
		if f, ok := ds.Lookup(name); ok {
			r.ValidationFunctions++
			add(&r.Validation, f)
		}
	}
	r.Validation.finish()
	for _, name := range fns {
		fe := FunctionErrors{Name: name, Errors: newErrors(len(ds.Grid))}
		if f, ok := ds.Lookup(name); ok {
			add(&fe.Errors, f)
		} else {
			fe.Missing = true
		}
		fe.finish()
		r.Functions = append(r.Functions, fe)
	}
	return r
}

// EvaluateOn evaluates a model written by cnav model train on the platform:
// it regenerates the synthetic dataset the model records (functions, samples,
// seed), checks it against the recorded dataset hash so that the validation
// functions are the ones never trained on, measures fns the same way, and
// compares (Evaluate). ErrDataset: the model was trained on another dataset.
func EvaluateOn(ctx context.Context, m *Model, plat *platform.Profile, fns []Function) (Report, error) {
	info := m.Info()
	syn, err := Measure(ctx, plat, Synthesize(info.Functions, info.DataSeed), info.Samples, info.DataSeed)
	if err != nil {
		return Report{}, err
	}
	if h := syn.Hash(); h != info.DatasetHash {
		return Report{}, fmt.Errorf("%w: the model was not trained on cnav's synthetic set (%d functions, %d samples, seed %d): "+
			"its validation functions cannot be regenerated (dataset hash %.19s, want %.19s)", ErrDataset, info.Functions, info.Samples, info.DataSeed, h, info.DatasetHash)
	}
	return evaluateWith(ctx, m, plat, syn, fns)
}

// evaluateWith measures fns like the synthetic set syn and evaluates.
func evaluateWith(ctx context.Context, m *Model, plat *platform.Profile, syn *Dataset, fns []Function) (Report, error) {
	info := m.Info()
	pipe, err := MeasureFunctions(ctx, plat, fns, info.Samples, info.DataSeed)
	if err != nil {
		return Report{}, err
	}
	all := *syn
	all.Functions = append(append([]FunctionStats(nil), syn.Functions...), pipe.Functions...)
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.Name
	}
	return Evaluate(m, &all, names), nil
}

// EvaluateTrained evaluates a model just trained on syn (no regeneration).
func EvaluateTrained(ctx context.Context, m *Model, plat *platform.Profile, syn *Dataset, fns []Function) (Report, error) {
	return evaluateWith(ctx, m, plat, syn, fns)
}
