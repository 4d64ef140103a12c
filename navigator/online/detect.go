package online

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/confignav/confignav/video"
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

// InputDetector finds shifts of the input distribution (§3.3.2, §4.5: the
// resolution drops) from the inputs of arriving requests: the clip metadata
// the pipeline's entry receives with each request (resolution, frame rate,
// length, faces, motion), never from latencies, which move with every
// reconfiguration and vary clip by clip.
//
// Each feature is cut into categories (resolution by frame height, fps to a
// tenth, length in half-octaves, faces exactly, motion in quarters). For
// every category c a CUSUM accumulates the log-likelihood ratio of "a share
// Rho of requests now has c" against the baseline:
//
//	S_c ← max(0, S_c + log(Rho/p_c + 1 − Rho))  when the request has c,
//	S_c ← max(0, S_c + log(1 − Rho))            otherwise,
//
// and a shift is declared when S_c ≥ H. The baseline share p_c is the
// Wilson upper bound (z = Z) of c's share among the baseline requests, so an
// estimate from few requests errs towards no alarm: with p_c at or above the
// true share the increments are a likelihood ratio of mean ≤ 1 under no
// shift, and by Lorden's bound a category's run length to a false alarm is
// at least e^H requests on average. Requests enter the baseline Lag requests
// late, so that a shift is not absorbed while it is being detected; a
// feature is armed once its baseline holds MinBaseline requests. After a
// shift of a feature its baseline restarts empty (the lag queue mixes the
// regimes), so the feature re-arms MinBaseline + Lag requests later. A
// category whose bound is already at or above Rho gives no evidence.
type InputDetector struct {
	// H is the alarm threshold: ln 10⁶, a mean run of at least 10⁶ requests
	// per category between false alarms; with the 18 categories of the
	// default catalogue (4 resolutions, 4 frame rates, 1 length, 5 face
	// counts, 4 motion quarters) at least 5.5·10⁴ requests, about 40 of the
	// busiest 30-minute default runs (rank:10, seed 1: 1,342 requests).
	H float64
	// Rho is the share of requests the alternative puts on one category
	// (0.9): a change concentrates a feature on one value (what
	// traces.Change does, and a new upstream source would), and a
	// straggler of the old regime costs log(1 − Rho) instead of a reset.
	Rho float64
	// Z is the Wilson bound's z (2, a one-sided 97.7 % bound).
	Z float64
	// MinBaseline requests arm a feature (50: with Z = 2 a category at a
	// true 10 % share is then bounded at 22 %, not below it).
	MinBaseline int
	// Lag requests wait before entering the baseline (32: longer than the
	// slowest detection the defaults allow, a change to the commonest
	// category of the default catalogue, 1080p at 44 %, which takes
	// ⌈H / log(Rho/0.5 + 0.1)⌉ = 24 requests with its bound near 50 %).
	Lag int

	feats  []*inputFeature
	Shifts int
}

type inputFeature struct {
	name   string
	cat    func(video.Input) int
	n      int
	counts map[int]int
	cusum  map[int]float64
	lag    []int
}

// NewInputDetector uses the defaults above.
func NewInputDetector() *InputDetector {
	d := &InputDetector{H: math.Log(1e6), Rho: 0.9, Z: 2, MinBaseline: 50, Lag: 32}
	for _, f := range []struct {
		name string
		cat  func(video.Input) int
	}{
		{"resolution", func(in video.Input) int { return in.Height }},
		{"fps", func(in video.Input) int { return int(math.Round(in.FPS * 10)) }},
		{"seconds", func(in video.Input) int { return int(math.Round(2 * math.Log2(math.Max(in.Seconds, 1e-3)))) }},
		{"faces", func(in video.Input) int { return in.Faces }},
		{"motion", func(in video.Input) int { return min(3, max(0, int(in.Motion*4))) }},
	} {
		d.feats = append(d.feats, &inputFeature{name: f.name, cat: f.cat, counts: map[int]int{}, cusum: map[int]float64{}})
	}
	return d
}

// upper is the Wilson upper bound of a share k/n.
func upper(k, n int, z float64) float64 {
	p, nn := float64(k)/float64(n), float64(n)
	return (p + z*z/(2*nn) + z*math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))) / (1 + z*z/nn)
}

// Observe takes one arriving request's input and reports a shift: the
// feature that moved, described, and the new regime's value (set on prev,
// the clip the current configuration was profiled on).
func (d *InputDetector) Observe(in video.Input, prev video.Input) (bool, string, video.Input) {
	for _, f := range d.feats {
		c := f.cat(in)
		if f.n >= d.MinBaseline {
			// Categories in a fixed order: the sums are reproducible to the bit.
			if _, ok := f.cusum[c]; !ok {
				f.cusum[c] = 0
			}
			keys := make([]int, 0, len(f.cusum))
			for k := range f.cusum {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			for _, k := range keys {
				inc := math.Log(1 - d.Rho)
				if k == c {
					// A category already near Rho of the baseline cannot
					// shift towards itself (the Wilson bound of a share of
					// 1 is below 1).
					inc = 0
					if pu := upper(f.counts[k], f.n, d.Z); pu < d.Rho {
						inc = math.Log(d.Rho/pu + 1 - d.Rho)
					}
				}
				f.cusum[k] = math.Max(0, f.cusum[k]+inc)
			}
			if f.cusum[c] >= d.H {
				was := f.mode()
				next := setFeature(prev, f.name, in)
				// The lag queue mixes the regimes: the baseline restarts
				// empty and the feature re-arms on the new regime alone.
				f.n, f.counts, f.cusum, f.lag = 0, map[int]int{}, map[int]float64{}, nil
				f.admit(c, d.Lag)
				d.Shifts++
				return true, fmt.Sprintf("input %s: %s → %s", f.name, was, describeFeature(f.name, in)), next
			}
		}
		f.admit(c, d.Lag)
	}
	return false, "", prev
}

// admit queues a category and moves the oldest past the lag into the
// baseline.
func (f *inputFeature) admit(c, lag int) {
	f.lag = append(f.lag, c)
	if len(f.lag) > lag {
		f.counts[f.lag[0]]++
		f.n++
		f.lag = f.lag[1:]
	}
}

// mode describes the baseline's commonest category.
func (f *inputFeature) mode() string {
	best, bestN := 0, -1
	keys := make([]int, 0, len(f.counts))
	for k := range f.counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		if f.counts[k] > bestN {
			best, bestN = k, f.counts[k]
		}
	}
	return fmt.Sprintf("mostly %s (%.0f %%)", categoryString(f.name, best), 100*float64(bestN)/float64(max(f.n, 1)))
}

func categoryString(name string, c int) string {
	switch name {
	case "resolution":
		return fmt.Sprintf("%dp", c)
	case "fps":
		return fmt.Sprintf("%g fps", float64(c)/10)
	case "seconds":
		return fmt.Sprintf("≈%.3g s", math.Pow(2, float64(c)/2))
	case "faces":
		return fmt.Sprintf("%d faces", c)
	}
	return fmt.Sprintf("motion %.2f–%.2f", float64(c)/4, float64(c+1)/4)
}

func describeFeature(name string, in video.Input) string {
	switch name {
	case "resolution":
		return fmt.Sprintf("%dx%d", in.Width, in.Height)
	case "fps":
		return fmt.Sprintf("%g fps", in.FPS)
	case "seconds":
		return fmt.Sprintf("%g s", in.Seconds)
	case "faces":
		return fmt.Sprintf("%d faces", in.Faces)
	}
	return fmt.Sprintf("motion %.3g", in.Motion)
}

// setFeature is prev with the named feature taken from in.
func setFeature(prev video.Input, name string, in video.Input) video.Input {
	switch name {
	case "resolution":
		prev.Width, prev.Height = in.Width, in.Height
	case "fps":
		prev.FPS = in.FPS
	case "seconds":
		prev.Seconds = in.Seconds
	case "faces":
		prev.Faces = in.Faces
	default:
		prev.Motion = in.Motion
	}
	prev.ID = -1
	return prev
}
