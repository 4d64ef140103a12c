package functions

import (
	"context"
	"fmt"
	"math"
)

func init() {
	register(&Func{
		Name: "judge-resolution",
		Summary: "judge whether the clip needs upscaling: reads the frame size and the sharpness (variance of the " +
			"Laplacian of luma) of every stride-th frame, and sets the factor that brings the height to the target",
		Inputs: "frames",
		Output: KindResolution,
		Args: []Arg{
			{Name: "target", Default: "720", Help: "target height in pixels"},
			{Name: "stride", Default: "5", Help: "examine every stride-th frame"},
		},
		run: judge,
	})
}

func judge(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	target, err := c.argInt("target", 16, 8640)
	if err != nil {
		return err
	}
	stride, err := c.argInt("stride", 1, 1<<20)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	var idx []int
	for i := 0; i < f.Count; i += stride {
		idx = append(idx, i)
	}
	sharp := make([]float64, len(idx))
	err = parallel(ctx, len(idx), func(k int) error {
		img, err := f.Decode(idx[k])
		if err != nil {
			return err
		}
		pix, w, h := luma(img)
		sharp[k] = laplacianVariance(pix, w, h)
		return nil
	})
	if err != nil {
		return err
	}
	var mean float64
	for _, s := range sharp {
		mean += s
	}
	if len(sharp) > 0 {
		mean /= float64(len(sharp))
	}
	j := Judgement{Kind: KindResolution, Width: f.Width, Height: f.Height, Sampled: len(idx), Sharpness: mean, Factor: 1}
	switch {
	case f.Height >= target:
		j.Reason = fmt.Sprintf("height %d ≥ target %d: no upscaling", f.Height, target)
	default:
		j.Factor = min(4, int(math.Ceil(float64(target)/float64(f.Height))))
		j.Reason = fmt.Sprintf("height %d < target %d: upscale ×%d", f.Height, target, j.Factor)
	}
	c.note("factor", j.Factor)
	c.note("sampled", j.Sampled)
	return writeJSON(c.out, &j)
}
