package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/platform"
)

var update = flag.Bool("update", false, "rewrite golden files")

// cnav runs the command line in-process.
func cnav(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

func TestPipelinesGolden(t *testing.T) {
	out, _, err := cnav(t, "pipelines")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pipelines.txt", out)
	out, _, err = cnav(t, "pipelines", "show", "face-beautification")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "show-face-beautification.txt", out)
}

func TestShowJSONIsAValidSpec(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"face-detection", "face-beautification", "autoclip", "random:n=9,seed=4"} {
		out, _, err := cnav(t, "pipelines", "show", name, "--json")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "spec.json")
		os.WriteFile(path, []byte(out), 0o644)
		msg, _, err := cnav(t, "pipelines", "validate", path)
		if err != nil || !strings.Contains(msg, "valid pipeline") {
			t.Fatalf("%s: validate of show --json: %v %s", name, err, msg)
		}
	}
}

func TestValidateReportsProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("name: loop\nfunctions:\n  - {name: a, model: decode}\n  - {name: b, model: encode}\nedges: [[a, b], [b, a]]\n"), 0o644)
	_, _, err := cnav(t, "pipelines", "validate", path)
	if err == nil || !strings.Contains(err.Error(), "cycle: a → b → a") || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("got %v", err)
	}
	_, _, err = cnav(t, "pipelines", "validate", filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestPlatformShowReadsBack(t *testing.T) {
	out, _, err := cnav(t, "platform", "show")
	if err != nil {
		t.Fatal(err)
	}
	p, err := platform.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(path, []byte(out), 0o644)
	again, _, err := cnav(t, "platform", "show", "--platform", path)
	if err != nil || again != out || p.Name == "" {
		t.Fatalf("platform show --platform of its own output differs: %v", err)
	}
}

func simulateJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, _, err := cnav(t, append([]string{"simulate", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"wall_seconds", "events_per_second", "max_rss_mb"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("field %s missing", k)
		}
		delete(m, k)
	}
	return m
}

func TestSimulateDeterministic(t *testing.T) {
	args := []string{"--pipeline", "face-beautification", "--rate", "3", "--duration", "5m", "--memory-all", "2048"}
	a := simulateJSON(t, append(args, "--seed", "5")...)
	b := simulateJSON(t, append(args, "--seed", "5")...)
	c := simulateJSON(t, append(args, "--seed", "6")...)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jc, _ := json.Marshal(c)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("same seed, different output:\n%s\n%s", ja, jb)
	}
	if bytes.Equal(ja, jc) {
		t.Fatal("different seeds, same output")
	}
	for _, k := range []string{"pipeline", "seed", "requests", "completed", "failed", "invocations", "cold_starts", "throttled", "e2e_ms", "cost", "events", "virtual_seconds"} {
		if _, ok := a[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	e2e := a["e2e_ms"].(map[string]any)
	for _, k := range []string{"mean", "p50", "p95", "p99"} {
		if _, ok := e2e[k].(float64); !ok {
			t.Errorf("e2e_ms.%s = %v", k, e2e[k])
		}
	}
}

// TestSimulateWorkloads drives the simulator from the synthetic trace, a real
// Azure 2019 slice and a Poisson stream with a scheduled change: each is
// deterministic for a seed and the change shows in what requests cost.
func TestSimulateWorkloads(t *testing.T) {
	base := []string{"--pipeline", "face-detection", "--duration", "4m", "--memory-all", "2048", "--seed", "3"}
	azure := "azure2019:" + filepath.Join("..", "..", "..", "shared", "data", "azure2019", "invocations-500fn-min480-959.csv")
	for _, wl := range [][]string{
		{"--workload", "synthetic", "--select", "rank:10"},
		{"--workload", azure, "--select", "top:3", "--scale", "0.002"},
	} {
		if strings.HasPrefix(wl[1], "azure2019:") {
			if _, err := os.Stat(strings.TrimPrefix(wl[1], "azure2019:")); err != nil {
				t.Logf("skipping %v: %v", wl, err)
				continue
			}
		}
		a := simulateJSON(t, append(base, wl...)...)
		b := simulateJSON(t, append(base, wl...)...)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%v: same seed, different output", wl)
		}
		if n := a["requests"].(float64); n < 10 {
			t.Errorf("%v: only %v requests", wl, n)
		}
		if !strings.Contains(a["workload"].(string), wl[1]) {
			t.Errorf("%v: workload described as %q", wl, a["workload"])
		}
	}
	cost := func(args ...string) float64 {
		m := simulateJSON(t, append(base, args...)...)
		return m["cost"].(map[string]any)["usd_per_request"].(float64)
	}
	full := cost("--rate", "1", "--inputs", "catalogue", "--change", "0s:resolution=1080p")
	small := cost("--rate", "1", "--inputs", "catalogue", "--change", "0s:resolution=360p")
	if !(small < 0.6*full) {
		t.Errorf("cost per request at 360p %v is not well below 1080p %v", small, full)
	}
	for _, bad := range [][]string{
		{"--rate", "1", "--workload", "synthetic"},
		{},
		{"--workload", "synthetic", "--scale", "-2"},
		{"--workload", "synthetic", "--change", "soon:resolution=360p"},
		{"--workload", "azure2021:/nonexistent.csv"},
	} {
		if _, _, err := cnav(t, append(append([]string{"simulate"}, base...), bad...)...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestSimulateBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory-all", "64"}, "valid sizes are 128–10240 MB"},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory-all", "2048", "--memory", "hd=99999"}, "valid sizes are 128–10240 MB"},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory", "nope=512"}, `unknown function "nope"`},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory", "decode=512"}, "no memory given for"},
		{[]string{"--pipeline", "nosuch", "--rate", "1", "--memory-all", "512"}, `unknown pipeline "nosuch"`},
		{[]string{"--pipeline", "face-detection", "--rate", "-1", "--memory-all", "512"}, "--rate must be a positive"},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory-all", "512", "--duration", "soon"}, "--duration"},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory-all", "512", "--records", "x.txt"}, ".csv or .parquet"},
		{[]string{"--pipeline", "face-detection", "--rate", "1", "--memory-all", "512", "--platform", "/nonexistent.json"}, "nonexistent.json"},
	} {
		_, _, err := cnav(t, append([]string{"simulate"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestSimulateWritesRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	m := simulateJSON(t, "--pipeline", "face-detection", "--rate", "1", "--duration", "60", "--memory-all", "2048", "--records", path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(data), "\n") - 1
	if float64(lines) != m["invocations"].(float64) {
		t.Fatalf("%d record lines, %v invocations", lines, m["invocations"])
	}
}

func TestUnknownCommand(t *testing.T) {
	_, _, err := cnav(t, "frobnicate")
	var u usageError
	if err == nil || !strings.Contains(err.Error(), "unknown command") || !errors.As(err, &u) {
		t.Fatalf("got %v", err)
	}
}

func TestTuneJSON(t *testing.T) {
	out, _, err := cnav(t, "tune", "--pipeline", "face-detection", "--tuner", "random", "--bound", "0.5", "--seed", "2", "--json", "--confirm", "2m", "--samples", "32")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tuner", "pipeline", "bound", "seed", "config", "evaluations", "search_seconds", "search_usd", "latency_ms", "cost_per_request_usd", "c_min_usd", "feasible", "regret"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if m["evaluations"].(float64) != 40 || m["search_seconds"].(float64) < 40*30 {
		t.Errorf("random search: %v evaluations, %v s", m["evaluations"], m["search_seconds"])
	}
	if r, ok := m["regret"].(float64); !ok || r < -0.05 {
		t.Errorf("regret %v: want a number, not far below 0", m["regret"])
	}
}

// TestTuneOnCatalogue: with --inputs catalogue the minimum cost and the
// truth are the catalogue's (a 1080p clip alone costs more than the
// catalogue's mix of 360p–1080p clips), and a function-level tuner runs on
// its payloads.
func TestTuneOnCatalogue(t *testing.T) {
	args := []string{"tune", "--pipeline", "face-detection", "--tuner", "powertuning", "--bound", "0.5", "--seed", "2", "--json", "--confirm", "2m", "--samples", "50"}
	var cmin [2]float64
	for k, inputs := range []string{"reference", "catalogue"} {
		out, _, err := cnav(t, append(args, "--inputs", inputs)...)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			CMin  float64         `json:"c_min_usd"`
			Truth json.RawMessage `json:"truth"`
		}
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		cmin[k] = m.CMin
		if len(m.Truth) == 0 {
			t.Errorf("--inputs %s: no truth", inputs)
		}
	}
	if !(cmin[1] < cmin[0]) {
		t.Errorf("C_min on the catalogue %.3g, on the 1080p reference %.3g: want the catalogue's lower", cmin[1], cmin[0])
	}
}

// TestPlateauProbe: on the measured platform at +80 %, where the tables
// are flat from 3,584 MB and the model's smooth curve picks 4,096 MB for
// every function, the plateau probe measures the smaller sizes (one more
// run), moves only functions to smaller sizes, stays within the bound, and
// is faster in truth than the same tuning without it (seed 1: decode at
// 3,584 MB, 1 % faster end to end); --plateau-probe=false skips it.
func TestPlateauProbe(t *testing.T) {
	ref := filepath.Join("..", "..", "results", "reference")
	args := []string{"tune", "--pipeline", "face-detection", "--tuner", "navigator", "--bound", "0.8", "--seed", "1", "--json", "--inputs", "catalogue",
		"--samples", "64", "--platform", "measured:" + filepath.Join(ref, "measured"), "--model", filepath.Join(ref, "model-measured.json")}
	type result struct {
		Config map[string]int `json:"config"`
		Runs   int            `json:"confirmation_runs"`
		Probed int            `json:"plateau_probed"`
		Moved  int            `json:"plateau_moved"`
		Truth  truthJSON      `json:"truth"`
		Note   string         `json:"note"`
	}
	var r [2]result
	for k, probe := range []string{"true", "false"} {
		out, _, err := cnav(t, append(args, "--plateau-probe="+probe)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &r[k]); err != nil {
			t.Fatal(err)
		}
	}
	with, without := r[0], r[1]
	if without.Probed != 0 || with.Probed == 0 || with.Runs != without.Runs+1 || with.Moved == 0 {
		t.Fatalf("probe: %d runs, %d probed, %d moved; without: %d runs, %d probed; want one more run that moves something",
			with.Runs, with.Probed, with.Moved, without.Runs, without.Probed)
	}
	moved := 0
	for fn, mb := range with.Config {
		if mb > without.Config[fn] {
			t.Errorf("%s: %d MB with the probe, %d without: the probe only tries smaller sizes", fn, mb, without.Config[fn])
		}
		if mb != without.Config[fn] {
			moved++
		}
	}
	if moved != with.Moved {
		t.Errorf("%d functions differ from the answer without the probe, the probe says it moved %d", moved, with.Moved)
	}
	if !with.Truth.Feasible || !(*with.Truth.LatencyMs < *without.Truth.LatencyMs) {
		t.Errorf("truth with the probe %.0f ms (feasible %v), without %.0f ms: want faster and within the bound (%s)",
			*with.Truth.LatencyMs, with.Truth.Feasible, *without.Truth.LatencyMs, with.Note)
	}
}

func TestTuneBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pipeline", "face-detection", "--tuner", "random", "--bound", "0"}, "--bound 0"},
		{[]string{"--pipeline", "face-detection", "--tuner", "random", "--bound", "-1"}, "--bound -1"},
		{[]string{"--pipeline", "face-detection", "--tuner", "nosuch"}, `unknown tuner "nosuch"`},
		{[]string{"--tuner", "random"}, "--pipeline and --tuner are required"},
		{[]string{"--pipeline", "face-detection", "--tuner", "random", "--inputs", "/nonexistent/clips.csv"}, "/nonexistent/clips.csv"},
		{[]string{"--pipeline", "face-detection", "--tuner", "random", "--inputs", "catalogue", "--payloads", "0"}, "--payloads must be positive"},
	} {
		_, _, err := cnav(t, append([]string{"tune"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
}

// reproduce checks its data before any cell runs: a missing or corrupt model
// fails at once, and --model "" --measured "" runs without them.
func TestReproduceDataChecks(t *testing.T) {
	out := t.TempDir()
	bad := filepath.Join(t.TempDir(), "model.json")
	os.WriteFile(bad, []byte(`{"format":"confignav-prediction-model","version":1,"sha256":"00","model":{}}`), 0o644)
	for _, m := range []string{"/nonexistent/model.json", bad} {
		_, _, err := cnav(t, "reproduce", "--only", "fig3", "--seeds", "1", "--out", out, "--model", m)
		if err == nil || !strings.Contains(err.Error(), "--model") {
			t.Errorf("--model %s: got %v", m, err)
		}
		if cells, _ := filepath.Glob(filepath.Join(out, "cells", "*", "*.json")); len(cells) > 0 {
			t.Fatalf("--model %s: cells computed before the model was checked: %v", m, cells)
		}
	}
	if _, _, err := cnav(t, "reproduce", "--only", "fig3,fig8", "--seeds", "1", "--out", out, "--model", "", "--measured", ""); err != nil {
		t.Fatal(err)
	}
	var run struct {
		Meta struct {
			Version string `json:"version"`
			NoModel bool   `json:"no_model"`
		} `json:"meta"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "run.json"))
	if err := json.Unmarshal(b, &run); err != nil || !run.Meta.NoModel || !strings.Contains(run.Meta.Version, "/data-") {
		t.Fatalf("run.json %s (%v)", b, err)
	}
	if cells, _ := filepath.Glob(filepath.Join(out, "cells", "fig8", "*.json")); len(cells) != 0 {
		t.Fatalf("fig8 ran without a model: %v", cells)
	}
}
