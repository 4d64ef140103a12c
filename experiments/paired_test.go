package experiments

import (
	"math"
	"testing"
)

// A run that fails the heavy request is compared with the others on the
// requests they all completed, not on its own lighter completions.
func TestCommonMeans(t *testing.T) {
	nan := math.NaN()
	runs := map[string]completions{
		"fails-heavy": {1: 100, 2: 100, 3: nan},
		"completes":   {1: 110, 2: 110, 3: 1000},
		"other":       {1: 90, 2: 130, 3: 900, 4: 50}, // 4: never seen by the others
	}
	got, n := commonMeans(runs)
	if n != 2 {
		t.Fatalf("common requests %d, want 2", n)
	}
	want := map[string]float64{"fails-heavy": 100, "completes": 110, "other": 110}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %v, want %v", k, got[k], w)
		}
	}
	none, n := commonMeans(map[string]completions{"a": {1: nan}, "b": {1: 5}})
	if n != 0 || !math.IsNaN(none["a"]) || !math.IsNaN(none["b"]) {
		t.Errorf("no common request: %v over %d, want NaN over 0", none, n)
	}
}
