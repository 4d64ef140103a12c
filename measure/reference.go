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
func ReferenceInput() video.Input { return ClipInput(ReferenceClip()) }

// ClipInput describes a generated clip as a video input (motion 0.5, the
// catalogue's middle: the generator's motion is not measured).
func ClipInput(c functions.Clip) video.Input {
	return video.Input{Width: c.Width, Height: c.Height, FPS: c.FPS, Seconds: c.Seconds, Motion: 0.5, Faces: c.Faces, ID: -1}
}

// ClipSet is one clip of the reference measurement with its own grid and
// sample counts. The base clip fills the measured platform's tables; the
// others are measured at fewer sizes so that cnav calibrate can fit how each
// function's work grows with pixels and frames instead of assuming it.
type ClipSet struct {
	Name   string // "" for the base clip (tables in DIR), else tables in DIR/clips/NAME
	Clip   functions.Clip
	Memory []int
	Repeat int
}

// ReferenceClips are the clips of a full re-measurement: the base clip at
// ten sizes, the same second at 720p (4× the pixels) and three seconds of
// 360p (3× the frames), each at three sizes with three warm samples, and the
// paper's clip (1080p, 5 s: 45× the base's pixels times frames) at 3,072 MB,
// so that the simulator's default input is measured, not extrapolated. The
// extra clips avoid 128–512 MB, where a larger input would take minutes per
// invocation, so that a full re-measurement stays near 45 minutes on two
// cores (base 35, the 720p and 3 s clips 5, the 1080p clip about 6 in
// December 2026). The committed 1080p tables also hold 1,536 MB, measured
// with --memory 1536,3072 (another 17 minutes).
func ReferenceClips() []ClipSet {
	base := ReferenceClip()
	hi := base
	hi.Width, hi.Height = 1280, 720
	long := base
	long.Seconds = 3
	paper := base
	paper.Width, paper.Height, paper.Seconds = 1920, 1080, 5
	extra := []int{1024, 2048, 3072}
	return []ClipSet{
		{Name: "", Clip: base, Memory: ReferenceMemory(), Repeat: 5},
		{Name: "720p-1s", Clip: hi, Memory: extra, Repeat: 3},
		{Name: "360p-3s", Clip: long, Memory: extra, Repeat: 3},
		{Name: "1080p-5s", Clip: paper, Memory: []int{3072}, Repeat: 3},
	}
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
	WorkDir   string         // where inputs are made (a temporary directory when empty)
	Clip      functions.Clip // the clip (ReferenceClip when its Width is 0)
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
	clip := o.Clip
	if clip.Width == 0 {
		clip = ReferenceClip()
	}
	if err := functions.Generate(ctx, clip, p("clip.mp4")); err != nil {
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
			Memory: mem, Repeat: o.Repeat, Cold: o.Cold, Shares: o.Shares, Input: ClipInput(clip), Fallback: o.Fallback, Log: o.Log})
		if err != nil {
			return err
		}
		if err := Write(t, filepath.Join(dir, s.Function+".parquet")); err != nil {
			return err
		}
	}
	return nil
}
