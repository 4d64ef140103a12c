package experiments

import (
	"context"
	"math"
	"testing"

	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// CharmSeeker's protocol has 20 repetitions in full mode whatever the seed
// count; the other parts follow the seeds.
func TestHomeCells(t *testing.T) {
	count := func(mode Mode, seeds int) map[string]int {
		m := map[string]int{}
		for _, c := range (baselinesHome{}).Cells(mode, seeds) {
			m[c.Param("part")]++
		}
		return m
	}
	n := len(homePipelines)
	if q := count(Quick, 2); q[homeCharm] != 6*2 || q[homeAquatope] != 3*2 || q[homePaper] != 4*2 {
		t.Fatalf("quick, 2 seeds (sequence3 only): %v", q)
	}
	if f := count(Full, 5); f[homeCharm] != n*6*20 || f[homeAquatope] != n*3*5 {
		t.Fatalf("full: %v", f)
	}
	if len(homeBudgets) != 6 || homeBudgets[0] != 0.003 || homeBudgets[5] != 0.06 {
		t.Fatalf("CharmSeeker's budgets %v, want six from 0.3 to 6 %%", homeBudgets)
	}
}

// Aquatope's QoS maps to the least cost C*(Q) whose exact latency optimum
// meets Q: at C*(Q) the optimum meets it, just below it does not.
func TestQoSBoundIsTheLeastCostMeetingQoS(t *testing.T) {
	env := NewEnv(platform.Default(), Quick)
	ctx := context.Background()
	qb, err := env.qosBound(ctx, "sequence3", 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	dag, _ := env.dagFor("sequence3")
	in := video.Reference
	in.Faces = 2
	orc, err := env.truth(dag, env.Platform.Grid(), in, env.samples(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(qb.CStar >= qb.CMin) || math.IsNaN(qb.QoSMs) {
		t.Fatalf("C* %v below C_min %v or no QoS", qb.CStar, qb.CMin)
	}
	at, err := orc.Exhaustive(ctx, qb.CStar, 0)
	if err != nil || at.LatencyMs > qb.QoSMs {
		t.Fatalf("optimum within C* = %v: %v ms against Q = %v ms (%v)", qb.CStar, at.LatencyMs, qb.QoSMs, err)
	}
	// The bisection stops within 1e-9 relative; a bound 1e-6 below C* must
	// miss the QoS (or have no feasible configuration).
	if below, err := orc.Exhaustive(ctx, qb.CStar*(1-1e-6), 0); err == nil && below.LatencyMs <= qb.QoSMs && qb.CStar > qb.CMin {
		t.Fatalf("a bound below C* still meets the QoS: %v ms ≤ %v ms", below.LatencyMs, qb.QoSMs)
	}
}
