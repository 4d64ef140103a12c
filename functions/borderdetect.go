package functions

import (
	"context"
	"image"
	"math"
	"sort"
)

func init() {
	register(&Func{
		Name: "border-detect",
		Summary: "detect dark solid borders (letterbox and pillarbox bars) per frame, after AutoFlip's border detector: " +
			"from each edge, rows (columns) whose luma is dark (mean < 40), uniform (σ < 10) and matches the edge's are border; " +
			"the clip's border is the per-edge median",
		Inputs: "frames",
		Output: KindDetections,
		run:    borderDetect,
	})
}

// Border rows are dark and uniform: their luma mean is below borderDark,
// their standard deviation below borderSigma and their mean within borderTol
// of the edge row's mean. (Only dark bars: a uniform colour band at an edge is
// as often picture, e.g. sky or a wall, as it is a border.)
const (
	borderDark  = 40
	borderSigma = 10
	borderTol   = 12
)

func borderDetect(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	frames := make([]FrameBoxes, f.Count)
	err = parallelFrames(f, func(i int, img image.Image) error {
		pix, w, h := luma(img)
		b := findBorder(pix, w, h)
		frames[i] = FrameBoxes{Index: i, Border: &b, Boxes: []Box{{
			X: b.Left, Y: b.Top, W: w - b.Left - b.Right, H: h - b.Top - b.Bottom, Score: 1, Label: "content"}}}
		return nil
	})
	if err != nil {
		return err
	}
	med := func(get func(b *Border) int) int {
		v := make([]int, len(frames))
		for i := range frames {
			v[i] = get(frames[i].Border)
		}
		sort.Ints(v)
		if len(v) == 0 {
			return 0
		}
		return v[len(v)/2]
	}
	clip := Border{
		Top: med(func(b *Border) int { return b.Top }), Bottom: med(func(b *Border) int { return b.Bottom }),
		Left: med(func(b *Border) int { return b.Left }), Right: med(func(b *Border) int { return b.Right }),
	}
	d := Detections{Kind: KindDetections, Detector: "borders", Method: "dark uniform edge rows/columns (mean<40, σ<10, ±12 of the edge mean)",
		Width: f.Width, Height: f.Height, FPS: f.FPS, Frames: frames, Border: &clip}
	c.note("border", clip)
	return writeJSON(c.out, &d)
}

// findBorder measures the uniform bands at each edge, each at most a third of
// the frame.
func findBorder(pix []uint8, w, h int) Border {
	line := func(n int, at func(k int) uint8) (mean, sd float64) {
		var s, s2 float64
		for k := 0; k < n; k++ {
			v := float64(at(k))
			s += v
			s2 += v * v
		}
		mean = s / float64(n)
		return mean, math.Sqrt(math.Max(0, s2/float64(n)-mean*mean))
	}
	band := func(count, length int, at func(line, k int) uint8) int {
		edge, sd := line(length, func(k int) uint8 { return at(0, k) })
		if sd >= borderSigma || edge >= borderDark {
			return 0
		}
		n := 0
		for ; n < count/3; n++ {
			m, sd := line(length, func(k int) uint8 { return at(n, k) })
			if sd >= borderSigma || math.Abs(m-edge) > borderTol {
				break
			}
		}
		return n
	}
	return Border{
		Top:    band(h, w, func(l, k int) uint8 { return pix[l*w+k] }),
		Bottom: band(h, w, func(l, k int) uint8 { return pix[(h-1-l)*w+k] }),
		Left:   band(w, h, func(l, k int) uint8 { return pix[k*w+l] }),
		Right:  band(w, h, func(l, k int) uint8 { return pix[k*w+w-1-l] }),
	}
}
