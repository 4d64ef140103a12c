package navigator

import (
	"math"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

// scaled predicts a uniform time on [0.5, 1.5]·w/mb seconds·MB for a
// profile of w wall seconds: enough to tell clips apart.
type scaled struct{}

type uniform struct{ lo, hi float64 }

func (u uniform) Mean() float64              { return (u.lo + u.hi) / 2 }
func (u uniform) Quantile(p float64) float64 { return u.lo + p*(u.hi-u.lo) }

func (scaled) Predict(f backend.Features, mb int) (Prediction, error) {
	t := 1e6 * f.WallSeconds / float64(mb)
	return uniform{0.5 * t, 1.5 * t}, nil
}

// TestModelsOfPayloadsAreTheClipsInEqualShares: with two profiled clips,
// Monte-Carlo sample j is a request of clip j mod 2 in every node (the
// samples of that clip's own model), the cost is the clips' mean, and the
// spread of a request's cost includes the difference between the clips.
func TestModelsOfPayloadsAreTheClipsInEqualShares(t *testing.T) {
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	plat := platform.Default()
	light, heavy := video.Reference, video.Reference
	light.Height, light.Width = 360, 640
	p := &tuner.Problem{Pipeline: dag, Platform: plat, Grid: plat.Grid(), Bound: 0.3, CMin: 1, Seed: 5, Env: &tuner.Env{Input: heavy}}
	feats := func(wall float64) []backend.Features {
		fs := make([]backend.Features, len(dag.Nodes))
		for i := range fs {
			fs[i] = backend.Features{WallSeconds: wall * float64(i+1), PeakMemoryBytes: 100 << 20}
		}
		return fs
	}
	n := &Navigator{Predictor: scaled{}, Samples: 64}
	one := func(in video.Input, fs []backend.Features) []NodeModel {
		nodes, err := n.models(p, []video.Input{in}, [][]backend.Features{fs}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return nodes
	}
	a, b := one(light, feats(1)), one(heavy, feats(4))
	mix, err := n.models(p, []video.Input{light, heavy}, [][]backend.Features{feats(1), feats(4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, nd := range dag.Nodes {
		if nd.FanOut != "" {
			continue // fan-out counts differ by clip: checked through the cost below
		}
		for _, g := range []int{3, 15, 31} {
			for j, x := range mix[i].Samples[g] {
				want := a[i].Samples[g][j]
				if j%2 == 1 {
					want = b[i].Samples[g][j]
				}
				if x != want {
					t.Fatalf("%s at %d MB sample %d: %v, want clip %d's %v", nd.Name, p.Grid[g], j, x, j%2, want)
				}
			}
			if c := (a[i].Cost[g] + b[i].Cost[g]) / 2; math.Abs(mix[i].Cost[g]/c-1) > 1e-12 {
				t.Errorf("%s at %d MB: cost %v, want the clips' mean %v", nd.Name, p.Grid[g], mix[i].Cost[g], c)
			}
			if m := (a[i].Mean[g] + b[i].Mean[g]) / 2; math.Abs(mix[i].Mean[g]/m-1) > 1e-12 {
				t.Errorf("%s at %d MB: mean time %v, want %v", nd.Name, p.Grid[g], mix[i].Mean[g], m)
			}
			half := math.Abs(a[i].Cost[g]-b[i].Cost[g]) / 2 // the between-clip spread alone
			if mix[i].CostSD[g] < half {
				t.Errorf("%s at %d MB: cost spread %v below the clips' own difference %v", nd.Name, p.Grid[g], mix[i].CostSD[g], half)
			}
		}
	}
}
