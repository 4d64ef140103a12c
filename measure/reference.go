package measure

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/confignav/confignav/functions"
	"github.com/confignav/confignav/video"
)

// ReferenceClip is the clip the committed tables are measured on: 360p, one
// second at 30 fps, two faces from pigo's sample photo over noisy testsrc2.
// One second rather than the reference clip's five keeps a re-measurement of
// all thirteen functions at ten sizes within about a quarter of an hour on
// two cores.
func ReferenceClip() functions.Clip {
	return functions.Clip{Kind: "faces", Width: 640, Height: 360, FPS: 30, Seconds: 1, Faces: 2, Noise: 12, Seed: 1}
}

// ReferenceInput describes ReferenceClip for the tables (its motion is not
// measured: 0.5, the catalogue's middle).
func ReferenceInput() video.Input {
	c := ReferenceClip()
	return video.Input{Width: c.Width, Height: c.Height, FPS: c.FPS, Seconds: c.Seconds, Motion: 0.5, Faces: c.Faces, ID: -1}
}

// ReferenceMemory is the committed tables' grid: 128 and 256 MB, then 512 to
// 4,096 MB in steps of 512.
func ReferenceMemory() []int {
	return []int{128, 256, 512, 1024, 1536, 2048, 2560, 3072, 3584, 4096}
}

// Step makes one artifact from others with a function.
type Step struct {
	Function string
	Inputs   []string // artifact names
	Output   string
	Args     map[string]string
	Measure  bool // the step whose inputs the function's table is measured on
}

// ReferenceSteps are the pipelines' functions in an order that makes every
// input before it is needed. Each function is measured once, on the input of
// its first pipeline (face-detect on the full 360p frames of face-detection,
// encode re-encoding them, beautify on one face as one fan-out instance).
func ReferenceSteps() []Step {
	return []Step{
		{"decode", []string{"clip.mp4"}, "frames.tar", nil, true},
		{"scale", []string{"frames.tar"}, "scaled.tar", nil, true},
		{"border-detect", []string{"frames.tar"}, "borders.json", nil, true},
		{"face-detect", []string{"frames.tar"}, "faces.json", nil, true},
		{"face-detect", []string{"scaled.tar"}, "faces-scaled.json", nil, false},
		{"object-detect", []string{"scaled.tar"}, "objects.json", nil, true},
		{"signal-fuse", []string{"faces-scaled.json", "objects.json", "borders.json"}, "signals.json", nil, true},
		{"scene-crop", []string{"signals.json", "frames.tar"}, "crop.json", nil, true},
		{"encode", []string{"frames.tar"}, "encoded.mp4", nil, true},
		{"roi", []string{"frames.tar"}, "rois.tar", nil, true},
		{"beautify", []string{"rois.tar"}, "beautified-0.tar", map[string]string{"face": "0"}, true},
		{"beautify", []string{"rois.tar"}, "beautified-1.tar", map[string]string{"face": "1"}, false},
		{"judge-resolution", []string{"frames.tar"}, "judgement.json", nil, true},
		{"hd", []string{"frames.tar", "judgement.json"}, "hd.tar", nil, true},
		{"restore", []string{"hd.tar", "beautified-0.tar", "beautified-1.tar"}, "restored.tar", nil, true},
	}
}

// ReferenceOptions configure Reference.
type ReferenceOptions struct {
	Functions []string // subset to measure (nil: all)
	Memory    []int    // nil: ReferenceMemory
	Repeat    int
	Cold      int
	Shares    int
	Worker    func(function string) []string
	Fallback  string
	Log       func(string)
	WorkDir   string // where inputs are made (a temporary directory when empty)
}

// Reference generates the reference clip, makes every function's inputs by
// running the pipelines' functions in this process, and measures each
// function into dir/NAME.parquet and dir/NAME.json.
func Reference(ctx context.Context, dir string, o ReferenceOptions) error {
	work := o.WorkDir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "cnav-reference-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			o.Log(fmt.Sprintf(format, args...))
		}
	}
	p := func(n string) string { return filepath.Join(work, n) }
	if err := functions.Generate(ctx, ReferenceClip(), p("clip.mp4")); err != nil {
		return err
	}
	for _, s := range ReferenceSteps() {
		in := make([]string, len(s.Inputs))
		for i, n := range s.Inputs {
			in[i] = p(n)
		}
		if _, err := functions.Invoke(ctx, s.Function, functions.Request{Inputs: in, Output: p(s.Output), Args: s.Args}); err != nil {
			return fmt.Errorf("measure: making %s: %w", s.Output, err)
		}
	}
	logf("inputs made in %s", work)
	mem := o.Memory
	if mem == nil {
		mem = ReferenceMemory()
	}
	for _, s := range ReferenceSteps() {
		if !s.Measure || (o.Functions != nil && !slices.Contains(o.Functions, s.Function)) {
			continue
		}
		in := make([]string, len(s.Inputs))
		for i, n := range s.Inputs {
			in[i] = p(n)
		}
		t, err := Run(ctx, Config{Function: s.Function, Worker: o.Worker(s.Function), Inputs: in, Args: s.Args,
			Memory: mem, Repeat: o.Repeat, Cold: o.Cold, Shares: o.Shares, Input: ReferenceInput(), Fallback: o.Fallback, Log: o.Log})
		if err != nil {
			return err
		}
		if err := Write(t, filepath.Join(dir, s.Function+".parquet")); err != nil {
			return err
		}
	}
	return nil
}
