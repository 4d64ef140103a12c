package functions

import (
	"context"
	"fmt"
	"math"
)

func init() {
	register(&Func{
		Name: "signal-fuse",
		Summary: "fuse face, object and border signals into weighted salient regions per frame (normalised coordinates): " +
			"faces weight 1 and required, objects weight 0.5, both clipped to the content inside the borders; a face " +
			"missed for up to 3 frames is held from its last detection",
		Inputs: "detections… (faces, objects, borders)",
		Output: KindSignals,
		run:    signalFuse,
	})
}

// faceHold is how many frames a face is held after its last detection, so a
// detector's flicker does not move the crop.
const faceHold = 3

func signalFuse(ctx context.Context, c *call) error {
	if len(c.in[KindDetections]) == 0 {
		return fmt.Errorf("%w: want detections (faces, objects and/or borders), got %s", ErrInput, c.in)
	}
	byDet := map[string]*Detections{}
	for _, p := range c.in[KindDetections] {
		d := new(Detections)
		if err := readJSON(p, KindDetections, d); err != nil {
			return err
		}
		if byDet[d.Detector] != nil {
			return fmt.Errorf("%w: two %s detections", ErrInput, d.Detector)
		}
		byDet[d.Detector] = d
	}
	s := Signals{Kind: KindSignals, Content: Rect{0, 0, 1, 1}}
	count := 0
	for _, d := range byDet {
		count = max(count, len(d.Frames))
		if d.Width*d.Height > s.Width*s.Height {
			s.Width, s.Height, s.FPS = d.Width, d.Height, d.FPS
		}
	}
	if b := byDet["borders"]; b != nil && b.Border != nil {
		bw, bh := float64(b.Width), float64(b.Height)
		s.Content = Rect{float64(b.Border.Left) / bw, float64(b.Border.Top) / bh,
			float64(b.Width-b.Border.Left-b.Border.Right) / bw, float64(b.Height-b.Border.Top-b.Border.Bottom) / bh}
	}
	norm := func(d *Detections, b Box) Rect {
		return Rect{float64(b.X) / float64(d.Width), float64(b.Y) / float64(d.Height),
			float64(b.W) / float64(d.Width), float64(b.H) / float64(d.Height)}
	}
	frames := func(d *Detections) [][]Box {
		out := make([][]Box, count)
		if d == nil {
			return out
		}
		for _, fb := range d.Frames {
			if fb.Index >= 0 && fb.Index < count {
				out[fb.Index] = fb.Boxes
			}
		}
		return out
	}
	faces, objects := frames(byDet["faces"]), frames(byDet["objects"])
	var held []Box
	heldFor := 0
	nRegions := 0
	for i := 0; i < count; i++ {
		fs := faces[i]
		if len(fs) == 0 && heldFor < faceHold {
			fs, heldFor = held, heldFor+1
		} else if len(fs) > 0 {
			held, heldFor = fs, 0
		}
		var regions []Region
		for _, b := range fs {
			if r, ok := clipRect(pad(norm(byDet["faces"], b), 1.2), s.Content); ok {
				regions = append(regions, Region{Rect: r, Weight: 1, Required: true, Label: "face"})
			}
		}
		for _, b := range objects[i] {
			if r, ok := clipRect(norm(byDet["objects"], b), s.Content); ok {
				regions = append(regions, Region{Rect: r, Weight: 0.5, Label: "object"})
			}
		}
		if regions == nil {
			regions = []Region{}
		}
		nRegions += len(regions)
		s.Frames = append(s.Frames, FrameSignals{Index: i, Regions: regions})
	}
	c.note("frames", count)
	c.note("regions", nRegions)
	return writeJSON(c.out, &s)
}

// pad grows a rectangle about its centre.
func pad(r Rect, k float64) Rect {
	cx, cy := r.X+r.W/2, r.Y+r.H/2
	return Rect{cx - r.W*k/2, cy - r.H*k/2, r.W * k, r.H * k}
}

// clipRect intersects two rectangles.
func clipRect(r, c Rect) (Rect, bool) {
	x0, y0 := math.Max(r.X, c.X), math.Max(r.Y, c.Y)
	x1, y1 := math.Min(r.X+r.W, c.X+c.W), math.Min(r.Y+r.H, c.Y+c.H)
	if x1 <= x0 || y1 <= y0 {
		return Rect{}, false
	}
	return Rect{x0, y0, x1 - x0, y1 - y0}, true
}
