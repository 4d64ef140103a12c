package experiments

import (
	"math"
	"strings"
	"testing"
)

// answerRows are one (pipeline, bound, seed) group of tuning answers:
// tuner → (latency, cost, feasible).
func answerRows(pipe string, bound float64, seed int64, ans map[string][3]float64) []Row {
	var rows []Row
	for t, a := range ans {
		for i, m := range []string{"latency_ms", "cost_usd", "feasible"} {
			rows = append(rows, Row{Pipeline: pipe, Tuner: t, Bound: bound, Seed: seed, X: nan, Metric: m, Value: a[i]})
		}
	}
	return rows
}

// The better baseline is the faster truth-feasible of charmseeker and
// aquatope-fixed (the literal aquatope never), and a pair counts only when
// both answers are feasible in truth.
func TestGainFeasiblePairsOnly(t *testing.T) {
	var rows []Row
	// Seed 1: charmseeker is faster than aquatope-fixed but over the bound,
	// so aquatope-fixed (1000 ms) is the better baseline; the literal
	// aquatope (500 ms, feasible) is not a candidate.
	rows = append(rows, answerRows("p", 0.3, 1, map[string][3]float64{
		"navigator": {900, 1, 1}, "charmseeker": {800, 1, 0}, "aquatope-fixed": {1000, 1, 1}, "aquatope": {500, 1, 1}})...)
	// Seed 2: the navigator is over the bound: no pair.
	rows = append(rows, answerRows("p", 0.3, 2, map[string][3]float64{
		"navigator": {100, 1, 0}, "charmseeker": {800, 1, 1}, "aquatope-fixed": {1000, 1, 1}, "aquatope": {500, 1, 1}})...)
	// Seed 3: both feasible baselines; charmseeker (800) is the better.
	rows = append(rows, answerRows("p", 0.3, 3, map[string][3]float64{
		"navigator": {600, 1, 1}, "charmseeker": {800, 1, 1}, "aquatope-fixed": {1000, 1, 1}, "aquatope": {500, 1, 1}})...)
	g := gain(rows, "latency_ms", []string{"p"}, []float64{0.3}, betterOf)
	if g.Pairs != 2 || g.Groups != 3 || len(g.PerSeed) != 2 {
		t.Fatalf("pairs %d of %d groups, %d seeds; want 2 of 3, 2 seeds", g.Pairs, g.Groups, len(g.PerSeed))
	}
	// 100·(1000−900)/1000 = 10 and 100·(800−600)/800 = 25.
	if math.Abs(g.PerSeed[0]-10) > 1e-9 || math.Abs(g.PerSeed[1]-25) > 1e-9 {
		t.Fatalf("per-seed gains %v, want [10 25]", g.PerSeed)
	}
	lit := gain(rows, "latency_ms", []string{"p"}, []float64{0.3}, []string{literalAquatope})
	// 100·(500−900)/500 = −80 and 100·(500−600)/500 = −20.
	if len(lit.PerSeed) != 2 || math.Abs(lit.PerSeed[0]+80) > 1e-9 || math.Abs(lit.PerSeed[1]+20) > 1e-9 {
		t.Fatalf("gains over the literal aquatope %v, want [-80 -20]", lit.PerSeed)
	}
	if k, n := feasibility(rows, func(r *Row) bool { return r.Tuner == "navigator" }); k != 2 || n != 3 {
		t.Fatalf("navigator feasible %d/%d, want 2/3", k, n)
	}
	h := gainHeadline("x", math.NaN(), rows, []string{"navigator", "charmseeker", "aquatope-fixed"}, g, 5, "")
	if h.Feasible != "navigator 2/3, charmseeker 2/3, aquatope-fixed 3/3, pairs 2/3" {
		t.Fatalf("feasible column %q", h.Feasible)
	}
	// Two per-seed values 10 and 25: mean 17.5, half-width t(0.975, 1)·sd/√2
	// = 12.706·10.607/1.414 = 95.3 (Student-t over seeds).
	if math.Abs(h.Ours-17.5) > 1e-9 || math.Abs((h.High-h.Low)/2-95.297) > 0.01 {
		t.Fatalf("headline %v [%v, %v]", h.Ours, h.Low, h.High)
	}
}

// Every headline table and the paired table label both Aquatope variants.
func TestPairedTableLabelsBothVariants(t *testing.T) {
	rows := answerRows("p", 0.3, 1, map[string][3]float64{
		"navigator": {900, 1, 1}, "charmseeker": {800, 1, 0}, "aquatope-fixed": {1000, 1, 1}, "aquatope": {500, 1, 1}})
	tbl := pairedTable(rows, "latency_ms", "latency", []string{"p"}, []float64{0.3})
	head := strings.Join(tbl[0], "|")
	for _, want := range []string{"aquatope-fixed feasible", "aquatope (literal) feasible", "better of charmseeker / aquatope-fixed", "aquatope, literal"} {
		if !strings.Contains(head, want) {
			t.Errorf("paired table header %q lacks %q", head, want)
		}
	}
	if got := tbl[1][6]; got != "10.00 % (1/1)" {
		t.Errorf("gain cell %q, want \"10.00 %% (1/1)\"", got)
	}
}

// synthRows are answers of the four compared tuners on pipes × bounds ×
// three seeds, with latencies and feasibility that vary by a fixed rule.
func synthRows(pipes []string, bounds []float64, latency, cost string) []Row {
	var rows []Row
	for pi, p := range pipes {
		for bi, b := range bounds {
			for s := int64(1); s <= 3; s++ {
				for ti, t := range mainTuners {
					v := float64(1000 + 100*ti + 37*int(s) + 11*pi + 5*bi)
					feas := 1.0
					if (int(s)+ti+pi+bi)%5 == 0 {
						feas = 0
					}
					for _, m := range []struct {
						n string
						v float64
					}{{latency, v}, {cost, 1e-4 * (1 + 0.1*float64(ti))}, {"feasible", feas}, {"regret", float64(ti) * 0.05 * float64(s)}} {
						rows = append(rows, Row{Pipeline: p, Tuner: t, Bound: b, Seed: s, X: nan, Metric: m.n, Value: m.v})
					}
				}
			}
		}
	}
	return rows
}

// The rendered sections of the headline comparisons, on synthetic answers:
// both Aquatope variants labelled, a truth-feasible column beside every
// gain and regret, paired differences with intervals (golden file).
func TestComparisonSectionsGolden(t *testing.T) {
	figs := &Figures{Dir: t.TempDir()}
	var b strings.Builder
	for _, c := range []struct {
		e    Experiment
		rows []Row
	}{
		{table4{}, synthRows([]string{"autoclip"}, paperBounds, "latency_ms", "cost_usd")},
		{fig10{}, synthRows(allPipelines, fig9Bounds, "latency_ms", "cost_usd")},
		{regretExp{}, synthRows(regretPipelines, paperBounds, "latency_ms", "cost_usd")},
	} {
		sec, err := c.e.Summarize(c.rows, figs)
		if err != nil {
			t.Fatal(err)
		}
		writeSection(&b, c.e.Name(), c.e, sec)
		for _, h := range sec.Headlines {
			if strings.Contains(h.Name, "gain") || strings.Contains(h.Name, "regret") {
				if h.Feasible == "" {
					t.Errorf("%s: %q has no truth-feasible column", c.e.Name(), h.Name)
				}
			}
		}
	}
	out := b.String()
	for _, want := range []string{"aquatope-fixed (Aquatope, corrected)", "aquatope (Aquatope, literal public code)", "aquatope (literal)", "pairs", "Student-t"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered sections lack %q", want)
		}
	}
	golden(t, "comparisons-report.md", out)
}

// The Wilson interval against closed forms: for k = 0 its upper end is
// z²/(n + z²); for k = n/2 it is symmetric about ½.
func TestWilson(t *testing.T) {
	const z2 = 1.959963984540054 * 1.959963984540054
	if lo, hi := wilson(0, 12); lo != 0 || math.Abs(hi-z2/(12+z2)) > 1e-12 {
		t.Fatalf("0/12: [%v, %v], want [0, %v]", lo, hi, z2/(12+z2))
	}
	// 5/10: centre ½, half-width z/(1+z²/n)·√(¼/n + z²/(4n²)) = 0.26341.
	if lo, hi := wilson(5, 10); math.Abs(lo+hi-1) > 1e-12 || math.Abs((hi-lo)/2-0.26341) > 1e-5 {
		t.Fatalf("5/10: [%v, %v], want ½ ± 0.26341", lo, hi)
	}
}
