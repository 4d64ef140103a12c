package navigator

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// perfect builds node models from the simulator's ground truth: the search
// alone is tested, without prediction error.
func perfect(t testing.TB, name string, samples int) (*Partition, []NodeModel, *oracle.Oracle) {
	t.Helper()
	dag := load(t, name)
	p := platform.Default()
	s, err := sim.New(p, dag, 1)
	if err != nil {
		t.Fatal(err)
	}
	in := video.Reference
	in.Faces = 2
	o, err := oracle.New(s, p.Grid(), []video.Input{in}, samples, 7)
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]NodeModel, len(dag.Nodes))
	for i := range nodes {
		nodes[i].Samples = make([][]float64, len(p.Grid()))
		nodes[i].Cost = make([]float64, len(p.Grid()))
		for g := range p.Grid() {
			xs, c := o.NodeTimes(i, g)
			if math.IsInf(c, 1) {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
			}
			nodes[i].Samples[g], nodes[i].Cost[g] = xs, c
		}
	}
	return NewPartition(dag), nodes, o
}

func configOf(part *Partition, grid []int, idx []int) backend.Config {
	c := backend.Config{}
	for i, nd := range part.DAG.Nodes {
		c[nd.Name] = grid[idx[i]]
	}
	return c
}

// With a perfect model the search's answer is within a few percent of the
// exhaustive optimum on face-detection (4 functions, 32^4 configurations).
func TestSearchNearOptimumWithPerfectModel(t *testing.T) {
	part, nodes, o := perfect(t, "face-detection", 64)
	cmin, _, err := o.CMin()
	if err != nil {
		t.Fatal(err)
	}
	grid := platform.Default().Grid()
	for _, x := range []float64{0.3, 0.5, 0.8, 1.0} {
		plan, err := Search(context.Background(), part, nodes, (1+x)*cmin, Options{Seed: 1}, NewStore())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := o.Evaluate(configOf(part, grid, plan.Config))
		opt, err := o.Exhaustive(context.Background(), (1+x)*cmin, 0)
		if err != nil {
			t.Fatal(err)
		}
		regret := got.LatencyMs/opt.LatencyMs - 1
		t.Logf("bound +%.0f%%: search %.0f ms ($%.6f), optimum %.0f ms, regret %.2f%%", x*100, got.LatencyMs, got.CostUSD, opt.LatencyMs, regret*100)
		// Same model and samples as the oracle: the group decomposition is
		// the only source of loss. A 5% tolerance is the target.
		if got.CostUSD > (1+x)*cmin*(1+1e-9) || regret > 0.05 {
			t.Errorf("bound +%.0f%%: regret %.2f%%, cost %v over bound %v", x*100, regret*100, got.CostUSD, (1+x)*cmin)
		}
	}
}

func TestSearchAutoclipFeasibleAndBetterThanCheapest(t *testing.T) {
	part, nodes, o := perfect(t, "autoclip", 64)
	cmin, cheapCfg, _ := o.CMin()
	cheap, _ := o.Evaluate(cheapCfg)
	plan, err := Search(context.Background(), part, nodes, 1.5*cmin, Options{Seed: 1}, NewStore())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := o.Evaluate(configOf(part, platform.Default().Grid(), plan.Config))
	if got.CostUSD > 1.5*cmin*(1+1e-9) || got.LatencyMs >= cheap.LatencyMs {
		t.Fatalf("autoclip: %.0f ms at $%.6f; cheapest %.0f ms; bound $%.6f", got.LatencyMs, got.CostUSD, cheap.LatencyMs, 1.5*cmin)
	}
	// The search does not model the orchestration hop the oracle adds per
	// stage (the platform's mean hop, 6 stages on autoclip's longest path).
	if d := got.LatencyMs - plan.LatencyMs; math.Abs(d-6*platform.Default().Hop.MeanMs) > 1e-6 {
		t.Fatalf("predicted %.3f ms, the oracle %.3f ms: the gap %.3f is not the 6 hops", plan.LatencyMs, got.LatencyMs, d)
	}
}

func TestSearchInfeasible(t *testing.T) {
	part, nodes, o := perfect(t, "face-detection", 16)
	cmin, _, _ := o.CMin()
	if _, err := Search(context.Background(), part, nodes, 0.9*cmin, Options{}, nil); err != ErrInfeasible {
		t.Fatalf("bound under C_min: %v", err)
	}
}

// A NaN sample is an error naming the function, not a silent NaN latency (the
// search's max assumes times that are never NaN).
func TestSearchRejectsNaN(t *testing.T) {
	part, nodes, o := perfect(t, "face-detection", 16)
	cmin, _, _ := o.CMin()
	nodes[2].Samples[5][3] = math.NaN()
	_, err := Search(context.Background(), part, nodes, 1.5*cmin, Options{}, nil)
	want := part.DAG.Nodes[2].Name
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), want) {
		t.Fatalf("NaN sample of %s: got %v", want, err)
	}
}

// On a random pipeline with wide groups the Bayesian search is used and finds
// a feasible configuration faster than the cheapest one.
func TestSearchLargeGroupsWithBO(t *testing.T) {
	dag, err := pipeline.Compile(pipeline.Random(14, 3))
	if err != nil {
		t.Fatal(err)
	}
	p := platform.Default()
	s, _ := sim.New(p, dag, 1)
	o, err := oracle.New(s, p.Grid(), []video.Input{video.Reference}, 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	part := NewPartition(dag)
	nodes := make([]NodeModel, len(dag.Nodes))
	for i := range nodes {
		nodes[i].Samples = make([][]float64, len(p.Grid()))
		nodes[i].Cost = make([]float64, len(p.Grid()))
		for g := range p.Grid() {
			xs, c := o.NodeTimes(i, g)
			if math.IsInf(c, 1) {
				for j := range xs {
					xs[j] = math.Inf(1)
				}
			}
			nodes[i].Samples[g], nodes[i].Cost[g] = xs, c
		}
	}
	cmin, cheapCfg, _ := o.CMin()
	cheap, _ := o.Evaluate(cheapCfg)
	large := 0
	opts := Options{Seed: 1, ExhaustiveDims: 2, Rounds: 3}
	bayes := BayesianSearch(40, 1)
	opts.Large = func(ctx context.Context, gp *GroupProblem) ([]int, error) { large++; return bayes(ctx, gp) }
	plan, err := Search(context.Background(), part, nodes, 1.3*cmin, opts, NewStore())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := o.Evaluate(configOf(part, p.Grid(), plan.Config))
	if large == 0 {
		t.Fatalf("no group was large enough for BO; groups:\n%s", part)
	}
	if got.CostUSD > 1.3*cmin*(1+1e-9) || got.LatencyMs >= cheap.LatencyMs {
		t.Fatalf("BO search: %.0f ms at $%.6f; cheapest %.0f ms", got.LatencyMs, got.CostUSD, cheap.LatencyMs)
	}
}
