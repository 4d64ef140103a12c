package tuner_test

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

type poisson struct {
	rng *rand.Rand
	t   float64
}

func (p *poisson) Next(r *backend.Request) bool {
	p.t += p.rng.ExpFloat64() * 1e6 // 1 request per second
	r.At, r.Input = int64(p.t), video.Reference
	return true
}

func source(seed uint64) backend.Source { return &poisson{rng: rand.New(rand.NewPCG(seed, 1))} }

// unkeyed hides the simulator's Keyed method: measurements fall back to
// the run counter and the clock.
type unkeyed struct{ backend.Backend }

func newEnv(t *testing.T, seed uint64, keyed bool) *tuner.Env {
	t.Helper()
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(platform.Default(), dag, seed)
	if err != nil {
		t.Fatal(err)
	}
	var b backend.Backend = s
	if !keyed {
		b = unkeyed{s}
	}
	env := tuner.NewEnv(b, source, seed)
	env.Start()
	return env
}

func cfg(decode, detect, hd, encode int) backend.Config {
	return backend.Config{"decode": decode, "face-detect": detect, "hd": hd, "encode": encode}
}

// measureAfter measures the configurations in turn and returns the last
// evaluation.
func measureAfter(t *testing.T, env *tuner.Env, cfgs ...backend.Config) tuner.Evaluation {
	t.Helper()
	var ev tuner.Evaluation
	for _, c := range cfgs {
		var err error
		if ev, err = env.Measure(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return ev
}

// TestCommonRandomNumbers: two tuners (here two environments on two
// simulators with one seed, as experiments give every tuner of a seed)
// that measure the same configuration at the same window index get the
// same measured latency, whatever each measured before; at another window
// index the noise is another.
func TestCommonRandomNumbers(t *testing.T) {
	const seed = 9
	target := cfg(2048, 2048, 2048, 3008)
	// Different histories: one shares encode's size with the target, so its
	// warm environments would survive; the other shares nothing.
	histA := cfg(1024, 1536, 2048, 3008)
	histB := cfg(4096, 3072, 1024, 1024)

	a := measureAfter(t, newEnv(t, seed, true), histA, target)
	b := measureAfter(t, newEnv(t, seed, true), histB, target)
	if a.LatencyMs != b.LatencyMs || a.P95Ms != b.P95Ms || a.CostUSD != b.CostUSD || a.Requests != b.Requests || a.Seconds != b.Seconds {
		t.Errorf("same configuration, window index 1, seed %d: latency %.3f vs %.3f ms, p95 %.3f vs %.3f, cost %g vs %g, %d vs %d requests",
			seed, a.LatencyMs, b.LatencyMs, a.P95Ms, b.P95Ms, a.CostUSD, b.CostUSD, a.Requests, b.Requests)
	}
	for fn, fa := range a.Functions {
		if fb := b.Functions[fn]; !reflect.DeepEqual(fa, fb) {
			t.Errorf("%s: %+v vs %+v", fn, fa, fb)
		}
	}
	// Window index 2: other noise (and other arrivals).
	c := measureAfter(t, newEnv(t, seed, true), histB, histA, target)
	if c.LatencyMs == a.LatencyMs {
		t.Errorf("window indices 1 and 2 measured the same latency %.3f ms", c.LatencyMs)
	}
	// Another seed: other noise.
	if d := measureAfter(t, newEnv(t, seed+1, true), histA, target); d.LatencyMs == a.LatencyMs {
		t.Errorf("seeds %d and %d measured the same latency %.3f ms", seed, seed+1, d.LatencyMs)
	}
	// Without keys the histories show through: the comparison above can fail.
	ua := measureAfter(t, newEnv(t, seed, false), histA, target)
	ub := measureAfter(t, newEnv(t, seed, false), histB, target)
	if ua.LatencyMs == ub.LatencyMs {
		t.Errorf("unkeyed measurements after different histories agree (%.3f ms): the test cannot tell", ua.LatencyMs)
	}
	t.Logf("window 1: %.3f ms (both tuners); window 2: %.3f ms; unkeyed: %.3f vs %.3f ms", a.LatencyMs, c.LatencyMs, ua.LatencyMs, ub.LatencyMs)
}

// TestMeasurementKey: the key changes with every one of its parts.
func TestMeasurementKey(t *testing.T) {
	base := tuner.MeasurementKey(1, 3, 2, cfg(1024, 2048, 2048, 3008).String())
	for name, k := range map[string]uint64{
		"seed":          tuner.MeasurementKey(2, 3, 2, cfg(1024, 2048, 2048, 3008).String()),
		"window":        tuner.MeasurementKey(1, 4, 2, cfg(1024, 2048, 2048, 3008).String()),
		"phase":         tuner.MeasurementKey(1, 3, 1, cfg(1024, 2048, 2048, 3008).String()),
		"configuration": tuner.MeasurementKey(1, 3, 2, cfg(1024, 2048, 2048, 3072).String()),
	} {
		if k == base {
			t.Errorf("another %s gives the same key %#x", name, k)
		}
	}
}

// TestOtherConfigurationOtherNoise: at one window index, two configurations
// that differ only in one function get independent noise in the functions
// they share: decode runs at the same size in both, and its mean duration
// differs (with the same noise it would be the same, since decode runs
// first and nothing upstream differs).
func TestOtherConfigurationOtherNoise(t *testing.T) {
	a := measureAfter(t, newEnv(t, 9, true), cfg(1024, 1536, 2048, 3008), cfg(2048, 2048, 2048, 3008))
	b := measureAfter(t, newEnv(t, 9, true), cfg(1024, 1536, 2048, 3008), cfg(2048, 2048, 2048, 2944))
	if a.Functions["decode"].MeanMs == b.Functions["decode"].MeanMs {
		t.Errorf("decode at 2048 MB measured %.3f ms under both configurations", a.Functions["decode"].MeanMs)
	}
	// Same arrivals at one window index: the request counts agree.
	if a.Requests != b.Requests {
		t.Errorf("%d and %d requests at one window index", a.Requests, b.Requests)
	}
}

// TestParallelChargesLongestBranch: a parallel group is charged its longest
// branch's seconds and every branch's dollars.
func TestParallelChargesLongestBranch(t *testing.T) {
	env := newEnv(t, 4, true)
	ctx := context.Background()
	if _, err := env.Invoke(ctx, "decode", 2048, 1); err != nil { // before the group
		t.Fatal(err)
	}
	before := env.Accounting().MeasureSeconds
	sizes := [][]int{{1024, 1024, 1024}, {3008}, {2048, 4096}}
	branch := make([]float64, len(sizes))
	err := env.Parallel(len(sizes), func(i int) error {
		for _, mb := range sizes[i] {
			ev, err := env.Invoke(ctx, "encode", mb, 1)
			if err != nil {
				return err
			}
			branch[i] += ev.Seconds
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var longest, usd float64
	for _, s := range branch {
		longest = max(longest, s)
	}
	for _, ev := range env.Trace() {
		usd += ev.USD
	}
	acct := env.Accounting()
	// Sums of the same float64 values in another order: 1e-9 relative.
	if got := acct.MeasureSeconds - before; math.Abs(got-longest) > 1e-9*longest {
		t.Errorf("group charged %.6f s, want the longest branch's %.6f s (branches %v)", got, longest, branch)
	}
	if math.Abs(acct.SearchUSD-usd) > 1e-12 {
		t.Errorf("charged $%g, want every measurement's $%g", acct.SearchUSD, usd)
	}
	if err := env.Parallel(1, func(int) error { return env.Parallel(1, func(int) error { return nil }) }); err == nil {
		t.Error("nested parallel groups accepted")
	}
}
