package functions

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
)

func init() {
	register(&Func{
		Name: "beautify",
		Summary: "beautify faces: edge-preserving smoothing (a bilateral filter on luma, radius ~1/40 of the crop, " +
			"range σ 18) of skin pixels (classical YCbCr skin range) within an elliptical face mask, blended by strength",
		Inputs: "rois",
		Output: KindROIs,
		Args: []Arg{
			{Name: "face", Default: "-1", Help: "track to beautify (one fan-out instance per face); -1: every track"},
			{Name: "strength", Default: "0.8", Help: "blend of the smoothed skin, 0..1"},
		},
		run: beautify,
	})
}

func beautify(ctx context.Context, c *call) error {
	p, err := c.in.one(KindROIs)
	if err != nil {
		return err
	}
	face, err := c.argInt("face", -1, 1<<20)
	if err != nil {
		return err
	}
	strength, err := c.argFloat("strength", 0, 1)
	if err != nil {
		return err
	}
	r, err := ReadROIs(p)
	if err != nil {
		return err
	}
	var tracks []Track
	for _, t := range r.Tracks {
		if face < 0 || t.ID == face {
			tracks = append(tracks, t)
		}
	}
	if face >= 0 && len(tracks) == 0 {
		return fmt.Errorf("%w: no face track %d (the ROIs hold %d tracks)", ErrInput, face, len(r.Tracks))
	}
	type job struct{ track, index int }
	var jobs []job
	for _, t := range tracks {
		for _, b := range t.Boxes {
			jobs = append(jobs, job{t.ID, b.Index})
		}
	}
	results := make([][]byte, len(jobs))
	err = parallel(ctx, len(jobs), func(k int) error {
		j := jobs[k]
		img, err := jpeg.Decode(bytes.NewReader(r.Crops[j.track][j.index]))
		if err != nil {
			return fmt.Errorf("track %d frame %d: %w", j.track, j.index, err)
		}
		y := toYCbCr420(img)
		smoothSkin(y, strength)
		results[k], err = EncodeJPEG(y)
		return err
	})
	if err != nil {
		return err
	}
	out := &ROIs{ROIsManifest: r.ROIsManifest, Crops: map[int]map[int][]byte{}}
	out.Tracks = tracks
	for k, j := range jobs {
		if out.Crops[j.track] == nil {
			out.Crops[j.track] = map[int][]byte{}
		}
		out.Crops[j.track][j.index] = results[k]
	}
	c.note("faces", len(tracks))
	c.note("crops", len(jobs))
	return WriteROIs(c.out, out)
}

// smoothSkin applies a bilateral filter to the luma of skin pixels inside the
// crop's inscribed ellipse, blending by strength × mask.
func smoothSkin(img *image.YCbCr, strength float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	radius := max(2, min(w, h)/40)
	sigmaS := float64(radius) / 1.5
	const sigmaR = 18.0
	var rangeW [256]float64
	for d := range rangeW {
		rangeW[d] = math.Exp(-float64(d*d) / (2 * sigmaR * sigmaR))
	}
	n := 2*radius + 1
	spatial := make([]float64, n*n)
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			spatial[(dy+radius)*n+dx+radius] = math.Exp(-float64(dx*dx+dy*dy) / (2 * sigmaS * sigmaS))
		}
	}
	src := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(src[y*w:(y+1)*w], img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y+y):])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m := skinMask(img, x, y, w, h)
			if m == 0 {
				continue
			}
			c := src[y*w+x]
			var sum, wsum float64
			for dy := -radius; dy <= radius; dy++ {
				yy := clamp(y+dy, 0, h-1)
				for dx := -radius; dx <= radius; dx++ {
					v := src[yy*w+clamp(x+dx, 0, w-1)]
					d := int(v) - int(c)
					if d < 0 {
						d = -d
					}
					wt := spatial[(dy+radius)*n+dx+radius] * rangeW[d]
					sum += wt * float64(v)
					wsum += wt
				}
			}
			i := img.YOffset(img.Rect.Min.X+x, img.Rect.Min.Y+y)
			img.Y[i] = blend(c, sum/wsum, strength*m)
		}
	}
}

// skinMask is 1 for a skin-coloured pixel well inside the crop's inscribed
// ellipse, falling to 0 at its edge; 0 for other pixels. Skin: Cb in
// [77, 127] and Cr in [133, 173] (Chai and Ngan's range).
func skinMask(img *image.YCbCr, x, y, w, h int) float64 {
	ci := img.COffset(img.Rect.Min.X+x, img.Rect.Min.Y+y)
	cb, cr := img.Cb[ci], img.Cr[ci]
	if cb < 77 || cb > 127 || cr < 133 || cr > 173 {
		return 0
	}
	u := (float64(x)+0.5)/float64(w)*2 - 1
	v := (float64(y)+0.5)/float64(h)*2 - 1
	d := math.Sqrt(u*u + v*v)
	return math.Max(0, math.Min(1, (1-d)/0.25))
}
