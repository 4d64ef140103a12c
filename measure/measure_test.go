package measure

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/functions"
)

// The test binary doubles as the worker: with CNAV_MEASURE_WORKER set it
// serves a function (or the "hog" that allocates 300 MiB per request).
func TestMain(m *testing.M) {
	if w := os.Getenv("CNAV_MEASURE_WORKER"); w != "" {
		if w == "hog" {
			hog()
			os.Exit(0)
		}
		if err := functions.Serve(context.Background(), w, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var keep [][]byte

func hog() {
	enc := json.NewEncoder(os.Stdout)
	enc.Encode(functions.Reply{Ready: true})
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		b := make([]byte, 300<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		enc.Encode(functions.Reply{Result: &functions.Result{DurationMs: 1}})
	}
}

func worker(t *testing.T, name string) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// env(1) sets the variable inside the limits: the cgroup wrapper execs it.
	return []string{"/usr/bin/env", "CNAV_MEASURE_WORKER=" + name, self}
}

func frames(t *testing.T) string {
	t.Helper()
	jp, err := functions.EncodeJPEG(image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420))
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	for range 60 {
		all = append(all, jp)
	}
	p := filepath.Join(t.TempDir(), "f.tar")
	if err := functions.WriteFrames(p, 320, 180, 30, all); err != nil {
		t.Fatal(err)
	}
	return p
}

func cgroupsOrSkip(t *testing.T) Limiter {
	t.Helper()
	l, err := Detect(100000, 0)
	if err != nil {
		t.Skipf("cgroups not writable here, skipping: %v", err)
	}
	return l
}

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"128..512:128", []int{128, 256, 384, 512}},
		{"128,256,512..2048:512", []int{128, 256, 512, 1024, 1536, 2048}},
		{"1024, 128", []int{128, 1024}},
		{"128..4096:128", nil}, // 32 sizes, checked below
	} {
		got, err := ParseMemory(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
		if tc.want == nil && (len(got) != 32 || got[31] != 4096) {
			t.Errorf("%q: %d sizes", tc.in, len(got))
		}
	}
	for _, bad := range []string{"x", "512..128:128", "128..512:0", "128..x"} {
		if _, err := ParseMemory(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCPULimits(t *testing.T) {
	l := cpuLimits(128, 100000)
	if l.QuotaUs != 7236 || l.Capped { // 100,000 × 128 / 1,769 = 7,235.7
		t.Fatalf("128 MB: %+v", l)
	}
	l = cpuLimits(1769, 100000)
	if l.QuotaUs != 100000 || l.CPUs != 1 {
		t.Fatalf("1,769 MB: %+v", l)
	}
	big := cpuLimits(10240, 100000)
	if want := min(10240/MBPerVCPU, 6); big.VCPU != want || (big.CPUs < want) != big.Capped {
		t.Fatalf("10,240 MB: %+v", big)
	}
}

// Under the quota a CPU-bound function slows by the share: at 256 MB (0.145
// vCPU) it takes several times as long as at 1,769 MB (1 vCPU).
func TestRunUnderCgroups(t *testing.T) {
	lim := cgroupsOrSkip(t)
	var log []string
	tb, err := Run(context.Background(), Config{Function: "judge-resolution", Worker: worker(t, "judge-resolution"),
		Inputs: []string{frames(t)}, Args: map[string]string{"stride": "1"}, Memory: []int{256, 1769}, Repeat: 3,
		Input: ReferenceInput(), Limiter: lim, Log: func(s string) { log = append(log, s) }})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(log, "\n"))
	}
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 2 || len(tb.Rows[0].SamplesMs) != 3 || len(tb.Details[0].Cold) != 1 {
		t.Fatalf("rows %+v details %+v", tb.Rows, tb.Details)
	}
	slow, fast := median(tb.Rows[0].SamplesMs), median(tb.Rows[1].SamplesMs)
	// The share ratio is 6.9; ≥ 3 leaves room for the fixed costs that do
	// not scale and for the machine's noise.
	if slow < 3*fast {
		t.Fatalf("median %.1f ms at 256 MB vs %.1f ms at 1,769 MB: the quota does not bite", slow, fast)
	}
	if d := tb.Details[0]; d.Throttled == 0 || d.QuotaUs != 14471 || d.MemoryMB != 256 || !strings.HasPrefix(d.Method, "cgroup") {
		t.Fatalf("256 MB detail %+v: want throttled periods under a 14,471 µs quota", d)
	}
	want, _ := fnmodel.Builtin("judge-resolution") // the table's scale is the calibrated function's
	if !(tb.WorkingSetMB > 0) || tb.Runtime != "go" || tb.Scale != want.Scale || tb.InputObjects != 1 || !(tb.InputMB > 0) {
		t.Fatalf("table header: working set %v, runtime %q, scale %+v, input %v MB in %d objects", tb.WorkingSetMB, tb.Runtime, tb.Scale, tb.InputMB, tb.InputObjects)
	}
}

func TestRunRecordsOutOfMemory(t *testing.T) {
	lim := cgroupsOrSkip(t)
	tb, err := Run(context.Background(), Config{Function: "hog", Worker: worker(t, "hog"), Inputs: []string{frames(t)},
		Memory: []int{128, 1024}, Repeat: 1, Input: ReferenceInput(), Limiter: lim})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Details[0].Status != "oom" || len(tb.Rows) != 1 || tb.Rows[0].MemoryMB != 1024 {
		t.Fatalf("300 MiB in 128 MB: status %q, rows %+v", tb.Details[0].Status, tb.Rows)
	}
}

func TestTasksetFallbackMeasuresOnlyWholeCores(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset not installed")
	}
	tb, err := Run(context.Background(), Config{Function: "judge-resolution", Worker: worker(t, "judge-resolution"),
		Inputs: []string{frames(t)}, Memory: []int{512, 1769}, Repeat: 1, Input: ReferenceInput(), Limiter: taskset{}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tb.Details[0].Status, "skipped") || tb.Details[1].Status != "ok" || len(tb.Rows) != 1 {
		t.Fatalf("details %+v", tb.Details)
	}
	if !strings.Contains(tb.Details[1].Method, "taskset-fallback") || tb.Details[1].Limits.MemoryMB != 0 {
		t.Fatalf("row method %q (memory limit %d): must say it is the fallback", tb.Details[1].Method, tb.Details[1].Limits.MemoryMB)
	}
}

func TestWriteAndLoadDir(t *testing.T) {
	dir := t.TempDir()
	tb := &Table{Function: "decode", Method: "test", Details: []RowDetail{
		{MemoryMB: 128, Status: "oom"},
		{MemoryMB: 256, Status: "ok", WarmMs: []float64{30, 10, 20}, Cold: []ColdSample{{InitMs: 5, DurationMs: 40}}},
		{MemoryMB: 512, Status: "ok", WarmMs: []float64{5, 6}},
	}}
	tb.Runtime, tb.Input, tb.WorkingSetMB = "go", ReferenceInput(), 50
	tb.Rows = []fnmodel.Row{{MemoryMB: 256, SamplesMs: []float64{30, 10, 20}}, {MemoryMB: 512, SamplesMs: []float64{5, 6}}}
	if err := Write(tb, filepath.Join(dir, "decode.parquet")); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := got["decode"]
	if d == nil || len(d.Rows) != 2 || d.Quantile(256, 0.5) != 20000 || d.WorkingSetMB != 50 {
		t.Fatalf("loaded %+v", d)
	}
	// The Parquet form: one row per sample, cold included.
	f, err := file.OpenParquetFile(filepath.Join(dir, "decode.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := f.NumRows(); n != 6 {
		t.Fatalf("%d Parquet rows, want 6 (1 cold + 5 warm)", n)
	}
	if _, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator); err != nil {
		t.Fatal(err)
	}
	// A broken table is an error naming the file.
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"function": "bad", "runtime": "go", "rows": []}`), 0o644)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("broken table: %v", err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil {
		t.Fatal("empty directory accepted")
	}
	if err := Write(tb, filepath.Join(dir, "x.json")); err == nil {
		t.Fatal("Write to a non-Parquet path accepted")
	}
}

// The committed reference tables load as table-driven functions, one per
// function of the built-in pipelines, with the method and machine stated.
func TestCommittedReferenceTables(t *testing.T) {
	dir := filepath.Join("..", "results", "reference", "measured")
	tables, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range functions.Names() {
		tb, ok := tables[name]
		if !ok {
			t.Errorf("no measured table for %s", name)
			continue
		}
		if len(tb.Rows) < 5 || !strings.Contains(tb.Source, "measured") {
			t.Errorf("%s: %d rows, source %q", name, len(tb.Rows), tb.Source)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "decode.json"))
	if err != nil {
		t.Fatal(err)
	}
	var full Table
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatal(err)
	}
	if full.Machine.CPUs == 0 || full.Method == "" || full.Measured == "" {
		t.Fatalf("decode.json lacks machine, method or date: %+v", full.Machine)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatal("results/reference/measured has no README")
	}
}
