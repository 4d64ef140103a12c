package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/measure"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

// tableMB are the memory columns of the paper's Table 5.
var tableMB = []int{128, 256, 512, 1024, 2048, 4096}

// runModel trains and evaluates ConfigNavigator's prediction model (the
// paper's §3.1, Figure 8 and Table 5).
//
//	cnav model train [--out FILE] [--functions 1000] [--samples 4032] [--seed 1] [--platform FILE]
//	cnav model eval  [--model FILE] [--json] [--pipeline NAME] [--platform FILE]
//
// train synthesises the function set (Synthesize with --seed), measures it on
// the platform (Measure with --seed), trains (Train with --seed) and writes the
// model file. eval with --model regenerates the model's dataset from what the
// file records (functions, samples, seed; checked against the recorded dataset
// hash) to find its validation functions, measures the pipelines' functions
// the same way, and reports the errors; without --model it first trains in
// memory with the train flags' values, which by default reproduces
// results/reference/model.json exactly.
func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("model train|eval", stderr)
	out := fs.String("out", "model.json", "train: write the model to FILE")
	nfn := fs.Int("functions", model.DefaultFunctions, "number of synthetic functions (train, or eval without --model)")
	samples := fs.Int("samples", model.DefaultSamples, "warm invocations per (function, memory); the paper's two weeks every 5 min is 4,032")
	seed := fs.Uint64("seed", 1, "seed of synthesis, measurement and training")
	platFile := fs.String("platform", "", "platform profile file, or measured:DIR for the platform the tables in DIR were measured on (default: the built-in AWS Lambda profile)")
	modelFile := fs.String("model", "", "eval: the model file (default: train in memory first)")
	pipeName := fs.String("pipeline", "", "eval: report this pipeline's functions (default: every built-in function)")
	asJSON := fs.Bool("json", false, "eval: print JSON")
	measuredDir := fs.String("measured", "", "eval: compare the model (--model, default: the committed one trained for --platform) and the simulator with the measured tables in DIR")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "train" && pos[0] != "eval") {
		return usagef("model: want train or eval")
	}
	if *nfn < 5 || *nfn > 100000 {
		return usagef("model: --functions %d, want 5 to 100,000", *nfn)
	}
	if *samples < 2 || *samples > 1000000 {
		return usagef("model: --samples %d, want 2 to 1,000,000", *samples)
	}
	plat, err := loadPlatform(*platFile)
	if err != nil {
		return err
	}
	if pos[0] == "train" {
		if *out == "" {
			return usagef("model train: --out must name a file")
		}
		m, ds, err := trainModel(ctx, plat, *nfn, *samples, *seed, stderr)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := m.Save(&b); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(*out, b.Bytes()); err != nil {
			return err
		}
		info := m.Info()
		fmt.Fprintf(stdout, "model on %s: %d synthetic functions × %d sizes, %d samples each, seed %d\n", plat.Name, len(ds.Functions), len(ds.Grid), ds.Samples, *seed)
		fmt.Fprintf(stdout, "split    %d train, %d early stopping, %d validation functions (%d + %d rows)\n",
			info.TrainFunctions, info.StopFunctions, len(info.ValidationFunctions), info.TrainRows, info.StopRows)
		for _, n := range []struct {
			name string
			in   model.NetInfo
		}{{"mean+p95", info.TimeNet}, {"variance", info.VarNet}} {
			fmt.Fprintf(stdout, "%-8s %d parameters, best epoch %d of %d, loss %.4g train, %.4g stopping\n",
				n.name, n.in.Parameters, n.in.BestEpoch, n.in.Epochs, n.in.TrainLoss, n.in.StopLoss)
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, b.Len())
		return nil
	}

	if *measuredDir != "" {
		return evalMeasured(ctx, plat, *modelFile, *measuredDir, *seed, *asJSON, stdout)
	}
	fns, err := evalFunctions(*pipeName) // before the long part: a bad pipeline fails fast
	if err != nil {
		return err
	}
	var m *model.Model
	var rep model.Report
	if *modelFile != "" {
		if m, err = model.LoadFile(*modelFile, plat); err != nil {
			return err
		}
		if rep, err = model.EvaluateOn(ctx, m, plat, fns); err != nil {
			return fmt.Errorf("%s: %w", *modelFile, err)
		}
	} else {
		fmt.Fprintf(stderr, "cnav model eval: no --model, training in memory (%d functions, %d samples, seed %d)\n", *nfn, *samples, *seed)
		var syn *model.Dataset
		if m, syn, err = trainModel(ctx, plat, *nfn, *samples, *seed, stderr); err != nil {
			return err
		}
		if rep, err = model.EvaluateTrained(ctx, m, plat, syn, fns); err != nil {
			return err
		}
	}
	ml := map[string]bool{}
	for _, f := range fns {
		ml[f.Name] = f.ML()
	}
	if *asJSON {
		b, _ := json.MarshalIndent(evalJSON(m, &rep, ml), "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	printEval(stdout, plat, m, &rep, ml)
	return nil
}

// trainModel synthesises, measures and trains with one seed.
func trainModel(ctx context.Context, plat *platform.Profile, n, samples int, seed uint64, stderr io.Writer) (*model.Model, *model.Dataset, error) {
	t0 := time.Now()
	hb := newHeartbeat(stderr, fmt.Sprintf("model: measuring %d synthetic functions at every size", n))
	ds, err := model.Measure(ctx, plat, model.Synthesize(n, seed), samples, seed)
	hb.done()
	if err != nil {
		return nil, nil, err
	}
	t1 := time.Now()
	opts := model.DefaultTrainOptions()
	opts.Seed = seed
	hb = newHeartbeat(stderr, "model: training the two networks")
	m, err := model.Train(ds, opts)
	hb.done()
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "measured in %.1f s, trained in %.1f s\n", t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
	return m, ds, nil
}

// evalFunctions are the functions whose errors eval reports: a pipeline's, or
// every built-in function.
func evalFunctions(pipeName string) ([]model.Function, error) {
	if pipeName == "" {
		return model.Builtins()
	}
	dag, err := loadPipeline(pipeName)
	if err != nil {
		return nil, err
	}
	var fns []model.Function
	for _, nd := range dag.Nodes {
		if nd.Profile == nil {
			return nil, fmt.Errorf("model eval: function %q of pipeline %s is table-driven: it has no basic-operation profile to profile and predict from", nd.Name, dag.Name)
		}
		fns = append(fns, model.Function{Name: nd.Name, Profile: *nd.Profile})
	}
	return fns, nil
}

func column(grid []int, mb int) int {
	for i, g := range grid {
		if g == mb {
			return i
		}
	}
	return -1
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func printEval(w io.Writer, plat *platform.Profile, m *model.Model, r *model.Report, ml map[string]bool) {
	info := m.Info()
	fmt.Fprintf(w, "prediction model on %s: %d synthetic functions, %d samples per (function, memory), seed %d\n",
		plat.Name, info.Functions, info.Samples, info.DataSeed)
	fmt.Fprintf(w, "errors are mean absolute percentage errors; \"≥512\" averages every grid size from 512 MB; \"-\": out of memory\n")
	header := func(title string) {
		fmt.Fprintf(w, "\n%s\n%-20s", title, "memory (MB)")
		for _, mb := range tableMB {
			fmt.Fprintf(w, " %6d", mb)
		}
		fmt.Fprintf(w, " %6s\n", "≥512")
	}
	row := func(name string, vals []float64, avg float64) {
		fmt.Fprintf(w, "%-20s", name)
		for _, mb := range tableMB {
			v := math.NaN()
			if j := column(r.MemoryMB, mb); j >= 0 {
				v = vals[j]
			}
			fmt.Fprintf(w, " %6s", pct(v))
		}
		fmt.Fprintf(w, " %6s\n", pct(avg))
	}
	for _, metric := range []string{"mean", "p95", "variance"} {
		header(fmt.Sprintf("pipeline functions: prediction error (%%) of the %s (the paper's Table 5)", metric))
		for _, f := range r.Functions {
			name := f.Name
			if ml[name] {
				name += " (ML)"
			}
			if f.Missing {
				fmt.Fprintf(w, "%-20s not measured\n", name)
				continue
			}
			mean, p95, v := f.Average(r.MemoryMB, 512)
			switch metric {
			case "mean":
				row(name, f.Mean, mean)
			case "p95":
				row(name, f.P95, p95)
			default:
				row(name, f.Var, v)
			}
		}
	}
	header(fmt.Sprintf("validation set: %d synthetic functions never trained on, error (%%) by memory (the paper's Figure 8b)", r.ValidationFunctions))
	mean, p95, v := r.Validation.Average(r.MemoryMB, 512)
	row("mean", r.Validation.Mean, mean)
	row("p95", r.Validation.P95, p95)
	row("variance", r.Validation.Var, v)
	header("pipeline functions together, error (%) by memory (the paper's Figure 8a)")
	for _, group := range []struct {
		name string
		keep func(string) bool
	}{{"non-ML mean", func(n string) bool { return !ml[n] }}, {"ML mean", func(n string) bool { return ml[n] }}, {"all p95", func(string) bool { return true }}, {"all variance", func(string) bool { return true }}} {
		vals, avg := pool(r, group.keep, strings.Fields(group.name)[1])
		row(group.name, vals, avg)
	}
	if r.Failed > 0 {
		fmt.Fprintf(w, "\n%d (function, memory) points could not be predicted and are left out\n", r.Failed)
	}
}

// pool averages the named functions' errors of one metric by memory, and
// over sizes ≥ 512 MB, weighting each measured point equally.
func pool(r *model.Report, keep func(string) bool, metric string) (byMB []float64, avg512 float64) {
	byMB = make([]float64, len(r.MemoryMB))
	n := make([]int, len(r.MemoryMB))
	var s float64
	var k int
	for _, f := range r.Functions {
		if f.Missing || !keep(f.Name) {
			continue
		}
		vals := f.Mean
		switch metric {
		case "p95":
			vals = f.P95
		case "variance":
			vals = f.Var
		}
		for j, c := range f.N {
			if c == 0 {
				continue
			}
			byMB[j] += vals[j]
			n[j]++
			if r.MemoryMB[j] >= 512 {
				s += vals[j]
				k++
			}
		}
	}
	for j := range byMB {
		if n[j] == 0 {
			byMB[j] = math.NaN()
		} else {
			byMB[j] /= float64(n[j])
		}
	}
	if k == 0 {
		return byMB, math.NaN()
	}
	return byMB, s / float64(k)
}

type errorsJSON struct {
	N    []int      `json:"n"`
	Mean []*float64 `json:"mean_pct"`
	P95  []*float64 `json:"p95_pct"`
	Var  []*float64 `json:"variance_pct"`
	// Averages over the sizes from 512 MB.
	Mean512 *float64 `json:"mean_pct_from_512"`
	P95512  *float64 `json:"p95_pct_from_512"`
	Var512  *float64 `json:"variance_pct_from_512"`
}

func toErrorsJSON(e *model.Errors, grid []int) errorsJSON {
	nums := func(xs []float64) []*float64 {
		out := make([]*float64, len(xs))
		for i, x := range xs {
			out[i] = num(x)
		}
		return out
	}
	a, b, c := e.Average(grid, 512)
	return errorsJSON{N: e.N, Mean: nums(e.Mean), P95: nums(e.P95), Var: nums(e.Var), Mean512: num(a), P95512: num(b), Var512: num(c)}
}

func evalJSON(m *model.Model, r *model.Report, ml map[string]bool) any {
	type fnJSON struct {
		Name    string `json:"name"`
		ML      bool   `json:"ml"`
		Missing bool   `json:"missing,omitempty"`
		errorsJSON
	}
	info := m.Info()
	fns := make([]fnJSON, 0, len(r.Functions))
	for i := range r.Functions {
		f := &r.Functions[i]
		fns = append(fns, fnJSON{Name: f.Name, ML: ml[f.Name], Missing: f.Missing, errorsJSON: toErrorsJSON(&f.Errors, r.MemoryMB)})
	}
	sort.SliceStable(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	_, nonML := pool(r, func(n string) bool { return !ml[n] }, "mean")
	_, isML := pool(r, func(n string) bool { return ml[n] }, "mean")
	name, fp := m.Platform()
	return struct {
		Platform            string     `json:"platform"`
		Fingerprint         string     `json:"platform_fingerprint"`
		Model               model.Info `json:"model"`
		MemoryMB            []int      `json:"memory_mb"`
		Validation          errorsJSON `json:"validation"`
		ValidationFunctions int        `json:"validation_functions"`
		Functions           []fnJSON   `json:"functions"`
		NonMLMean512        *float64   `json:"non_ml_mean_pct_from_512"`
		MLMean512           *float64   `json:"ml_mean_pct_from_512"`
		Failed              int        `json:"failed_points"`
		Note                string     `json:"note"`
	}{name, fp, info, r.MemoryMB, toErrorsJSON(&r.Validation, r.MemoryMB), r.ValidationFunctions, fns, num(nonML), num(isML), r.Failed,
		"mean absolute percentage errors; pipeline functions measured alone on the reference clip, never trained on"}
}

// evalMeasured is cnav model eval --measured DIR: the prediction model and
// the simulator's ground truth against real measurements, on the platform
// they were measured on.
func evalMeasured(ctx context.Context, plat *platform.Profile, modelPath, dir string, seed uint64, asJSON bool, stdout io.Writer) error {
	tables, err := measure.LoadDir(dir)
	if err != nil {
		return err
	}
	// The tables are compared on the platform they were measured on (the
	// machine's CPU cap, measure.Platform), as the measured experiment does.
	if plat, err = measure.Platform(dir, plat); err != nil {
		return err
	}
	m, modelPath, err := loadModel(modelPath, plat)
	if err != nil {
		return err
	}
	pts, skipped, err := measure.Check(ctx, plat, tables, m, seed)
	if err != nil {
		return err
	}
	avg := func(get func(*measure.CheckPoint) float64) *float64 {
		var s float64
		n := 0
		for i := range pts {
			if v := get(&pts[i]); !math.IsNaN(v) {
				s += v
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return num(s / float64(n))
	}
	simErr := avg(func(p *measure.CheckPoint) float64 { return p.SimErrPct })
	simKS := avg(func(p *measure.CheckPoint) float64 { return p.SimKS })
	modelErr := avg(func(p *measure.CheckPoint) float64 { return p.ModelErr })
	modelKS := avg(func(p *measure.CheckPoint) float64 { return p.ModelKS })
	if asJSON {
		type pointJSON struct {
			Function   string   `json:"function"`
			MemoryMB   int      `json:"memory_mb"`
			N          int      `json:"measured_samples"`
			MeasuredMs float64  `json:"measured_mean_ms"`
			SimMs      *float64 `json:"sim_mean_ms"`
			SimErrPct  *float64 `json:"sim_err_pct"`
			SimKS      *float64 `json:"sim_ks"`
			ModelMs    *float64 `json:"model_mean_ms"`
			ModelErr   *float64 `json:"model_err_pct"`
			ModelKS    *float64 `json:"model_ks"`
		}
		ps := make([]pointJSON, len(pts))
		for i, p := range pts {
			ps[i] = pointJSON{p.Function, p.MemoryMB, p.N, p.MeasuredMs, num(p.SimMs), num(p.SimErrPct), num(p.SimKS), num(p.ModelMs), num(p.ModelErr), num(p.ModelKS)}
		}
		b, _ := json.MarshalIndent(struct {
			Dir         string      `json:"measured_dir"`
			Model       string      `json:"model"`
			Points      []pointJSON `json:"points"`
			SimErrPct   *float64    `json:"sim_mean_err_pct"`
			SimKS       *float64    `json:"sim_mean_ks"`
			ModelErrPct *float64    `json:"model_mean_err_pct"`
			ModelKS     *float64    `json:"model_mean_ks"`
			Skipped     []string    `json:"skipped_functions,omitempty"`
		}{dir, modelPath, ps, simErr, simKS, modelErr, modelKS, skipped}, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "measured tables in %s against the simulator's model and the prediction model %s\n", dir, modelPath)
	fmt.Fprintf(stdout, "error: |mean − measured mean| / measured mean; KS: two-sample Kolmogorov–Smirnov distance (%d draws against the measured samples)\n\n", measure.CheckDraws)
	fmt.Fprintf(stdout, "%-18s %7s %3s %12s %12s %8s %6s %12s %8s %6s\n", "function", "MB", "n", "measured ms", "sim ms", "sim err%", "sim KS", "model ms", "mod err%", "mod KS")
	for _, p := range pts {
		fmt.Fprintf(stdout, "%-18s %7d %3d %12.1f %12.1f %8s %6.2f %12.1f %8s %6.2f\n", p.Function, p.MemoryMB, p.N, p.MeasuredMs, p.SimMs, pct(p.SimErrPct), p.SimKS, p.ModelMs, pct(p.ModelErr), p.ModelKS)
	}
	f := func(v *float64, format string) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf(format, *v)
	}
	fmt.Fprintf(stdout, "\naverage: simulator error %s %%, KS %s; prediction model error %s %%, KS %s\n", f(simErr, "%.1f"), f(simKS, "%.2f"), f(modelErr, "%.1f"), f(modelKS, "%.2f"))
	if len(skipped) > 0 {
		fmt.Fprintf(stdout, "skipped (no built-in twin): %v\n", skipped)
	}
	return nil
}
