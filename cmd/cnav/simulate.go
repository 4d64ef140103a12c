package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/recordio"
	"github.com/confignav/confignav/sim"
)

// simulateOutput is the --json document of cnav simulate.
type simulateOutput struct {
	Pipeline       string         `json:"pipeline"`
	Platform       string         `json:"platform"`
	Seed           uint64         `json:"seed"`
	Workload       string         `json:"workload"`
	Config         backend.Config `json:"config"`
	Requests       int64          `json:"requests"`
	Completed      int64          `json:"completed"`
	Failed         int64          `json:"failed"`
	Invocations    int64          `json:"invocations"`
	ColdStarts     int64          `json:"cold_starts"`
	Throttled      int64          `json:"throttled"`
	E2E            latencyJSON    `json:"e2e_ms"`
	Cost           costJSON       `json:"cost"`
	Events         int64          `json:"events"`
	EventsPerSec   float64        `json:"events_per_second"`
	WallSeconds    float64        `json:"wall_seconds"`
	VirtualSeconds float64        `json:"virtual_seconds"`
	MaxRSSMB       float64        `json:"max_rss_mb"`
}

type latencyJSON struct {
	Mean *float64 `json:"mean"`
	P50  *float64 `json:"p50"`
	P95  *float64 `json:"p95"`
	P99  *float64 `json:"p99"`
	Max  *float64 `json:"max"`
}

type costJSON struct {
	USDPerRequest  *float64 `json:"usd_per_request"`
	MBmsPerRequest *float64 `json:"mb_ms_per_request"`
	USDTotal       float64  `json:"usd_total"`
}

// num turns NaN and infinities into JSON null.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", stderr)
	pipeName := fs.String("pipeline", "", "built-in pipeline name, random:n=N,seed=S, or a spec file (required)")
	wl := addWorkloadFlags(fs)
	durFlag := fs.String("duration", "10m", "admit arrivals for this long (Go duration such as 90s or 10m, or seconds)")
	memAll := fs.Int("memory-all", 0, "memory of every function, MB")
	memList := fs.String("memory", "", "per-function memory, fn=MB,fn=MB (overrides --memory-all)")
	seed := fs.Uint64("seed", 1, "random seed: same seed, same output")
	asJSON := fs.Bool("json", false, "print a JSON summary")
	records := fs.String("records", "", "write every invocation record to FILE (.csv or .parquet)")
	platFile := fs.String("platform", "", platformHelp)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pipeName == "" {
		return usagef("simulate: --pipeline is required")
	}
	dur, err := parseDuration(*durFlag)
	if err != nil {
		return usagef("simulate: --duration: %v", err)
	}
	plat, dag, err := loadSetup(*platFile, *pipeName, stderr)
	if err != nil {
		return err
	}
	cfg, err := memoryConfig(dag, plat, *memAll, *memList)
	if err != nil {
		return err
	}
	s, err := sim.New(plat, dag, *seed)
	if err != nil {
		return err
	}
	if err := s.Apply(ctx, cfg); err != nil {
		return err
	}
	src, workload, err := wl.source(ctx, *seed, dur.Microseconds())
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}

	sink := backend.Discard
	var w recordio.Writer
	if *records != "" {
		if w, err = recordio.Create(*records); err != nil {
			return err
		}
		defer w.Abort()
		sink = w
	}
	bar := newVirtualProgress(stderr, dur, "simulating "+dag.Name)
	s.Progress = bar.set
	wallStart := time.Now()
	st, err := s.Run(ctx, backend.Workload{Source: src, Duration: dur.Microseconds()}, sink)
	wall := time.Since(wallStart).Seconds()
	bar.done()
	if err != nil {
		return err
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return err
		}
	}
	out := simulateOutput{
		Pipeline: dag.Name, Platform: plat.Name, Seed: *seed, Workload: workload, Config: s.Config(),
		Requests: st.Requests, Completed: st.Completed, Failed: st.Failed, Invocations: st.Invocations,
		ColdStarts: st.ColdStarts, Throttled: st.Throttled,
		E2E: latencyJSON{num(st.E2E.Mean), num(st.E2E.P50), num(st.E2E.P95), num(st.E2E.P99), num(st.E2E.Max)},
		Cost: costJSON{
			USDPerRequest:  num(st.CostUSD / float64(st.Requests)),
			MBmsPerRequest: num(st.MBms / float64(st.Requests)),
			USDTotal:       st.CostUSD,
		},
		Events: st.Events, EventsPerSec: float64(st.Events) / wall, WallSeconds: wall,
		VirtualSeconds: float64(st.Elapsed) / 1e6, MaxRSSMB: maxRSSMB(),
	}
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	printSimulate(stdout, &out)
	return nil
}

func printSimulate(w io.Writer, o *simulateOutput) {
	f := func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return strconv.FormatFloat(*p, 'f', 1, 64)
	}
	fmt.Fprintf(w, "pipeline %s on %s, seed %d, workload %s\n", o.Pipeline, o.Platform, o.Seed, o.Workload)
	fmt.Fprintf(w, "config   %s\n", o.Config)
	fmt.Fprintf(w, "requests %d: %d completed, %d failed\n", o.Requests, o.Completed, o.Failed)
	fmt.Fprintf(w, "invocations %d, cold starts %d, throttled %d\n", o.Invocations, o.ColdStarts, o.Throttled)
	fmt.Fprintf(w, "end-to-end ms: mean %s  p50 %s  p95 %s  p99 %s  max %s\n", f(o.E2E.Mean), f(o.E2E.P50), f(o.E2E.P95), f(o.E2E.P99), f(o.E2E.Max))
	if o.Cost.USDPerRequest != nil {
		fmt.Fprintf(w, "cost per request: $%.8f, %.0f MB·ms (total $%.4f)\n", *o.Cost.USDPerRequest, *o.Cost.MBmsPerRequest, o.Cost.USDTotal)
	}
	fmt.Fprintf(w, "events %d in %.2f s wall (%.2f M/s), %.1f s virtual, max RSS %.0f MB\n",
		o.Events, o.WallSeconds, o.EventsPerSec/1e6, o.VirtualSeconds, o.MaxRSSMB)
}

// memoryConfig builds a configuration from --memory-all and --memory.
func memoryConfig(dag *pipeline.DAG, plat *platform.Profile, all int, list string) (backend.Config, error) {
	cfg := backend.Config{}
	if all != 0 {
		if err := plat.CheckMemory(all); err != nil {
			return nil, usagef("--memory-all: %v", err)
		}
		for _, n := range dag.Names() {
			cfg[n] = all
		}
	}
	if list != "" {
		for _, kv := range strings.Split(list, ",") {
			name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return nil, usagef("--memory: %q is not fn=MB", kv)
			}
			mb, err := strconv.Atoi(val)
			if err != nil {
				return nil, usagef("--memory: %s: %q is not a whole number of MB", name, val)
			}
			if _, ok := dag.Lookup(name); !ok {
				return nil, usagef("--memory: unknown function %q (pipeline %s has %s)", name, dag.Name, strings.Join(dag.Names(), ", "))
			}
			if err := plat.CheckMemory(mb); err != nil {
				return nil, usagef("--memory: %s: %v", name, err)
			}
			cfg[name] = mb
		}
	}
	if len(cfg) < len(dag.Nodes) {
		var missing []string
		for _, n := range dag.Names() {
			if _, ok := cfg[n]; !ok {
				missing = append(missing, n)
			}
		}
		return nil, usagef("no memory given for %s: use --memory-all MB or --memory fn=MB,...", strings.Join(missing, ", "))
	}
	return cfg, nil
}

// maxDuration is the longest run parseDuration accepts: far beyond any trace
// (Azure's span two weeks), and well inside the engine's integer clock.
const maxDuration = 1e9 * time.Second

// durationSyntax matches a well-formed positive Go duration.
var durationSyntax = regexp.MustCompile(`^\+?([0-9]*\.?[0-9]+(ns|us|µs|μs|ms|s|m|h))+$`)

// parseDuration accepts a Go duration or a number of seconds.
func parseDuration(s string) (time.Duration, error) {
	tooLong := fmt.Errorf("%q: longer than the limit of %.0e s (about 31 years)", s, maxDuration.Seconds())
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		switch {
		case !(secs > 0):
			return 0, fmt.Errorf("%q: want a positive length", s)
		case secs > maxDuration.Seconds():
			return 0, tooLong
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if durationSyntax.MatchString(s) {
			return 0, tooLong // well formed, but beyond time.Duration's 2,562,047 h
		}
		return 0, fmt.Errorf("%q: want a duration such as 90s, 10m or 2h", s)
	}
	switch {
	case d <= 0:
		return 0, fmt.Errorf("%q: want a positive length", s)
	case d > maxDuration:
		return 0, tooLong
	}
	return d, nil
}

// maxRSSMB is the peak resident memory of this process.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}
