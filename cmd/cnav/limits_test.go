package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReferenceStreamWithChange: --rate with a change on the reference clip
// once simulated 0 requests and exited 0 (the catalogue's id -1 was rejected
// and the error dropped). Now it runs, and the change shows in the cost.
func TestReferenceStreamWithChange(t *testing.T) {
	base := []string{"--pipeline", "face-detection", "--rate", "1", "--duration", "5m", "--memory-all", "2048"}
	m := simulateJSON(t, append(base, "--change", "4m:resolution=360p")...)
	if n := m["requests"].(float64); n < 250 {
		t.Fatalf("%v requests in 5 min at 1/s, want about 300", n)
	}
	plain := simulateJSON(t, base...)
	if m["cost"].(map[string]any)["usd_total"].(float64) >= plain["cost"].(map[string]any)["usd_total"].(float64) {
		t.Error("a change to 360p for the last minute did not lower the total cost")
	}
}

// TestWorkloadLimits: workloads that would run (nearly) forever, changes
// after the end and absurd lengths are errors naming the value and the limit.
func TestWorkloadLimits(t *testing.T) {
	base := []string{"--pipeline", "face-detection", "--memory-all", "2048"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--rate", "1e9", "--duration", "5m"}, []string{"--rate 1e+09 for 5m0s", "3e+11 requests", "limit of 2e+07", "--max-requests"}},
		{[]string{"--rate", "100", "--duration", "10m", "--max-requests", "1000"}, []string{"6e+04 requests", "limit of 1e+03"}},
		{[]string{"--workload", "synthetic", "--scale", "1e6", "--duration", "10m"}, []string{"synthetic for 10m0s at --scale 1e+06", "limit of 2e+07"}},
		{[]string{"--workload", "synthetic", "--select", "rank:1", "--duration", "10m", "--max-requests", "1"}, []string{"--select rank:1", "limit of 1 "}},
		{[]string{"--rate", "1", "--max-requests", "-1"}, []string{"--max-requests -1"}},
		{[]string{"--rate", "1", "--duration", "5m", "--change", "6m:resolution=360p"}, []string{"6m0s", "after the end", "--duration 5m0s"}},
		{[]string{"--rate", "1", "--duration", "5m", "--change", "5m:resolution=360p"}, []string{"after the end"}},
		{[]string{"--rate", "1", "--duration", "1e100"}, []string{`"1e100"`, "limit of 1e+09 s"}},
		{[]string{"--rate", "1", "--duration", "99999999h"}, []string{`"99999999h"`, "limit of 1e+09 s"}},
		{[]string{"--rate", "1", "--duration", "0"}, []string{"positive length"}},
		{[]string{"--rate", "1", "--change", "1m:faces=1000000"}, []string{`"1000000"`, "0 to 1000"}},
	} {
		_, _, err := cnav(t, append(append([]string{"simulate"}, base...), tc.args...)...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		if exitCode(err) != 2 {
			t.Errorf("%v: exit status %d, want 2 (usage)", tc.args, exitCode(err))
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v\nwant it to contain %q", tc.args, err, w)
			}
		}
	}
	// Raising the limit admits the run.
	m := simulateJSON(t, append(base, "--rate", "10", "--duration", "60", "--max-requests", "700")...)
	if m["requests"].(float64) == 0 {
		t.Error("no requests under a raised limit")
	}
	// online refuses the same way, before tuning.
	start := time.Now()
	_, _, err := cnav(t, "online", "--pipeline", "face-detection", "--config", "decode=1024,face-detect=1024,hd=1024,encode=1024",
		"--rate", "1", "--duration", "5m", "--change", "10m:resolution=360p")
	if err == nil || !strings.Contains(err.Error(), "online: --change") || time.Since(start) > 10*time.Second {
		t.Errorf("online with a change after the end: %v after %v", err, time.Since(start))
	}
}

// TestHelpExitsZero: cnav COMMAND --help prints the flags and exits 0.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"simulate", "online", "check", "pipelines"} {
		_, stderr, err := cnav(t, cmd, "--help")
		if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
			t.Errorf("%s --help: %v, exit %d; want flag.ErrHelp and exit 0", cmd, err, exitCode(err))
		}
		if cmd != "pipelines" && !strings.Contains(stderr, "-") {
			t.Errorf("%s --help printed no usage: %q", cmd, stderr)
		}
	}
	if exitCode(usagef("x")) != 2 || exitCode(errors.New("x")) != 1 || exitCode(nil) != 0 {
		t.Error("exit codes: usage 2, failure 1, success 0")
	}
}

// TestReproduceBadCounts: reproduce --seeds -3 once ran and recorded
// "seeds": -3.
func TestReproduceBadCounts(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "-3"}, "--seeds -3: want 1 to 1000"},
		{[]string{"--seeds", "5000"}, "--seeds 5000: want 1 to 1000"},
		{[]string{"--workers", "0"}, "--workers 0: want 1 to 1024"},
		{[]string{"--tune-on", "everything"}, `--tune-on "everything": want clip or catalogue`},
	} {
		_, _, err := cnav(t, append([]string{"reproduce", "--out", out, "--only", "fig3"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestMergeRefusesEditedCell: cnav merge once accepted cells edited by
// hand; a cell is now checksummed, and reproduce recomputes a 0-byte one.
func TestMergeRefusesEditedCell(t *testing.T) {
	out := t.TempDir()
	args := []string{"reproduce", "--only", "fig3", "--seeds", "1", "--out", out, "--model", "", "--measured", ""}
	if _, _, err := cnav(t, args...); err != nil {
		t.Fatal(err)
	}
	cells, _ := filepath.Glob(filepath.Join(out, "cells", "fig3", "*.json"))
	if len(cells) == 0 {
		t.Fatal("no cells")
	}
	good, _ := os.ReadFile(cells[0])
	edited := strings.Replace(string(good), `"seed":1`, `"seed":1,"x":1`, 1)
	if edited == string(good) {
		t.Fatal("test cannot edit the cell")
	}
	os.WriteFile(cells[0], []byte(edited), 0o644)
	_, _, err := cnav(t, "merge", "--out", t.TempDir(), out)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), cells[0]) {
		t.Errorf("merge of an edited cell: %v", err)
	}
	os.WriteFile(cells[0], nil, 0o644)
	if _, _, err := cnav(t, args...); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(cells[0]); string(got) != string(good) {
		t.Errorf("the 0-byte cell was not recomputed to the same bytes (%d bytes)", len(got))
	}
}

// TestRecordsSweepsStaleTemp: a killed simulate --records left a hidden
// temporary file that nothing removed; the next write to the directory does.
func TestRecordsSweepsStaleTemp(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	stale := filepath.Join(dir, ".r.csv.tmp-"+hex.EncodeToString(sum[:4])+"-"+strconv.Itoa(cmd.Process.Pid)+"-42")
	if err := os.WriteFile(stale, make([]byte, 1<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	simulateJSON(t, "--pipeline", "face-detection", "--rate", "1", "--duration", "30", "--memory-all", "2048", "--records", filepath.Join(dir, "r.csv"))
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file of a dead process is still there: %v", err)
	}
}

// TestEmptyTraces: a header-only CSV once imported into an empty cache and
// simulated 0 requests with exit 0; both are errors now.
func TestEmptyTraces(t *testing.T) {
	dir := t.TempDir()
	h19 := filepath.Join(dir, "h19.csv")
	os.WriteFile(h19, []byte("HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"), 0o644)
	h21 := filepath.Join(dir, "h21.csv")
	os.WriteFile(h21, []byte("app,func,end_timestamp,duration\n"), 0o644)
	out := filepath.Join(dir, "o.parquet")
	for _, args := range [][]string{{"azure2019", h19}, {"azure2021", h21}} {
		_, _, err := cnav(t, append([]string{"traces", "import", "--out", out}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "no invocations") {
			t.Errorf("import %v: %v", args, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("import %v wrote %s", args, out)
		}
	}
	if _, _, err := cnav(t, "simulate", "--pipeline", "face-detection", "--memory-all", "2048", "--duration", "2m", "--workload", "azure2019:"+h19); err == nil {
		t.Error("simulate on a header-only trace: no error")
	}
	zeros := filepath.Join(dir, "zeros.csv")
	os.WriteFile(zeros, []byte("HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f,http,0,0,0\n"), 0o644)
	_, _, err := cnav(t, "simulate", "--pipeline", "face-detection", "--memory-all", "2048", "--duration", "2m", "--workload", "azure2019:"+zeros)
	if err == nil || !strings.Contains(err.Error(), "makes no requests") {
		t.Errorf("simulate on a trace without invocations: %v", err)
	}
}

// TestOnlineAfterChangeInsideRun: online printed NaN when the after-change
// summary (5 windows after the last change) started past the end.
func TestOnlineAfterChangeInsideRun(t *testing.T) {
	cfg := "decode=1024,face-detect=1024,hd=1024,encode=1024"
	_, _, err := cnav(t, "online", "--pipeline", "face-detection", "--config", cfg, "--rate", "1", "--duration", "5m",
		"--change", "1m:resolution=360p", "--change", "4m:faces=2")
	if err == nil || !strings.Contains(err.Error(), "--change 4m0s:faces=2") || !strings.Contains(err.Error(), "would start at 9m0s") ||
		!strings.Contains(err.Error(), "--duration 5m0s") || exitCode(err) != 2 {
		t.Errorf("got %v", err)
	}
	out, _, err := cnav(t, "online", "--pipeline", "face-detection", "--config", cfg, "--rate", "1", "--duration", "8m",
		"--window", "30s", "--change", "4m:faces=2", "--controller", "off")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "NaN") || !strings.Contains(out, "after change") {
		t.Errorf("output:\n%s", out)
	}
	// Where every request fails (OOM at 128 MB) there is no latency: n/a.
	out, _, err = cnav(t, "online", "--pipeline", "face-detection", "--config", "decode=128,face-detect=128,hd=128,encode=128",
		"--rate", "1", "--duration", "8m", "--window", "30s", "--change", "4m:faces=2", "--controller", "off")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "NaN") || !strings.Contains(out, "n/a") {
		t.Errorf("all-failed output:\n%s", out)
	}
}

// TestTuneRequestLimit: tune --rate 1e9 would stream 3e10 requests per
// measurement.
func TestTuneRequestLimit(t *testing.T) {
	_, _, err := cnav(t, "tune", "--pipeline", "face-detection", "--tuner", "random", "--rate", "1e9")
	if err == nil || !strings.Contains(err.Error(), "--rate 1e+09 for 10m0s") || !strings.Contains(err.Error(), "6e+11 requests, above the limit of 2e+07") {
		t.Errorf("got %v", err)
	}
	_, _, err = cnav(t, "tune", "--pipeline", "face-detection", "--tuner", "random", "--rate", "100", "--confirm", "1m", "--max-requests", "1000")
	if err == nil || !strings.Contains(err.Error(), "6e+03 requests, above the limit of 1e+03") {
		t.Errorf("got %v", err)
	}
}
