package functions

import (
	"context"
	"image"
	"sort"
)

func init() {
	register(&Func{
		Name: "object-detect",
		Summary: "detect moving objects by background subtraction (no learned model: no weights can be downloaded here): " +
			"the background is the per-pixel temporal median of up to 15 evenly spaced blurred frames; pixels differing by " +
			"more than an adaptive threshold, cleaned by a 3×3 opening and closing, form 8-connected components whose " +
			"bounding boxes (≥ 0.1 % of the frame) are the objects",
		Inputs: "frames",
		Output: KindDetections,
		Args: []Arg{
			{Name: "min_area", Default: "0.001", Help: "smallest object as a fraction of the frame"},
		},
		run: objectDetect,
	})
}

// backgroundFrames is how many frames the temporal median uses.
const backgroundFrames = 15

func objectDetect(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	minArea, err := c.argFloat("min_area", 0, 1)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	w, h := f.Width, f.Height
	blurred := make([][]uint8, f.Count)
	err = parallelFrames(f, func(i int, img image.Image) error {
		pix, fw, fh := luma(img)
		if fw != w || fh != h {
			return errFrameSize
		}
		blurred[i] = boxBlur(pix, w, h, 2)
		return nil
	})
	if err != nil {
		return err
	}
	// Background: temporal median per pixel.
	k := min(backgroundFrames, f.Count)
	sample := make([][]uint8, k)
	for j := range sample {
		sample[j] = blurred[j*f.Count/k]
	}
	bg := make([]uint8, w*h)
	_ = parallel(ctx, h, func(y int) error {
		v := make([]int, k)
		for x := 0; x < w; x++ {
			for j := range sample {
				v[j] = int(sample[j][y*w+x])
			}
			sort.Ints(v)
			bg[y*w+x] = uint8(v[k/2])
		}
		return nil
	})
	minPix := int(minArea * float64(w*h))
	frames := make([]FrameBoxes, f.Count)
	total := 0
	err = parallel(ctx, f.Count, func(i int) error {
		frames[i] = FrameBoxes{Index: i, Boxes: nonNil(movingObjects(blurred[i], bg, w, h, minPix))}
		return nil
	})
	if err != nil {
		return err
	}
	for _, fb := range frames {
		total += len(fb.Boxes)
	}
	d := Detections{Kind: KindDetections, Detector: "objects", Method: "background subtraction (temporal median) + connected components",
		Width: w, Height: h, FPS: f.FPS, Frames: frames}
	c.note("frames", f.Count)
	c.note("detections", total)
	return writeJSON(c.out, &d)
}

type sizeError struct{}

func (sizeError) Error() string { return "frames differ in size" }

var errFrameSize error = sizeError{}

// movingObjects thresholds |frame − background| at max(20, median + 4·MAD of
// the difference), opens and closes the mask with a 3×3 square, and returns
// the bounding boxes of 8-connected components of at least minPix pixels.
func movingObjects(frame, bg []uint8, w, h, minPix int) []Box {
	diff := make([]uint8, w*h)
	var hist [256]int
	for i := range diff {
		d := int(frame[i]) - int(bg[i])
		if d < 0 {
			d = -d
		}
		diff[i] = uint8(d)
		hist[d]++
	}
	med := histQuantile(&hist, w*h, 0.5)
	var dev [256]int
	for v, n := range hist {
		d := v - med
		if d < 0 {
			d = -d
		}
		dev[d] += n
	}
	mad := histQuantile(&dev, w*h, 0.5)
	thr := max(20, med+4*mad)
	mask := make([]bool, w*h)
	for i, d := range diff {
		mask[i] = int(d) > thr
	}
	mask = dilate(erode(mask, w, h), w, h) // opening: drop speckle
	mask = erode(dilate(mask, w, h), w, h) // closing: join fragments
	return components(mask, w, h, minPix)
}

func histQuantile(h *[256]int, n int, q float64) int {
	target := int(q * float64(n))
	s := 0
	for v, c := range h {
		s += c
		if s > target {
			return v
		}
	}
	return 255
}

func erode(m []bool, w, h int) []bool  { return morph(m, w, h, true) }
func dilate(m []bool, w, h int) []bool { return morph(m, w, h, false) }

// morph is a 3×3 erosion (all neighbours set) or dilation (any set).
func morph(m []bool, w, h int, all bool) []bool {
	out := make([]bool, len(m))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := all
			for dy := -1; dy <= 1 && v == all; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					set := xx >= 0 && yy >= 0 && xx < w && yy < h && m[yy*w+xx]
					if set != all {
						v = !all
						break
					}
				}
			}
			out[y*w+x] = v
		}
	}
	return out
}

// components labels 8-connected components with a union-find pass and
// returns their bounding boxes, largest first.
func components(m []bool, w, h, minPix int) []Box {
	parent := make([]int32, w*h)
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(i int32) int32
	find = func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !m[i] {
				continue
			}
			for _, n := range [][2]int{{-1, 0}, {-1, -1}, {0, -1}, {1, -1}} {
				xx, yy := x+n[0], y+n[1]
				if xx >= 0 && yy >= 0 && xx < w && m[yy*w+xx] {
					union(int32(i), int32(yy*w+xx))
				}
			}
		}
	}
	type acc struct{ x0, y0, x1, y1, n int }
	comps := map[int32]*acc{}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !m[i] {
				continue
			}
			r := find(int32(i))
			a := comps[r]
			if a == nil {
				a = &acc{x, y, x, y, 0}
				comps[r] = a
			}
			a.x0, a.y0, a.x1, a.y1 = min(a.x0, x), min(a.y0, y), max(a.x1, x), max(a.y1, y)
			a.n++
		}
	}
	var out []Box
	for _, a := range comps {
		if a.n < max(minPix, 1) {
			continue
		}
		bw, bh := a.x1-a.x0+1, a.y1-a.y0+1
		out = append(out, Box{X: a.x0, Y: a.y0, W: bw, H: bh, Score: float64(a.n) / float64(bw*bh), Label: "moving-object"})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].W*out[i].H != out[j].W*out[j].H {
			return out[i].W*out[i].H > out[j].W*out[j].H
		}
		return out[i].X < out[j].X || out[i].X == out[j].X && out[i].Y < out[j].Y
	})
	return out
}
