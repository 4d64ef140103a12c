package traces

import (
	"slices"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	tr, err := LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ranked := tr.ranked(mustSelect(t, tr, "all"))
	count := func(trigger string) int { return tr.Stats().Triggers[trigger] }
	for _, c := range []struct {
		expr  string
		check func(idx []int) bool
	}{
		{"", func(idx []int) bool { return len(idx) == 500 }},
		{"all", func(idx []int) bool { return len(idx) == 500 }},
		{"top:1", func(idx []int) bool { return slices.Equal(idx, ranked[:1]) }},
		{"top:3", func(idx []int) bool { return slices.Equal(idx, sorted(ranked[:3])) }},
		{"top:9999", func(idx []int) bool { return len(idx) == 500 }},
		{"rank:2", func(idx []int) bool { return slices.Equal(idx, ranked[1:2]) }},
		{"rank:1-3", func(idx []int) bool { return slices.Equal(idx, sorted(ranked[:3])) }},
		{"rank:499-600", func(idx []int) bool { return slices.Equal(idx, sorted(ranked[498:])) }},
		{"trigger:http", func(idx []int) bool { return len(idx) == count("http") && allTrigger(tr, idx, "http") }},
		{"trigger:timer|queue", func(idx []int) bool { return len(idx) == count("timer")+count("queue") }},
		{"trigger:HTTP , top:2", func(idx []int) bool { return len(idx) == 2 && allTrigger(tr, idx, "http") }},
		{"sample:10", func(idx []int) bool { return len(idx) == 10 && slices.IsSorted(idx) }},
		{"trigger:storage,sample:50", func(idx []int) bool { return len(idx) == 5 }},
		{"func:1992918c", func(idx []int) bool { return slices.Equal(idx, ranked[:1]) }},
		{"app:" + tr.Functions[0].App, func(idx []int) bool { return slices.Contains(idx, 0) }},
	} {
		idx, err := tr.Select(c.expr, 1)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if !c.check(idx) {
			t.Errorf("%q selected %d functions: %v", c.expr, len(idx), idx[:min(len(idx), 10)])
		}
	}
	// sample is seeded.
	a, b, c := mustSelectSeed(t, tr, "sample:20", 1), mustSelectSeed(t, tr, "sample:20", 1), mustSelectSeed(t, tr, "sample:20", 2)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("sample:20 is not a function of the seed")
	}
	for _, bad := range []string{"bogus", "top:0", "top:x", "rank:0", "rank:600", "rank:5-2", "trigger:", "trigger:nosuch",
		"sample:-1", "func:", "all:1", "top:1,,top:1"} {
		if _, err := tr.Select(bad, 1); err == nil || !strings.HasPrefix(err.Error(), "traces: select") {
			t.Errorf("%q: err = %v, want a select error", bad, err)
		}
	}
}

func mustSelect(t *testing.T, tr *Trace, expr string) []int { return mustSelectSeed(t, tr, expr, 0) }

func mustSelectSeed(t *testing.T, tr *Trace, expr string, seed uint64) []int {
	t.Helper()
	idx, err := tr.Select(expr, seed)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func sorted(x []int) []int { return slices.Sorted(slices.Values(x)) }

func allTrigger(tr *Trace, idx []int, trig string) bool {
	for _, i := range idx {
		if tr.Functions[i].Trigger != trig {
			return false
		}
	}
	return true
}
