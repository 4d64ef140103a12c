package video

import (
	"fmt"
	"math"
)

// Input is the set of features of one clip that drive the work of a pipeline.
type Input struct {
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	FPS     float64 `json:"fps"`
	Seconds float64 `json:"seconds"`
	// Motion is motion complexity in [0, 1]: 0 a still scene, 1 constant fast
	// motion. It changes how much work encoders and trackers do per frame.
	Motion float64 `json:"motion"`
	// Faces is the number of faces in the clip; pipelines may fan out per face.
	Faces int `json:"faces"`
	// ID identifies the clip in its catalogue (-1 when it has none); it lets
	// consumers cache per-clip work without comparing features.
	ID int `json:"id"`
}

// Reference is the clip function profiles are calibrated on.
var Reference = Input{Width: 1920, Height: 1080, FPS: 30, Seconds: 5, Motion: 0.5, Faces: 1, ID: -1}

// Pixels is the number of pixels in one frame.
func (in Input) Pixels() float64 { return float64(in.Width) * float64(in.Height) }

// Frames is the number of frames in the clip.
func (in Input) Frames() float64 { return in.FPS * in.Seconds }

// Feature returns the named feature as a number; names are those of the
// struct's JSON tags plus "pixels" and "frames".
func (in Input) Feature(name string) (float64, error) {
	switch name {
	case "width":
		return float64(in.Width), nil
	case "height":
		return float64(in.Height), nil
	case "fps":
		return in.FPS, nil
	case "seconds":
		return in.Seconds, nil
	case "motion":
		return in.Motion, nil
	case "faces":
		return float64(in.Faces), nil
	case "pixels":
		return in.Pixels(), nil
	case "frames":
		return in.Frames(), nil
	}
	return 0, fmt.Errorf("video: unknown input feature %q (want width, height, fps, seconds, motion, faces, pixels or frames)", name)
}

// Validate reports the first feature that is out of range.
func (in Input) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 }
	switch {
	case in.Width <= 0 || in.Height <= 0:
		return fmt.Errorf("video: resolution %dx%d must be positive", in.Width, in.Height)
	case bad(in.FPS) || in.FPS == 0:
		return fmt.Errorf("video: fps %v must be a positive number", in.FPS)
	case bad(in.Seconds) || in.Seconds == 0:
		return fmt.Errorf("video: length %v s must be a positive number", in.Seconds)
	case bad(in.Motion) || in.Motion > 1:
		return fmt.Errorf("video: motion %v must be in [0, 1]", in.Motion)
	case in.Faces < 0:
		return fmt.Errorf("video: faces %d must not be negative", in.Faces)
	}
	return nil
}

// Resolution returns the standard 16:9 frame size for a named height such as
// "360p" or "1080p".
func Resolution(name string) (width, height int, err error) {
	var h int
	if _, err := fmt.Sscanf(name, "%dp", &h); err != nil || h <= 0 || h > 4320 {
		return 0, 0, fmt.Errorf("video: resolution %q: want a height such as 360p, 720p or 1080p", name)
	}
	w := (h*16/9 + 1) &^ 1 // even width, as encoders require
	return w, h, nil
}

// EncodedBytes estimates the size of the compressed clip: 0.1 bit per pixel per
// frame (H.264 at ~6 Mbit/s for 1080p30) scaled by motion from 0.75 (still) to
// 1.25 (fast).
func (in Input) EncodedBytes() float64 {
	return in.Pixels() * in.Frames() * 0.1 / 8 * (0.75 + 0.5*in.Motion)
}
