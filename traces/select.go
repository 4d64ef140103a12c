package traces

import (
	"slices"
	"strconv"
	"strings"
)

// Select returns the indices (ascending) of the functions a selection
// expression chooses; the grammar is in the package documentation. seed drives
// sample:N.
func (t *Trace) Select(expr string, seed uint64) ([]int, error) {
	cur := make([]int, len(t.Functions))
	for i := range cur {
		cur[i] = i
	}
	expr = strings.TrimSpace(expr)
	if expr == "" {
		expr = "all"
	}
	bad := func(step, format string, args ...any) error {
		return errorf("select %q: step %q: "+format, append([]any{expr, step}, args...)...)
	}
	for _, step := range strings.Split(expr, ",") {
		step = strings.TrimSpace(step)
		op, arg, _ := strings.Cut(step, ":")
		atoi := func(s string) (int, error) {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return 0, bad(step, "%q is not a positive integer", s)
			}
			return n, nil
		}
		switch op {
		case "all":
			if arg != "" {
				return nil, bad(step, "all takes no argument")
			}
		case "top":
			n, err := atoi(arg)
			if err != nil {
				return nil, err
			}
			r := t.ranked(cur)
			cur = r[:min(n, len(r))]
		case "rank":
			lo, hi, isRange := strings.Cut(arg, "-")
			a, err := atoi(lo)
			if err != nil {
				return nil, err
			}
			b := a
			if isRange {
				if b, err = atoi(hi); err != nil {
					return nil, err
				}
				if b < a {
					return nil, bad(step, "empty rank range %d-%d", a, b)
				}
			}
			r := t.ranked(cur)
			if a > len(r) {
				return nil, bad(step, "rank %d, but only %d functions are left", a, len(r))
			}
			cur = r[a-1 : min(b, len(r))]
		case "trigger":
			if t.Kind == PerInvocation || t.Source == SourceAzure2021 {
				return nil, bad(step, "the %s trace records no triggers", t.Source)
			}
			want := strings.Split(arg, "|")
			for i, w := range want {
				want[i] = strings.ToLower(strings.TrimSpace(w))
				if want[i] == "" {
					return nil, bad(step, "empty trigger name")
				}
			}
			cur = slices.DeleteFunc(cur, func(i int) bool { return !slices.Contains(want, strings.ToLower(t.Functions[i].Trigger)) })
		case "sample":
			n, err := atoi(arg)
			if err != nil {
				return nil, err
			}
			if n < len(cur) {
				r := newRand(seed, streamSelect, 0)
				// Partial Fisher–Yates: the first n of a seeded permutation.
				p := slices.Clone(cur)
				for i := 0; i < n; i++ {
					j := i + r.IntN(len(p)-i)
					p[i], p[j] = p[j], p[i]
				}
				cur = p[:n]
			}
		case "func", "app":
			if arg == "" {
				return nil, bad(step, "empty hash prefix")
			}
			cur = slices.DeleteFunc(cur, func(i int) bool {
				f := &t.Functions[i]
				if op == "app" {
					return !strings.HasPrefix(f.App, arg)
				}
				return !strings.HasPrefix(f.Name, arg)
			})
		default:
			return nil, bad(step, "unknown step (want all, top:N, rank:K, rank:A-B, trigger:T[|T…], sample:N, func:PREFIX or app:PREFIX)")
		}
		slices.Sort(cur)
		cur = slices.Clip(cur)
	}
	if len(cur) == 0 {
		return nil, errorf("select %q: no function matches", expr)
	}
	return cur, nil
}

// ranked returns idx ordered by total invocations, busiest first, ties by
// position in the trace.
func (t *Trace) ranked(idx []int) []int {
	r := slices.Clone(idx)
	slices.SortStableFunc(r, func(a, b int) int {
		ia, ib := t.Functions[a].Invocations, t.Functions[b].Invocations
		switch {
		case ia > ib:
			return -1
		case ia < ib:
			return 1
		}
		return a - b
	})
	return r
}
