package functions

import (
	_ "embed"
	"fmt"
	"image"
	"sort"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// facefinder is pigo's frontal-face cascade (assets/README.md).
//
//go:embed assets/facefinder
var facefinder []byte

// SamplePhoto is pigo's sample photo with one face, from which test clips with
// faces are made.
//
//go:embed assets/sample.jpg
var SamplePhoto []byte

var cascade struct {
	once sync.Once
	c    *pigo.Pigo
	err  error
}

// initCascade unpacks the cascade: the static initialisation of the
// face-finding functions (their cold start).
func initCascade() error {
	cascade.once.Do(func() {
		cascade.c, cascade.err = pigo.NewPigo().Unpack(facefinder)
		if cascade.err != nil {
			cascade.err = fmt.Errorf("unpack pigo cascade: %w", cascade.err)
		}
	})
	return cascade.err
}

// faceParams are the detector's settings.
type faceParams struct {
	minScore float64 // pigo's detection quality threshold (its examples use 5)
	iou      float64 // clustering threshold
}

// findFaces runs pigo's cascade over a luma plane at every scale between 1/10
// of the frame's short side (at least 20 px) and the short side, clusters
// overlapping windows (pigo's clustering), and suppresses clusters that
// overlap a better one (pigo's clustering is not transitive, so one face can
// leave two clusters).
func findFaces(pix []uint8, w, h int, p faceParams) []Box {
	short := min(w, h)
	cp := pigo.CascadeParams{
		MinSize: max(20, short/10), MaxSize: short, ShiftFactor: 0.1, ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: w},
	}
	dets := cascade.c.RunCascade(cp, 0)
	dets = cascade.c.ClusterDetections(dets, p.iou)
	var cand []Box
	for _, d := range dets {
		if float64(d.Q) < p.minScore {
			continue
		}
		cand = append(cand, Box{X: d.Col - d.Scale/2, Y: d.Row - d.Scale/2, W: d.Scale, H: d.Scale, Score: float64(d.Q), Label: "face"})
	}
	return suppress(cand, 0.3)
}

// suppress is non-maximum suppression: boxes in descending score order are
// kept unless they overlap a kept box by more than IoU thr or hold its centre.
func suppress(boxes []Box, thr float64) []Box {
	sort.SliceStable(boxes, func(i, j int) bool { return boxes[i].Score > boxes[j].Score })
	var kept []Box
	for _, b := range boxes {
		ok := true
		for _, k := range kept {
			kc := image.Pt(k.X+k.W/2, k.Y+k.H/2)
			bc := image.Pt(b.X+b.W/2, b.Y+b.H/2)
			if iou(rect(b), rect(k)) > thr || kc.In(rect(b)) || bc.In(rect(k)) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, b)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].X < kept[j].X })
	return kept
}

// facesInFrames finds faces in every frame, in parallel.
func facesInFrames(f *Frames, p faceParams, fn func(i int, img image.Image, boxes []Box) error) ([][]Box, error) {
	all := make([][]Box, f.Count)
	err := parallelFrames(f, func(i int, img image.Image) error {
		pix, w, h := luma(img)
		all[i] = findFaces(pix, w, h, p)
		if fn != nil {
			return fn(i, img, all[i])
		}
		return nil
	})
	return all, err
}
