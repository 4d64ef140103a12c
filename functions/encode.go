package functions

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
)

func init() {
	register(&Func{
		Name: "encode",
		Summary: "encode frames to H.264 MP4 with ffmpeg's libx264; with detections it outlines the boxes " +
			"(face-detection pipeline), with a crop plan it crops each frame to the plan's window (autoclip)",
		Inputs: "frames [+ detections] [+ crop]",
		Output: KindVideo,
		FFmpeg: true,
		Args: []Arg{
			{Name: "crf", Default: "23", Help: "x264 constant rate factor 0..51"},
			{Name: "preset", Default: "veryfast", Help: "x264 preset"},
		},
		run: encode,
	})
}

// boxColour outlines detections: green in YCbCr.
var boxColour = color.YCbCr{Y: 145, Cb: 54, Cr: 34}

func encode(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	crf, err := c.argInt("crf", 0, 51)
	if err != nil {
		return err
	}
	var boxes []*Detections
	for _, dp := range c.in[KindDetections] {
		d := new(Detections)
		if err := readJSON(dp, KindDetections, d); err != nil {
			return err
		}
		boxes = append(boxes, d)
	}
	cp, err := c.in.optional(KindCrop)
	if err != nil {
		return err
	}
	var plan *CropPlan
	if cp != "" {
		plan = new(CropPlan)
		if err := readJSON(cp, KindCrop, plan); err != nil {
			return err
		}
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	out := filepath.Join(c.tmp, "out.mp4")
	x264 := []string{"-c:v", "libx264", "-preset", c.arg("preset"), "-crf", fmt.Sprint(crf),
		"-pix_fmt", "yuv420p", "-movflags", "+faststart", out}
	w, h := f.Width, f.Height
	if plan == nil && len(boxes) == 0 {
		// Plain re-encode: ffmpeg reads the JPEG stream itself.
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<20)
			var err error
			for _, b := range f.JPEG {
				if _, err = bw.Write(b); err != nil {
					break
				}
			}
			if err == nil {
				err = bw.Flush()
			}
			pw.CloseWithError(err)
		}()
		args := append([]string{"-f", "image2pipe", "-c:v", "mjpeg", "-framerate", fmtFloat(f.FPS), "-i", "pipe:0"}, x264...)
		err = runFFmpeg(ctx, pr, args...)
		pr.Close()
	} else {
		if plan != nil {
			w, h = max(2, int(plan.W*float64(f.Width))&^1), max(2, int(plan.H*float64(f.Height))&^1)
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(composeFrames(f, boxes, plan, w, h, pw)) }()
		args := append([]string{"-f", "rawvideo", "-pix_fmt", "yuvj420p", "-s", fmt.Sprintf("%dx%d", w, h),
			"-framerate", fmtFloat(f.FPS), "-i", "pipe:0"}, x264...)
		err = runFFmpeg(ctx, pr, args...)
		pr.Close()
	}
	if err != nil {
		return err
	}
	c.note("width", w)
	c.note("height", h)
	c.note("frames", f.Count)
	if err := os.Rename(out, c.out); err != nil {
		// Across file systems: copy.
		b, rerr := os.ReadFile(out)
		if rerr != nil {
			return rerr
		}
		return os.WriteFile(c.out, b, 0o644)
	}
	return nil
}

// composeFrames decodes each frame, outlines the detections scaled to the
// frame, crops it to the plan's window and writes raw yuv420p planes.
func composeFrames(f *Frames, dets []*Detections, plan *CropPlan, w, h int, out io.Writer) error {
	bw := bufio.NewWriterSize(out, 1<<20)
	const batch = 8 // decode in parallel, write in order
	imgs := make([]*image.YCbCr, batch)
	for start := 0; start < f.Count; start += batch {
		n := min(batch, f.Count-start)
		err := parallel(context.Background(), n, func(k int) error {
			i := start + k
			img, err := f.Decode(i)
			if err != nil {
				return err
			}
			y := toYCbCr420(img)
			for _, d := range dets {
				sx, sy := float64(f.Width)/float64(d.Width), float64(f.Height)/float64(d.Height)
				t := max(2, f.Height/180)
				for _, fb := range d.Frames {
					if fb.Index != i {
						continue
					}
					for _, b := range fb.Boxes {
						r := image.Rect(int(float64(b.X)*sx), int(float64(b.Y)*sy), int(float64(b.X+b.W)*sx), int(float64(b.Y+b.H)*sy))
						drawRect(y, r, t, boxColour)
					}
				}
			}
			imgs[k] = y
			return nil
		})
		if err != nil {
			return err
		}
		for k := 0; k < n; k++ {
			i := start + k
			r := image.Rect(0, 0, w, h)
			if plan != nil {
				x0, y0 := 0.0, 0.0
				if i < len(plan.Frames) {
					x0, y0 = plan.Frames[i].X, plan.Frames[i].Y
				}
				ox := clamp(int(math.Round(x0*float64(f.Width)))&^1, 0, f.Width-w)
				oy := clamp(int(math.Round(y0*float64(f.Height)))&^1, 0, f.Height-h)
				r = image.Rect(ox, oy, ox+w, oy+h)
			}
			if err := writeYUV420(bw, imgs[k], r); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
