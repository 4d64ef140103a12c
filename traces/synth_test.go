package traces

import (
	"bytes"
	"math"
	"testing"
)

// TestSyntheticMatchesAzure2019 compares the generator (500 functions over
// the slice's 480 minutes) with the real slice. Tolerances are set from the
// seed-to-seed spread of the generator over ten seeds, with margin: rate
// percentiles p25–p90 vary within a factor 1.6 between seeds (|Δlog10| ≤
// 0.2), p99 within a factor 10; trigger shares are multinomial draws from the
// slice's mix (standard deviation ≤ 0.022 at n = 500, so ±0.07 is 3 sd); the
// CV percentiles vary by ±0.02 (p50), ±0.1 (p75) and ±0.4 (p90) between seeds,
// and the allowed differences (0.15, 0.3, 0.8) add the fit's own offset
// (p50 0.13 against 0.20 real).
func TestSyntheticMatchesAzure2019(t *testing.T) {
	real, err := LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rs := real.Stats()
	for _, seed := range []uint64{1, 2, 3} {
		p := DefaultSynthParams()
		p.StartMinute, p.Minutes = real.FirstMinute, real.Minutes
		tr, err := Synthesize(p, seed)
		if err != nil {
			t.Fatal(err)
		}
		ss := tr.Stats()
		for _, k := range []string{"p25", "p50", "p75", "p90", "p99"} {
			tol := 0.35
			if k == "p99" {
				tol = 1
			}
			if d := math.Abs(math.Log10(ss.Rate[k] / rs.Rate[k])); d > tol {
				t.Errorf("seed %d: rate %s %.4g/min, real %.4g/min (|Δlog10| %.2f > %.2f)", seed, k, ss.Rate[k], rs.Rate[k], d, tol)
			}
		}
		for trig, n := range rs.Triggers {
			real, syn := float64(n)/500, float64(ss.Triggers[trig])/500
			if math.Abs(real-syn) > 0.07 {
				t.Errorf("seed %d: trigger %s share %.3f, real %.3f", seed, trig, syn, real)
			}
		}
		for _, c := range []struct {
			k   string
			tol float64
		}{{"p25", 0.1}, {"p50", 0.15}, {"p75", 0.3}, {"p90", 0.8}} {
			if d := math.Abs(ss.IATCV[c.k] - rs.IATCV[c.k]); d > c.tol {
				t.Errorf("seed %d: inter-arrival CV %s %.3f, real %.3f (Δ %.2f > %.2f)", seed, c.k, ss.IATCV[c.k], rs.IATCV[c.k], d, c.tol)
			}
		}
		if d := math.Abs(ss.PeriodicShare - rs.PeriodicShare); d > 0.1 {
			t.Errorf("seed %d: periodic share %.3f, real %.3f", seed, ss.PeriodicShare, rs.PeriodicShare)
		}
	}
}

func TestSynthesizeDeterministic(t *testing.T) {
	p := DefaultSynthParams()
	p.Functions, p.Minutes = 40, 300
	write := func(seed uint64, fns int) (*Trace, []byte) {
		q := p
		q.Functions = fns
		tr, err := Synthesize(q, seed)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tr.WriteParquet(&b); err != nil {
			t.Fatal(err)
		}
		return tr, b.Bytes()
	}
	a, ab := write(1, 40)
	_, bb := write(1, 40)
	_, cb := write(2, 40)
	if !bytes.Equal(ab, bb) || bytes.Equal(ab, cb) {
		t.Error("synthetic cache bytes are not a function of the seed")
	}
	// Function i does not depend on how many functions are generated.
	more, _ := write(1, 80)
	for i := range a.Functions {
		f, g := a.Functions[i], more.Functions[i]
		if f.Name != g.Name || f.Trigger != g.Trigger || !bytes.Equal(f.counts, g.counts) {
			t.Fatalf("function %d changes with the number of functions", i)
		}
	}
	for i := range a.Functions {
		if a.Functions[i].Invocations == 0 {
			t.Errorf("function %d is never invoked", i)
		}
	}
}

func TestSynthParamsValidate(t *testing.T) {
	if err := (&SynthParams{}).Validate(); err == nil {
		t.Error("zero params validate")
	}
	d := DefaultSynthParams()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(*SynthParams){
		func(p *SynthParams) { p.Functions = 0 },
		func(p *SynthParams) { p.Minutes = -1 },
		func(p *SynthParams) { p.StartMinute = 1440 },
		func(p *SynthParams) { p.Triggers = nil },
		func(p *SynthParams) { p.Triggers[1].Sigma = math.NaN() },
		func(p *SynthParams) { p.Triggers[1].MedianRate = 0 },
		func(p *SynthParams) { p.TimerPeriods = []Weighted{{0, 1}} },
		func(p *SynthParams) { p.BurstTime = 1 },
		func(p *SynthParams) { p.BurstFactor = 0.5 },
		func(p *SynthParams) { p.DiurnalAmplitude = [2]float64{0.5, 0.2} },
		func(p *SynthParams) { p.RegularShare = 2 },
		func(p *SynthParams) { p.MaxRate = 0 },
	} {
		p := DefaultSynthParams()
		mut(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%+v validates", p)
		}
	}
}
