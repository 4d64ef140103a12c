package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/tuners"
	"github.com/confignav/confignav/video"
)

// runLive is cnav live: the tuners against real Lambda (or any
// AWS-compatible endpoint), see package live.
func runLive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"tune": liveTune, "validate": liveValidate, "restore": liveRestore, "deploy": liveDeploy,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, `usage: cnav live SUBCOMMAND [flags]

subcommands:
  tune      tune the memory of a deployed pipeline with a tuner under a cost bound
  validate  measure functions at several memory sizes and compare with the simulator
  restore   put back the original configuration recorded in a journal
  deploy    print the deployment plan (--dry-run)

Credentials, region and profile come from the standard AWS chain; --region and
--endpoint-url override. Run cnav live SUBCOMMAND -h for the flags.
`)
		if len(args) == 0 {
			return usagef("live: no subcommand given")
		}
		return nil
	}
	f, ok := subs[args[0]]
	if !ok {
		return usagef("live: unknown subcommand %q (want tune, validate, restore or deploy)", args[0])
	}
	err := f(ctx, args[1:], stdout, stderr)
	if err != nil {
		var u usageError
		if !errors.As(err, &u) && !errors.Is(err, flag.ErrHelp) {
			err = live.Redact(err)
		}
	}
	return err
}

// liveFlags are the flags every live subcommand that talks to AWS shares.
type liveFlags struct {
	binding, pipeline, platform       string
	region, endpoint, awsProfile      string
	journal, invocationType           string
	maxUSD                            float64
	emulate                           bool
	seed                              uint64
	poll, settle, maxBackoff, waitMin time.Duration
	maxAttempts                       int
	asJSON                            bool
}

func (l *liveFlags) register(fs *flag.FlagSet, withPipeline bool) {
	if withPipeline {
		fs.StringVar(&l.binding, "binding", "", "binding file: pipeline nodes → Lambda functions, and the S3 configuration document (required)")
		fs.StringVar(&l.pipeline, "pipeline", "", "built-in pipeline name or spec file (required)")
		fs.StringVar(&l.platform, "platform", "", "platform profile file (prices; the simulator for predictions)")
		fs.StringVar(&l.journal, "journal", "", "journal of the original configuration (default cnav-live-PIPELINE.journal.json)")
		fs.Float64Var(&l.maxUSD, "max-usd", 1, "dollar cap on measurements: each is estimated before it runs and refused beyond the cap")
		fs.StringVar(&l.invocationType, "invocation-type", "", "RequestResponse or Event (default: the binding's, else RequestResponse)")
		fs.BoolVar(&l.emulate, "emulate", false, "emulated platform for servers that run no code (moto): the simulator writes each invocation's logs")
		fs.Uint64Var(&l.seed, "seed", 1, "random seed (tuner, workload, emulator)")
		fs.DurationVar(&l.poll, "poll", 2*time.Second, "how often CloudWatch Logs is read during a measurement")
		fs.DurationVar(&l.settle, "settle", 2*time.Minute, "how long to wait for the logs of a measurement's last requests")
		fs.DurationVar(&l.waitMin, "wait-poll", time.Second, "shortest delay of the function-updated waiter")
		fs.BoolVar(&l.asJSON, "json", false, "print JSON")
	}
	fs.StringVar(&l.region, "region", "", "AWS region (default: the AWS chain's)")
	fs.StringVar(&l.endpoint, "endpoint-url", "", "AWS-compatible endpoint, such as http://127.0.0.1:5000 for moto")
	fs.StringVar(&l.awsProfile, "aws-profile", "", "shared-config profile (default: AWS_PROFILE or default)")
	fs.IntVar(&l.maxAttempts, "max-attempts", 10, "attempts per AWS API call (backoff with jitter on throttling and conflicts)")
	fs.DurationVar(&l.maxBackoff, "max-backoff", 20*time.Second, "longest backoff between attempts")
}

// liveSession is an open live backend and what it was built from.
type liveSession struct {
	plat    *platform.Profile
	dag     *pipeline.DAG
	bind    *live.Binding
	clients live.Clients
	b       *live.Backend
	region  string
}

func (l *liveFlags) open(ctx context.Context, stderr io.Writer) (*liveSession, error) {
	if l.binding == "" || l.pipeline == "" {
		return nil, usagef("live: --binding and --pipeline are required")
	}
	if !(l.maxUSD > 0) || math.IsInf(l.maxUSD, 0) {
		return nil, usagef("live: --max-usd %v: want a positive dollar amount", l.maxUSD)
	}
	if l.poll <= 0 || l.settle <= 0 || l.maxAttempts < 1 || l.maxBackoff <= 0 || l.waitMin <= 0 {
		return nil, usagef("live: --poll, --settle, --max-attempts, --max-backoff and --wait-poll must be positive")
	}
	plat, err := loadPlatform(l.platform)
	if err != nil {
		return nil, err
	}
	dag, err := loadPipeline(l.pipeline)
	if err != nil {
		return nil, err
	}
	bind, err := live.ReadBinding(l.binding)
	if err != nil {
		return nil, err
	}
	if err := bind.Check(dag); err != nil {
		return nil, fmt.Errorf("%s: %w", l.binding, err)
	}
	cfg, err := live.LoadAWSConfig(ctx, live.AWSOptions{Region: l.region, EndpointURL: l.endpoint, Profile: l.awsProfile,
		MaxAttempts: l.maxAttempts, MaxBackoff: l.maxBackoff})
	if err != nil {
		return nil, err
	}
	c := live.NewClients(cfg)
	if l.emulate {
		emu, err := live.NewEmulator(plat, dag, bind, l.seed^0x656d75, c.Lambda, cloudwatchlogs.NewFromConfig(cfg))
		if err != nil {
			return nil, err
		}
		c.Lambda = emu.Lambda()
	}
	if l.journal == "" {
		l.journal = "cnav-live-" + sanitize(dag.Name) + ".journal.json"
	}
	set := live.DefaultSettings()
	set.JournalPath = l.journal
	set.MaxUSD = l.maxUSD
	set.InvocationType = l.invocationType
	set.PollInterval, set.SettleTimeout = l.poll, l.settle
	set.Updater.PollMin, set.Updater.PollMax = l.waitMin, max(10*l.waitMin, l.waitMin)
	set.Updater.ConflictBackoff = min(500*time.Millisecond, l.maxBackoff)
	set.Log = stderr
	b, err := live.Open(ctx, c, bind, dag, plat, set)
	if err != nil {
		return nil, err
	}
	b.SetRegion(cfg.Region, l.endpoint)
	profiler, err := sim.New(plat, dag, l.seed^0x70726f66)
	if err != nil {
		return nil, err
	}
	b.Profiler = live.SimProfiler{Sim: profiler}
	return &liveSession{plat: plat, dag: dag, bind: bind, clients: c, b: b, region: cfg.Region}, nil
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == '=' || r == ',' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// restoreOnError restores the originals when a session that changed
// something fails or is interrupted, and says what happened.
func restoreOnError(ctx context.Context, b *live.Backend, err *error) {
	if *err == nil || !b.Journaled() {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if rerr := b.Restore(rctx); rerr != nil {
		*err = fmt.Errorf("%w\nrestoring the original configuration failed too: %v", *err, rerr)
		return
	}
	*err = fmt.Errorf("%w\nthe original configuration was restored", *err)
}

func parseSizes(s string, plat *platform.Profile) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		mb, err := strconv.Atoi(f)
		if err != nil {
			return nil, usagef("live: memory size %q: want MB such as 512", f)
		}
		if err := plat.CheckMemory(mb); err != nil {
			return nil, usagef("live: %v", err)
		}
		out = append(out, mb)
	}
	if len(out) == 0 {
		return nil, usagef("live: no memory sizes given")
	}
	sort.Ints(out)
	return slices.Compact(out), nil
}

// liveTuneOutput is the --json document of cnav live tune.
type liveTuneOutput struct {
	Tuner           string               `json:"tuner"`
	Pipeline        string               `json:"pipeline"`
	Bound           float64              `json:"bound"`
	Seed            uint64               `json:"seed"`
	DryRun          bool                 `json:"dry_run,omitempty"`
	Original        backend.Config       `json:"original_config"`
	Config          backend.Config       `json:"config,omitempty"`
	Evaluations     int                  `json:"evaluations"`
	Unit            string               `json:"evaluation_unit,omitempty"`
	SearchSeconds   float64              `json:"search_seconds"`
	MeasureSeconds  float64              `json:"measure_seconds"`
	ProfileSeconds  float64              `json:"profile_seconds"`
	ComputeSeconds  float64              `json:"compute_seconds"`
	SearchUSD       float64              `json:"search_usd"`
	CMin            float64              `json:"c_min_usd"`
	CMinSource      string               `json:"c_min_source"`
	CMinSweep       *live.CMin           `json:"c_min_sweep,omitempty"`
	CBound          float64              `json:"c_bound_usd"`
	Confirm         *liveConfirm         `json:"confirm,omitempty"`
	SpentUSD        float64              `json:"spent_usd"`
	MaxUSD          float64              `json:"max_usd"`
	EstimateUSD     float64              `json:"measurement_estimate_usd"` // conservative, at the configuration in force when printed
	Kept            bool                 `json:"kept"`                     // the tuned configuration stays in force
	DocumentVersion int                  `json:"config_document_version"`
	Document        string               `json:"config_document"`
	Journal         string               `json:"journal"`
	Functions       []liveFunction       `json:"functions,omitempty"`
	Note            string               `json:"note,omitempty"`
	Diagnostics     *live.RunDiagnostics `json:"log_diagnostics,omitempty"`
}

type liveFunction struct {
	Node     string `json:"node"`
	Function string `json:"function"`
	MemoryMB int    `json:"memory_mb"`
	LogGroup string `json:"log_group"`
}

type liveConfirm struct {
	Requests       int64    `json:"requests"`
	Failed         int64    `json:"failed"`
	LatencyMs      *float64 `json:"latency_ms"`
	P95Ms          *float64 `json:"p95_ms"`
	CostPerRequest *float64 `json:"cost_per_request_usd"`
	Feasible       bool     `json:"feasible"`
}

func liveTune(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("live tune", stderr)
	var l liveFlags
	l.register(fs, true)
	tunerName := fs.String("tuner", "", "tuner name (cnav tuners lists them; required)")
	bound := fs.Float64("bound", 0.3, "cost bound as a fraction above the minimum cost: 0.3 is 30 % above")
	dryRun := fs.Bool("dry-run", false, "read the deployment and print the plan; change nothing")
	rate := fs.Float64("rate", 1, "request rate of the measurement workload, per second")
	window := fs.Duration("window", 30*time.Second, "how long one measurement sends requests (the paper: ~30 s)")
	warmup := fs.Duration("warmup", -1, "requests streamed after a memory change before each measured window, charged but not observed (default: half of --window)")
	confirm := fs.Duration("confirm", 0, "after tuning, measure the chosen configuration for this long (0: skip)")
	cmin := fs.Float64("c-min", 0, "minimum cost per request in USD (default: measured by a per-function sweep)")
	cminSizes := fs.String("c-min-sizes", "128,256,512,1024,1536,3072", "memory sizes of the C_min sweep")
	cminN := fs.Int("c-min-invocations", 3, "invocations per function and size in the C_min sweep (after one warm-up)")
	restoreAfter := fs.Bool("restore-after", false, "restore the original configuration when done (default: keep the tuned one)")
	evalFile := fs.String("evaluations", "", "write every evaluated configuration to FILE (.json or .csv)")
	modelFile := fs.String("model", "", modelHelp)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tunerName == "" {
		return usagef("live tune: --tuner is required")
	}
	if !slices.Contains(tuners.Names(), *tunerName) {
		return usagef("live tune: unknown tuner %q (known: %s)", *tunerName, strings.Join(tuners.Names(), ", "))
	}
	if *tunerName == "exhaustive" {
		return usagef("live tune: the exhaustive tuner needs the simulator's ground truth and cannot run live; choose another (%s)",
			strings.Join(slices.DeleteFunc(tuners.Names(), func(s string) bool { return s == "exhaustive" }), ", "))
	}
	if math.IsNaN(*bound) || *bound <= 0 || math.IsInf(*bound, 0) {
		return usagef("live tune: --bound %v: want a positive fraction above the minimum cost, such as 0.3 for 30 %%", *bound)
	}
	if !(*rate > 0) || *window <= 0 || *confirm < 0 || *cmin < 0 || *cminN < 1 {
		return usagef("live tune: --rate, --window and --c-min-invocations must be positive, --confirm and --c-min not negative")
	}
	ls, err := l.open(ctx, stderr)
	if err != nil {
		return err
	}
	b := ls.b
	sizes, err := parseSizes(*cminSizes, ls.plat)
	if err != nil {
		return err
	}
	out := liveTuneOutput{Tuner: *tunerName, Pipeline: ls.dag.Name, Bound: *bound, Seed: l.seed, Original: b.Original(),
		MaxUSD: l.maxUSD, Journal: l.journal, Document: ls.bind.ConfigDocument}
	for _, n := range ls.dag.Names() {
		out.Functions = append(out.Functions, liveFunction{Node: n, Function: ls.bind.Functions[n], MemoryMB: out.Original[n], LogGroup: ls.bind.LogGroup(n)})
	}
	perMeasure := *rate * window.Seconds()
	out.EstimateUSD = math.Ceil(perMeasure) * b.RequestUSD()
	if *dryRun {
		out.DryRun, out.DocumentVersion = true, b.DocumentVersion()
		out.CMin, out.CMinSource = *cmin, "given (--c-min)"
		if *cmin == 0 {
			out.CMinSource = fmt.Sprintf("would be measured: each function alone at %v MB, 1 + %d invocations each", sizes, *cminN)
		}
		out.CBound = (1 + *bound) * out.CMin
		out.Note = fmt.Sprintf("dry run: nothing was changed; a measurement sends ~%.0f requests over %v", perMeasure, *window)
		return printLiveTune(stdout, &out, l.asJSON)
	}
	defer restoreOnError(ctx, b, &err)

	tn, err := newTuner(*tunerName, nil, *modelFile, ls.plat)
	if err != nil {
		return err
	}
	out.CMin, out.CMinSource = *cmin, "given (--c-min)"
	if *cmin == 0 {
		fmt.Fprintf(stderr, "live: measuring C_min: each function alone at %v MB\n", sizes)
		sweep, err := live.MeasureCMin(ctx, b, sizes, *cminN)
		if err != nil {
			return err
		}
		out.CMin, out.CMinSweep = sweep.USD, sweep
		out.CMinSource = fmt.Sprintf("measured: cheapest of %v MB per function, %d invocations, $%.6f", sizes, sweep.Invocations, sweep.SpentUSD)
	}
	env := tuner.NewEnv(b, func(s uint64) backend.Source { return newPoissonSource(*rate, s) }, l.seed)
	env.WindowUs = window.Microseconds()
	env.WarmupUs = warmupUs(*warmup, *window)
	prob := &tuner.Problem{Pipeline: ls.dag, Platform: ls.plat, Grid: ls.plat.Grid(), Bound: *bound, CMin: out.CMin, Seed: l.seed, Env: env}
	out.CBound = prob.CBound()
	if err := prob.Validate(); err != nil {
		return err
	}
	res, err := tn.Tune(ctx, prob)
	if err != nil {
		return err
	}
	out.Config, out.Evaluations, out.Unit, out.Note = res.Config, res.Evaluations, res.Unit, res.Note
	out.SearchSeconds, out.MeasureSeconds, out.ProfileSeconds = res.SearchSeconds, res.MeasureSeconds, res.ProfileSeconds
	out.ComputeSeconds, out.SearchUSD = res.ComputeSeconds, res.SearchUSD
	final := out.Original
	if res.Config != nil {
		final = res.Config
	}
	if err := b.ApplyReason(ctx, final, "tuned by "+res.Tuner); err != nil {
		return err
	}
	if *confirm > 0 && res.Config != nil {
		st, err := b.Run(ctx, backend.Workload{Source: newPoissonSource(*rate, l.seed^0x636f6e66), Duration: confirm.Microseconds()}, nil)
		if err != nil {
			return err
		}
		c := &liveConfirm{Requests: st.Requests, Failed: st.Failed, LatencyMs: num(st.E2E.Mean), P95Ms: num(st.E2E.P95)}
		if st.Requests > 0 {
			c.CostPerRequest = num(st.CostUSD / float64(st.Requests))
		}
		c.Feasible = st.Failed == 0 && c.CostPerRequest != nil && *c.CostPerRequest <= out.CBound
		out.Confirm = c
	}
	if *evalFile != "" {
		if err := writeEvaluations(*evalFile, res); err != nil {
			return err
		}
	}
	d := b.Diagnostics()
	out.Diagnostics = &d
	if *restoreAfter {
		if err := b.Restore(ctx); err != nil {
			return err
		}
	} else {
		if err := b.Commit(); err != nil {
			return err
		}
		out.Kept = true
	}
	out.SpentUSD, out.DocumentVersion, out.EstimateUSD = b.SpentUSD(), b.DocumentVersion(), math.Ceil(perMeasure)*b.RequestUSD()
	return printLiveTune(stdout, &out, l.asJSON)
}

func printLiveTune(w io.Writer, o *liveTuneOutput, asJSON bool) error {
	if asJSON {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	f := func(p *float64, format string) string {
		if p == nil {
			return "n/a"
		}
		return fmt.Sprintf(format, *p)
	}
	if o.DryRun {
		fmt.Fprintf(w, "live tune %s on %s: DRY RUN, nothing will be changed\n", o.Tuner, o.Pipeline)
	} else {
		fmt.Fprintf(w, "live tune %s on %s, bound +%.0f %%, seed %d\n", o.Tuner, o.Pipeline, o.Bound*100, o.Seed)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  node\tfunction\toriginal MB\ttuned MB\tlog group")
	for _, fn := range o.Functions {
		tuned := "-"
		if o.Config != nil {
			tuned = strconv.Itoa(o.Config[fn.Node])
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", fn.Node, fn.Function, fn.MemoryMB, tuned, fn.LogGroup)
	}
	tw.Flush()
	fmt.Fprintf(w, "config document %s (version %d)\n", o.Document, o.DocumentVersion)
	fmt.Fprintf(w, "C_min  $%.8f per request, %s; C_bound $%.8f\n", o.CMin, o.CMinSource, o.CBound)
	if o.DryRun {
		fmt.Fprintf(w, "one measurement may cost up to $%.6f at the current configuration (conservative); cap $%.2f (--max-usd)\n", o.EstimateUSD, o.MaxUSD)
		fmt.Fprintf(w, "journal %s would be written before the first change\n", o.Journal)
	} else {
		fmt.Fprintf(w, "config %s\n", o.Config)
		fmt.Fprintf(w, "search %d %s; %.1f s (measure %.1f, profile %.1f, compute %.3f), $%.6f\n",
			o.Evaluations, o.Unit, o.SearchSeconds, o.MeasureSeconds, o.ProfileSeconds, o.ComputeSeconds, o.SearchUSD)
		if c := o.Confirm; c != nil {
			fmt.Fprintf(w, "confirm %d requests, %d failed: latency %s ms (p95 %s), cost %s per request, feasible %v\n",
				c.Requests, c.Failed, f(c.LatencyMs, "%.1f"), f(c.P95Ms, "%.1f"), f(c.CostPerRequest, "$%.8f"), c.Feasible)
		}
		fmt.Fprintf(w, "spent $%.6f of $%.2f\n", o.SpentUSD, o.MaxUSD)
		if o.Kept {
			fmt.Fprintf(w, "the tuned configuration stays in force; the original was %s\n", o.Original)
		} else {
			fmt.Fprintln(w, "the original configuration was restored")
		}
	}
	if o.Note != "" {
		fmt.Fprintf(w, "note   %s\n", o.Note)
	}
	return nil
}

// liveValidateOutput is the --json document of cnav live validate.
type liveValidateOutput struct {
	Pipeline      string               `json:"pipeline"`
	Input         video.Input          `json:"input"` // the clip every function was measured on
	Sizes         []int                `json:"sizes"`
	N             int                  `json:"n"`
	Samples       int                  `json:"samples"`
	Rows          []live.ValidationRow `json:"rows"`
	MeanAbsError  *float64             `json:"mean_abs_error"`
	MaxKS         *float64             `json:"max_ks"`
	SpentUSD      float64              `json:"spent_usd"`
	Restored      bool                 `json:"restored"`
	Original      backend.Config       `json:"original_config"`
	PredictorNote string               `json:"predictor"`
}

func liveValidate(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("live validate", stderr)
	var l liveFlags
	l.register(fs, true)
	sizesFlag := fs.String("memory", "256,512,1024,2048", "memory sizes to measure, MB")
	n := fs.Int("n", 10, "measured invocations per function and size (after one warm-up)")
	samples := fs.Int("samples", 200, "simulated invocations per function and size")
	only := fs.String("functions", "", "comma-separated functions (default: all)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *samples < 1 {
		return usagef("live validate: --n and --samples must be positive")
	}
	ls, err := l.open(ctx, stderr)
	if err != nil {
		return err
	}
	sizes, err := parseSizes(*sizesFlag, ls.plat)
	if err != nil {
		return err
	}
	var fns []string
	for _, f := range strings.Split(*only, ",") {
		if f = strings.TrimSpace(f); f != "" {
			if _, ok := ls.dag.Lookup(f); !ok {
				return usagef("live validate: unknown function %q (pipeline %s has %s)", f, ls.dag.Name, strings.Join(ls.dag.Names(), ", "))
			}
			fns = append(fns, f)
		}
	}
	b := ls.b
	defer restoreOnError(ctx, b, &err)
	pred, err := sim.New(ls.plat, ls.dag, l.seed^0x70726564)
	if err != nil {
		return err
	}
	rows, err := live.Validate(ctx, b, live.ValidationOptions{Sizes: sizes, N: *n, Samples: *samples, Functions: fns, Predictor: pred})
	if err != nil {
		return err
	}
	if err := b.Restore(ctx); err != nil {
		return err
	}
	out := liveValidateOutput{Pipeline: ls.dag.Name, Input: b.Input(), Sizes: sizes, N: *n, Samples: *samples, Rows: rows, SpentUSD: b.SpentUSD(),
		Restored: true, Original: b.Original(), PredictorNote: "simulator on the platform profile" + map[bool]string{true: " " + l.platform, false: " (default)"}[l.platform != ""]}
	var sumErr, maxKS float64
	var k int
	for _, r := range rows {
		if !math.IsNaN(r.MeanError) {
			sumErr += math.Abs(r.MeanError)
			k++
		}
		if !math.IsNaN(r.KS) {
			maxKS = math.Max(maxKS, r.KS)
		}
	}
	if k > 0 {
		out.MeanAbsError, out.MaxKS = num(sumErr/float64(k)), num(maxKS)
	}
	if l.asJSON {
		type rowJSON struct {
			Function        string    `json:"function"`
			MemoryMB        int       `json:"memory_mb"`
			N               int       `json:"n"`
			Cold            int       `json:"cold"`
			Failed          int       `json:"failed"`
			PredictedFailed int       `json:"predicted_failed"`
			MeasuredMeanMs  *float64  `json:"measured_mean_ms"`
			PredictedMeanMs *float64  `json:"predicted_mean_ms"`
			MeasuredP95Ms   *float64  `json:"measured_p95_ms"`
			PredictedP95Ms  *float64  `json:"predicted_p95_ms"`
			MeanError       *float64  `json:"mean_error"`
			KS              *float64  `json:"ks"`
			SamplesMs       []float64 `json:"samples_ms"`
		}
		doc := struct {
			liveValidateOutput
			Rows []rowJSON `json:"rows"`
		}{liveValidateOutput: out}
		for _, r := range rows {
			doc.Rows = append(doc.Rows, rowJSON{r.Function, r.MemoryMB, r.N, r.Cold, r.Failed, r.PredictedFailed, num(r.MeasuredMeanMs),
				num(r.PredictedMeanMs), num(r.MeasuredP95Ms), num(r.PredictedP95Ms), num(r.MeanError), num(r.KS), r.SamplesMs})
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "live validate %s: %d measured (+1 warm-up) vs %d simulated invocations per function and size\n", ls.dag.Name, *n, *samples)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tMB\tn\tcold\tfailed\tmeasured ms\tpredicted ms\tmean error\tKS\t")
	g := func(v float64, format string) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return fmt.Sprintf(format, v)
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", r.Function, r.MemoryMB, r.N, r.Cold, r.Failed,
			g(r.MeasuredMeanMs, "%.1f"), g(r.PredictedMeanMs, "%.1f"), g(100*r.MeanError, "%+.1f %%"), g(r.KS, "%.3f"))
	}
	tw.Flush()
	if out.MeanAbsError != nil {
		fmt.Fprintf(stdout, "mean |error| %.1f %%, largest KS distance %.3f; spent $%.6f; original configuration restored\n", 100**out.MeanAbsError, *out.MaxKS, out.SpentUSD)
	}
	return nil
}

func liveRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("live restore", stderr)
	var l liveFlags
	l.register(fs, false)
	journal := fs.String("journal", "", "journal file left by an interrupted session (required)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *journal == "" {
		return usagef("live restore: --journal is required")
	}
	if l.maxAttempts < 1 || l.maxBackoff <= 0 {
		return usagef("live restore: --max-attempts and --max-backoff must be positive")
	}
	j, err := live.ReadJournal(*journal)
	if err != nil {
		return err
	}
	region, endpoint := l.region, l.endpoint
	if region == "" {
		region = j.Region
	}
	if endpoint == "" {
		endpoint = j.EndpointURL
	}
	cfg, err := live.LoadAWSConfig(ctx, live.AWSOptions{Region: region, EndpointURL: endpoint, Profile: l.awsProfile, MaxAttempts: l.maxAttempts, MaxBackoff: l.maxBackoff})
	if err != nil {
		return err
	}
	up := live.Updater{PollMin: min(time.Second, l.maxBackoff), ConflictBackoff: min(500*time.Millisecond, l.maxBackoff)}
	if err := live.RestoreFile(ctx, live.NewClients(cfg), *journal, live.RestoreOptions{Updater: up, Log: stdout}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored pipeline %s from %s; the journal was removed\n", j.Pipeline, *journal)
	return nil
}

func liveDeploy(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("live deploy", stderr)
	pipeName := fs.String("pipeline", "", "built-in pipeline name or spec file (required)")
	dryRun := fs.Bool("dry-run", false, "print the plan (the only mode: see live/README.md to deploy)")
	bucket := fs.String("bucket", "", "bucket of the configuration document (default cnav-PIPELINE-config)")
	role := fs.String("role", "", "IAM role name (default cnav-PIPELINE-lambda)")
	region := fs.String("region", "us-east-1", "AWS region")
	memory := fs.Int("memory", 1024, "initial memory of every function, MB")
	timeout := fs.Int("timeout", 300, "function timeout, seconds")
	arch := fs.String("arch", "x86_64", "x86_64 or arm64")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pipeName == "" {
		return usagef("live deploy: --pipeline is required")
	}
	if !*dryRun {
		return usagef("live deploy: only --dry-run is implemented: it prints the plan and the AWS CLI commands; see live/README.md to deploy")
	}
	if *arch != "x86_64" && *arch != "arm64" {
		return usagef("live deploy: --arch %q: want x86_64 or arm64", *arch)
	}
	if err := platform.Default().CheckMemory(*memory); err != nil {
		return usagef("live deploy: --memory: %v", err)
	}
	if *timeout < 1 || *timeout > live.MaxTimeoutS {
		return usagef("live deploy: --timeout %d s is out of range: Lambda accepts 1–%d s", *timeout, live.MaxTimeoutS)
	}
	dag, err := loadPipeline(*pipeName)
	if err != nil {
		return err
	}
	name := sanitize(dag.Name)
	if *bucket == "" {
		*bucket = "cnav-" + name + "-config"
	}
	if *role == "" {
		*role = "cnav-" + name + "-lambda"
	}
	fmt.Fprintf(stdout, "deploy plan for pipeline %s (dry run: nothing is created)\n\n", dag.Name)
	fmt.Fprintf(stdout, "IAM role %s\n  trust: lambda.amazonaws.com\n  policies: AWSLambdaBasicExecutionRole (CloudWatch Logs);\n", *role)
	fmt.Fprintf(stdout, "            s3:GetObject on arn:aws:s3:::%s/%s/* (configuration document) and the clips' bucket;\n", *bucket, name)
	fmt.Fprintf(stdout, "            lambda:InvokeFunction on the pipeline's functions (each invokes its successors)\n\n")
	fmt.Fprintf(stdout, "bucket %s in %s, versioning on (every configuration document version is kept)\n", *bucket, *region)
	fmt.Fprintf(stdout, "  configuration document s3://%s/%s/config.json\n\n", *bucket, name)
	goarch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[*arch]
	fmt.Fprintf(stdout, "functions: one handler binary, ./functions/cmd/lambda, built once and deployed per node with\n"+
		"CNAV_FUNCTION naming the real function (cnav fn list):\n"+
		"  GOOS=linux GOARCH=%s go build -tags lambda.norpc -o bootstrap ./functions/cmd/lambda && zip handler.zip bootstrap\n"+
		"  (functions that run ffmpeg need a layer with a static ffmpeg in /opt/bin)\n", goarch)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  node\tfunction\tCNAV_FUNCTION\tmemory MB\ttimeout s\truntime\tarch")
	for _, nd := range dag.Nodes {
		fn := deployedFunction(nd)
		state := ""
		if _, err := functions.Lookup(fn); err != nil {
			state = " (no real function of this name: cnav fn list)"
		}
		fmt.Fprintf(tw, "  %s\tcnav-%s-%s\t%s%s\t%d\t%d\tprovided.al2023\t%s\n", nd.Name, name, nd.Name, fn, state, *memory, *timeout, *arch)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nbinding file for cnav live tune (binding-%s.yaml):\n", name)
	fmt.Fprintf(stdout, "  pipeline: %s\n  config_document: s3://%s/%s/config.json\n  functions:\n", dag.Name, *bucket, name)
	for _, nd := range dag.Nodes {
		fmt.Fprintf(stdout, "    %s: cnav-%s-%s\n", nd.Name, name, nd.Name)
	}
	fmt.Fprintf(stdout, "\nAWS CLI commands (ACCOUNT is your account id):\n")
	fmt.Fprintf(stdout, "  aws iam create-role --role-name %s --assume-role-policy-document file://trust.json\n", *role)
	fmt.Fprintf(stdout, "  aws iam attach-role-policy --role-name %s --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\n", *role)
	fmt.Fprintf(stdout, "  aws s3api create-bucket --bucket %s --region %s\n", *bucket, *region)
	fmt.Fprintf(stdout, "  aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled\n", *bucket)
	for _, nd := range dag.Nodes {
		fmt.Fprintf(stdout, "  aws lambda create-function --function-name cnav-%s-%s --runtime provided.al2023 --handler bootstrap --architectures %s \\\n"+
			"      --role arn:aws:iam::ACCOUNT:role/%s --memory-size %d --timeout %d --zip-file fileb://handler.zip \\\n"+
			"      --environment Variables={CNAV_FUNCTION=%s,CNAV_NODE=%s,CNAV_CONFIG=s3://%s/%s/config.json}\n",
			name, nd.Name, *arch, *role, *memory, *timeout, deployedFunction(nd), nd.Name, *bucket, name)
	}
	return nil
}

// deployedFunction is the real function a node runs: its built-in model's
// name, or its own.
func deployedFunction(nd pipeline.Node) string {
	if nd.Model != "" {
		return nd.Model
	}
	return nd.Name
}
