package experiments

import (
	"strings"
	"testing"
)

// TestSubsetCI: the CI regression subset has cells of every experiment,
// seed 1 only, few enough for CI; an unknown subset is an error.
func TestSubsetCI(t *testing.T) {
	all, err := Plan(Options{Mode: Quick, Seeds: 3, MeasuredPlatform: true})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := Plan(Options{Mode: Quick, Seeds: 3, MeasuredPlatform: true, Subset: SubsetCI})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, c := range ci {
		per[c.Experiment]++
		if c.Seed != 1 {
			t.Errorf("cell %s: seed %d in the CI subset", c.Key(), c.Seed)
		}
	}
	for _, n := range Names() {
		if per[n] == 0 {
			t.Errorf("the CI subset has no cell of %s", n)
		}
	}
	// About 3 minutes on 2 cores: a tenth of the quick plan at most.
	if len(ci) > len(all)/5 || len(ci) > 60 {
		t.Errorf("the CI subset has %d cells of the quick plan's %d", len(ci), len(all))
	}
	for _, pats := range ciCells {
		for _, pat := range pats {
			for _, kv := range strings.Split(pat, ",") {
				if !strings.Contains(kv, "=") {
					t.Errorf("pattern %q: %q is not k=v", pat, kv)
				}
			}
		}
	}
	if _, err := Plan(Options{Mode: Quick, Subset: "nightly"}); err == nil || !strings.Contains(err.Error(), `unknown subset "nightly"`) {
		t.Errorf("unknown subset: %v", err)
	}
}
