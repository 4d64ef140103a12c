package tuner

import (
	"cmp"
	"slices"

	"github.com/confignav/confignav/video"
)

// Representatives picks k clips that stand for a workload in equal shares:
// the clips sorted by what drives a video function's work (resolution, then
// frames, faces and motion) and split into k strata of equal size, each
// represented by its middle clip (systematic sampling). The strata follow
// the workload's mix: a catalogue that is 44 % 1080p gets about 44 % 1080p
// representatives. With k ≥ the number of clips every clip is its own.
func Representatives(clips []video.Input, k int) []video.Input {
	if k <= 0 || len(clips) == 0 {
		return nil
	}
	sorted := slices.Clone(clips)
	slices.SortStableFunc(sorted, func(a, b video.Input) int {
		return cmp.Or(cmp.Compare(a.Height, b.Height), cmp.Compare(a.Frames(), b.Frames()),
			cmp.Compare(a.Faces, b.Faces), cmp.Compare(a.Motion, b.Motion), cmp.Compare(a.ID, b.ID))
	})
	if k >= len(sorted) {
		return sorted
	}
	out := make([]video.Input, k)
	for s := range out {
		out[s] = sorted[(2*s+1)*len(sorted)/(2*k)]
	}
	return out
}
