package functions

import (
	"image"
	"image/color"
	"io"
	"math"
)

// Hand-written image operations on luma and YCbCr planes. The frames of the
// pipelines are JPEGs, which decode to *image.YCbCr; working on the planes
// directly avoids colour conversions and needs no module beyond the standard
// library (go.mod is fixed).

// toYCbCr420 returns a fresh 4:2:0 YCbCr copy of img with its origin at (0, 0).
func toYCbCr420(img image.Image) *image.YCbCr {
	b := img.Bounds()
	out := image.NewYCbCr(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio420)
	if src, ok := img.(*image.YCbCr); ok && src.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min.X%2 == 0 && b.Min.Y%2 == 0 {
		for y := 0; y < b.Dy(); y++ {
			copy(out.Y[y*out.YStride:y*out.YStride+b.Dx()], src.Y[src.YOffset(b.Min.X, b.Min.Y+y):])
		}
		cw, ch := (b.Dx()+1)/2, (b.Dy()+1)/2
		for y := 0; y < ch; y++ {
			o := src.COffset(b.Min.X, b.Min.Y+2*y)
			copy(out.Cb[y*out.CStride:y*out.CStride+cw], src.Cb[o:])
			copy(out.Cr[y*out.CStride:y*out.CStride+cw], src.Cr[o:])
		}
		return out
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := color.YCbCrModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.YCbCr)
			out.Y[y*out.YStride+x] = c.Y
			if x%2 == 0 && y%2 == 0 {
				ci := (y/2)*out.CStride + x/2
				out.Cb[ci], out.Cr[ci] = c.Cb, c.Cr
			}
		}
	}
	return out
}

// luma returns img's luma as a contiguous w×h slice.
func luma(img image.Image) (pix []uint8, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]uint8, w*h)
	switch src := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], src.Y[src.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(pix[y*w:(y+1)*w], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				pix[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return pix, w, h
}

// boxBlur is a (2r+1)² mean filter with edge clamping (two separable passes
// over running sums).
func boxBlur(pix []uint8, w, h, r int) []uint8 {
	tmp := make([]uint16, w*h)
	out := make([]uint8, w*h)
	n := 2*r + 1
	for y := 0; y < h; y++ {
		row := pix[y*w : (y+1)*w]
		s := 0
		for k := -r; k <= r; k++ {
			s += int(row[clamp(k, 0, w-1)])
		}
		for x := 0; x < w; x++ {
			tmp[y*w+x] = uint16(s)
			s += int(row[clamp(x+r+1, 0, w-1)]) - int(row[clamp(x-r, 0, w-1)])
		}
	}
	for x := 0; x < w; x++ {
		s := 0
		for k := -r; k <= r; k++ {
			s += int(tmp[clamp(k, 0, h-1)*w+x])
		}
		for y := 0; y < h; y++ {
			out[y*w+x] = uint8((s + n*n/2) / (n * n))
			s += int(tmp[clamp(y+r+1, 0, h-1)*w+x]) - int(tmp[clamp(y-r, 0, h-1)*w+x])
		}
	}
	return out
}

// laplacianVariance is the variance of the 4-neighbour Laplacian of luma, a
// standard sharpness measure (higher is sharper).
func laplacianVariance(pix []uint8, w, h int) float64 {
	var s, s2 float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := float64(4*int(pix[i]) - int(pix[i-1]) - int(pix[i+1]) - int(pix[i-w]) - int(pix[i+w]))
			s += l
			s2 += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := s / float64(n)
	return s2/float64(n) - m*m
}

// drawRect outlines r on a YCbCr image in a colour, t pixels thick.
func drawRect(img *image.YCbCr, r image.Rectangle, t int, c color.YCbCr) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	set := func(x, y int) {
		img.Y[img.YOffset(x, y)] = c.Y
		ci := img.COffset(x, y)
		img.Cb[ci], img.Cr[ci] = c.Cb, c.Cr
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if x < r.Min.X+t || x >= r.Max.X-t || y < r.Min.Y+t || y >= r.Max.Y-t {
				set(x, y)
			}
		}
	}
}

// writeYUV420 writes the r region of a 4:2:0 image as raw yuv420p planes.
func writeYUV420(w io.Writer, img *image.YCbCr, r image.Rectangle) error {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.YOffset(r.Min.X, y)
		if _, err := w.Write(img.Y[o : o+r.Dx()]); err != nil {
			return err
		}
	}
	for _, plane := range [][]uint8{img.Cb, img.Cr} {
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			o := img.COffset(r.Min.X, y)
			if _, err := w.Write(plane[o : o+r.Dx()/2]); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleBilinear reads plane p (stride s, size w×h) at real coordinates.
func sampleBilinear(p []uint8, s, w, h int, x, y float64) float64 {
	x = math.Max(0, math.Min(float64(w-1), x))
	y = math.Max(0, math.Min(float64(h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	a := float64(p[y0*s+x0])*(1-fx) + float64(p[y0*s+x1])*fx
	b := float64(p[y1*s+x0])*(1-fx) + float64(p[y1*s+x1])*fx
	return a*(1-fy) + b*fy
}

// pasteFeathered resamples src (bilinear) into dst's rectangle r, blended by
// an elliptical mask that is 1 in the middle and falls to 0 at the edge, so
// the seam does not show.
func pasteFeathered(dst *image.YCbCr, r image.Rectangle, src *image.YCbCr) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	cw, ch := (sw+1)/2, (sh+1)/2
	clip := r.Intersect(dst.Rect)
	fw, fh := float64(r.Dx()), float64(r.Dy())
	alpha := func(x, y int) float64 {
		u := (float64(x-r.Min.X)+0.5)/fw*2 - 1
		v := (float64(y-r.Min.Y)+0.5)/fh*2 - 1
		d := math.Sqrt(u*u + v*v)
		return math.Max(0, math.Min(1, (1-d)/0.3)) // feather over the outer 30 %
	}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		sy := (float64(y-r.Min.Y)+0.5)/fh*float64(sh) - 0.5
		for x := clip.Min.X; x < clip.Max.X; x++ {
			a := alpha(x, y)
			if a == 0 {
				continue
			}
			sx := (float64(x-r.Min.X)+0.5)/fw*float64(sw) - 0.5
			i := dst.YOffset(x, y)
			dst.Y[i] = blend(dst.Y[i], sampleBilinear(src.Y, src.YStride, sw, sh, sx, sy), a)
			if x%2 == 0 && y%2 == 0 {
				ci := dst.COffset(x, y)
				dst.Cb[ci] = blend(dst.Cb[ci], sampleBilinear(src.Cb, src.CStride, cw, ch, sx/2, sy/2), a)
				dst.Cr[ci] = blend(dst.Cr[ci], sampleBilinear(src.Cr, src.CStride, cw, ch, sx/2, sy/2), a)
			}
		}
	}
}

func blend(a uint8, b, alpha float64) uint8 {
	return uint8(math.Round(math.Max(0, math.Min(255, float64(a)*(1-alpha)+b*alpha))))
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}
