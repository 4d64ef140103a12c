package experiments

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
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
// writes a table, one line per headline, and returns the number of failures.
//
// The gate column says whether the run matches our own reference (match,
// DRIFT, MISSING, NOREF); the paper column, separately, whether the run
// agrees with the paper (PaperVerdict): a number can match our reference
// and still disagree with the paper.
func Check(w io.Writer, run, ref *Summary) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "gate\texperiment\theadline\treference\trun\ttolerance\tpaper\trun vs paper")
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
			status := "match"
			switch {
			case !ok:
				status = "MISSING"
				h = Headline{Name: want.Name, Paper: want.Paper, Ours: math.NaN(), Low: math.NaN(), High: math.NaN(), Unit: want.Unit}
			case math.IsNaN(h.Ours) != math.IsNaN(want.Ours):
				status = "DRIFT"
			case !math.IsNaN(h.Ours) && math.Abs(h.Ours-want.Ours) > want.Tolerance:
				status = "DRIFT"
			}
			if status != "match" {
				fails++
			}
			_, verdict := PaperVerdict(h)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t±%s\t%s\t%s\n", status, exp, want.Name, checkNum(want.Ours, want.Unit),
				checkNum(h.Ours, want.Unit), checkNum(want.Tolerance, want.Unit), checkNum(h.Paper, want.Unit), verdict)
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
			_, verdict := PaperVerdict(h)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t±%s\t%s\t%s\n", "NOREF", exp, h.Name, "–", checkNum(h.Ours, h.Unit),
				checkNum(h.Tolerance, h.Unit), checkNum(h.Paper, h.Unit), verdict)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "gate: match = within the tolerance of our reference (results/reference), which says nothing about the paper; "+
		"DRIFT = moved beyond it; MISSING = not in the run; NOREF = not in the reference.")
	fmt.Fprintln(w, "run vs paper: agrees = the paper's number lies within the run's 95 % CI, or within the gate's tolerance of the run's number.")
	if noref > 0 {
		fmt.Fprintf(w, "check: %d gated headline numbers of the run are not in the reference (new or renamed): regenerate the reference to gate them\n", noref)
	}
	return fails + noref
}

// PaperVerdict says whether a headline of ours agrees with the paper's
// number: it agrees when the paper's number lies within our 95 % confidence
// interval, or within the gate's tolerance of our number (the run-to-run
// movement we accept, and the only band a number without an interval has).
// ok is false when it disagrees or either number is missing.
func PaperVerdict(h Headline) (ok bool, text string) {
	switch {
	case math.IsNaN(h.Paper):
		return false, "no paper number"
	case math.IsNaN(h.Ours):
		return false, "no number of ours"
	case !math.IsNaN(h.Low) && !math.IsNaN(h.High) && h.Low <= h.Paper && h.Paper <= h.High:
		return true, "agrees (paper within our 95 % CI)"
	case h.Tolerance > 0 && math.Abs(h.Ours-h.Paper) <= h.Tolerance:
		return true, "agrees (paper within the tolerance)"
	}
	unit := unitOrNone(h.Unit)
	if unit == "%" {
		unit = "pp" // a difference of percentages
	}
	return false, fmt.Sprintf("DISAGREES (ours − paper = %+.2f %s)", h.Ours-h.Paper, unit)
}

// checkNum formats a number with its unit ("–" when missing).
func checkNum(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.3f %s", v, unitOrNone(unit))
}

// unitOrNone is a headline's unit, or a word saying it has none, so that no
// number in check's output stands without one.
func unitOrNone(unit string) string {
	if unit == "" {
		return "(no unit)"
	}
	return unit
}
