package functions

import (
	"context"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
)

func init() {
	register(&Func{
		Name: "scene-crop",
		Summary: "choose a crop window of the target aspect per frame, as AutoFlip's scene cropping does: scenes are cut " +
			"where the 32-bin luma histograms of consecutive frames differ by more than half their mass (when frames " +
			"are given); within a scene the window is stationary if it can hold every required region of the scene, " +
			"else it follows one required region (the one nearest its previous position) or, without any, the regions' weighted centre, smoothed by a one-second moving average and speed-limited",
		Inputs: "signals [+ frames]",
		Output: KindCrop,
		Args: []Arg{
			{Name: "aspect", Default: "9:16", Help: "target aspect ratio width:height"},
		},
		run: sceneCrop,
	})
}

// maxSpeed is the fastest the window may pan, in frame widths per second.
const maxSpeed = 0.5

func sceneCrop(ctx context.Context, c *call) error {
	sp, err := c.in.one(KindSignals)
	if err != nil {
		return err
	}
	fp, err := c.in.optional(KindFrames)
	if err != nil {
		return err
	}
	aw, ah, err := parseAspect(c.arg("aspect"))
	if err != nil {
		return err
	}
	var s Signals
	if err := readJSON(sp, KindSignals, &s); err != nil {
		return err
	}
	n := len(s.Frames)
	plan := CropPlan{Kind: KindCrop, Aspect: c.arg("aspect"), Width: s.Width, Height: s.Height, W: 1, H: 1, Scenes: []int{0}}
	frameAspect := float64(s.Width) / float64(s.Height)
	if target := aw / ah; target < frameAspect {
		plan.W = target / frameAspect // full height, narrower
	} else {
		plan.H = frameAspect / target // full width, shorter
	}
	if fp != "" {
		f, err := ReadFrames(fp)
		if err != nil {
			return err
		}
		cuts, err := sceneCuts(f)
		if err != nil {
			return err
		}
		plan.Scenes = cuts
	}
	fps := s.FPS
	if fps <= 0 {
		fps = 30
	}
	bounds := append(append([]int{}, plan.Scenes...), n)
	for k := 0; k+1 < len(bounds); k++ {
		a, b := bounds[k], min(bounds[k+1], n)
		if a >= b {
			continue
		}
		xs := cropPath(s.Frames[a:b], s.Content, plan.W, fps, true)
		ys := cropPath(s.Frames[a:b], s.Content, plan.H, fps, false)
		for i := a; i < b; i++ {
			plan.Frames = append(plan.Frames, CropFrame{Index: i, X: xs[i-a], Y: ys[i-a]})
		}
	}
	c.note("scenes", len(plan.Scenes))
	c.note("frames", len(plan.Frames))
	return writeJSON(c.out, &plan)
}

func parseAspect(s string) (w, h float64, err error) {
	a, b, ok := strings.Cut(s, ":")
	w, err1 := strconv.ParseFloat(a, 64)
	h, err2 := strconv.ParseFloat(b, 64)
	if !ok || err1 != nil || err2 != nil || !(w > 0) || !(h > 0) {
		return 0, 0, fmt.Errorf("%w: aspect %q, want W:H such as 9:16", ErrInput, s)
	}
	return w, h, nil
}

// cropPath returns the window's start along one axis (x if horizontal) per
// frame of a scene, for a window of normalised size size.
func cropPath(frames []FrameSignals, content Rect, size, fps float64, horizontal bool) []float64 {
	n := len(frames)
	out := make([]float64, n)
	lo, span := content.Y, content.H
	if horizontal {
		lo, span = content.X, content.W
	}
	hi := math.Min(1, lo+span) - size
	lo = math.Max(0, math.Min(lo, 1-size))
	hi = math.Max(lo, hi)
	if size >= 1 {
		return out
	}
	axis := func(r Rect) (float64, float64) {
		if horizontal {
			return r.X, r.X + r.W
		}
		return r.Y, r.Y + r.H
	}
	// Stationary when the union of the scene's required regions fits.
	u0, u1, any := math.Inf(1), math.Inf(-1), false
	centre := make([]float64, n)
	have := make([]bool, n)
	prev := math.NaN()
	for i, f := range frames {
		// With required regions, follow one of them: the one nearest the
		// previous frame's choice (the largest at first); a window between two
		// faces shows neither. Otherwise follow the weighted centre.
		best, bestKey := math.NaN(), math.Inf(1)
		var sw, sc float64
		for _, r := range f.Regions {
			a, b := axis(r.Rect)
			c := (a + b) / 2
			if r.Required {
				u0, u1, any = math.Min(u0, a), math.Max(u1, b), true
				key := -r.W * r.H
				if !math.IsNaN(prev) {
					key = math.Abs(c - prev)
				}
				if key < bestKey {
					best, bestKey = c, key
				}
			}
			sw += r.Weight
			sc += r.Weight * c
		}
		switch {
		case !math.IsNaN(best):
			centre[i], have[i] = best, true
			prev = best
		case sw > 0:
			centre[i], have[i] = sc/sw, true
		}
	}
	place := func(c float64) float64 { return math.Max(lo, math.Min(hi, c-size/2)) }
	if any && u1-u0 <= size {
		for i := range out {
			out[i] = place((u0 + u1) / 2)
		}
		return out
	}
	// Frames without signal take their predecessor's centre (the first
	// signal's before it; the content's centre in a scene without any).
	if first := firstTrue(have); first == n {
		for i := range centre {
			centre[i] = (lo + hi + size) / 2
		}
	} else {
		for i := 0; i < first; i++ {
			centre[i] = centre[first]
		}
		for i := first + 1; i < n; i++ {
			if !have[i] {
				centre[i] = centre[i-1]
			}
		}
	}
	half := int(fps / 2)
	step := maxSpeed / fps
	for i := range out {
		var s float64
		k := 0
		for j := max(0, i-half); j <= min(n-1, i+half); j++ {
			s += centre[j]
			k++
		}
		out[i] = place(s / float64(k))
		if i > 0 {
			out[i] = math.Max(out[i-1]-step, math.Min(out[i-1]+step, out[i]))
		}
	}
	return out
}

func firstTrue(b []bool) int {
	for i, v := range b {
		if v {
			return i
		}
	}
	return len(b)
}

// sceneCuts returns the first frame of each scene: 0 and every frame whose
// normalised 32-bin luma histogram differs from its predecessor's by an L1
// distance above 1 (half the total mass of both).
func sceneCuts(f *Frames) ([]int, error) {
	hists := make([][32]float64, f.Count)
	err := parallelFrames(f, func(i int, img image.Image) error {
		pix, _, _ := luma(img)
		for _, v := range pix {
			hists[i][v>>3]++
		}
		for b := range hists[i] {
			hists[i][b] /= float64(len(pix))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cuts := []int{0}
	for i := 1; i < f.Count; i++ {
		var d float64
		for b := range hists[i] {
			d += math.Abs(hists[i][b] - hists[i-1][b])
		}
		if d > 1 {
			cuts = append(cuts, i)
		}
	}
	return cuts, nil
}
