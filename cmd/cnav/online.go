package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/navigator/online"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/tuners"
	"github.com/confignav/confignav/video"
)

// onlineOutput is cnav online --json.
type onlineOutput struct {
	Pipeline      string           `json:"pipeline"`
	Platform      string           `json:"platform"`
	Seed          uint64           `json:"seed"`
	Workload      string           `json:"workload"`
	Controller    bool             `json:"controller"`
	Tuner         string           `json:"tuner"`
	Offline       backend.Config   `json:"offline_config"`
	Bound         float64          `json:"bound"`
	BoundUSD      float64          `json:"bound_usd"`
	Windows       []online.Window  `json:"windows"`
	Summary       online.Summary   `json:"summary"`
	AfterChange   *online.Summary  `json:"after_change,omitempty"`
	Final         backend.Config   `json:"final_config"`
	Events        []string         `json:"events"`
	ReplanMs      []float64        `json:"replan_ms,omitempty"`
	InputShifts   int              `json:"input_shifts"`
	Anomalies     online.Anomalies `json:"anomalies"`
	TuneNote      string           `json:"tune_note,omitempty"`
	SearchSeconds float64          `json:"search_seconds"`
}

// runOnline runs a pipeline under ConfigNavigator's online controller (the
// paper's §3.3) on the simulator: an offline tuning first (or --config), then
// the workload with the controller on, or the offline configuration
// statically (--controller off) for comparison.
func runOnline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("online", stderr)
	pipeName := fs.String("pipeline", "", "built-in pipeline name, random:n=N,seed=S, or a spec file (required)")
	wl := addWorkloadFlags(fs)
	durFlag := fs.String("duration", "30m", "admit arrivals for this long")
	bound := fs.Float64("bound", 0.3, "cost bound as a fraction above the minimum cost")
	seed := fs.Uint64("seed", 1, "random seed")
	windowFlag := fs.Duration("window", time.Minute, "control and reporting window")
	ctlFlag := fs.String("controller", "on", "on: ConfigNavigator's controller adapts memory; off: the offline configuration stays")
	tunerName := fs.String("tuner", "navigator", "tuner that finds the offline configuration")
	cfgFlag := fs.String("config", "", "offline configuration fn=MB,… instead of tuning")
	modelFile := fs.String("model", "", modelHelp)
	platFile := fs.String("platform", "", platformHelp)
	asJSON := fs.Bool("json", false, "print JSON")
	tuneInputs := fs.String("tune-inputs", "reference", "clips the offline tuning runs on and is judged on: reference (1080p, 5 s), catalogue (the 50-clip default), or a manifest FILE (.csv/.json); ten representative clips of them carry single-function work")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pipeName == "" {
		return usagef("online: --pipeline is required")
	}
	if *ctlFlag != "on" && *ctlFlag != "off" {
		return usagef("online: --controller %q: want on or off", *ctlFlag)
	}
	if math.IsNaN(*bound) || *bound <= 0 || math.IsInf(*bound, 0) {
		return usagef("online: --bound %v: want a positive fraction above the minimum cost", *bound)
	}
	if *windowFlag <= 0 {
		return usagef("online: --window must be positive")
	}
	dur, err := parseDuration(*durFlag)
	if err != nil {
		return usagef("online: --duration: %v", err)
	}
	if *wl.rate == 0 && *wl.workload == "" {
		*wl.workload, *wl.sel = "synthetic", "rank:10"
	}
	if !slices.Contains(tuners.Names(), *tunerName) {
		return usagef("online: unknown tuner %q (known: %s)", *tunerName, strings.Join(tuners.Names(), ", "))
	}
	plat, dag, err := loadSetup(*platFile, *pipeName, stderr)
	if err != nil {
		return err
	}
	src, workload, err := wl.source(ctx, *seed, dur.Microseconds())
	if err != nil {
		return fmt.Errorf("online: %w", err)
	}
	// The after-change summary covers requests from five windows after the
	// last change (online.Options.SettleUs): it must start inside the run.
	if len(wl.changes) > 0 {
		last := slices.MaxFunc(wl.changes, func(a, b traces.Change) int { return cmp.Compare(a.At, b.At) })
		settle := 5 * *windowFlag
		if from := time.Duration(last.At)*time.Microsecond + settle; from >= dur {
			return usagef("online: --change %s: the after-change summary would start at %v (5 windows of %v later), at or after the end of the run (--duration %v): move the change earlier, or lengthen --duration or shorten --window",
				last, from, *windowFlag, dur)
		}
	}
	tuneCat, err := tuningInputs(*tuneInputs, *seed)
	if err != nil {
		return fmt.Errorf("online: --tune-inputs: %w", err)
	}
	prob, orc, err := newProblem(plat, dag, *seed, *bound, 1, 30*time.Second, -1, 256, tuneCat, 10)
	if err != nil {
		return err
	}
	out := onlineOutput{Pipeline: dag.Name, Platform: plat.Name, Seed: *seed, Workload: workload, Controller: *ctlFlag == "on",
		Bound: *bound, BoundUSD: prob.CBound()}

	var research func(ctx context.Context, fan map[string]float64) (backend.Config, error)
	var researchInput func(ctx context.Context, in video.Input, fan map[string]float64) (backend.Config, float64, error)
	var curve func(fn string) (mb []int, ms, usd []float64, ok bool) // the navigator's model for the controller
	if *cfgFlag != "" {
		if out.Offline, err = memoryConfig(dag, plat, 0, *cfgFlag); err != nil {
			return err
		}
		out.Tuner = "given"
	} else {
		tn, err := newTuner(*tunerName, orc, *modelFile, plat)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "online: tuning %s offline with %s at +%.0f %%\n", dag.Name, *tunerName, *bound*100)
		hb := newHeartbeat(stderr, "online: tuning offline")
		res, err := tn.Tune(ctx, prob)
		hb.done()
		if err != nil {
			return err
		}
		if res.Config == nil {
			return fmt.Errorf("online: %s found no configuration: %s", *tunerName, res.Note)
		}
		out.Offline, out.Tuner, out.TuneNote, out.SearchSeconds = res.Config, *tunerName, res.Note, res.SearchSeconds
		if nav, ok := tn.(*navigator.Navigator); ok {
			research, curve = nav.Research, nav.Curve
			researchInput = func(ctx context.Context, in video.Input, fan map[string]float64) (backend.Config, float64, error) {
				before := prob.Env.Accounting().ProfileSeconds
				cfg, err := nav.ResearchInput(ctx, in, fan)
				return cfg, prob.Env.Accounting().ProfileSeconds - before, err
			}
		}
	}

	s, err := sim.New(plat, dag, *seed^0x6f6e6c696e65)
	if err != nil {
		return err
	}
	if err := s.Apply(ctx, out.Offline); err != nil {
		return err
	}
	var ctl *online.Controller
	if out.Controller {
		ctl = online.NewController(plat.Grid(), prob.CBound(), out.Offline)
		ctl.Model = curve
	}
	var changeAt []int64
	for _, c := range wl.changes {
		changeAt = append(changeAt, c.At)
	}
	slices.Sort(changeAt) // online.Run measures the after-change summary from the last
	bar := newVirtualProgress(stderr, dur, "online "+dag.Name)
	s.Progress = bar.set
	res, err := online.Run(ctx, online.Options{Backend: s, Store: online.NewMemoryStore(s), DAG: dag, Controller: ctl,
		Workload: backend.Workload{Source: src, Duration: dur.Microseconds()}, WindowUs: windowFlag.Microseconds(),
		Origin: s.Now(), Bound: prob.CBound(), ChangeAt: changeAt, Replan: research, ReplanInput: researchInput, Input: prob.Env.Input})
	bar.done()
	if err != nil {
		return err
	}
	out.Windows, out.Summary, out.AfterChange, out.Final = res.Windows, res.Summary, res.AfterChange, res.Final
	out.Events, out.ReplanMs, out.InputShifts, out.Anomalies = res.Events, res.ReplanMs, res.Shifts, res.Anomalies
	if *asJSON {
		b, err := json.MarshalIndent(&out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	printOnline(stdout, &out)
	return nil
}

// windowJSON and summaryJSON are online's Window and Summary with null for
// NaN (a window without completed requests has no mean).
type windowJSON struct {
	StartS         float64  `json:"start_s"`
	Requests       int      `json:"requests"`
	MeanMs         *float64 `json:"mean_ms"`
	P95Ms          *float64 `json:"p95_ms"`
	CostPerRequest *float64 `json:"cost_per_request_usd"`
	ConfigVersion  int      `json:"config_version"`
	Decision       string   `json:"decision,omitempty"`
}

type summaryJSON struct {
	Requests          int      `json:"requests"`
	Failed            int      `json:"failed"`
	MeanMs            *float64 `json:"mean_ms"`
	P95Ms             *float64 `json:"p95_ms"`
	StdMs             *float64 `json:"std_ms"`
	CostPerRequestUSD *float64 `json:"cost_per_request_usd"`
	BoundUSD          float64  `json:"bound_usd"`
	Reconfigurations  int      `json:"reconfigurations"`
	StructureChanges  int      `json:"structure_changes"`
	Replans           int      `json:"replans"`
}

func toSummaryJSON(s *online.Summary) *summaryJSON {
	if s == nil {
		return nil
	}
	return &summaryJSON{s.Requests, s.Failed, num(s.MeanMs), num(s.P95Ms), num(s.StdMs), num(s.CostPerRequestUSD), s.BoundUSD, s.Reconfigurations, s.StructureChanges, s.Replans}
}

func (o *onlineOutput) MarshalJSON() ([]byte, error) {
	type plain onlineOutput
	ws := make([]windowJSON, len(o.Windows))
	for i, w := range o.Windows {
		ws[i] = windowJSON{w.StartS, w.Requests, num(w.MeanMs), num(w.P95Ms), num(w.CostPerRequest), w.ConfigVersion, w.Decision}
	}
	return json.Marshal(struct {
		*plain
		Windows     []windowJSON `json:"windows"`
		Summary     *summaryJSON `json:"summary"`
		AfterChange *summaryJSON `json:"after_change,omitempty"`
	}{(*plain)(o), ws, toSummaryJSON(&o.Summary), toSummaryJSON(o.AfterChange)})
}

func printOnline(w io.Writer, o *onlineOutput) {
	mode := "controller on"
	if !o.Controller {
		mode = "controller off (static)"
	}
	fmt.Fprintf(w, "online %s on %s, %s, seed %d, workload %s\n", o.Pipeline, o.Platform, mode, o.Seed, o.Workload)
	fmt.Fprintf(w, "offline  %s (%s), bound +%.0f %% = $%.8f per request\n", o.Offline, o.Tuner, o.Bound*100, o.BoundUSD)
	fmt.Fprintf(w, "\n%8s %8s %10s %10s %14s %8s  %s\n", "start_s", "requests", "mean_ms", "p95_ms", "usd/request", "version", "decision")
	// f formats a number, or n/a where there is none (a window whose
	// requests all failed has no latency).
	f := func(v float64, width, prec int) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprintf("%*s", width, "n/a")
		}
		return fmt.Sprintf("%*.*f", width, prec, v)
	}
	for _, win := range o.Windows {
		fmt.Fprintf(w, "%8.0f %8d %s %s %s %8d  %s\n", win.StartS, win.Requests, f(win.MeanMs, 10, 1), f(win.P95Ms, 10, 1), f(win.CostPerRequest, 14, 8), win.ConfigVersion, win.Decision)
	}
	sum := func(name string, s *online.Summary) {
		if s.Requests == 0 {
			fmt.Fprintf(w, "%-12s no requests\n", name)
			return
		}
		fmt.Fprintf(w, "%-12s %d requests (%d failed), mean %s ms, p95 %s ms, std %s ms, $%s per request (bound $%.8f), %d reconfigurations, %d structure changes, %d re-searches\n",
			name, s.Requests, s.Failed, f(s.MeanMs, 0, 1), f(s.P95Ms, 0, 1), f(s.StdMs, 0, 1), f(s.CostPerRequestUSD, 0, 8), s.BoundUSD, s.Reconfigurations, s.StructureChanges, s.Replans)
	}
	fmt.Fprintln(w)
	sum("summary", &o.Summary)
	if o.AfterChange != nil {
		sum("after change", o.AfterChange)
	}
	fmt.Fprintf(w, "final        %s\n", o.Final)
	for _, e := range o.Events {
		fmt.Fprintf(w, "event        %s\n", e)
	}
}
