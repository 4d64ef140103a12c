package tuner

import (
	"cmp"
	"slices"

	"github.com/confignav/confignav/video"
)

// Representatives picks k clips that stand for a workload in equal shares.
// It starts from a systematic sample (the clips sorted by resolution, then
// frames, faces and motion, split into k strata of equal size, each
// represented by its middle clip) and then swaps clips in and out while that
// brings the k clips' means of the work drivers closer to the workload's
// (balancedFeatures; the sum of squared relative differences). The result
// is in sorted order. With k ≥ the number of clips every clip is its own.
//
// Why the swaps: one clip per stratum leaves the means to chance. At all
// functions 2,048 MB, catalogue seeds 1–10, the representatives' mean cost
// over the catalogue's was 0.97–1.09 on face-detection, 0.95–1.08 on
// autoclip and 0.78–1.21 on face-beautification with the middles alone;
// balanced, 0.98–1.02, 0.97–1.02 and 0.88–1.00.
func Representatives(clips []video.Input, k int) []video.Input {
	if k <= 0 || len(clips) == 0 {
		return nil
	}
	sorted := slices.Clone(clips)
	slices.SortStableFunc(sorted, func(a, b video.Input) int {
		return cmp.Or(cmp.Compare(a.Height, b.Height), cmp.Compare(a.Frames(), b.Frames()),
			cmp.Compare(a.Faces, b.Faces), cmp.Compare(a.Motion, b.Motion), cmp.Compare(a.ID, b.ID))
	})
	n := len(sorted)
	if k >= n {
		return sorted
	}
	pick := make([]int, k)
	for s := range pick {
		pick[s] = (2*s + 1) * n / (2 * k)
	}
	balance(sorted, pick)
	slices.Sort(pick)
	out := make([]video.Input, k)
	for s, j := range pick {
		out[s] = sorted[j]
	}
	return out
}

// balancedFeatures are the work drivers whose means the representatives
// match: pixels × frames (decode, encode, face-detect and most functions of
// results/reference/measured scale with both), frames, faces × frames and
// faces × pixels × frames (per-face work: roi, restore, the beautify
// fan-out), motion × pixels × frames (the encoders), and the share of each
// resolution (branches that run only at some: judge-resolution → hd).
func balancedFeatures(in video.Input, heights []int) []float64 {
	pf := in.Pixels() * in.Frames()
	faces := float64(in.Faces)
	f := []float64{pf, in.Frames(), faces * in.Frames(), faces * pf, in.Motion * pf}
	for _, h := range heights {
		share := 0.0
		if in.Height == h {
			share = 1
		}
		f = append(f, share)
	}
	return f
}

// balance improves the picks (indices into clips) in place: for each pick in
// turn, every clip not picked is tried in its place and kept when the
// picks' feature means move closer to all clips' means; passes repeat until
// none improves (at most 20). Deterministic: fixed order, strict
// improvement.
func balance(clips []video.Input, pick []int) {
	var heights []int
	for _, c := range clips {
		if !slices.Contains(heights, c.Height) {
			heights = append(heights, c.Height)
		}
	}
	feats := make([][]float64, len(clips))
	for j, c := range clips {
		feats[j] = balancedFeatures(c, heights)
	}
	nf := len(feats[0])
	target, sum := make([]float64, nf), make([]float64, nf)
	for _, f := range feats {
		for i, v := range f {
			target[i] += v / float64(len(clips))
		}
	}
	k := float64(len(pick))
	for _, j := range pick {
		for i, v := range feats[j] {
			sum[i] += v
		}
	}
	// loss is the sum of squared relative differences of the picks' means
	// with out swapped for in (-1: no swap).
	loss := func(out, in int) float64 {
		var l float64
		for i := range sum {
			if target[i] == 0 {
				continue
			}
			s := sum[i]
			if in >= 0 {
				s += feats[in][i] - feats[out][i]
			}
			d := s/k/target[i] - 1
			l += d * d
		}
		return l
	}
	picked := make([]bool, len(clips))
	for _, j := range pick {
		picked[j] = true
	}
	best := loss(-1, -1)
	for pass := 0; pass < 20; pass++ {
		improved := false
		for s := range pick {
			for j := range clips {
				if picked[j] {
					continue
				}
				if l := loss(pick[s], j); l < best*(1-1e-12) {
					best, improved = l, true
					for i := range sum {
						sum[i] += feats[j][i] - feats[pick[s]][i]
					}
					picked[pick[s]], picked[j] = false, true
					pick[s] = j
				}
			}
		}
		if !improved {
			break
		}
	}
}
