package experiments

import (
	"fmt"
	"math"
	"strings"
)

// Comparisons shared by the headline experiments (fig7, fig9, fig10,
// table4, regret and their measured-platform copies), following
// BASELINES.md ("Accounting for every tuner"):
//
//   - The better baseline is, per (pipeline, bound, seed), whichever of
//     charmseeker and aquatope-fixed (the corrected Aquatope) has the lower
//     true latency among its answers that meet the bound in truth. The
//     literal aquatope is compared on its own, beside it, and labelled.
//   - Gains and regret count only answers within the bound in truth (the
//     oracle's cost of the configuration ≤ C_bound, and it fits in memory);
//     the truth-feasible rate of every tuner is reported as its own column
//     and as its own headline.
//   - Comparisons are paired by seed: both tuners of a pair ran with the
//     same seed on the same ground truth; the per-seed value is the mean of
//     the paired relative differences over the (pipeline, bound) pairs of
//     that seed where both answers are feasible in truth, and the interval is
//     a 95 % Student-t interval over the per-seed values (t with n−1 degrees
//     of freedom; none with one seed).

// The baselines "the better baseline" is chosen from, and the literal
// variant shown beside it.
var (
	betterOf        = []string{"charmseeker", "aquatope-fixed"}
	literalAquatope = "aquatope"
)

// tunerLabels say which variant a tuner name is, in tables and report text.
var tunerLabels = map[string]string{
	"navigator": "navigator (ConfigNavigator)",
	// fig7's variant: the navigator's answer with the online phase on.
	"navigator-online": "navigator-online (ConfigNavigator, offline answer then its online phase)",
	"charmseeker":      "charmseeker (CharmSeeker)",
	"aquatope-fixed":   "aquatope-fixed (Aquatope, corrected)",
	"aquatope":         "aquatope (Aquatope, literal public code)",
	"powertuning":      "powertuning (AWS Lambda Power Tuning)",
	"parrotfish":       "parrotfish (Parrotfish)",
	"random":           "random (random search)",
}

// label is a tuner's name with the system and variant it stands for.
func label(t string) string {
	if l, ok := tunerLabels[t]; ok {
		return l
	}
	return t
}

// legendLabels are the shorter labels of figure legends.
var legendLabels = map[string]string{
	"aquatope-fixed": "aquatope-fixed (corrected)",
	"aquatope":       "aquatope (literal)",
	// fig11's static variants.
	"aquatope-fixed-static": "aquatope-fixed-static (corrected)",
	"aquatope-static":       "aquatope-static (literal)",
}

func legend(t string) string {
	if l, ok := legendLabels[t]; ok {
		return l
	}
	return t
}

// ciMethod is how every interval of a comparison is computed, for notes.
const ciMethod = "paired by seed, 95 % Student-t CI over seeds"

// answer is one tuner's answer at one (pipeline, bound, seed).
type answer struct {
	value    float64 // the compared metric (true latency, cost, …)
	latency  float64 // true latency, to choose the better baseline
	feasible bool    // within the bound in truth
	ok       bool    // the tuner answered
}

// answerKey identifies an answer.
type answerKey struct {
	pipeline, tuner string
	bound           float64
	seed            int64
}

// answers indexes the per-(pipeline, tuner, bound, seed) answers of rows:
// the metric compared, the latency metric that picks the better baseline,
// and the "feasible" metric (1 when within the bound in truth).
func answers(rows []Row, metric, latencyMetric string) map[answerKey]answer {
	out := map[answerKey]answer{}
	get := func(k answerKey) answer { return out[k] }
	for _, r := range rows {
		if r.Tuner == "" || !(r.Metric == metric || r.Metric == latencyMetric || r.Metric == "feasible") {
			continue
		}
		k := answerKey{r.Pipeline, r.Tuner, r.Bound, r.Seed}
		a := get(k)
		if !a.ok {
			a = answer{value: math.NaN(), latency: math.NaN()}
		}
		a.ok = true
		switch r.Metric {
		case "feasible":
			a.feasible = r.Value == 1
		}
		if r.Metric == metric {
			a.value = r.Value
		}
		if r.Metric == latencyMetric {
			a.latency = r.Value
		}
		out[k] = a
	}
	return out
}

// better is the better of the baselines at one (pipeline, bound, seed): the
// truth-feasible answer with the lowest true latency ("" when none is
// feasible).
func better(ans map[answerKey]answer, pipe string, bound float64, seed int64, baselines []string) (string, answer) {
	best, bestA := "", answer{}
	for _, t := range baselines {
		a := ans[answerKey{pipe, t, bound, seed}]
		if !a.ok || !a.feasible || math.IsNaN(a.latency) || math.IsNaN(a.value) {
			continue
		}
		if best == "" || a.latency < bestA.latency {
			best, bestA = t, a
		}
	}
	return best, bestA
}

// pairing is a paired comparison of the navigator with a baseline (or the
// better of several) over (pipeline, bound) groups, per seed.
type pairing struct {
	PerSeed []float64 // mean paired gain (%) per seed with at least one pair
	Pairs   int       // pairs where both answers are feasible in truth
	Groups  int       // (pipeline, bound, seed) groups where both tuners ran
}

// gain compares navigator with the better of baselines on metric: per
// (pipeline, bound, seed) where both answers are feasible in truth, the
// relative gain 100·(baseline − navigator)/baseline (positive when the
// navigator is lower), averaged per seed.
func gain(rows []Row, metric string, pipes []string, bounds []float64, baselines []string) pairing {
	return gainOf(rows, "navigator", metric, pipes, bounds, baselines)
}

// gainOf is gain with another tuner (or variant) in the navigator's place.
func gainOf(rows []Row, subject, metric string, pipes []string, bounds []float64, baselines []string) pairing {
	ans := answers(rows, metric, latencyMetricOf(metric))
	var p pairing
	for _, seed := range seedsOf(rows) {
		var xs []float64
		for _, pipe := range pipes {
			for _, b := range bounds {
				nav := ans[answerKey{pipe, subject, b, seed}]
				ran := false
				for _, t := range baselines {
					ran = ran || ans[answerKey{pipe, t, b, seed}].ok
				}
				if !nav.ok || !ran {
					continue
				}
				p.Groups++
				_, base := better(ans, pipe, b, seed, baselines)
				if !base.ok || !nav.feasible || math.IsNaN(nav.value) || base.value == 0 {
					continue
				}
				p.Pairs++
				xs = append(xs, 100*(base.value-nav.value)/base.value)
			}
		}
		if len(xs) > 0 {
			p.PerSeed = append(p.PerSeed, mean(xs))
		}
	}
	return p
}

// latencyMetricOf is the latency metric that picks the better baseline for
// a compared metric (the same metric when it is a latency).
func latencyMetricOf(metric string) string {
	if metric == "cost_usd" || metric == "cost_mb_ms" {
		return "latency_ms"
	}
	return metric
}

// seedsOf lists the seeds of rows in ascending order.
func seedsOf(rows []Row) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, r := range rows {
		if !seen[r.Seed] {
			seen[r.Seed] = true
			out = append(out, r.Seed)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// feasibility is a tuner's truth-feasible answers among rows matching keep.
func feasibility(rows []Row, keep func(r *Row) bool) (k, n int) {
	for i := range rows {
		r := &rows[i]
		if r.Metric == "feasible" && keep(r) {
			n++
			if r.Value == 1 {
				k++
			}
		}
	}
	return k, n
}

// rateCell formats k of n as "k/n (p %)".
func rateCell(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%.0f %%)", k, n, 100*float64(k)/float64(n))
}

// feasibleNote is the feasible-rate column of a comparison headline: each
// compared tuner's truth-feasible answers and the pairs counted.
func feasibleNote(rows []Row, tuners []string, p pairing) string {
	var parts []string
	for _, t := range tuners {
		k, n := feasibility(rows, func(r *Row) bool { return r.Tuner == t })
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", t, k, n))
		}
	}
	parts = append(parts, fmt.Sprintf("pairs %d/%d", p.Pairs, p.Groups))
	return strings.Join(parts, ", ")
}

// rateHeadlines are one gated headline per tuner: its truth-feasible rate
// over all its answers in rows, with a 95 % Wilson score interval (a
// Student-t interval over a handful of per-seed rates runs past 0 and 100 %).
func rateHeadlines(rows []Row, tuners []string, tol float64, note string) []Headline {
	var out []Headline
	if note != "" {
		note += "; "
	}
	for _, t := range tuners {
		k, n := feasibility(rows, func(r *Row) bool { return r.Tuner == t })
		if n == 0 {
			continue
		}
		out = append(out, rateHeadline("truth-feasible rate of "+t, k, n, tol, note+"95 % Wilson interval over all answers", fmt.Sprintf("%s %d/%d", t, k, n)))
	}
	return out
}

// rateHeadline is a rate k/n in percent with its 95 % Wilson interval.
func rateHeadline(name string, k, n int, tol float64, note, feasible string) Headline {
	lo, hi := wilson(k, n)
	return Headline{Name: name, Paper: math.NaN(), Ours: 100 * float64(k) / float64(n), Low: 100 * lo, High: 100 * hi,
		Unit: "%", Tolerance: tol, Note: note, Feasible: feasible}
}

// wilson is the 95 % Wilson score interval of a proportion k/n (Wilson
// 1927; z = 1.959964).
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959963984540054
	p, nn := float64(k)/float64(n), float64(n)
	c := (p + z*z/(2*nn)) / (1 + z*z/nn)
	h := z / (1 + z*z/nn) * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))
	return math.Max(0, c-h), math.Min(1, c+h)
}

// gainHeadline is a paired comparison headline with its feasible column.
func gainHeadline(name string, paper float64, rows []Row, tuners []string, p pairing, tol float64, note string) Headline {
	if note != "" {
		note += "; "
	}
	h := headline(name, paper, p.PerSeed, "%", tol, note+"truth-feasible pairs only, "+ciMethod)
	h.Feasible = feasibleNote(rows, tuners, p)
	return h
}

// comparedTuners are the tuners of the headline comparisons present in
// rows, in report order.
func comparedTuners(rows []Row) []string {
	have := map[string]bool{}
	for _, r := range rows {
		have[r.Tuner] = true
	}
	var out []string
	for _, t := range mainTuners {
		if have[t] {
			out = append(out, t)
		}
	}
	return out
}

// orderTuners puts the tuners seen in rows in the order of mainTuners then
// extraTuners (unknown names last, in first-seen order).
func orderTuners(seen []string) []string {
	have := map[string]bool{}
	for _, t := range seen {
		have[t] = true
	}
	var out []string
	for _, t := range append(append([]string{}, mainTuners...), extraTuners...) {
		if have[t] {
			out = append(out, t)
			delete(have, t)
		}
	}
	for _, t := range seen {
		if have[t] {
			out = append(out, t)
		}
	}
	return out
}

// pairedTable is a section's paired-difference table: per (pipeline, bound),
// the navigator's gain over the better of charmseeker and aquatope-fixed
// and over the literal aquatope, per-seed mean with its 95 % Student-t
// interval, beside each tuner's truth-feasible rate.
func pairedTable(rows []Row, metric, what string, pipes []string, bounds []float64) [][]string {
	t := [][]string{{"pipeline", "cost bound (above C_min)",
		"navigator feasible in truth (answers)", "charmseeker feasible in truth (answers)", "aquatope-fixed feasible in truth (answers)", "aquatope (literal) feasible in truth (answers)",
		what + " gain over the better of charmseeker / aquatope-fixed (%, 95 % CI; pairs)", what + " gain over aquatope, literal (%, 95 % CI; pairs)"}}
	for _, pipe := range pipes {
		for _, b := range bounds {
			cell := func(tn string) string {
				return rateCell(feasibility(rows, func(r *Row) bool { return r.Pipeline == pipe && r.Bound == b && r.Tuner == tn }))
			}
			g := func(base []string) string {
				p := gain(rows, metric, []string{pipe}, []float64{b}, base)
				m, lo, hi := meanCI(p.PerSeed)
				return fmtCI(Headline{Ours: m, Low: lo, High: hi, Unit: "%"}) + fmt.Sprintf(" (%d/%d)", p.Pairs, p.Groups)
			}
			t = append(t, []string{pipe, fmt.Sprintf("+%.0f %%", b*100), cell("navigator"), cell("charmseeker"), cell("aquatope-fixed"),
				cell(literalAquatope), g(betterOf), g([]string{literalAquatope})})
		}
	}
	return t
}

// rateSummary is every tuner's truth-feasible answers, for figure captions.
func rateSummary(rows []Row, tuners []string) string {
	var parts []string
	for _, t := range tuners {
		k, n := feasibility(rows, func(r *Row) bool { return r.Tuner == t })
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", legend(t), k, n))
		}
	}
	return strings.Join(parts, ", ")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// pctOrDash formats a percentage ("–" for NaN; two significant digits
// below 1 %).
func pctOrDash(v float64) string {
	return fmtNum(v, "%")
}
