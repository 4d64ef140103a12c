package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/confignav/confignav/experiments"
)

// TestCheckGate: cnav check passes a run against itself, fails on drift, and
// fails on a reference with no gated numbers (an empty {} once disabled the
// gate silently).
func TestCheckGate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sum := func(ours float64, tol float64) string {
		return `{"meta":{"mode":"quick","seeds":1},"experiments":["fig1"],"headlines":{"fig1":[{"name":"spike","unit":"%","tolerance":` +
			fmtFloat(tol) + `,"paper":1,"ours":` + fmtFloat(ours) + `}]}}`
	}
	run := write("run.json", sum(10, 5))
	for _, tc := range []struct {
		name, ref string
		want      string // "" for success
	}{
		{"self", sum(10, 5), ""},
		{"within", sum(14, 5), ""},
		{"drift", sum(20, 5), "check: 1 "},
		{"empty", `{}`, "no gated headline numbers"},
		{"untolerated", sum(10, 0), "no gated headline numbers"},
		{"unlisted", `{"experiments":[],"headlines":{"fig1":[{"name":"spike","tolerance":5,"ours":10}]}}`, "no gated headline numbers"},
	} {
		ref := write(tc.name+".json", tc.ref)
		_, _, err := cnav(t, "check", "--against", ref, "--summary", run)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		case tc.want != "" && exitCode(err) == 0:
			t.Errorf("%s: exit 0", tc.name)
		}
	}
	if r, _ := experiments.ReadSummary(run); experiments.Gated(r) != 1 {
		t.Errorf("Gated = %d, want 1", experiments.Gated(r))
	}
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
