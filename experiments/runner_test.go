package experiments

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/confignav/confignav/platform"
)

var update = flag.Bool("update", false, "rewrite golden files")

func tiny(out string) Options {
	return Options{Only: []string{"fig3"}, Mode: Quick, Seeds: 1, Out: out, Workers: 2, Platform: platform.Default(), Version: "test"}
}

func meta() Meta {
	return Meta{Mode: Quick, Seeds: 1, Platform: "aws-lambda-us-east-1", Version: "test"}
}

func TestResume(t *testing.T) {
	dir := t.TempDir()
	ran, skipped, err := Execute(context.Background(), tiny(dir))
	if err != nil || ran != 3 || skipped != 0 {
		t.Fatalf("first run: ran %d skipped %d err %v", ran, skipped, err)
	}
	ran, skipped, err = Execute(context.Background(), tiny(dir))
	if err != nil || ran != 0 || skipped != 3 {
		t.Fatalf("second run: ran %d skipped %d err %v, want everything skipped", ran, skipped, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cells", "fig3", "*.json"))
	os.Remove(files[0])
	ran, skipped, err = Execute(context.Background(), tiny(dir))
	if err != nil || ran != 1 || skipped != 2 {
		t.Fatalf("after losing one cell: ran %d skipped %d err %v", ran, skipped, err)
	}
	// Another code version does not reuse the cells.
	o := tiny(dir)
	o.Version = "other"
	if ran, _, _ := Execute(context.Background(), o); ran != 3 {
		t.Fatalf("new code version recomputed %d cells, want 3", ran)
	}
	// A cancelled run stops and leaves no partial files.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Version = "cancelled"
	if _, _, err := Execute(ctx, o); err == nil {
		t.Fatal("cancelled run reported success")
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, "cells", "fig3", ".*tmp*"))
	if len(tmp) > 0 {
		t.Fatalf("partial files left: %v", tmp)
	}
	// The report reads only its own version's cells, though the directory
	// now holds two versions' (a reused --out).
	rows, err := Load([]string{dir}, []string{"fig3"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := Load([]string{dir}, []string{"fig3"}, "")
	if len(rows["fig3"]) == 0 || 2*len(rows["fig3"]) != len(all["fig3"]) {
		t.Fatalf("version filter: %d rows of version test, %d in all", len(rows["fig3"]), len(all["fig3"]))
	}
}

// The measured experiment and the measured copies are planned only with a
// measured platform; fig8 and table5 only with a model.
func TestPlanFollowsData(t *testing.T) {
	count := func(o Options) map[string]int {
		cells, err := Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, c := range cells {
			m[c.Experiment+"/"+c.Param("platform")]++
		}
		return m
	}
	plain := count(Options{Mode: Quick, Seeds: 1})
	if plain["measured/"] != 0 || plain["fig3/measured"] != 0 || plain["fig8/"] != 1 {
		t.Fatalf("without tables: %v", plain)
	}
	with := count(Options{Mode: Quick, Seeds: 1, MeasuredPlatform: true})
	if with["measured/"] == 0 || with["fig3/measured"] != with["fig3/"] || with["fig8/measured"] != 0 {
		t.Fatalf("with the measured platform: %v", with)
	}
	if none := count(Options{Mode: Quick, Seeds: 1, NoModel: true}); none["fig8/"] != 0 || none["table5/"] != 0 {
		t.Fatalf("without a model: %v", none)
	}
}

// Sharding and merging give the same report as one run, and the report
// matches its golden file.
func TestShardMergeAndGolden(t *testing.T) {
	whole, a, b := t.TempDir(), t.TempDir(), t.TempDir()
	if _, _, err := Execute(context.Background(), tiny(whole)); err != nil {
		t.Fatal(err)
	}
	for i, d := range []string{a, b} {
		o := tiny(d)
		o.Shard, o.Shards = i, 2
		if _, _, err := Execute(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	merged := t.TempDir()
	if _, err := Assemble([]string{a, b}, merged, []string{"fig3"}, meta()); err != nil {
		t.Fatal(err)
	}
	if _, err := Assemble([]string{whole}, whole, []string{"fig3"}, meta()); err != nil {
		t.Fatal(err)
	}
	rm, _ := os.ReadFile(filepath.Join(merged, "report.md"))
	rw, _ := os.ReadFile(filepath.Join(whole, "report.md"))
	if string(rm) != string(rw) || len(rw) == 0 {
		t.Fatalf("merged report differs from the unsharded one")
	}
	sm, _ := os.ReadFile(filepath.Join(merged, "summary.json"))
	golden(t, "fig3-report.md", string(rw))
	golden(t, "fig3-summary.json", string(sm))
	for _, f := range []string{"fig3.parquet", "fig3.png", "fig3.svg"} {
		if st, err := os.Stat(filepath.Join(merged, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The check passes against itself and fails against a moved number.
	sum, _ := ReadSummary(filepath.Join(merged, "summary.json"))
	if n := Check(discard{}, sum, sum); n != 0 {
		t.Fatalf("self-check: %d failures", n)
	}
	moved, _ := ReadSummary(filepath.Join(merged, "summary.json"))
	moved.Headlines["fig3"][0].Ours += 10
	if n := Check(discard{}, sum, moved); n != 1 {
		t.Fatalf("check of a moved number: %d failures, want 1", n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from its golden file (go test -update, then review the diff):\n%s", name, got)
	}
}

func TestShardFromOptionsValidated(t *testing.T) {
	o := tiny(t.TempDir())
	o.Shard, o.Shards = 2, 2
	if _, _, err := Execute(context.Background(), o); err == nil {
		t.Fatal("shard 2 of 2 accepted")
	}
}
