package traces

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/video"
)

// collect drains a source (at most max requests; 0 = all).
func collect(src backend.Source, max int) []backend.Request {
	var out []backend.Request
	var r backend.Request
	for (max == 0 || len(out) < max) && src.Next(&r) {
		out = append(out, r)
	}
	return out
}

func load10(t *testing.T) *Trace {
	t.Helper()
	tr, err := LoadAzure2019(data2019(t, "invocations-10fn-fullday.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sortedTimes(t *testing.T, rs []backend.Request) {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		if rs[i].At < rs[i-1].At {
			t.Fatalf("request %d at %d before request %d at %d", i, rs[i].At, i-1, rs[i-1].At)
		}
	}
}

// TestUniformKeepsCounts: with uniform placement each function's stream has
// exactly the trace's count in every minute, and the merged stream the sum.
func TestUniformKeepsCounts(t *testing.T) {
	tr := load10(t)
	const minutes = 60
	o := Options{Seed: 5, Duration: minutes * MinuteMicros, Select: "rank:3-6"}
	srcs, idx, err := Streams(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, minutes)
	for k, src := range srcs {
		rs := collect(src, 0)
		sortedTimes(t, rs)
		got := make([]int, minutes)
		for _, r := range rs {
			got[r.At/MinuteMicros]++
		}
		for m, c := range tr.Counts(idx[k])[:minutes] {
			if got[m] != int(c) {
				t.Fatalf("function %d minute %d: %d arrivals, trace has %d", idx[k], m, got[m], c)
			}
			want[m] += int(c)
		}
	}
	merged, err := OpenTrace(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	rs := collect(merged, 0)
	sortedTimes(t, rs)
	got := make([]int, minutes)
	for _, r := range rs {
		got[r.At/MinuteMicros]++
	}
	for m := range want {
		if got[m] != want[m] {
			t.Fatalf("merged minute %d: %d arrivals, want %d", m, got[m], want[m])
		}
	}
	// Merge of the per-function streams is the same multiset of minutes.
	srcs, _, _ = Streams(tr, o)
	rs = collect(Merge(srcs...), 0)
	sortedTimes(t, rs)
	if len(rs) != sum(want) {
		t.Fatalf("Merge gave %d requests, want %d", len(rs), sum(want))
	}
}

func sum(x []int) int {
	s := 0
	for _, v := range x {
		s += v
	}
	return s
}

func TestEquidistant(t *testing.T) {
	tr := load10(t)
	srcs, idx, err := Streams(tr, Options{Seed: 2, Duration: 5 * MinuteMicros, Select: "top:1", Within: WithinEquidistant})
	if err != nil {
		t.Fatal(err)
	}
	rs := collect(srcs[0], 0)
	counts := tr.Counts(idx[0])
	i := 0
	for m := 0; m < 5; m++ {
		c := int(counts[m])
		step := float64(MinuteMicros) / float64(c)
		for k := 1; k < c; k++ {
			// Evenly spaced: gaps are the step, up to integer truncation.
			if g := float64(rs[i+k].At - rs[i+k-1].At); math.Abs(g-step) > 1 {
				t.Fatalf("minute %d gap %v, want %v", m, g, step)
			}
		}
		i += c
	}
	if i != len(rs) {
		t.Fatalf("%d requests, want %d", len(rs), i)
	}
}

// TestPoissonWithin: a Poisson process at the minute's rate keeps the total
// in expectation. Tolerance: 5 standard deviations of a Poisson total.
func TestPoissonWithin(t *testing.T) {
	tr := load10(t)
	o := Options{Seed: 9, Duration: 30 * MinuteMicros, Select: "rank:4", Within: WithinPoisson}
	src, err := OpenTrace(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	rs := collect(src, 0)
	sortedTimes(t, rs)
	idx, _ := tr.Select("rank:4", 0)
	want := 0.0
	for _, c := range tr.Counts(idx[0])[:30] {
		want += float64(c)
	}
	if d := math.Abs(float64(len(rs)) - want); d > 5*math.Sqrt(want) {
		t.Errorf("%d requests, want %v ± %v", len(rs), want, 5*math.Sqrt(want))
	}
}

// TestScale: totals scale by s within 5 binomial standard deviations.
func TestScale(t *testing.T) {
	tr := load10(t)
	base := float64(len(collect(mustOpen(t, tr, Options{Seed: 1, Duration: 20 * MinuteMicros, Select: "rank:5"}), 0)))
	for _, s := range []float64{0.25, 1.5, 3} {
		n := float64(len(collect(mustOpen(t, tr, Options{Seed: 1, Duration: 20 * MinuteMicros, Select: "rank:5", Scale: s}), 0)))
		if d := math.Abs(n - s*base); d > 5*math.Sqrt(base)+1 {
			t.Errorf("scale %v: %v requests, want %v", s, n, s*base)
		}
	}
}

func mustOpen(t *testing.T, tr *Trace, o Options) backend.Source {
	t.Helper()
	src, err := OpenTrace(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestDurationCut(t *testing.T) {
	tr := load10(t)
	cut := int64(90 * 1e6) // 1.5 minutes
	rs := collect(mustOpen(t, tr, Options{Seed: 1, Duration: cut}), 0)
	if len(rs) == 0 || rs[len(rs)-1].At >= cut {
		t.Fatalf("%d requests, last at %d; want all before %d", len(rs), rs[len(rs)-1].At, cut)
	}
}

// digest hashes a stream's bytes.
func digest(rs []backend.Request) [32]byte {
	var b bytes.Buffer
	for _, r := range rs {
		binary.Write(&b, binary.LittleEndian, r.At)
		binary.Write(&b, binary.LittleEndian, []int64{int64(r.Input.Width), int64(r.Input.Height), int64(r.Input.Faces), int64(r.Input.ID)})
		binary.Write(&b, binary.LittleEndian, []float64{r.Input.FPS, r.Input.Seconds, r.Input.Motion})
	}
	return sha256.Sum256(b.Bytes())
}

// TestSameSeedSameBytes runs every kind of stream twice with one seed and
// once with another.
func TestSameSeedSameBytes(t *testing.T) {
	tr := load10(t)
	ch, _ := ParseChange("2m:resolution=360p")
	for name, open := range map[string]func(seed uint64) backend.Source{
		"synthetic": func(seed uint64) backend.Source {
			src, err := Open("synthetic:functions=50,minutes=10", Options{Seed: seed, Changes: []Change{ch}})
			if err != nil {
				t.Fatal(err)
			}
			return src
		},
		"uniform": func(seed uint64) backend.Source {
			return mustOpen(t, tr, Options{Seed: seed, Duration: 3 * MinuteMicros, Scale: 0.7})
		},
		"poisson-within": func(seed uint64) backend.Source {
			return mustOpen(t, tr, Options{Seed: seed, Duration: 3 * MinuteMicros, Within: WithinPoisson})
		},
		"equidistant": func(seed uint64) backend.Source {
			return mustOpen(t, tr, Options{Seed: seed, Duration: 3 * MinuteMicros, Within: WithinEquidistant})
		},
		"rate": func(seed uint64) backend.Source { return mustPoisson(t, 50, seed, nil, []Change{ch}) },
	} {
		a, b, c := digest(collect(open(1), 20000)), digest(collect(open(1), 20000)), digest(collect(open(2), 20000))
		if a != b {
			t.Errorf("%s: same seed, different requests", name)
		}
		if a == c {
			t.Errorf("%s: different seeds, same requests", name)
		}
	}
}

// TestPoissonRate: the mean gap of Poisson(rate) is 1/rate. Tolerance: 5
// standard errors of the mean of 20,000 exponential gaps (5/√20000 ≈ 3.5%).
func TestPoissonRate(t *testing.T) {
	rs := collect(mustPoisson(t, 200, 3, nil, nil), 20000)
	sortedTimes(t, rs)
	mean := float64(rs[len(rs)-1].At) / float64(len(rs)) / 1e6
	if math.Abs(mean*200-1) > 5/math.Sqrt(20000) {
		t.Errorf("mean gap %v s, want %v s", mean, 1.0/200)
	}
	for _, rate := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if src, err := Poisson(rate, 1, nil, nil); err == nil || src != nil {
			t.Errorf("Poisson(%v): %v, %v; want an error", rate, src, err)
		}
	}
}

func mustPoisson(t testing.TB, rate float64, seed uint64, cat *Catalogue, changes []Change) backend.Source {
	t.Helper()
	src, err := Poisson(rate, seed, cat, changes)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestPoissonBadInput: an invalid catalogue or change is an error, never an
// empty stream (cnav simulate --rate once ran 0 requests and exited 0).
func TestPoissonBadInput(t *testing.T) {
	neg := &Catalogue{Clips: []video.Input{video.Reference}} // id -1
	if _, err := Poisson(1, 1, neg, nil); err == nil || !strings.Contains(err.Error(), "id -1") {
		t.Errorf("catalogue with a negative id: %v, want an error naming id -1", err)
	}
	if _, err := Poisson(1, 1, nil, []Change{{At: -5, Set: FeatureFaces}}); err == nil {
		t.Error("a change at a negative time was accepted")
	}
}

func TestMergeTies(t *testing.T) {
	a := &listSource{at: []int64{1, 5, 5, 9}, id: 1}
	b := &listSource{at: []int64{5, 6}, id: 2}
	rs := collect(Merge(a, b), 0)
	want := []struct{ at, id int64 }{{1, 1}, {5, 1}, {5, 1}, {5, 2}, {6, 2}, {9, 1}}
	if len(rs) != len(want) {
		t.Fatalf("%d requests", len(rs))
	}
	for i, w := range want {
		if rs[i].At != w.at || int64(rs[i].Input.ID) != w.id {
			t.Errorf("request %d = (%d, %d), want (%d, %d)", i, rs[i].At, rs[i].Input.ID, w.at, w.id)
		}
	}
}

type listSource struct {
	at []int64
	id int
}

func (l *listSource) Next(r *backend.Request) bool {
	if len(l.at) == 0 {
		return false
	}
	r.At, r.Input.ID = l.at[0], l.id
	l.at = l.at[1:]
	return true
}

// TestStreamingAllocates nothing per request: the generator holds one
// minute's state, never the trace's timestamps.
func TestStreamingAllocates(t *testing.T) {
	tr := load10(t)
	for _, w := range []string{WithinUniform, WithinPoisson, WithinEquidistant} {
		src := mustOpen(t, tr, Options{Seed: 1, Within: w})
		var r backend.Request
		if a := testing.AllocsPerRun(100000, func() { src.Next(&r) }); a > 0.001 {
			t.Errorf("%s: %v allocations per request", w, a)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Duration: -1}, {Scale: -1}, {Scale: math.Inf(1)}, {Within: "gaussian"},
		{Catalogue: &Catalogue{}}, {Changes: []Change{{At: -1}}}} {
		if _, err := Open("synthetic:functions=5,minutes=5", o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	for _, spec := range []string{"", "azure2019:", "azure2021:", "nosuchfile.csv", "synthetic:functions=0", "synthetic:bogus=1"} {
		if _, err := Open(spec, Options{}); err == nil {
			t.Errorf("spec %q: no error", spec)
		}
	}
}
