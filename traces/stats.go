package traces

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// StatPercentiles are the percentiles Stats reports.
var StatPercentiles = []float64{10, 25, 50, 75, 90, 99}

// Stats summarises a trace: the statistics the synthetic generator is fitted
// to and `cnav traces stats` prints.
type Stats struct {
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Functions   int    `json:"functions"`
	Invocations int64  `json:"invocations"`
	// Minutes is the duration covered; FirstMinute its start (minute of
	// day 1, per-minute traces).
	Minutes     int `json:"minutes"`
	FirstMinute int `json:"first_minute"`
	// Triggers counts functions per trigger (empty for Azure 2021, which has
	// no triggers).
	Triggers map[string]int `json:"triggers"`
	// Rate holds percentiles over functions of each function's mean rate,
	// invocations per minute, keyed "p10" … "p99".
	Rate map[string]float64 `json:"rate_per_minute"`
	// IATCV holds percentiles over functions of the coefficient of variation
	// of each function's inter-arrival times, for functions with at least two
	// gaps (IATCVFunctions of them). For per-minute traces the arrivals of a
	// minute are taken as evenly spread in it (so the statistic sees the
	// trace's minute-to-minute shape and needs no seed); for Azure 2021 the
	// real start times are used. PeriodicShare is the share of those
	// functions with CV below 0.1.
	IATCV          map[string]float64 `json:"iat_cv"`
	IATCVFunctions int                `json:"iat_cv_functions"`
	PeriodicShare  float64            `json:"periodic_share"`
}

func pkey(p float64) string { return fmt.Sprintf("p%g", p) }

// Stats computes the trace's statistics in one pass over it.
func (t *Trace) Stats() Stats {
	s := Stats{Source: t.Source, Kind: t.Kind.String(), Functions: len(t.Functions), Minutes: t.Minutes,
		FirstMinute: t.FirstMinute, Triggers: map[string]int{}, Rate: map[string]float64{}, IATCV: map[string]float64{}}
	rates := make([]float64, 0, len(t.Functions))
	var cvs []float64
	for i := range t.Functions {
		f := &t.Functions[i]
		s.Invocations += f.Invocations
		if f.Trigger != "" {
			s.Triggers[f.Trigger]++
		}
		if t.Minutes > 0 {
			rates = append(rates, float64(f.Invocations)/float64(t.Minutes))
		}
		if t.Kind == PerMinute {
			if cv, ok := minuteCV(f.counts); ok {
				cvs = append(cvs, cv)
			}
		}
	}
	if t.Kind == PerInvocation {
		cvs = callCVs(t)
	}
	quant := func(xs []float64, into map[string]float64) {
		if len(xs) == 0 {
			return
		}
		sort.Float64s(xs)
		for _, p := range StatPercentiles {
			into[pkey(p)] = stat.Quantile(p/100, stat.LinInterp, xs, nil)
		}
	}
	quant(rates, s.Rate)
	quant(cvs, s.IATCV)
	s.IATCVFunctions = len(cvs)
	if len(cvs) > 0 {
		n := 0
		for _, c := range cvs {
			if c < 0.1 {
				n++
			}
		}
		s.PeriodicShare = float64(n) / float64(len(cvs))
	}
	return s
}

// minuteCV is the inter-arrival CV of a per-minute series whose c arrivals in
// minute m sit at m + (i+½)/c: c−1 gaps of 1/c inside the minute, and one gap
// from the previous busy minute's last arrival. It runs over the encoded form
// in O(busy minutes).
func minuteCV(b []byte) (float64, bool) {
	var n, sum, sq float64
	last := math.NaN()
	m := 0.0 // current minute
	for len(b) > 0 {
		t, k := binary.Uvarint(b)
		if k <= 0 {
			break
		}
		b = b[k:]
		if t&1 != 0 {
			m += float64(t >> 1)
			continue
		}
		cnt := float64(t >> 1)
		if cnt == 0 {
			continue
		}
		first := m + 0.5/cnt
		if !math.IsNaN(last) {
			g := first - last
			n++
			sum += g
			sq += g * g
		}
		if cnt > 1 {
			n += cnt - 1
			sum += (cnt - 1) / cnt
			sq += (cnt - 1) / (cnt * cnt)
		}
		last = m + (cnt-0.5)/cnt
		m++
	}
	if n < 2 {
		return 0, false
	}
	mean := sum / n
	v := math.Max(sq/n-mean*mean, 0)
	return math.Sqrt(v) / mean, true
}

// callCVs computes each function's inter-arrival CV from real start times.
func callCVs(t *Trace) []float64 {
	type acc struct {
		last       int64
		seen       bool
		n, sum, sq float64
	}
	a := make([]acc, len(t.Functions))
	for _, c := range t.Calls {
		x := &a[c.Func]
		if x.seen {
			g := float64(c.Start - x.last)
			x.n++
			x.sum += g
			x.sq += g * g
		}
		x.last, x.seen = c.Start, true
	}
	var out []float64
	for _, x := range a {
		if x.n < 2 {
			continue
		}
		mean := x.sum / x.n
		if mean == 0 {
			continue
		}
		out = append(out, math.Sqrt(math.Max(x.sq/x.n-mean*mean, 0))/mean)
	}
	return out
}

// WriteText renders the statistics for people, as `cnav traces stats` prints
// them.
func (s Stats) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "source        %s (%s)\n", s.Source, s.Kind)
	fmt.Fprintf(&b, "functions     %d\n", s.Functions)
	fmt.Fprintf(&b, "invocations   %d\n", s.Invocations)
	if s.Kind == PerMinute.String() {
		last := s.FirstMinute + max(s.Minutes, 1) - 1
		fmt.Fprintf(&b, "minutes       %d (day %d column %d to day %d column %d)\n", s.Minutes,
			s.FirstMinute/1440+1, s.FirstMinute%1440+1, last/1440+1, last%1440+1)
	} else {
		fmt.Fprintf(&b, "minutes       %d\n", s.Minutes)
	}
	if len(s.Triggers) > 0 {
		type kv struct {
			k string
			v int
		}
		var ts []kv
		for k, v := range s.Triggers {
			ts = append(ts, kv{k, v})
		}
		slices.SortFunc(ts, func(a, b kv) int {
			if a.v != b.v {
				return b.v - a.v
			}
			return strings.Compare(a.k, b.k)
		})
		parts := make([]string, len(ts))
		for i, t := range ts {
			parts[i] = fmt.Sprintf("%s %d", t.k, t.v)
		}
		fmt.Fprintf(&b, "triggers      %s\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintf(&b, "triggers      (none recorded)\n")
	}
	pct := func(m map[string]float64) string {
		if len(m) == 0 {
			return "(none)"
		}
		parts := make([]string, len(StatPercentiles))
		for i, p := range StatPercentiles {
			parts[i] = fmt.Sprintf("%s %.4g", pkey(p), m[pkey(p)])
		}
		return strings.Join(parts, "  ")
	}
	fmt.Fprintf(&b, "rate/min      %s\n", pct(s.Rate))
	fmt.Fprintf(&b, "iat cv        %s\n", pct(s.IATCV))
	fmt.Fprintf(&b, "              over %d functions with ≥ 2 gaps; %.1f%% periodic (cv < 0.1)\n", s.IATCVFunctions, 100*s.PeriodicShare)
	_, err := io.WriteString(w, b.String())
	return err
}
