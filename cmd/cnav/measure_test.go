package main

import (
	"bytes"
	"context"
	"image"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/measure"
)

func TestMeasureUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--function", "decode"}, {"--function", "decode", "--in", "x", "--out", "t.json"},
		{"--function", "nope", "--in", "x", "--out", "t.parquet"}, {"--memory", "lots", "--function", "decode", "--in", "x", "--out", "t.parquet"},
		{"--reference", "d", "--function", "decode"}, {"--reference", "d", "--functions", "nope"},
	} {
		var out, errb bytes.Buffer
		err := runMeasure(context.Background(), args, &out, &errb)
		var u usageError
		if !errorsAs(err, &u) {
			t.Errorf("measure %v: %v, want a usage error", args, err)
		}
	}
}

// A real measurement through the command line, with the Lambda handler
// binary as the worker.
func TestMeasureCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("short: skipping a build and a measurement")
	}
	if _, err := measure.Detect(100000, 0); err != nil {
		t.Skipf("cgroups not writable, skipping: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../functions/cmd/lambda")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the handler: %v\n%s", err, out)
	}
	jp, _ := functions.EncodeJPEG(blank(160, 90))
	frames := filepath.Join(dir, "f.tar")
	if err := functions.WriteFrames(frames, 160, 90, 30, [][]byte{jp, jp, jp, jp}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	table := filepath.Join(dir, "judge.parquet")
	err := runMeasure(context.Background(), []string{"--function", "judge-resolution", "--memory", "512,1024", "--repeat", "2",
		"--in", frames, "--out", table, "--worker", bin}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	tables, err := measure.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb := tables["judge-resolution"]
	if tb == nil || len(tb.Rows) != 2 || len(tb.Rows[1].SamplesMs) != 2 || tb.Input.Width != 160 {
		t.Fatalf("table %+v", tb)
	}
	if !strings.Contains(out.String(), "2 of 2 memory sizes") {
		t.Fatalf("output: %s", out.String())
	}
}

func blank(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}
