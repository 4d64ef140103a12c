package traces

import (
	"math"
	"testing"
)

// TestExpected: the estimate equals the counts it is made of, and the mean
// of what Open streams (exactly, without scaling; within 5 Poisson standard
// deviations with a fractional scale).
func TestExpected(t *testing.T) {
	counts := [][]uint32{{10, 20, 30}, {1, 2, 2_000_000_000}}
	tr, err := NewPerMinute("test", 0, 3, []Function{{Name: "a"}, {Name: "b"}}, counts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    Options
		want float64
	}{
		{Options{}, 10 + 20 + 30 + 1 + 2 + 2e9},
		{Options{Duration: 2 * MinuteMicros}, 10 + 20 + 1 + 2},
		{Options{Duration: 2*MinuteMicros + 1}, 10 + 20 + 30 + 1 + 2 + 2e9},
		{Options{Duration: 2 * MinuteMicros, Scale: 2.5}, 2.5 * 33},
	} {
		got, err := tr.Expected(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("Expected(%+v) = %v, want %v", c.o, got, c.want)
		}
	}
	for _, o := range []Options{{Duration: 2 * MinuteMicros}, {Duration: 2 * MinuteMicros, Scale: 3.7, Seed: 9}} {
		want, _ := tr.Expected(o)
		src, err := OpenTrace(tr, o)
		if err != nil {
			t.Fatal(err)
		}
		got := float64(len(collect(src, 0)))
		if math.Abs(got-want) > 5*math.Sqrt(want) {
			t.Errorf("%+v: streamed %v requests, expected %v", o, got, want)
		}
	}
	calls := &Trace{Kind: PerInvocation, Functions: []Function{{Name: "a"}, {Name: "b"}},
		Calls: []Call{{Start: 0, Func: 0}, {Start: 5, Func: 1}, {Start: 10, Func: 0}, {Start: 20, Func: 0}}}
	if got, _ := calls.Expected(Options{Duration: 20}); got != 3 {
		t.Errorf("per-invocation Expected = %v, want 3", got)
	}
}
