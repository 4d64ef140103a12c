package functions

import (
	"context"
	"fmt"
	"math"
)

func init() {
	register(&Func{
		Name:    "scale",
		Summary: "downscale frames with ffmpeg's scale filter (bicubic), by a factor or to a height, keeping the aspect ratio",
		Inputs:  "frames",
		Output:  KindFrames,
		FFmpeg:  true,
		Args: []Arg{
			{Name: "factor", Default: "0.5", Help: "scale factor in (0, 1]"},
			{Name: "height", Default: "0", Help: "target height in pixels (overrides factor when > 0)"},
		},
		run: scaleFrames,
	})
}

func scaleFrames(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	factor, err := c.argFloat("factor", 0.01, 1)
	if err != nil {
		return err
	}
	height, err := c.argInt("height", 0, 8640)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	if height > 0 {
		factor = float64(height) / float64(f.Height)
	}
	w, h := even(float64(f.Width)*factor), even(float64(f.Height)*factor)
	if math.Abs(factor-1) < 1e-9 {
		w, h = f.Width, f.Height
	}
	jpegs, err := filterFrames(ctx, c.tmp, f, fmt.Sprintf("scale=%d:%d:flags=bicubic", w, h))
	if err != nil {
		return err
	}
	c.note("width", w)
	c.note("height", h)
	c.note("frames", len(jpegs))
	return WriteFrames(c.out, w, h, f.FPS, jpegs)
}
