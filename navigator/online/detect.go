package online

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// StructureDetector declares a structure change when Run consecutive closed
// requests agree on a different set of functions, or when the distribution
// of a fan-out node's instance count shifts. Fan-out nodes are left out of
// the set, since a request with no face legitimately skips them.
//
// Fan-out counts vary from request to request when inputs do (0–4 faces in
// the default catalogue), so a shift is a goodness-of-fit test, not a change
// of a short median: the counts of the last 2·Run requests against the
// distribution of the requests before them (since the last detection, at
// least BaselineRuns·Run of them), by a G-test (likelihood-ratio χ²) with
// half-count smoothing, declared at p < 1e-5. The level of the new regime is
// the mean of the window's suffix that departs most from the baseline (the
// largest G), and that suffix seeds the new window. A deterministic 1 → 3
// change is declared after 4 requests at level 3; a stationary stream of 0–4
// faces triggers it about once in 10⁵ requests.
type StructureDetector struct {
	Run int

	fanout     map[string]bool
	current    string
	pending    string
	pendingN   int
	recent     map[string][]int
	base       map[string]*histogram
	level      map[string]float64
	observed   int
	Detections int
}

// Shift test constants (see StructureDetector).
const (
	shiftP       = 1e-5
	baselineRuns = 4
)

// histogram counts instance counts.
type histogram struct {
	n      int
	sum    float64
	counts map[int]int
}

func (h *histogram) add(k int) {
	if h.counts == nil {
		h.counts = map[int]int{}
	}
	h.n++
	h.sum += float64(k)
	h.counts[k]++
}

// gStat is the G statistic of the window's counts under the baseline's
// distribution (half-count smoothing over the values either has seen) and
// its degrees of freedom. Categories are summed in order, so the result is
// reproducible to the bit.
func gStat(base *histogram, window []int) (g float64, df int) {
	obs := map[int]int{}
	for _, k := range window {
		obs[k]++
	}
	seen := map[int]bool{}
	var cats []int
	for _, m := range []map[int]int{base.counts, obs} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				cats = append(cats, k)
			}
		}
	}
	sort.Ints(cats)
	total := float64(base.n) + 0.5*float64(len(cats))
	for _, k := range cats {
		o := float64(obs[k])
		if o == 0 {
			continue
		}
		e := float64(len(window)) * (float64(base.counts[k]) + 0.5) / total
		g += 2 * o * math.Log(o/e)
	}
	return g, len(cats) - 1
}

// gTest is the p-value of the window's counts under the baseline's
// distribution.
func gTest(base *histogram, window []int) float64 {
	g, df := gStat(base, window)
	if df < 1 || g <= 0 {
		return 1
	}
	return distuv.ChiSquared{K: float64(df)}.Survival(g)
}

// newRegime is the length of the window's suffix that departs most from the
// baseline: the suffix with the largest G statistic.
func newRegime(base *histogram, window []int) int {
	best, bestG := len(window), math.Inf(-1)
	for l := 1; l <= len(window); l++ {
		if g, _ := gStat(base, window[len(window)-l:]); g > bestG {
			best, bestG = l, g
		}
	}
	return best
}

// NewStructureDetector starts from the functions of a known structure.
func NewStructureDetector(functions []string, fanout map[string]bool, run int) *StructureDetector {
	if run <= 0 {
		run = 5
	}
	d := &StructureDetector{Run: run, fanout: fanout, recent: map[string][]int{}, base: map[string]*histogram{}, level: map[string]float64{}}
	var plain []string
	for _, f := range functions {
		if !fanout[f] {
			plain = append(plain, f)
		}
	}
	sort.Strings(plain)
	d.current = strings.Join(plain, ",")
	return d
}

// Observe takes a closed request and reports a change, described.
func (d *StructureDetector) Observe(q *Request) (bool, string) {
	if q.Failed {
		return false, ""
	}
	d.observed++
	var plain []string
	for f := range q.Invocations {
		if !d.fanout[f] {
			plain = append(plain, f)
		}
	}
	sort.Strings(plain)
	sig := strings.Join(plain, ",")
	if sig != d.current {
		if sig == d.pending {
			d.pendingN++
		} else {
			d.pending, d.pendingN = sig, 1
		}
		if d.pendingN >= d.Run {
			desc := describe(d.current, sig)
			d.current, d.pending, d.pendingN = sig, "", 0
			d.Detections++
			return true, desc
		}
	} else {
		d.pending, d.pendingN = "", 0
	}
	for _, f := range sortedKeys(d.fanout) {
		base := d.base[f]
		if base == nil {
			base = &histogram{}
			d.base[f] = base
		}
		c := append(d.recent[f], len(q.Invocations[f]))
		if len(c) > 2*d.Run {
			base.add(c[0])
			c = c[1:]
		}
		d.recent[f] = c
		if base.n < baselineRuns*d.Run {
			continue
		}
		if gTest(base, c) < shiftP {
			// The window still holds requests from before the change: the new
			// regime is the suffix that departs most from the baseline (the
			// largest G), and it alone sets the level and seeds the window.
			tail := c[len(c)-newRegime(base, c):]
			var sum float64
			for _, x := range tail {
				sum += float64(x)
			}
			was, now := base.sum/float64(base.n), sum/float64(len(tail))
			d.level[f] = now
			d.base[f] = &histogram{}
			d.recent[f] = append([]int(nil), tail...)
			d.Detections++
			return true, fmt.Sprintf("fan-out of %s: %.2f → %.2f invocations per request", f, was, now)
		}
		if _, ok := d.level[f]; !ok || base.n%d.Run == 0 {
			d.level[f] = base.sum / float64(base.n)
		}
	}
	return false, ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FanOut is the established mean instance count of a fan-out node (NaN
// before a baseline formed).
func (d *StructureDetector) FanOut(f string) float64 {
	if m, ok := d.level[f]; ok {
		return m
	}
	return math.NaN()
}

func describe(old, new string) string {
	was := map[string]bool{}
	for _, f := range strings.Split(old, ",") {
		was[f] = true
	}
	is := map[string]bool{}
	for _, f := range strings.Split(new, ",") {
		is[f] = true
	}
	var parts []string
	for f := range is {
		if !was[f] && f != "" {
			parts = append(parts, "+"+f)
		}
	}
	for f := range was {
		if !is[f] && f != "" {
			parts = append(parts, "−"+f)
		}
	}
	sort.Strings(parts)
	return "functions " + strings.Join(parts, " ")
}

func medianInt(xs []int) float64 {
	s := append([]int(nil), xs...)
	sort.Ints(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// ShiftDetector is a two-sided Page–Hinkley test on a latency stream: it
// signals when the cumulative deviation from the running mean, less a drift
// allowance δ·mean, exceeds λ·mean in either direction.
type ShiftDetector struct {
	Delta, Lambda float64

	n        int
	mean     float64
	up, down float64
	Shifts   int
}

// NewShiftDetector uses δ = 2 % and λ = 50 % of the running mean.
func NewShiftDetector() *ShiftDetector { return &ShiftDetector{Delta: 0.02, Lambda: 0.5} }

// Observe adds a latency and reports a level shift.
func (s *ShiftDetector) Observe(x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	s.n++
	s.mean += (x - s.mean) / float64(s.n)
	if s.n < 10 {
		return false
	}
	s.up = math.Max(0, s.up+x-s.mean-s.Delta*s.mean)
	s.down = math.Max(0, s.down+s.mean-x-s.Delta*s.mean)
	if s.up > s.Lambda*s.mean || s.down > s.Lambda*s.mean {
		s.Shifts++
		s.Reset()
		return true
	}
	return false
}

// Reset forgets the history (after a shift or a reconfiguration).
func (s *ShiftDetector) Reset() { s.n, s.mean, s.up, s.down = 0, 0, 0, 0 }
