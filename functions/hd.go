package functions

import (
	"context"
	"fmt"
	"os"
)

func init() {
	register(&Func{
		Name: "hd",
		Summary: "upscale frames ×factor with ffmpeg's Lanczos scaler followed by an unsharp mask " +
			"(classical interpolation, not neural super-resolution); factor from the resolution judgement when given",
		Inputs: "frames [+ resolution]",
		Output: KindFrames,
		FFmpeg: true,
		Args: []Arg{
			{Name: "factor", Default: "0", Help: "upscaling factor 1..4 (0: the judgement's, else 2)"},
		},
		run: hd,
	})
}

func hd(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	jp, err := c.in.optional(KindResolution)
	if err != nil {
		return err
	}
	factor, err := c.argInt("factor", 0, 4)
	if err != nil {
		return err
	}
	if factor == 0 {
		factor = 2
		if jp != "" {
			var j Judgement
			if err := readJSON(jp, KindResolution, &j); err != nil {
				return err
			}
			factor = max(j.Factor, 1)
		}
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	c.note("factor", factor)
	c.note("frames", f.Count)
	if factor == 1 {
		// Nothing to upscale: the frames pass through unchanged.
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		c.note("width", f.Width)
		c.note("height", f.Height)
		return os.WriteFile(c.out, b, 0o644)
	}
	w, h := f.Width*factor, f.Height*factor
	jpegs, err := filterFrames(ctx, c.tmp, f, fmt.Sprintf("scale=%d:%d:flags=lanczos,unsharp=5:5:0.8:5:5:0.0", w, h))
	if err != nil {
		return err
	}
	c.note("width", w)
	c.note("height", h)
	return WriteFrames(c.out, w, h, f.FPS, jpegs)
}
