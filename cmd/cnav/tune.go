package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/tuners"
	"github.com/confignav/confignav/video"
)

func runTuners(_ context.Context, _ []string, stdout, _ io.Writer) error {
	for _, n := range tuners.Names() {
		fmt.Fprintf(stdout, "%-18s %s\n", n, tuners.Summary(n))
	}
	return nil
}

// tuneOutput is the --json document of cnav tune.
type tuneOutput struct {
	Tuner          string         `json:"tuner"`
	Pipeline       string         `json:"pipeline"`
	Bound          float64        `json:"bound"`
	Seed           uint64         `json:"seed"`
	Config         backend.Config `json:"config"`
	Evaluations    int            `json:"evaluations"`
	Unit           string         `json:"evaluation_unit"`
	SearchSeconds  float64        `json:"search_seconds"`
	MeasureSeconds float64        `json:"measure_seconds"`
	ProfileSeconds float64        `json:"profile_seconds"`
	ComputeSeconds float64        `json:"compute_seconds"`
	SearchUSD      float64        `json:"search_usd"`
	LatencyMs      *float64       `json:"latency_ms"`
	CostPerRequest *float64       `json:"cost_per_request_usd"`
	CMin           float64        `json:"c_min_usd"`
	CBound         float64        `json:"c_bound_usd"`
	Feasible       bool           `json:"feasible"`
	Regret         *float64       `json:"regret"`
	Truth          *truthJSON     `json:"truth,omitempty"`
	Optimum        *optimumJSON   `json:"optimum,omitempty"`
	Note           string         `json:"note,omitempty"`
	// Observations per function, in the tuner's own unit (tuners that
	// observe functions one by one: CharmSeeker's stage evaluations).
	Observations map[string]int `json:"observations_per_function,omitempty"`
	// ConfigNavigator only: pipeline runs its confirmation charged (the
	// plateau probe's included), the probability of its chance constraint,
	// and how many functions the plateau probe measured and moved.
	ConfirmationRuns *int     `json:"confirmation_runs,omitempty"`
	Chance           *float64 `json:"chance,omitempty"`
	PlateauProbed    *int     `json:"plateau_probed,omitempty"`
	PlateauMoved     *int     `json:"plateau_moved,omitempty"`
}

type truthJSON struct {
	LatencyMs *float64 `json:"latency_ms"`
	CostUSD   *float64 `json:"cost_per_request_usd"`
	Feasible  bool     `json:"feasible"`
}

type optimumJSON struct {
	Config    backend.Config `json:"config"`
	LatencyMs float64        `json:"latency_ms"`
	CostUSD   float64        `json:"cost_per_request_usd"`
}

func runTune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tune", stderr)
	pipeName := fs.String("pipeline", "", "built-in pipeline name, random:n=N,seed=S, or a spec file (required)")
	tunerName := fs.String("tuner", "", "tuner name (cnav tuners lists them; required)")
	bound := fs.Float64("bound", 0.3, "cost bound as a fraction above the minimum cost: 0.3 is 30 % above")
	seed := fs.Uint64("seed", 1, "random seed")
	asJSON := fs.Bool("json", false, "print a JSON result")
	evalFile := fs.String("evaluations", "", "write every evaluated configuration to FILE (.json or .csv)")
	platFile := fs.String("platform", "", platformHelp)
	rate := fs.Float64("rate", 1, "request rate of the measurement workload, per second")
	window := fs.Duration("window", 30*time.Second, "how long one measurement streams requests (the paper: ~30 s)")
	warmup := fs.Duration("warmup", -1, "requests streamed after a memory change before each measured window, charged but not observed (default: half of --window)")
	confirm := fs.Duration("confirm", 10*time.Minute, "length of the independent run that measures the chosen configuration")
	samples := fs.Int("samples", 256, "ground-truth samples per configuration (oracle)")
	maxRequests := fs.Float64("max-requests", defaultMaxRequests, "refuse a run expected to make more requests than this (--rate × the longest run)")
	modelFile := fs.String("model", "", modelHelp)
	chance := fs.Float64("chance", 0.95, "navigator: probability with which the answer must meet the cost bound")
	plateau := fs.Bool("plateau-probe", true, "navigator, tuning on payloads: after the confirmation, measure the smaller sizes its model cannot tell from the chosen ones (one more run)")
	inputs := fs.String("inputs", "reference", "clips the pipeline serves, tuned on and judged on: reference (1080p, 5 s), catalogue (the 50-clip default), or a manifest FILE (.csv/.json)")
	payloads := fs.Int("payloads", 10, "with several clips: how many representative clips profiling and single-function invocations run on, for every tuner")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pipeName == "" || *tunerName == "" {
		return usagef("tune: --pipeline and --tuner are required")
	}
	if !slices.Contains(tuners.Names(), *tunerName) {
		return usagef("tune: unknown tuner %q (known: %s)", *tunerName, strings.Join(tuners.Names(), ", "))
	}
	if math.IsNaN(*bound) || *bound <= 0 || math.IsInf(*bound, 0) {
		return usagef("tune: --bound %v: want a positive fraction above the minimum cost, such as 0.3 for 30 %%", *bound)
	}
	if !(*rate > 0) || *window <= 0 || *confirm <= 0 || *samples < 1 || *payloads < 1 {
		return usagef("tune: --rate, --window, --confirm, --samples and --payloads must be positive")
	}
	// The longest single run the command streams: a measurement with its
	// warm-up, or the confirmation.
	longest := max(time.Duration(warmupUs(*warmup, *window))*time.Microsecond+*window, *confirm)
	if n := *rate * longest.Seconds(); math.IsInf(*rate, 0) || n > *maxRequests {
		return usagef("tune: --rate %g for %v (the longest run: --window plus warm-up, or --confirm) is about %.3g requests, above the limit of %.3g (raise it with --max-requests if you mean it)",
			*rate, longest, n, *maxRequests)
	}
	plat, dag, err := loadSetup(*platFile, *pipeName, stderr)
	if err != nil {
		return err
	}
	cat, err := tuningInputs(*inputs, *seed)
	if err != nil {
		return err
	}
	prob, orc, err := newProblem(plat, dag, *seed, *bound, *rate, *window, *warmup, *samples, cat, *payloads)
	if err != nil {
		return err
	}
	cmin := prob.CMin
	if !(*chance > 0 && *chance < 1) {
		return usagef("tune: --chance %v: want a probability strictly between 0 and 1", *chance)
	}
	tn, err := newTuner(*tunerName, orc, *modelFile, plat)
	if err != nil {
		return err
	}
	nav, _ := tn.(*navigator.Navigator)
	if nav != nil {
		nav.Chance, nav.NoPlateauProbe = *chance, !*plateau
	}
	hb := newHeartbeat(stderr, "tune: "+*tunerName+" searching "+dag.Name)
	res, err := tn.Tune(ctx, prob)
	hb.done()
	if err != nil {
		return err
	}
	out := tuneOutput{
		Tuner: res.Tuner, Pipeline: dag.Name, Bound: *bound, Seed: *seed, Config: res.Config,
		Evaluations: res.Evaluations, Unit: res.Unit, SearchSeconds: res.SearchSeconds,
		MeasureSeconds: res.MeasureSeconds, ProfileSeconds: res.ProfileSeconds, ComputeSeconds: res.ComputeSeconds,
		SearchUSD: res.SearchUSD, CMin: cmin, CBound: prob.CBound(), Note: res.Note, Observations: res.Observations,
	}
	if nav != nil {
		c := nav.Confirmation()
		out.ConfirmationRuns, out.Chance = &c.Runs, &c.Chance
		out.PlateauProbed, out.PlateauMoved = &c.Probed, &c.Moved
	}
	if res.Config != nil {
		// Measure the pick afresh: an independent simulator seed, a long run.
		fresh, err := sim.New(plat, dag, *seed^0x66726573)
		if err != nil {
			return err
		}
		if err := fresh.Apply(ctx, res.Config); err != nil {
			return err
		}
		st, err := fresh.Run(ctx, backend.Workload{Source: prob.Env.Source(*seed ^ 0x636f6e66), Duration: confirm.Microseconds()}, nil)
		if err != nil {
			return err
		}
		out.LatencyMs = num(st.E2E.Mean)
		if st.Requests > 0 {
			out.CostPerRequest = num(st.CostUSD / float64(st.Requests))
		}
		out.Feasible = st.Failed == 0 && out.CostPerRequest != nil && *out.CostPerRequest <= prob.CBound()
		if tr, err := orc.Evaluate(res.Config); err == nil {
			out.Truth = &truthJSON{LatencyMs: num(tr.LatencyMs), CostUSD: num(tr.CostUSD), Feasible: tr.Fits && tr.CostUSD <= prob.CBound()}
		}
	}
	if opt, err := orc.Exhaustive(ctx, prob.CBound(), 0); err == nil {
		out.Optimum = &optimumJSON{Config: opt.Config, LatencyMs: opt.LatencyMs, CostUSD: opt.CostUSD}
		if out.Truth != nil && out.Truth.LatencyMs != nil {
			out.Regret = num(*out.Truth.LatencyMs/opt.LatencyMs - 1)
		}
	} else if !errors.Is(err, oracle.ErrInfeasible) && !strings.Contains(err.Error(), "exhaustive limit") {
		return err
	}
	if *evalFile != "" {
		if err := writeEvaluations(*evalFile, res); err != nil {
			return err
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	printTune(stdout, &out)
	return nil
}

func printTune(w io.Writer, o *tuneOutput) {
	f := func(p *float64, format string) string {
		if p == nil {
			return "n/a"
		}
		return fmt.Sprintf(format, *p)
	}
	fmt.Fprintf(w, "tuner %s on %s, bound +%.0f %% (C_min $%.8f, C_bound $%.8f), seed %d\n", o.Tuner, o.Pipeline, o.Bound*100, o.CMin, o.CBound, o.Seed)
	fmt.Fprintf(w, "config   %s\n", o.Config)
	fmt.Fprintf(w, "search   %d %s; %.1f s (measure %.1f, profile %.1f, compute %.3f), $%.4f\n",
		o.Evaluations, o.Unit, o.SearchSeconds, o.MeasureSeconds, o.ProfileSeconds, o.ComputeSeconds, o.SearchUSD)
	fmt.Fprintf(w, "measured latency %s ms, cost %s per request, feasible %v\n", f(o.LatencyMs, "%.1f"), f(o.CostPerRequest, "$%.8f"), o.Feasible)
	if o.Truth != nil {
		fmt.Fprintf(w, "truth    latency %s ms, cost %s\n", f(o.Truth.LatencyMs, "%.1f"), f(o.Truth.CostUSD, "$%.8f"))
	}
	if o.Optimum != nil {
		fmt.Fprintf(w, "optimum  %s: %.1f ms; regret %s\n", o.Optimum.Config, o.Optimum.LatencyMs, f(o.Regret, "%.4f"))
	}
	if o.Note != "" {
		fmt.Fprintf(w, "note     %s\n", o.Note)
	}
}

// writeEvaluations writes a tuner's trace as JSON or CSV.
func writeEvaluations(path string, res *tuner.Result) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		type row struct {
			Kind      string         `json:"kind"`
			Function  string         `json:"function,omitempty"`
			Config    backend.Config `json:"config,omitempty"`
			LatencyMs *float64       `json:"latency_ms"`
			CostUSD   *float64       `json:"cost_per_request_usd"`
			Failed    int64          `json:"failed_requests"`
			Feasible  bool           `json:"feasible"`
			Seconds   float64        `json:"seconds"`
			USD       float64        `json:"usd"`
			At        float64        `json:"at_search_seconds"`
		}
		rows := make([]row, len(res.Trace))
		for i, ev := range res.Trace {
			rows[i] = row{ev.Kind, ev.Function, ev.Config, num(ev.LatencyMs), num(ev.CostUSD), ev.Failed, ev.Feasible, ev.Seconds, ev.USD, ev.At}
		}
		b, _ := json.MarshalIndent(rows, "", "  ")
		return atomicfile.WriteFile(path, append(b, '\n'))
	case ".csv":
		var b strings.Builder
		b.WriteString("kind,function,config,latency_ms,cost_per_request_usd,failed_requests,feasible,seconds,usd,at_search_seconds\n")
		for _, ev := range res.Trace {
			fmt.Fprintf(&b, "%s,%s,\"%s\",%g,%g,%d,%v,%g,%g,%g\n", ev.Kind, ev.Function, ev.Config, ev.LatencyMs, ev.CostUSD, ev.Failed, ev.Feasible, ev.Seconds, ev.USD, ev.At)
		}
		return atomicfile.WriteFile(path, []byte(b.String()))
	}
	return fmt.Errorf("--evaluations %s: want a .json or .csv file", path)
}

// warmupUs is the --warmup flag in microseconds; negative means half the
// window.
func warmupUs(warmup, window time.Duration) int64 {
	if warmup < 0 {
		return window.Microseconds() / 2
	}
	return warmup.Microseconds()
}

// newProblem sets up a tuning problem on the simulator: a simulator to
// measure, its ground truth (for C_min and for judging), and a measurement
// environment streaming Poisson requests at rate, of the reference clip or
// of cat's clips (nil: the reference). With several clips the ground truth
// is over all of them, and single-function work runs on payloads
// representative clips (tuner.Representatives).
func newProblem(plat *platform.Profile, dag *pipeline.DAG, seed uint64, bound, rate float64, window, warmup time.Duration, samples int,
	cat *traces.Catalogue, payloads int) (*tuner.Problem, *oracle.Oracle, error) {
	measured, err := sim.New(plat, dag, seed)
	if err != nil {
		return nil, nil, err
	}
	clips := []video.Input{video.Reference}
	source := func(s uint64) backend.Source { return newPoissonSource(rate, s) }
	if cat != nil {
		if _, err := traces.Poisson(rate, seed, cat, nil); err != nil {
			return nil, nil, err
		}
		clips = cat.Clips
		source = func(s uint64) backend.Source {
			src, _ := traces.Poisson(rate, s, cat, nil) // checked above
			return src
		}
	}
	orc, err := oracle.New(measured, plat.Grid(), clips, samples, seed^0x6f7261636c65)
	if err != nil {
		return nil, nil, err
	}
	cmin, _, err := orc.CMin()
	if err != nil {
		return nil, nil, err
	}
	env := tuner.NewEnv(measured, source, seed)
	if len(clips) > 1 {
		env.Payloads = tuner.Representatives(clips, payloads)
	}
	env.WindowUs = window.Microseconds()
	env.WarmupUs = warmupUs(warmup, window)
	return &tuner.Problem{Pipeline: dag, Platform: plat, Grid: plat.Grid(), Bound: bound, CMin: cmin, Seed: seed, Env: env}, orc, nil
}
