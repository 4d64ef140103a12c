package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/confignav/confignav/experiments"
)

// TestCISubsetGate: the CI subset is deterministic (two runs write the same
// summary.json), cnav check passes it against its own summary, and fails
// (non-zero, DRIFT) against a reference with one gated number doctored
// beyond its tolerance, as ./run.sh test's gate does against
// results/reference/ci-summary.json.
func TestCISubsetGate(t *testing.T) {
	dir := t.TempDir()
	run := func(name string) string {
		out := filepath.Join(dir, name)
		if _, stderr, err := cnav(t, "reproduce", "--subset", "ci", "--only", "fig1,fig3", "--model", "", "--measured", "", "--out", out); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		return filepath.Join(out, "summary.json")
	}
	a, b := run("a"), run("b")
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatalf("two runs of the CI subset differ:\n%s\n%s", ba, bb)
	}
	if out, _, err := cnav(t, "check", "--against", a, "--summary", b); err != nil {
		t.Fatalf("a run against itself: %v\n%s", err, out)
	}
	// Doctor the reference: move the first gated number of fig1 by twice
	// its tolerance.
	ref, err := experiments.ReadSummary(a)
	if err != nil {
		t.Fatal(err)
	}
	hs := ref.Headlines["fig1"]
	i := 0
	for i < len(hs) && (hs[i].Tolerance == 0 || hs[i].Ours != hs[i].Ours) {
		i++
	}
	if i == len(hs) {
		t.Fatalf("fig1 has no gated number: %+v", hs)
	}
	hs[i].Ours += 2 * hs[i].Tolerance
	js, _ := json.Marshal(ref)
	doctored := filepath.Join(dir, "doctored.json")
	if err := os.WriteFile(doctored, js, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := cnav(t, "check", "--against", doctored, "--summary", b)
	if err == nil || exitCode(err) == 0 {
		t.Fatalf("check passed a drifted number:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^DRIFT +fig1 +` + regexp.QuoteMeta(hs[i].Name) + ` `).MatchString(out) {
		t.Errorf("no DRIFT line for %q:\n%s", hs[i].Name, out)
	}
}
