package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/video"
)

// workloadFlags are the request-stream flags shared by simulate and online:
// a Poisson rate, or a trace (the synthetic Azure-like default, Azure 2019 or
// 2021 files, or their Parquet cache) with selection and scaling; the clips
// requests carry; scheduled input changes.
type workloadFlags struct {
	workload, sel, within, inputs *string
	rate, scale                   *float64
	maxRequests                   *float64
	changes                       changeList
}

// defaultMaxRequests is the most requests simulate and online admit unless
// --max-requests raises it: about ten minutes of one core for the largest
// built-in pipeline, and a day of the synthetic trace fits under it.
const defaultMaxRequests = 20_000_000

// changeList is a repeatable --change flag.
type changeList []traces.Change

func (c *changeList) String() string { return fmt.Sprint(*c) }
func (c *changeList) Set(s string) error {
	ch, err := traces.ParseChange(s)
	if err != nil {
		return err
	}
	*c = append(*c, ch)
	return nil
}

func addWorkloadFlags(fs *flag.FlagSet) *workloadFlags {
	w := &workloadFlags{}
	w.rate = fs.Float64("rate", 0, "Poisson arrival rate, requests per second (instead of --workload)")
	w.workload = fs.String("workload", "", "request stream: synthetic | azure2019:PATH[,PATH] | azure2021:PATH | FILE.parquet (cnav traces import)")
	w.sel = fs.String("select", "", "trace functions to drive the pipeline: top:N, rank:K, trigger:T, sample:N, … (see cnav traces -h; default: all, merged)")
	w.scale = fs.Float64("scale", 1, "multiply every selected function's rate")
	w.within = fs.String("within", "uniform", "arrival times inside a trace minute: uniform, poisson or equidistant")
	w.inputs = fs.String("inputs", "", "clips requests carry: reference (1080p, 5 s), catalogue (the 50-clip default), or a manifest FILE (.csv/.json) (default: reference with --rate, catalogue with --workload)")
	fs.Var(&w.changes, "change", "scheduled input change, e.g. 10m:resolution=360p or 20m:faces=3 (repeatable)")
	w.maxRequests = fs.Float64("max-requests", defaultMaxRequests, "refuse a workload expected to make more requests than this (rate × duration, or the trace's counts × scale)")
	return w
}

// source builds the request stream and describes it in one line.
func (w *workloadFlags) source(ctx context.Context, seed uint64, durationUs int64) (backend.Source, string, error) {
	hasRate := *w.rate != 0
	if hasRate == (*w.workload != "") {
		return nil, "", usagef("give exactly one of --rate and --workload")
	}
	if hasRate && (!(*w.rate > 0) || math.IsInf(*w.rate, 0)) {
		return nil, "", usagef("--rate must be a positive number of requests per second")
	}
	if !(*w.scale > 0) || math.IsInf(*w.scale, 0) {
		return nil, "", usagef("--scale %v: want a positive finite factor", *w.scale)
	}
	if !(*w.maxRequests > 0) || math.IsInf(*w.maxRequests, 0) {
		return nil, "", usagef("--max-requests %v: want a positive number", *w.maxRequests)
	}
	for _, c := range w.changes {
		if c.At >= durationUs {
			return nil, "", usagef("--change %s: starts at %s, at or after the end of the run (--duration %s)",
				c, time.Duration(c.At)*time.Microsecond, time.Duration(durationUs)*time.Microsecond)
		}
	}
	// tooMany refuses a workload expected to make more than --max-requests.
	tooMany := func(n float64, how string) error {
		if n > *w.maxRequests {
			return usagef("workload: %s is about %.3g requests, above the limit of %.3g (raise it with --max-requests if you mean it)",
				how, n, *w.maxRequests)
		}
		return nil
	}
	inputs := *w.inputs
	if inputs == "" {
		inputs = "reference"
		if !hasRate {
			inputs = "catalogue"
		}
	}
	cat, err := loadInputs(inputs, seed)
	if err != nil {
		return nil, "", err
	}
	desc := fmt.Sprintf("inputs=%s", inputs)
	if len(w.changes) > 0 {
		var cs []string
		for _, c := range w.changes {
			cs = append(cs, c.String())
		}
		desc += ",changes=" + strings.Join(cs, ";")
	}
	if hasRate {
		if err := tooMany(*w.rate*float64(durationUs)/1e6, fmt.Sprintf("--rate %g for %s", *w.rate, time.Duration(durationUs)*time.Microsecond)); err != nil {
			return nil, "", err
		}
		if inputs == "reference" && len(w.changes) == 0 {
			// The plain reference stream keeps its own arrival stream, so
			// earlier outputs stay reproducible.
			return newPoissonSource(*w.rate, seed), fmt.Sprintf("poisson:rate=%g", *w.rate), nil
		}
		src, err := traces.Poisson(*w.rate, seed, cat, w.changes)
		if err != nil {
			return nil, "", err
		}
		return src, fmt.Sprintf("poisson:rate=%g,%s", *w.rate, desc), nil
	}
	opts := traces.Options{Seed: seed, Duration: durationUs, Select: *w.sel, Scale: *w.scale,
		Within: *w.within, Catalogue: cat, Changes: w.changes}
	if err := opts.Validate(); err != nil {
		return nil, "", err
	}
	tr, err := loadTrace(ctx, *w.workload, opts)
	if err != nil {
		return nil, "", err
	}
	n, err := tr.Expected(opts)
	if err != nil {
		return nil, "", err
	}
	how := fmt.Sprintf("%s for %s", *w.workload, time.Duration(durationUs)*time.Microsecond)
	if *w.sel != "" {
		how += " with --select " + *w.sel
	}
	if *w.scale != 1 {
		how += fmt.Sprintf(" at --scale %g", *w.scale)
	}
	if err := tooMany(n, how); err != nil {
		return nil, "", err
	}
	if n == 0 {
		return nil, "", fmt.Errorf("workload: %s makes no requests (the selected functions have no invocations in that time)", how)
	}
	src, err := traces.OpenTrace(tr, opts)
	if err != nil {
		return nil, "", err
	}
	d := *w.workload
	if *w.sel != "" {
		d += ",select=" + *w.sel
	}
	if *w.scale != 1 {
		d += fmt.Sprintf(",scale=%g", *w.scale)
	}
	return src, d + "," + desc, nil
}

// loadTrace is traces.Load that returns as soon as ctx is cancelled: loading
// a large file or generating a large synthetic trace does not look at ctx,
// and SIGTERM must still end the command.
func loadTrace(ctx context.Context, spec string, o traces.Options) (*traces.Trace, error) {
	type result struct {
		t   *traces.Trace
		err error
	}
	done := make(chan result, 1)
	go func() {
		t, err := traces.Load(spec, o)
		done <- result{t, err}
	}()
	select {
	case r := <-done:
		return r.t, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("workload: loading %s cancelled: %w", spec, ctx.Err())
	}
}

// tuningInputs is the catalogue a tuning problem's inputs flag names (cnav
// tune --inputs, cnav online --tune-inputs), nil for reference: newProblem's
// own 1080p stream.
func tuningInputs(inputs string, seed uint64) (*traces.Catalogue, error) {
	if inputs == "reference" {
		return nil, nil
	}
	return loadInputs(inputs, seed)
}

// loadInputs is the catalogue an --inputs flag names: reference (the 1080p
// 5-s clip alone), catalogue (the 50-clip default for the seed) or a
// manifest file.
func loadInputs(inputs string, seed uint64) (*traces.Catalogue, error) {
	switch inputs {
	case "reference":
		ref := video.Reference
		ref.ID = 0 // a catalogue's ids are non-negative
		return &traces.Catalogue{Clips: []video.Input{ref}}, nil
	case "catalogue":
		return traces.DefaultCatalogue(seed), nil
	}
	return traces.LoadCatalogue(inputs)
}
