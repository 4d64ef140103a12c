package functions

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
)

func init() {
	register(&Func{
		Name: "restore",
		Summary: "restore beautified faces into the (upscaled) frames: each face crop is resampled (bilinear) to its box " +
			"scaled to the frame size and blended in with a feathered elliptical mask",
		Inputs: "frames + rois… [+ resolution]",
		Output: KindFrames,
		run:    restore,
	})
}

func restore(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	type paste struct {
		r    image.Rectangle
		crop []byte
	}
	byFrame := make([][]paste, f.Count)
	faces := 0
	for _, rp := range c.in[KindROIs] {
		r, err := ReadROIs(rp)
		if err != nil {
			return err
		}
		sx, sy := float64(f.Width)/float64(r.Width), float64(f.Height)/float64(r.Height)
		for _, t := range r.Tracks {
			faces++
			for _, b := range t.Boxes {
				if b.Index >= f.Count {
					return fmt.Errorf("%w: face track %d has frame %d, the frames hold %d", ErrInput, t.ID, b.Index, f.Count)
				}
				jp, ok := r.Crops[t.ID][b.Index]
				if !ok {
					return fmt.Errorf("%w: face track %d lacks the crop of frame %d", ErrInput, t.ID, b.Index)
				}
				dst := image.Rect(int(float64(b.X)*sx), int(float64(b.Y)*sy), int(float64(b.X+b.W)*sx), int(float64(b.Y+b.H)*sy))
				byFrame[b.Index] = append(byFrame[b.Index], paste{dst, jp})
			}
		}
	}
	out := make([][]byte, f.Count)
	err = parallel(ctx, f.Count, func(i int) error {
		if len(byFrame[i]) == 0 {
			out[i] = f.JPEG[i] // untouched frames are copied, not re-encoded
			return nil
		}
		img, err := f.Decode(i)
		if err != nil {
			return err
		}
		y := toYCbCr420(img)
		for _, ps := range byFrame[i] {
			ci, err := jpeg.Decode(bytes.NewReader(ps.crop))
			if err != nil {
				return err
			}
			pasteFeathered(y, ps.r, toYCbCr420(ci))
		}
		out[i], err = EncodeJPEG(y)
		return err
	})
	if err != nil {
		return err
	}
	c.note("frames", f.Count)
	c.note("faces", faces)
	c.note("width", f.Width)
	c.note("height", f.Height)
	return WriteFrames(c.out, f.Width, f.Height, f.FPS, out)
}
