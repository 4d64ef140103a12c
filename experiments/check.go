package experiments

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// ReadSummary reads a summary.json.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", path, err)
	}
	return &s, nil
}

// Gated is the number of the reference's headline numbers that Check gates:
// those of its listed experiments with a tolerance. A reference with none
// (an empty or damaged file) would pass every run, so cnav check refuses it.
func Gated(ref *Summary) int {
	n := 0
	for _, exp := range checkedKeys(ref) {
		for _, h := range ref.Headlines[exp] {
			if h.Tolerance != 0 {
				n++
			}
		}
	}
	return n
}

// checkedKeys are the headline groups of a summary's listed experiments:
// each experiment's own and its measured-platform copy (exp@measured).
func checkedKeys(s *Summary) []string {
	var out []string
	for _, exp := range s.Experiments {
		out = append(out, exp)
		if _, ok := s.Headlines[exp+"@"+PlatformMeasured]; ok {
			out = append(out, exp+"@"+PlatformMeasured)
		}
	}
	return out
}

// Check compares a run's headline numbers with a reference: every reference
// headline with a tolerance must exist in the run and lie within the
// tolerance of the reference value, and every gated headline of the run
// must have a reference value (a new or renamed headline fails as NOREF
// until the reference is regenerated, rather than passing unchecked). It
// writes one line per headline and returns the number of failures.
func Check(w io.Writer, run, ref *Summary) int {
	fails := 0
	for _, exp := range checkedKeys(ref) {
		got := map[string]Headline{}
		for _, h := range run.Headlines[exp] {
			got[h.Name] = h
		}
		for _, want := range ref.Headlines[exp] {
			if want.Tolerance == 0 {
				continue
			}
			h, ok := got[want.Name]
			status := "ok"
			switch {
			case !ok:
				status = "MISSING"
			case math.IsNaN(h.Ours) != math.IsNaN(want.Ours):
				status = "FAIL"
			case !math.IsNaN(h.Ours) && math.Abs(h.Ours-want.Ours) > want.Tolerance:
				status = "FAIL"
			}
			if status != "ok" {
				fails++
			}
			fmt.Fprintf(w, "%-7s %-8s %-60s reference %10.3f  run %10.3f  tolerance ±%g %s\n", status, exp, want.Name, want.Ours, h.Ours, want.Tolerance, want.Unit)
		}
	}
	// Gated headlines of the run that the reference does not have.
	noref := 0
	for _, exp := range checkedKeys(run) {
		have := map[string]bool{}
		for _, h := range ref.Headlines[exp] {
			have[h.Name] = true
		}
		for _, h := range run.Headlines[exp] {
			if h.Tolerance == 0 || have[h.Name] {
				continue
			}
			noref++
			fmt.Fprintf(w, "%-7s %-8s %-60s reference          –  run %10.3f  tolerance ±%g %s\n", "NOREF", exp, h.Name, h.Ours, h.Tolerance, h.Unit)
		}
	}
	if noref > 0 {
		fmt.Fprintf(w, "check: %d gated headline numbers of the run are not in the reference (new or renamed): regenerate the reference to gate them\n", noref)
	}
	return fails + noref
}
