package experiments

import (
	"math"
	"regexp"
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
	for _, want := range []string{`(?m)^MISSING +fig7 +old `, `(?m)^NOREF +fig7 +new `, `(?m)^DRIFT +fig7@measured `, "not in the reference"} {
		if !regexp.MustCompile(want).MatchString(b.String()) {
			t.Errorf("check output lacks %q:\n%s", want, b.String())
		}
	}
	if Gated(ref) != 2 {
		t.Errorf("Gated = %d, want 2 (the measured copy counts)", Gated(ref))
	}
}

// TestCheckTable: check's output is a table whose columns stay aligned
// however long a label is, every number carries its unit, and "matches our
// reference" (gate column) is told apart from "agrees with the paper".
func TestCheckTable(t *testing.T) {
	long := "latency improvement over CharmSeeker and Aquatope at +30/50 % (measured platform), a label longer than any column"
	ref := &Summary{Experiments: []string{"fig1", "fig2"}, Headlines: map[string][]Headline{
		"fig1": {
			{Name: "spike", Paper: 213.08, Ours: 123.7, Low: 63.3, High: 184.1, Unit: "%", Tolerance: 60},
			{Name: long, Paper: 31.57, Ours: 30, Low: 25, High: 35, Unit: "%", Tolerance: 5},
		},
		"fig2": {{Name: "regions", Paper: math.NaN(), Ours: 7, Low: math.NaN(), High: math.NaN(), Tolerance: 15}},
	}}
	var b strings.Builder
	if n := Check(&b, ref, ref); n != 0 {
		t.Fatalf("%d failures of a run against itself:\n%s", n, b.String())
	}
	out := b.String()
	lines := strings.Split(out, "\n")
	// The header and the three rows: the run column starts at one offset.
	col := -1
	for _, l := range lines[:4] {
		i := strings.Index(l, "123.700 %")
		if strings.HasPrefix(l, "gate") {
			i = strings.Index(l, "reference")
		} else if !strings.Contains(l, "spike") {
			i = strings.Index(l, map[bool]string{true: "30.000 %", false: "7.000 (no unit)"}[strings.Contains(l, long)])
		}
		if col == -1 {
			col = i
		}
		if i != col || i < 0 {
			t.Errorf("column misaligned (at %d, want %d):\n%s", i, col, out)
		}
	}
	for _, want := range []string{
		`(?m)^match +fig1 +spike +123\.700 % +123\.700 % +±60\.000 % +213\.080 % +DISAGREES \(ours − paper = -89\.38 pp\)$`,
		`(?m)^match +fig1 +` + regexp.QuoteMeta(long) + ` +30\.000 % +30\.000 % +±5\.000 % +31\.570 % +agrees \(paper within our 95 % CI\)$`,
		`(?m)^match +fig2 +regions +7\.000 \(no unit\) +7\.000 \(no unit\) +±15\.000 \(no unit\) +– +no paper number$`,
		"which says nothing about the paper",
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("check output lacks %s:\n%s", want, out)
		}
	}
}
