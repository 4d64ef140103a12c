package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// benchSamples are the values of each (benchmark, unit) in Go benchmark
// format, in the order first seen. Names lose their -GOMAXPROCS suffix, so
// a baseline taken with another GOMAXPROCS still pairs up.
type benchSamples struct {
	keys   []benchKey
	values map[benchKey][]float64
}

type benchKey struct{ name, unit string }

// readBenchSamples parses Go benchmark format (golang.org/x/perf/benchfmt;
// units tidied: ns/op becomes sec/op).
func readBenchSamples(r io.Reader, file string) (*benchSamples, error) {
	s := &benchSamples{values: map[benchKey][]float64{}}
	rd := benchfmt.NewReader(r, file)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("bench: %w", rec)
		case *benchfmt.Result:
			name := benchName(rec.Name)
			for _, v := range rec.Values {
				k := benchKey{name, v.Unit}
				if _, ok := s.values[k]; !ok {
					s.keys = append(s.keys, k)
				}
				s.values[k] = append(s.values[k], v.Value)
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", file, err)
	}
	return s, nil
}

// benchName is a benchmark's name without "Benchmark" and -GOMAXPROCS.
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	var b strings.Builder
	b.Write(bytes.TrimPrefix(base, []byte("Benchmark")))
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue // -GOMAXPROCS
		}
		b.Write(p)
	}
	return b.String()
}

// higherIsBetter reports units where a larger number is better (rates).
func higherIsBetter(unit string) bool {
	return strings.HasSuffix(unit, "/s") || strings.HasSuffix(unit, "/sec")
}

// compareBench writes a benchstat-like table of now against a baseline: per
// benchmark and unit the median of each side with its 95 % confidence
// interval (benchmath.AssumeNothing), the ratio now/baseline, and whether
// the difference is significant (Mann-Whitney U test at α = 0.05; "~" when
// it is not, or with too few samples to tell: fewer than 4 a side). It
// returns the geometric mean of the sec/op ratios (NaN without any).
// Baseline benchmarks that selected rejects (cnav bench --run) are not
// reported as missing; nil selects all.
func compareBench(w io.Writer, base, now *benchSamples, baseFile string, selected func(name string) bool) float64 {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "benchmark\tunit\tbaseline (%s)\tnow\tnow/baseline\tchange\n", baseFile)
	thr := benchmath.DefaultThresholds
	logSum, nLog := 0.0, 0
	var missing []string
	for _, k := range now.keys {
		b, ok := base.values[k]
		if !ok {
			missing = append(missing, k.name+" "+k.unit)
			continue
		}
		sb, sn := benchmath.NewSample(b, &thr), benchmath.NewSample(now.values[k], &thr)
		mb := benchmath.AssumeNothing.Summary(sb, 0.95)
		mn := benchmath.AssumeNothing.Summary(sn, 0.95)
		cmp := benchmath.AssumeNothing.Compare(sb, sn)
		cls := benchunit.ClassOf(k.unit)
		ratio := math.NaN()
		if mb.Center != 0 {
			ratio = mn.Center / mb.Center
		}
		change := "~ (" + cmp.String() + ")"
		if cmp.P <= cmp.Alpha && !math.IsNaN(ratio) {
			better := ratio < 1
			if higherIsBetter(k.unit) {
				better = ratio > 1
			}
			word := "worse"
			if better {
				word = "better"
			}
			change = fmt.Sprintf("%s (%s)", word, cmp.String())
		}
		if k.unit == "sec/op" && ratio > 0 {
			logSum += math.Log(ratio)
			nLog++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s ± %s\t%s ± %s\t%.3f\t%s\n", k.name, k.unit,
			benchunit.Scale(mb.Center, cls), mb.PctRangeString(), benchunit.Scale(mn.Center, cls), mn.PctRangeString(), ratio, change)
	}
	geo := math.NaN()
	if nLog > 0 {
		geo = math.Exp(logSum / float64(nLog))
		fmt.Fprintf(tw, "geomean\tsec/op\t\t\t%.3f\t\n", geo)
	}
	tw.Flush()
	sort.Strings(missing)
	for _, m := range missing {
		fmt.Fprintf(w, "bench: %s is not in the baseline %s (new: regenerate the baseline to compare it)\n", m, baseFile)
	}
	for _, k := range base.keys {
		if _, ok := now.values[k]; !ok && (selected == nil || selected(k.name)) {
			fmt.Fprintf(w, "bench: %s %s of the baseline did not run\n", k.name, k.unit)
		}
	}
	fmt.Fprintln(w, "now/baseline: ratio of medians (for sec/op below 1 is faster; for a rate, above 1); ± is the 95 % interval of the median;"+
		" change: Mann-Whitney U test at α = 0.05, ~ when not significant or fewer than 4 samples a side (--count 4 or more to tell)."+
		" A baseline from another machine compares the machines too.")
	return geo
}
