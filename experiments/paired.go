package experiments

import (
	"math"
	"slices"
)

// completions maps a request of one replay to its end-to-end latency in ms,
// NaN when it failed. Replays of one workload number their requests alike,
// so the same id is the same clip arriving at the same time.
type completions map[uint64]float64

// commonMeans is each run's mean latency over the requests that every run
// completed, and how many those are. A mean over a run's own completions
// rewards failing: the clips that run out of memory are the heavy ones, so
// a configuration that fails them looks faster. NaN when no request is
// common. The sum runs in id order, so equal inputs give equal bytes.
func commonMeans(runs map[string]completions) (map[string]float64, int) {
	var ids []uint64
	for _, c := range runs {
		for id, ms := range c {
			if !math.IsNaN(ms) {
				ids = append(ids, id)
			}
		}
		break // the common requests are among any one run's completions
	}
	slices.Sort(ids)
	common := ids[:0]
	for _, id := range ids {
		all := true
		for _, c := range runs {
			if ms, ok := c[id]; !ok || math.IsNaN(ms) {
				all = false
				break
			}
		}
		if all {
			common = append(common, id)
		}
	}
	out := make(map[string]float64, len(runs))
	for name, c := range runs {
		out[name] = math.NaN()
		if len(common) == 0 {
			continue
		}
		var sum float64
		for _, id := range common {
			sum += c[id]
		}
		out[name] = sum / float64(len(common))
	}
	return out, len(common)
}
