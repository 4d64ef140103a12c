package experiments

import (
	"strings"
	"testing"
)

// cnav check fails a gated headline the reference lacks (NOREF) instead of
// passing it unchecked, and gates the measured-platform copies.
func TestCheckReportsHeadlinesMissingFromReference(t *testing.T) {
	ref := &Summary{Experiments: []string{"fig7"}, Headlines: map[string][]Headline{
		"fig7":          {{Name: "old", Ours: 1, Tolerance: 1}},
		"fig7@measured": {{Name: "old (measured platform)", Ours: 1, Tolerance: 1}},
	}}
	run := &Summary{Experiments: []string{"fig7"}, Headlines: map[string][]Headline{
		"fig7":          {{Name: "new", Ours: 1, Tolerance: 1}, {Name: "ungated", Ours: 1}},
		"fig7@measured": {{Name: "old (measured platform)", Ours: 5, Tolerance: 1}},
	}}
	var b strings.Builder
	// "old" is MISSING, "new" is NOREF, the measured copy moved (FAIL).
	if n := Check(&b, run, ref); n != 3 {
		t.Fatalf("%d failures, want 3:\n%s", n, b.String())
	}
	for _, want := range []string{"MISSING fig7", "NOREF   fig7     new", "FAIL    fig7@measured", "not in the reference"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, b.String())
		}
	}
	if Gated(ref) != 2 {
		t.Errorf("Gated = %d, want 2 (the measured copy counts)", Gated(ref))
	}
}
