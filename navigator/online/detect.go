package online

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// StructureDetector declares a structure change when Run consecutive closed
// requests agree on a different set of functions, or when a fan-out node's
// median instance count over the last Run requests moves by one or more from
// its established value. Fan-out nodes are left out of the set, since a
// request with no face legitimately skips them.
type StructureDetector struct {
	Run int

	fanout     map[string]bool
	current    string
	pending    string
	pendingN   int
	counts     map[string][]int
	baseline   map[string]float64
	observed   int
	Detections int
}

// NewStructureDetector starts from the functions of a known structure.
func NewStructureDetector(functions []string, fanout map[string]bool, run int) *StructureDetector {
	if run <= 0 {
		run = 5
	}
	d := &StructureDetector{Run: run, fanout: fanout, counts: map[string][]int{}, baseline: map[string]float64{}}
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
	for f := range d.fanout {
		c := d.counts[f]
		c = append(c, len(q.Invocations[f]))
		if len(c) > d.Run {
			c = c[1:]
		}
		d.counts[f] = c
		if len(c) < d.Run {
			continue
		}
		m := medianInt(c)
		base, ok := d.baseline[f]
		if !ok {
			d.baseline[f] = m
			continue
		}
		if math.Abs(m-base) >= 1 {
			d.baseline[f] = m
			d.Detections++
			return true, fmt.Sprintf("fan-out of %s: %g → %g invocations per request", f, base, m)
		}
	}
	return false, ""
}

// FanOut is the established instance count of a fan-out node (NaN before
// Run requests were seen).
func (d *StructureDetector) FanOut(f string) float64 {
	if m, ok := d.baseline[f]; ok {
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
