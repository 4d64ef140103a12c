package experiments

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The report's reasons: for every headline that disagrees with the paper, a
// one-line reason computed from the run's own numbers (never fixed prose),
// shown in the summary table at the top of report.md and in the section
// itself. An experiment that knows its claims implements explainer; the
// others get a generic reason (the difference and the interval that excludes
// the paper's number).

// evidence is what the report knows beyond one section: each pipeline's
// landscape from the calibration section.
type evidence struct {
	// headroom is, per platform and pipeline, the fastest configuration's
	// cost over C_min: a bound above headroom − 1 does not bind.
	headroom map[string]map[string]float64
}

// newEvidence reads the calibration section's landscape rows (nil rows: no
// landscape, the reasons say less).
func newEvidence(rows []Row) *evidence {
	ev := &evidence{headroom: map[string]map[string]float64{}}
	for _, r := range rows {
		if r.Metric != "fastest_cost_ratio" || r.Pipeline == "" || math.IsNaN(r.Value) {
			continue
		}
		on := r.Platform
		if on == "" {
			on = PlatformModel
		}
		if ev.headroom[on] == nil {
			ev.headroom[on] = map[string]float64{}
		}
		ev.headroom[on][r.Pipeline] = r.Value
	}
	return ev
}

// ratio is a pipeline's fastest cost over C_min on a platform (NaN when the
// calibration section did not run).
func (ev *evidence) ratio(platform, pipe string) float64 {
	if ev == nil {
		return math.NaN()
	}
	if v, ok := ev.headroom[platform][pipe]; ok {
		return v
	}
	return math.NaN()
}

// explainer is an experiment that explains its own disagreements with the
// paper from its rows (one platform's) and the run's evidence; "" falls back
// on the generic reason.
type explainer interface {
	why(h Headline, rows []Row, ev *evidence, platform string) string
}

// explain gives each headline of a section its reason: "" where there is no
// paper number or ours agrees with it.
func explain(e Experiment, hs []Headline, rows []Row, ev *evidence, platform string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		if math.IsNaN(h.Paper) {
			continue
		}
		if ok, _ := PaperVerdict(h); ok {
			continue
		}
		if x, ok := e.(explainer); ok {
			out[i] = x.why(h, rows, ev, platform)
		}
		if out[i] == "" {
			out[i] = genericWhy(h)
		}
	}
	return out
}

// genericWhy states how far ours is from the paper and what excludes it.
func genericWhy(h Headline) string {
	if math.IsNaN(h.Ours) {
		return "no number of ours"
	}
	unit := h.Unit
	if unit == "%" {
		unit = "pp"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ours − paper = %s %s", signed(h.Ours-h.Paper), unit)
	switch {
	case !math.IsNaN(h.Low):
		fmt.Fprintf(&b, "; our 95 %% CI [%s, %s] %s excludes the paper's number", fmtValue(h.Low), fmtValue(h.High), h.Unit)
	case h.Tolerance > 0:
		fmt.Fprintf(&b, ", beyond the gate's ±%s %s (one seed: no interval)", fmtValue(h.Tolerance), h.Unit)
	}
	if h.Feasible != "" {
		fmt.Fprintf(&b, "; truth-feasible: %s", h.Feasible)
	}
	return b.String()
}

// pairGain is one truth-feasible pair of a paired comparison.
type pairGain struct {
	pipe  string
	bound float64
	seed  int64
	gain  float64 // %, positive when the navigator is lower
}

// pairGains lists the pairs gain() averages.
func pairGains(rows []Row, metric string, pipes []string, bounds []float64, baselines []string) []pairGain {
	ans := answers(rows, metric, latencyMetricOf(metric))
	var out []pairGain
	for _, seed := range seedsOf(rows) {
		for _, pipe := range pipes {
			for _, b := range bounds {
				nav := ans[answerKey{pipe, "navigator", b, seed}]
				_, base := better(ans, pipe, b, seed, baselines)
				if !nav.ok || !base.ok || !nav.feasible || math.IsNaN(nav.value) || base.value == 0 {
					continue
				}
				out = append(out, pairGain{pipe, b, seed, 100 * (base.value - nav.value) / base.value})
			}
		}
	}
	return out
}

// tieGain is the gain below which a pair counts as a tie (both tuners found
// the same or an equally fast configuration).
const tieGain = 0.5

// gainWhy explains a paired gain of the navigator over the better of
// baselines from the run: where the bound binds (the calibration
// landscape), how many pairs tie, the gain where the bound binds and where it
// does not, and how often each tuner's answer is within the bound in truth.
func gainWhy(rows []Row, metric string, pipes []string, bounds []float64, baselines []string, ev *evidence, platform string) string {
	var parts []string
	binds := func(pipe string, b float64) (bool, bool) {
		r := ev.ratio(platform, pipe)
		if math.IsNaN(r) {
			return false, false
		}
		return 1+b < r-1e-9, true
	}
	// The landscape.
	var land []string
	nb, nk := 0, 0
	for _, pipe := range pipes {
		r := ev.ratio(platform, pipe)
		if math.IsNaN(r) {
			continue
		}
		land = append(land, fmt.Sprintf("%s %.2f", pipe, r))
		for _, b := range bounds {
			nk++
			if bd, _ := binds(pipe, b); bd {
				nb++
			}
		}
	}
	bs := boundsText(bounds)
	if len(land) > 0 {
		s := "fastest configuration's cost / C_min: " + strings.Join(land, ", ")
		switch {
		case nb == 0:
			s += fmt.Sprintf(", none above 1 + the bound: %s does not bind, the optimum is the fastest configuration", bs)
		case nb == nk && nk == 1:
			s += fmt.Sprintf(", above 1 + the bound: %s binds", bs)
		case nb == nk:
			s += fmt.Sprintf(", all above 1 + the bound: %s binds on every pipeline", bs)
		default:
			s += fmt.Sprintf(": %s binds in %d of %d (pipeline, bound) groups, elsewhere the optimum is the fastest configuration", bs, nb, nk)
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no landscape (run the calibration section to see where the bound binds)")
	}
	// The pairs.
	pg := pairGains(rows, metric, pipes, bounds, baselines)
	ties := 0
	var bind, free []float64
	for _, p := range pg {
		if math.Abs(p.gain) < tieGain {
			ties++
		}
		if bd, known := binds(p.pipe, p.bound); known && bd {
			bind = append(bind, p.gain)
		} else if known {
			free = append(free, p.gain)
		}
	}
	if len(pg) > 0 {
		var abs []float64
		for _, p := range pg {
			abs = append(abs, math.Abs(p.gain))
		}
		s := fmt.Sprintf("%d of %d truth-feasible pairs tie (|gain| < %.1f %%), mean |gain| %s %%", ties, len(pg), tieGain, fmtValue(mean(abs)))
		if len(bind) > 0 && len(free) > 0 {
			s += fmt.Sprintf("; mean gain %s %% where the bound binds (%d pairs), %s %% where it does not (%d)",
				fmtValue(mean(bind)), len(bind), fmtValue(mean(free)), len(free))
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "no truth-feasible pair")
	}
	// Feasibility.
	keep := func(t string) func(r *Row) bool {
		return func(r *Row) bool {
			return r.Tuner == t && containsF(bounds, r.Bound) && containsS(pipes, r.Pipeline)
		}
	}
	var fs []string
	for _, t := range append([]string{"navigator"}, baselines...) {
		if k, n := feasibility(rows, keep(t)); n > 0 {
			fs = append(fs, fmt.Sprintf("%s %d/%d", t, k, n))
		}
	}
	if len(fs) > 0 {
		parts = append(parts, "within the bound in truth: "+strings.Join(fs, ", "))
	}
	return strings.Join(parts, "; ")
}

// stairsWhy explains a missing or different stair jump from a sweep's rows
// (metric latency_ms against memory per pipeline): the count of jumps and the
// largest drop between adjacent sizes above one vCPU.
func stairsWhy(rows []Row) string {
	byPipe := map[string][][2]float64{}
	for _, r := range rows {
		if r.Metric == "latency_ms" && r.Tuner == "" && r.Seed <= 1 && !math.IsNaN(r.X) {
			byPipe[r.Pipeline] = append(byPipe[r.Pipeline], [2]float64{r.X, r.Value})
		}
	}
	if len(byPipe) == 0 {
		return ""
	}
	jumps, largest, where := 0, math.Inf(-1), ""
	pipes := make([]string, 0, len(byPipe))
	for p := range byPipe {
		pipes = append(pipes, p)
	}
	sort.Strings(pipes)
	for _, p := range pipes {
		pts := byPipe[p]
		sort.Slice(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
		ms, lat := make([]float64, len(pts)), make([]float64, len(pts))
		for i, x := range pts {
			ms[i], lat[i] = x[0], x[1]
		}
		jumps += len(stairJumps(ms, lat, 1769))
		for i := 1; i < len(ms); i++ {
			if ms[i-1] < 1769 {
				continue
			}
			if d := 100 * (lat[i-1] - lat[i]) / lat[i-1]; d > largest {
				largest, where = d, fmt.Sprintf("%s %.0f→%.0f MB", p, ms[i-1], ms[i])
			}
		}
	}
	s := fmt.Sprintf("%d jumps of more than 5 %% above 1,769 MB on %d pipelines", jumps, len(pipes))
	if !math.IsInf(largest, -1) {
		s += fmt.Sprintf("; the largest drop between adjacent sizes there is %s %% (%s)", fmtValue(largest), where)
	}
	return s
}

// boundsText is "+30 %", "+30/50 %".
func boundsText(bounds []float64) string {
	var s []string
	for _, b := range bounds {
		s = append(s, fmt.Sprintf("%.0f", 100*b))
	}
	return "+" + strings.Join(s, "/") + " %"
}

func containsF(xs []float64, x float64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func containsS(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// signed formats a difference with its sign.
func signed(v float64) string {
	if v > 0 {
		return "+" + fmtValue(v)
	}
	return fmtValue(v)
}
