package functions

import (
	"context"
	"os"
	"path/filepath"
)

func init() {
	register(&Func{
		Name:    "decode",
		Summary: "decode the clip with ffmpeg (libavcodec) into JPEG frames (ffmpeg's mjpeg encoder, q=2) written through /tmp",
		Inputs:  "video",
		Output:  KindFrames,
		FFmpeg:  true,
		run:     decode,
	})
}

func decode(ctx context.Context, c *call) error {
	v, err := c.in.one(KindVideo)
	if err != nil {
		return err
	}
	info, err := Probe(ctx, v)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.tmp, "frames")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	err = runFFmpeg(ctx, nil, "-i", v, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-q:v", "2", "-start_number", "0", filepath.Join(dir, "%06d.jpg"))
	if err != nil {
		return err
	}
	jpegs, err := readJPEGDir(dir)
	if err != nil {
		return err
	}
	c.note("frames", len(jpegs))
	c.note("width", info.Width)
	c.note("height", info.Height)
	return WriteFrames(c.out, info.Width, info.Height, info.FPS, jpegs)
}
