package traces

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestAzure2021StartTimes(t *testing.T) {
	path := data2021(t)
	tr, err := LoadAzure2021(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Calls) != 199 || tr.Invocations() != 199 || tr.Kind != PerInvocation {
		t.Fatalf("%d calls, %d invocations, kind %v; want 199 per-invocation calls", len(tr.Calls), tr.Invocations(), tr.Kind)
	}
	// Sorted by start = end − duration; the earliest rows, computed by hand
	// from the file (e.g. 0.07949090003967285 s − 0.078 s = 1491 µs).
	want := []struct {
		start int64
		fn    string
	}{{1491, "e3cdb488"}, {3860, "337cd24a"}, {5478, "48cc770d"}, {16541, "3d2aee54"}}
	for i, w := range want {
		c := tr.Calls[i]
		if c.Start != w.start || !strings.HasPrefix(tr.Functions[c.Func].Name, w.fn) {
			t.Errorf("call %d: start %d µs function %s, want %d µs %s…", i, c.Start, tr.Functions[c.Func].Name, w.start, w.fn)
		}
	}
	if last := tr.Calls[198].Start; last != 1_200_014_798 {
		t.Errorf("last start %d µs, want 1200014798", last)
	}
	if !slices.IsSortedFunc(tr.Calls, func(a, b Call) int { return int(a.Start - b.Start) }) {
		t.Error("calls are not sorted by start")
	}
	// Every row of the file is one call: compare as multisets.
	type key struct {
		fn         string
		start, dur int64
	}
	var fromFile, fromTrace []key
	for i, line := range strings.Split(strings.TrimSpace(readString(t, path)), "\n")[1:] {
		f := strings.Split(strings.TrimSpace(line), ",")
		end, err1 := strconv.ParseFloat(f[2], 64)
		dur, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %d: %v %v", i, err1, err2)
		}
		e, d := int64(math.Round(end*1e6)), int64(math.Round(dur*1e6))
		fromFile = append(fromFile, key{f[0] + "/" + f[1], e - d, d})
	}
	for _, c := range tr.Calls {
		f := tr.Functions[c.Func]
		fromTrace = append(fromTrace, key{f.App + "/" + f.Name, c.Start, c.Duration})
	}
	cmp := func(a, b key) int {
		if c := strings.Compare(a.fn, b.fn); c != 0 {
			return c
		}
		if a.start != b.start {
			return int(a.start - b.start)
		}
		return int(a.dur - b.dur)
	}
	slices.SortFunc(fromFile, cmp)
	slices.SortFunc(fromTrace, cmp)
	if !slices.Equal(fromFile, fromTrace) {
		t.Error("calls differ from the file's rows")
	}
}

func TestAzure2021Streams(t *testing.T) {
	tr, err := LoadAzure2021(data2021(t))
	if err != nil {
		t.Fatal(err)
	}
	src, err := OpenTrace(tr, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(src, 0)
	if len(got) != 199 {
		t.Fatalf("%d requests, want 199", len(got))
	}
	for i, r := range got {
		if r.At != tr.Calls[i].Start {
			t.Fatalf("request %d at %d, want %d", i, r.At, tr.Calls[i].Start)
		}
	}
	// The busiest function alone, per-function mapping.
	srcs, idx, err := Streams(tr, Options{Seed: 1, Select: "top:1"})
	if err != nil {
		t.Fatal(err)
	}
	n := len(collect(srcs[0], 0))
	if int64(n) != tr.Functions[idx[0]].Invocations {
		t.Errorf("stream of function %d has %d requests, want %d", idx[0], n, tr.Functions[idx[0]].Invocations)
	}
	// Scaling: 3× gives exactly three copies of every call.
	src, _ = OpenTrace(tr, Options{Seed: 1, Scale: 3})
	if n := len(collect(src, 0)); n != 3*199 {
		t.Errorf("scale 3: %d requests, want %d", n, 3*199)
	}
	if _, err := tr.Select("trigger:http", 0); err == nil {
		t.Error("trigger selection on Azure 2021 did not fail")
	}
}
