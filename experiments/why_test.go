package experiments

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// landscapeRows are the calibration section's rows that give each pipeline's
// fastest configuration's cost over C_min.
func landscapeRows(ratios map[string]float64) []Row {
	var rows []Row
	for p, r := range ratios {
		rows = append(rows, Row{Experiment: "calibration", Platform: PlatformModel, Pipeline: p, Metric: "fastest_cost_ratio", Value: r, Bound: nan, X: nan})
	}
	return rows
}

// The reasons of the table4 section, computed from synthetic answers and a
// landscape where autoclip's fastest configuration costs 1.31 × C_min: +30 %
// binds, +50 % and above do not; the tie counts and feasible rates come from
// the rows (golden file).
func TestTable4WhyGolden(t *testing.T) {
	rows := synthRows([]string{"autoclip"}, paperBounds, "latency_ms", "cost_usd")
	// At +80 % and +100 % the navigator and the baselines find the same
	// configuration: ties.
	for i := range rows {
		if rows[i].Bound >= 0.8 && rows[i].Metric == "latency_ms" {
			rows[i].Value = 1000
		}
	}
	ev := newEvidence(landscapeRows(map[string]float64{"autoclip": 1.31}))
	sec, err := table4{}.Summarize(rows, &Figures{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	whys := explain(table4{}, sec.Headlines, rows, ev, PlatformModel)
	var b strings.Builder
	writeSectionWhy(&b, "table4", sec, whys)
	out := b.String()
	for i, h := range sec.Headlines {
		ok, _ := PaperVerdict(h)
		if math.IsNaN(h.Paper) || ok {
			if whys[i] != "" {
				t.Errorf("%q agrees or has no paper number but has a reason %q", h.Name, whys[i])
			}
			continue
		}
		if whys[i] == "" {
			t.Errorf("%q disagrees without a reason", h.Name)
		}
	}
	for _, want := range []string{"Where ours differs from the paper", "autoclip 1.31", "binds", "within the bound in truth: navigator"} {
		if !strings.Contains(out, want) {
			t.Errorf("table4 section lacks %q", want)
		}
	}
	golden(t, "table4-why.md", out)
}

// gainWhy says a bound above every pipeline's headroom does not bind and
// counts the ties.
func TestGainWhyNotBinding(t *testing.T) {
	rows := synthRows([]string{"autoclip"}, []float64{1.0}, "latency_ms", "cost_usd")
	for i := range rows {
		if rows[i].Metric == "latency_ms" {
			rows[i].Value = 1000
		}
	}
	ev := newEvidence(landscapeRows(map[string]float64{"autoclip": 1.31}))
	got := gainWhy(rows, "latency_ms", []string{"autoclip"}, []float64{1.0}, betterOf, ev, PlatformModel)
	pairs := len(pairGains(rows, "latency_ms", []string{"autoclip"}, []float64{1.0}, betterOf))
	for _, want := range []string{"autoclip 1.31", "+100 % does not bind", "tie"} {
		if !strings.Contains(got, want) {
			t.Errorf("gainWhy = %q, lacks %q", got, want)
		}
	}
	if want := fmt.Sprintf("%d of %d truth-feasible pairs tie", pairs, pairs); pairs == 0 || !strings.Contains(got, want) {
		t.Errorf("gainWhy = %q, lacks %q", got, want)
	}
}

// Numbers in the report: counts as integers, small values with two
// significant digits, ratios only between numbers of the same sign.
func TestReportNumbers(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{42, "regions", "42 regions"},
		{0, "jumps", "0 jumps"},
		{0.003, "%", "0.0030 %"},
		{0.0312, "%", "0.031 %"},
		{0, "%", "0 %"},
		{12.345, "%", "12.35 %"},
		{math.NaN(), "%", "–"},
		{42.5, "regions", "42.50 regions"},
	} {
		if got := fmtNum(c.v, c.unit); got != c.want {
			t.Errorf("fmtNum(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
	for _, c := range []struct {
		ours, paper float64
		want        string
	}{{-1.35, 28.34, "–"}, {17.92, -3.95, "–"}, {0, 0.25, "–"}, {5.29, 31.23, "0.17"}, {-1, -1.73, "0.58"}} {
		if got := fmtRatio(c.ours, c.paper); got != c.want {
			t.Errorf("fmtRatio(%v, %v) = %q, want %q", c.ours, c.paper, got, c.want)
		}
	}
	if got := fmtCI(Headline{Ours: 0.0031, Low: 0.0012, High: 0.0050, Unit: "%"}); got != "0.0031 % [0.0012, 0.0050]" {
		t.Errorf("fmtCI of a small value = %q", got)
	}
}
