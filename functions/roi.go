package functions

import (
	"context"
	"image"
	"sort"
)

func init() {
	register(&Func{
		Name: "roi",
		Summary: "extract face regions of interest: pigo face detection per frame, greedy IoU tracking across frames, " +
			"and a JPEG crop (box enlarged ×1.5) per track and frame; tracks shorter than min_frames are dropped",
		Inputs: "frames",
		Output: KindROIs,
		Args: []Arg{
			{Name: "min_score", Default: "5", Help: "pigo detection quality threshold"},
			{Name: "min_frames", Default: "3", Help: "shortest track kept"},
		},
		init: initCascade,
		run:  roi,
	})
}

// trackGap is how many frames a track may miss a detection and continue.
const trackGap = 5

func roi(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	minScore, err := c.argFloat("min_score", 0, 1000)
	if err != nil {
		return err
	}
	minFrames, err := c.argInt("min_frames", 1, 1<<20)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	boxes, err := facesInFrames(f, faceParams{minScore: minScore, iou: 0.2}, nil)
	if err != nil {
		return err
	}
	tracks := trackFaces(boxes, f.Width, f.Height, minFrames)
	r := &ROIs{ROIsManifest: ROIsManifest{Kind: KindROIs, Width: f.Width, Height: f.Height, FPS: f.FPS, Count: f.Count, Tracks: tracks},
		Crops: map[int]map[int][]byte{}}
	byFrame := map[int][]struct {
		track int
		box   TrackBox
	}{}
	for _, t := range tracks {
		r.Crops[t.ID] = map[int][]byte{}
		for _, b := range t.Boxes {
			byFrame[b.Index] = append(byFrame[b.Index], struct {
				track int
				box   TrackBox
			}{t.ID, b})
		}
	}
	crops := make([]map[int][]byte, f.Count)
	err = parallelFrames(f, func(i int, img image.Image) error {
		if len(byFrame[i]) == 0 {
			return nil
		}
		crops[i] = map[int][]byte{}
		y := toYCbCr420(img)
		for _, tb := range byFrame[i] {
			b := tb.box
			jp, err := EncodeJPEG(y.SubImage(image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H)))
			if err != nil {
				return err
			}
			crops[i][tb.track] = jp
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, m := range crops {
		for t, jp := range m {
			r.Crops[t][i] = jp
		}
	}
	c.note("frames", f.Count)
	c.note("faces", len(tracks))
	return WriteROIs(c.out, r)
}

// trackFaces links detections into tracks greedily by IoU (highest first) with
// the track's last box, allowing gaps of up to trackGap frames, and turns each
// detection into a crop box 1.5× its size (even coordinates, clamped to the
// frame). Tracks are numbered left to right by their first box.
func trackFaces(boxes [][]Box, w, h, minFrames int) []Track {
	type live struct {
		last  image.Rectangle
		lastI int
		boxes []TrackBox
	}
	var all []*live
	for i, bs := range boxes {
		used := make([]bool, len(bs))
		type pair struct {
			t, b int
			iou  float64
		}
		var pairs []pair
		for ti, t := range all {
			if i-t.lastI > trackGap {
				continue
			}
			for bi, b := range bs {
				if v := iou(t.last, rect(b)); v > 0.2 {
					pairs = append(pairs, pair{ti, bi, v})
				}
			}
		}
		sort.Slice(pairs, func(a, b int) bool { return pairs[a].iou > pairs[b].iou })
		taken := map[int]bool{}
		for _, p := range pairs {
			if taken[p.t] || used[p.b] {
				continue
			}
			taken[p.t], used[p.b] = true, true
			t := all[p.t]
			t.last, t.lastI = rect(bs[p.b]), i
			t.boxes = append(t.boxes, cropBox(i, bs[p.b], w, h))
		}
		for bi, b := range bs {
			if !used[bi] {
				all = append(all, &live{last: rect(b), lastI: i, boxes: []TrackBox{cropBox(i, b, w, h)}})
			}
		}
	}
	var kept []*live
	for _, t := range all {
		if len(t.boxes) >= minFrames {
			kept = append(kept, t)
		}
	}
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].boxes[0].X < kept[b].boxes[0].X })
	out := make([]Track, len(kept))
	for i, t := range kept {
		out[i] = Track{ID: i, Boxes: t.boxes}
	}
	return out
}

func rect(b Box) image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }

func cropBox(i int, b Box, w, h int) TrackBox {
	cx, cy := b.X+b.W/2, b.Y+b.H/2
	half := b.W * 3 / 4
	x0, y0 := clamp(cx-half, 0, w-2)&^1, clamp(cy-half, 0, h-2)&^1
	x1, y1 := clamp(cx+half, x0+2, w), clamp(cy+half, y0+2, h)
	return TrackBox{Index: i, X: x0, Y: y0, W: (x1 - x0) &^ 1, H: (y1 - y0) &^ 1}
}
