package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/functions"
)

func cnavFn(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runFn(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := functions.FFmpegPath(); err == nil {
		if _, err := exec.LookPath("ffprobe"); err == nil {
			return
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("ffmpeg not installed (CI=true: run.sh should install it)")
	}
	t.Skip("ffmpeg not installed: skipping (functions/install-deps.sh installs it)")
}

func TestFnList(t *testing.T) {
	out, err := cnavFn(t, "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range functions.Names() {
		if !strings.Contains(out, n) {
			t.Errorf("fn list lacks %s", n)
		}
	}
	out, err = cnavFn(t, "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var all []struct {
		Name, Summary string
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != len(functions.Names()) {
		t.Fatalf("fn list --json: %v (%d functions)", err, len(all))
	}
	if !strings.Contains(out, "not neural super-resolution") {
		t.Fatal("hd does not say what it is")
	}
}

func TestFnUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"bogus"}, {"run"}, {"run", "decode"}, {"run", "decode", "--in", "x"},
		{"run", "decode", "--in", "x", "--out", "y", "--arg", "novalue"}, {"gen"}, {"gen", "--out", "x", "--res", "huge"},
		{"gen", "--out", "x", "--kind", "cats"}, {"serve"},
	} {
		_, err := cnavFn(t, args...)
		var u usageError
		if !errorsAs(err, &u) {
			t.Errorf("fn %v: %v, want a usage error", args, err)
		}
	}
	if _, err := cnavFn(t, "run", "nope", "--in", "x", "--out", "y"); err == nil || !strings.Contains(err.Error(), "unknown function") {
		t.Fatalf("unknown function: %v", err)
	}
}

func TestFnGenAndRun(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "c.mp4")
	if _, err := cnavFn(t, "gen", "--out", clip, "--res", "360p", "--seconds", "0.5", "--faces", "1"); err != nil {
		t.Fatal(err)
	}
	frames := filepath.Join(dir, "f.tar")
	out, err := cnavFn(t, "run", "decode", "--in", clip, "--out", frames)
	if err != nil || !strings.Contains(out, "frames=15") || !strings.Contains(out, "width=640") {
		t.Fatalf("fn run decode: %v\n%s", err, out)
	}
	out, err = cnavFn(t, "run", "face-detect", "--in", frames, "--out", filepath.Join(dir, "faces.json"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res functions.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Notes["max_faces"] != float64(1) {
		t.Fatalf("face-detect on a one-face clip: %+v", res.Notes)
	}
}
