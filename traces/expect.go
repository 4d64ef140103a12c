package traces

import "math"

// Expected is the number of requests Open(…, o) would produce from t, before
// the random rounding of scaling: the selected functions' invocations in the
// minutes (or, for a per-invocation trace, the calls) before o.Duration, times
// o.Scale. It reads only counts, so a caller can refuse a workload too large to
// simulate before streaming a single request.
func (t *Trace) Expected(o Options) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	sel, err := t.Select(o.Select, o.Seed)
	if err != nil {
		return 0, err
	}
	var n float64
	switch t.Kind {
	case PerMinute:
		minutes := t.Minutes
		if o.Duration > 0 {
			minutes = int(min(int64(minutes), (o.Duration+MinuteMicros-1)/MinuteMicros))
		}
		for _, f := range sel {
			if minutes == t.Minutes {
				n += float64(t.Functions[f].Invocations)
				continue
			}
			c := newCursor(t.Functions[f].counts)
			for range minutes {
				n += float64(c.next())
			}
		}
	case PerInvocation:
		mask := make([]bool, len(t.Functions))
		for _, f := range sel {
			mask[f] = true
		}
		for _, c := range t.Calls {
			if o.Duration > 0 && c.Start >= o.Duration {
				break
			}
			if mask[c.Func] {
				n++
			}
		}
	}
	n *= o.scale()
	if math.IsInf(n, 0) {
		n = math.MaxFloat64
	}
	return n, nil
}
