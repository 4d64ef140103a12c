package experiments

import (
	"context"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
)

// TestTuneOnCatalogue: by default (Options.TuneOn "") Figure 7's tuning
// problem streams the seed's catalogue (TuneOnClip: the tuning clip), work outside the pipeline runs on its ten payloads,
// and the ground truth (C_min, the bound, the answer's truth) is the
// catalogue's, not the tuning clip's; an unknown value is refused.
func TestTuneOnCatalogue(t *testing.T) {
	env := NewEnv(nil, Quick)
	ctx := context.Background()
	clip, err := env.tune(ctx, clipWorkload(), "face-detection", "random", 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	env.tuneOn = TuneOnClip
	if w := env.overall(1); w.name != clipWorkload().name {
		t.Fatalf("TuneOnClip: Figure 7 tunes on %q", w.name)
	}
	env.tuneOn = ""
	w := env.overall(1)
	cat, err := env.tune(ctx, w, "face-detection", "random", 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.clips) != 50 || len(w.payloads) != payloadCount || cat.Workload.name != w.name {
		t.Fatalf("catalogue workload: %d clips, %d payloads, outcome on %q", len(w.clips), len(w.payloads), cat.Workload.name)
	}
	// The catalogue is mostly lighter than the 1080p two-face tuning clip.
	if !(cat.CMin < clip.CMin) {
		t.Errorf("C_min on the catalogue %.3g, on the tuning clip %.3g: want the catalogue's lower", cat.CMin, clip.CMin)
	}
	dag, err := env.Pipeline("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	prob, err := env.tuningProblem(dag, w, 0.3, cat.CMin, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(prob.Env.Payloads) != payloadCount {
		t.Errorf("tuning problem on the catalogue: %d payloads, want %d", len(prob.Env.Payloads), payloadCount)
	}
	heights := map[int]bool{}
	var r backend.Request
	src := prob.Env.Source(7)
	for i := 0; i < 40 && src.Next(&r); i++ {
		heights[r.Input.Height] = true
	}
	if len(heights) < 3 {
		t.Errorf("40 requests of the tuning stream span heights %v: want the catalogue's mix", heights)
	}
	if _, err := Plan(Options{Only: []string{"fig7"}, Mode: Quick, Seeds: 1, TuneOn: "everything"}); err == nil || !strings.Contains(err.Error(), "everything") {
		t.Errorf("TuneOn everything: %v, want an error naming it", err)
	}
}
