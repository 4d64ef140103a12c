package functions

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Clip describes a generated test clip. Clips are made by ffmpeg from fixed
// arguments and seeds, never downloaded: the same spec gives the same clip on
// the same ffmpeg build (x264 runs single-threaded, bit-exact muxing).
type Clip struct {
	// Kind is "testsrc2" (ffmpeg's moving test pattern) or "faces" (copies of
	// pigo's sample photo moving over a testsrc2 background).
	Kind    string  `json:"kind"`
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	FPS     float64 `json:"fps"`
	Seconds float64 `json:"seconds"`
	Faces   int     `json:"faces,omitempty"` // faces kind: how many copies of the face
	// Noise is the strength of the temporal noise (ffmpeg's noise filter,
	// flags t+u); plain testsrc2 compresses unrealistically well without it.
	Noise int   `json:"noise"`
	Seed  int64 `json:"seed"`
	// Letterbox puts black bars of this many pixels above and below the
	// picture (for border detection).
	Letterbox int `json:"letterbox,omitempty"`
}

// DefaultClip is the reference test clip: 360p, 2 s at 30 fps, two faces.
func DefaultClip() Clip {
	return Clip{Kind: "faces", Width: 640, Height: 360, FPS: 30, Seconds: 2, Faces: 2, Noise: 12, Seed: 1}
}

// Validate reports the first field out of range.
func (c Clip) Validate() error {
	switch {
	case c.Kind != "testsrc2" && c.Kind != "faces":
		return fmt.Errorf("%w: clip kind %q, want testsrc2 or faces", ErrInput, c.Kind)
	case c.Width < 64 || c.Height < 64 || c.Width > 7680 || c.Height > 4320 || c.Width%2 != 0 || c.Height%2 != 0:
		return fmt.Errorf("%w: clip size %dx%d, want even sizes from 64x64 to 7680x4320", ErrInput, c.Width, c.Height)
	case !(c.FPS > 0) || c.FPS > 240:
		return fmt.Errorf("%w: clip fps %v, want (0, 240]", ErrInput, c.FPS)
	case !(c.Seconds > 0) || c.Seconds > 600:
		return fmt.Errorf("%w: clip length %v s, want (0, 600]", ErrInput, c.Seconds)
	case c.Kind == "faces" && (c.Faces < 1 || c.Faces > 8):
		return fmt.Errorf("%w: faces %d, want 1..8", ErrInput, c.Faces)
	case c.Noise < 0 || c.Noise > 100:
		return fmt.Errorf("%w: noise %d, want 0..100", ErrInput, c.Noise)
	case c.Letterbox < 0 || 2*c.Letterbox >= c.Height-16:
		return fmt.Errorf("%w: letterbox %d too large for height %d", ErrInput, c.Letterbox, c.Height)
	}
	return nil
}

// Generate writes the clip as an H.264 MP4 to out.
func Generate(ctx context.Context, c Clip, out string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	ph := c.Height - 2*c.Letterbox // picture height inside the bars
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=%s:duration=%s", c.Width, ph, fmtFloat(c.FPS), fmtFloat(c.Seconds))
	noise := fmt.Sprintf("noise=alls=%d:allf=t+u:all_seed=%d", c.Noise, c.Seed)
	var args []string
	var graph []string
	last := "[0:v]"
	args = append(args, "-f", "lavfi", "-i", src)
	if c.Kind == "faces" {
		tmp, err := os.MkdirTemp("", "cnav-gen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		photo := filepath.Join(tmp, "face.jpg")
		if err := os.WriteFile(photo, SamplePhoto, 0o644); err != nil {
			return err
		}
		args = append(args, "-loop", "1", "-framerate", fmtFloat(c.FPS), "-i", photo)
		// The photo is 320×400; faces take 60 % of the height unless the row
		// of them would not fit the width.
		fh := math.Min(0.6*float64(ph), 0.95*float64(c.Width)/(float64(c.Faces)*0.8))
		fw := even(fh * 0.8)
		labels := make([]string, c.Faces)
		for i := range labels {
			labels[i] = fmt.Sprintf("[f%d]", i)
		}
		graph = append(graph, fmt.Sprintf("[1:v]scale=%d:%d,split=%d%s", fw, even(fh), c.Faces, strings.Join(labels, "")))
		amp := 0.03 * float64(c.Width)
		for i := 0; i < c.Faces; i++ {
			cx := float64(c.Width) * (float64(i) + 0.5) / float64(c.Faces)
			x := fmt.Sprintf("%.1f+%.1f*sin(2*PI*t/%s+%d)", cx-float64(fw)/2, amp, fmtFloat(c.Seconds), i)
			y := fmt.Sprintf("%.1f", (float64(ph)-fh)/2)
			next := fmt.Sprintf("[v%d]", i)
			graph = append(graph, fmt.Sprintf("%s%soverlay=x='%s':y=%s:shortest=1%s", last, labels[i], x, y, next))
			last = next
		}
	}
	post := noise
	if c.Letterbox > 0 {
		post += fmt.Sprintf(",pad=%d:%d:0:%d:black", c.Width, c.Height, c.Letterbox)
	}
	graph = append(graph, fmt.Sprintf("%s%s,format=yuv420p[out]", last, post))
	args = append(args, "-filter_complex", strings.Join(graph, ";"), "-map", "[out]",
		"-t", fmtFloat(c.Seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-threads", "1",
		"-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", out)
	return runFFmpeg(ctx, nil, args...)
}
