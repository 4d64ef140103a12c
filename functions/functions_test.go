package functions

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// requireFFmpeg skips a test when ffmpeg is missing, except in CI
// (CI=true), where run.sh installs it and its absence is a failure.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := FFmpegPath(); err == nil {
		if _, err := ffprobePath(); err == nil {
			return
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("ffmpeg/ffprobe not installed (CI=true: run.sh should have run functions/install-deps.sh)")
	}
	t.Skip("ffmpeg/ffprobe not installed: skipping (functions/install-deps.sh installs Debian's package)")
}

// fixtures are artifacts shared by the tests, made once on first use.
var fixtures struct {
	mu   sync.Mutex
	dir  string
	made map[string]error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cnav-functions-test-")
	if err != nil {
		panic(err)
	}
	fixtures.dir, fixtures.made = dir, map[string]error{}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testClip is the clip most tests use: 360p, 1 s at 30 fps, two faces.
var testClip = Clip{Kind: "faces", Width: 640, Height: 360, FPS: 30, Seconds: 1, Faces: 2, Noise: 12, Seed: 1}

// fixture returns the path of a named artifact, making it (and what it
// depends on) on first use.
func fixture(t *testing.T, name string) string {
	t.Helper()
	requireFFmpeg(t)
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	return makeFixture(t, name)
}

func makeFixture(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(fixtures.dir, name)
	if err, done := fixtures.made[name]; done {
		if err != nil {
			t.Fatalf("fixture %s: %v", name, err)
		}
		return p
	}
	ctx := context.Background()
	var err error
	invoke := func(fn string, args map[string]string, in ...string) {
		paths := make([]string, len(in))
		for i, n := range in {
			paths[i] = makeFixture(t, n)
		}
		_, err = Invoke(ctx, fn, Request{Inputs: paths, Output: p, Args: args})
	}
	switch name {
	case "faces.mp4":
		err = Generate(ctx, testClip, p)
	case "testsrc2.mp4":
		c := testClip
		c.Kind, c.Faces = "testsrc2", 0
		err = Generate(ctx, c, p)
	case "frames.tar":
		invoke("decode", nil, "faces.mp4")
	case "testsrc2-frames.tar":
		invoke("decode", nil, "testsrc2.mp4")
	case "scaled.tar":
		invoke("scale", nil, "frames.tar")
	case "faces.json":
		invoke("face-detect", nil, "frames.tar")
	case "rois.tar":
		invoke("roi", nil, "frames.tar")
	default:
		t.Fatalf("no fixture %s", name)
	}
	fixtures.made[name] = err
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return p
}

func invoke(t *testing.T, fn string, args map[string]string, out string, in ...string) *Result {
	t.Helper()
	r, err := Invoke(context.Background(), fn, Request{Inputs: in, Output: out, Args: args})
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	return r
}

func TestRegistryHasEveryPipelineFunction(t *testing.T) {
	// The models named in pipeline/builtin/*.yaml.
	want := []string{"beautify", "border-detect", "decode", "encode", "face-detect", "hd", "judge-resolution",
		"object-detect", "restore", "roi", "scale", "scene-crop", "signal-fuse"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("functions %v, want %v", got, want)
	}
	for _, n := range want {
		f, _ := Lookup(n)
		if f.Summary == "" || f.Inputs == "" || f.Output == "" {
			t.Errorf("%s: summary, inputs and output must be documented", n)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown function: %v", err)
	}
}

func TestAssetsMatchModule(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skip("pigo's module directory is not available: cannot compare the copied assets")
	}
	for asset, orig := range map[string]string{"assets/facefinder": "cascade/facefinder", "assets/sample.jpg": "testdata/sample.jpg"} {
		a, err1 := os.ReadFile(asset)
		b, err2 := os.ReadFile(filepath.Join(dir, orig))
		if err1 != nil || err2 != nil {
			t.Skipf("cannot read %s or the module's %s", asset, orig)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from pigo v1.4.6's %s", asset, orig)
		}
	}
}

// The detector finds the one face of pigo's sample photo, where it is.
func TestFindFacesOnSamplePhoto(t *testing.T) {
	if err := initCascade(); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(SamplePhoto))
	if err != nil {
		t.Fatal(err)
	}
	pix, w, h := luma(img)
	boxes := findFaces(pix, w, h, faceParams{minScore: 5, iou: 0.2})
	if len(boxes) != 1 {
		t.Fatalf("found %d faces in the sample photo, want 1: %+v", len(boxes), boxes)
	}
	// The face (eyes to chin) lies around (160, 200) in the 320×400 photo.
	b := boxes[0]
	if c := image.Pt(b.X+b.W/2, b.Y+b.H/2); !c.In(image.Rect(110, 140, 210, 270)) || b.W < 100 {
		t.Fatalf("face box %+v not on the face", b)
	}
	// No face in a flat grey image.
	flat := make([]uint8, w*h)
	for i := range flat {
		flat[i] = 128
	}
	if got := findFaces(flat, w, h, faceParams{minScore: 5, iou: 0.2}); len(got) != 0 {
		t.Fatalf("faces in a flat image: %+v", got)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	c := Clip{Kind: "faces", Width: 160, Height: 90, FPS: 10, Seconds: 0.5, Faces: 1, Noise: 12, Seed: 7}
	a, b := filepath.Join(dir, "a.mp4"), filepath.Join(dir, "b.mp4")
	for _, p := range []string{a, b} {
		if err := Generate(context.Background(), c, p); err != nil {
			t.Fatal(err)
		}
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatal("the same clip spec gave different bytes")
	}
	c.Seed = 8
	if err := Generate(context.Background(), c, b); err != nil {
		t.Fatal(err)
	}
	if bb, _ = os.ReadFile(b); bytes.Equal(ba, bb) {
		t.Fatal("another noise seed gave the same clip")
	}
}

// Clips from 360p to 1080p decode to frames of their size.
func TestDecodeResolutions(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	for _, tc := range []struct{ w, h int }{{640, 360}, {1280, 720}, {1920, 1080}} {
		c := Clip{Kind: "testsrc2", Width: tc.w, Height: tc.h, FPS: 30, Seconds: 0.2, Noise: 12, Seed: 1}
		clip, frames := filepath.Join(dir, "c.mp4"), filepath.Join(dir, "f.tar")
		if err := Generate(context.Background(), c, clip); err != nil {
			t.Fatal(err)
		}
		invoke(t, "decode", nil, frames, clip)
		f, err := ReadFrames(frames)
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != tc.w || f.Height != tc.h || f.Count != 6 || f.FPS != 30 {
			t.Fatalf("%dx%d clip decoded to %dx%d, %d frames at %v fps; want 6 frames at 30", tc.w, tc.h, f.Width, f.Height, f.Count, f.FPS)
		}
		img, err := f.Decode(3)
		if err != nil || img.Bounds().Dx() != tc.w {
			t.Fatalf("frame 3: %v", err)
		}
	}
}

// Temporal noise keeps testsrc2 from compressing unrealistically well.
func TestNoiseMakesClipsRealisticallyLarge(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	c := Clip{Kind: "testsrc2", Width: 640, Height: 360, FPS: 30, Seconds: 1, Seed: 1}
	quiet, noisy := filepath.Join(dir, "q.mp4"), filepath.Join(dir, "n.mp4")
	if err := Generate(context.Background(), c, quiet); err != nil {
		t.Fatal(err)
	}
	c.Noise = 12
	if err := Generate(context.Background(), c, noisy); err != nil {
		t.Fatal(err)
	}
	q, _ := os.Stat(quiet)
	n, _ := os.Stat(noisy)
	// A 360p30 camera clip at CRF 20 runs at ~1–3 Mbit/s: well above 100 KB a
	// second. Plain testsrc2 stays far below.
	if n.Size() < 100_000 || n.Size() < 3*q.Size() {
		t.Fatalf("noisy clip %d B, plain %d B: noise does not raise the bitrate enough", n.Size(), q.Size())
	}
}

func TestFaceDetectFindsTheFaces(t *testing.T) {
	faces := fixture(t, "faces.json")
	var d Detections
	if err := readJSON(faces, KindDetections, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Frames) != 30 {
		t.Fatalf("%d frames, want 30", len(d.Frames))
	}
	// Two faces at x centres W/4 and 3W/4 (± the 3 % sway and the box).
	miss := 0
	for _, f := range d.Frames {
		if len(f.Boxes) != 2 {
			miss++
			continue
		}
		for i, b := range f.Boxes {
			cx := float64(b.X + b.W/2)
			want := 640 * (float64(i) + 0.5) / 2
			if math.Abs(cx-want) > 50 || b.Y+b.H/2 < 120 || b.Y+b.H/2 > 240 {
				t.Errorf("frame %d face %d at %+v, want centre x ≈ %v", f.Index, i, b, want)
			}
		}
	}
	if miss > 3 { // the cascade may flicker on a few noisy frames
		t.Fatalf("%d of 30 frames do not have exactly two faces", miss)
	}
	// None on the plain test pattern.
	out := filepath.Join(t.TempDir(), "none.json")
	r := invoke(t, "face-detect", nil, out, fixture(t, "testsrc2-frames.tar"))
	if n := r.Notes["max_faces"].(int); n != 0 {
		t.Fatalf("%d faces on testsrc2", n)
	}
}

func TestScaleAndHDResolution(t *testing.T) {
	dir := t.TempDir()
	f, err := ReadFrames(fixture(t, "scaled.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 320 || f.Height != 180 || f.Count != 30 {
		t.Fatalf("scaled to %dx%d (%d frames), want 320x180 (30)", f.Width, f.Height, f.Count)
	}
	judgement := filepath.Join(dir, "j.json")
	invoke(t, "judge-resolution", nil, judgement, fixture(t, "frames.tar"))
	var j Judgement
	if err := readJSON(judgement, KindResolution, &j); err != nil {
		t.Fatal(err)
	}
	if j.Factor != 2 || j.Sampled != 6 || !(j.Sharpness > 0) {
		t.Fatalf("judgement %+v: want factor 2 for 360p → 720, 6 sampled frames", j)
	}
	up := filepath.Join(dir, "hd.tar")
	invoke(t, "hd", nil, up, fixture(t, "frames.tar"), judgement)
	h, err := ReadFrames(up)
	if err != nil {
		t.Fatal(err)
	}
	if h.Width != 1280 || h.Height != 720 || h.Count != 30 {
		t.Fatalf("hd gave %dx%d (%d frames), want 1280x720", h.Width, h.Height, h.Count)
	}
	img, _ := h.Decode(0)
	if img.Bounds().Dx() != 1280 {
		t.Fatalf("hd frame is %v", img.Bounds())
	}
}

func TestEncodeOutputDecodes(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	out := filepath.Join(dir, "plain.mp4")
	invoke(t, "encode", nil, out, fixture(t, "frames.tar"))
	info, err := Probe(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 640 || info.Height != 360 || info.Frames != 30 || info.Codec != "h264" {
		t.Fatalf("encoded clip %+v, want h264 640x360 with 30 frames", info)
	}
	// With face boxes drawn: same size, and the box colour shows in the frame.
	boxed := filepath.Join(dir, "boxed.mp4")
	invoke(t, "encode", nil, boxed, fixture(t, "frames.tar"), fixture(t, "faces.json"))
	if info, err = Probe(ctx, boxed); err != nil || info.Frames != 30 || info.Width != 640 {
		t.Fatalf("boxed clip %+v: %v", info, err)
	}
	plainSize, _ := os.Stat(out)
	boxedSize, _ := os.Stat(boxed)
	if plainSize.Size() == boxedSize.Size() {
		t.Fatal("drawing boxes did not change the clip")
	}
}

func TestBorderDetectFindsLetterbox(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	c := Clip{Kind: "testsrc2", Width: 640, Height: 360, FPS: 30, Seconds: 0.3, Noise: 12, Seed: 1, Letterbox: 40}
	clip, frames, out := filepath.Join(dir, "c.mp4"), filepath.Join(dir, "f.tar"), filepath.Join(dir, "b.json")
	if err := Generate(context.Background(), c, clip); err != nil {
		t.Fatal(err)
	}
	invoke(t, "decode", nil, frames, clip)
	invoke(t, "border-detect", nil, out, frames)
	var d Detections
	if err := readJSON(out, KindDetections, &d); err != nil {
		t.Fatal(err)
	}
	b := d.Border
	// ±3 px: JPEG and H.264 blocks blur the bar's inner edge.
	if b == nil || abs(b.Top-40) > 3 || abs(b.Bottom-40) > 3 || b.Left != 0 || b.Right != 0 {
		t.Fatalf("border %+v, want 40 px bars top and bottom", b)
	}
	// No border on the plain clip.
	invoke(t, "border-detect", nil, out, fixture(t, "frames.tar"))
	if err := readJSON(out, KindDetections, &d); err != nil {
		t.Fatal(err)
	}
	if *d.Border != (Border{}) {
		t.Fatalf("border %+v on a clip without bars", *d.Border)
	}
}

func abs(x int) int { return max(x, -x) }

func TestObjectDetectFindsMovingThings(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o.json")
	invoke(t, "object-detect", nil, out, fixture(t, "scaled.tar"))
	var d Detections
	if err := readJSON(out, KindDetections, &d); err != nil {
		t.Fatal(err)
	}
	// The faces sway by 3 % of the width over the clip: most frames show
	// moving objects, and boxes lie inside the frame.
	with := 0
	for _, f := range d.Frames {
		if len(f.Boxes) > 0 {
			with++
		}
		for _, b := range f.Boxes {
			if b.X < 0 || b.Y < 0 || b.X+b.W > d.Width || b.Y+b.H > d.Height || b.W*b.H < 58 {
				t.Fatalf("frame %d: box %+v outside the %dx%d frame or below the minimum area", f.Index, b, d.Width, d.Height)
			}
		}
	}
	if with < len(d.Frames)/2 {
		t.Fatalf("moving objects in only %d of %d frames", with, len(d.Frames))
	}
}

// autoclip: decode → scale → {face, object} detect, border detect → fuse →
// crop → encode, with the crop applied to the full frames.
func TestAutoclipChain(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	invoke(t, "face-detect", nil, p("faces.json"), fixture(t, "scaled.tar"))
	invoke(t, "object-detect", nil, p("objects.json"), fixture(t, "scaled.tar"))
	invoke(t, "border-detect", nil, p("borders.json"), fixture(t, "frames.tar"))
	invoke(t, "signal-fuse", nil, p("signals.json"), p("faces.json"), p("objects.json"), p("borders.json"))
	r := invoke(t, "scene-crop", nil, p("crop.json"), p("signals.json"), fixture(t, "frames.tar"))
	if r.Notes["scenes"].(int) != 1 {
		t.Fatalf("%v scenes in a one-shot clip", r.Notes["scenes"])
	}
	var plan CropPlan
	if err := readJSON(p("crop.json"), KindCrop, &plan); err != nil {
		t.Fatal(err)
	}
	// 9:16 out of 16:9: the window is (9/16)/(16/9) of the width; it holds
	// one face (two cannot fit), so its centre stays near W/4 or 3W/4.
	if math.Abs(plan.W-81.0/256) > 1e-9 || plan.H != 1 || len(plan.Frames) != 30 {
		t.Fatalf("plan %gx%g with %d frames", plan.W, plan.H, len(plan.Frames))
	}
	for _, f := range plan.Frames {
		c := f.X + plan.W/2
		if math.Min(math.Abs(c-0.25), math.Abs(c-0.75)) > 0.08 {
			t.Fatalf("frame %d: window centre %.3f is on no face", f.Index, c)
		}
	}
	invoke(t, "encode", nil, p("out.mp4"), fixture(t, "frames.tar"), p("crop.json"))
	info, err := Probe(context.Background(), p("out.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 202 || info.Height != 360 || info.Frames != 30 {
		t.Fatalf("cropped clip %+v, want 202x360 (9:16, even), 30 frames", info)
	}
}

// face-beautification: decode → roi → beautify per face, judge → hd →
// restore → encode.
func TestBeautificationChain(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	rois, err := ReadROIs(fixture(t, "rois.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rois.Tracks) != 2 {
		t.Fatalf("%d face tracks, want 2", len(rois.Tracks))
	}
	for _, tr := range rois.Tracks {
		if len(tr.Boxes) < 27 {
			t.Fatalf("track %d in %d of 30 frames", tr.ID, len(tr.Boxes))
		}
	}
	for _, face := range []string{"0", "1"} {
		invoke(t, "beautify", map[string]string{"face": face}, p("b"+face+".tar"), fixture(t, "rois.tar"))
	}
	b0, err := ReadROIs(p("b0.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b0.Tracks) != 1 || b0.Tracks[0].ID != 0 {
		t.Fatalf("beautify face=0 kept tracks %+v", b0.Tracks)
	}
	// Smoothing lowers the skin's local detail: the mean distance of a skin
	// pixel from its 3×3 neighbourhood mean drops (the face's edges stay, see
	// TestSmoothSkinPreservesEdges, so not to zero).
	var before, after float64
	for _, b := range b0.Tracks[0].Boxes {
		before += skinNoise(t, rois.Crops[0][b.Index])
		after += skinNoise(t, b0.Crops[0][b.Index])
	}
	if !(after < 0.9*before) {
		t.Fatalf("beautified skin noise %.1f, original %.1f: not smoothed", after, before)
	}
	if _, err := Invoke(context.Background(), "beautify", Request{Inputs: []string{fixture(t, "rois.tar")}, Output: p("x.tar"),
		Args: map[string]string{"face": "5"}}); !errors.Is(err, ErrInput) {
		t.Fatalf("beautify of a missing face: %v", err)
	}
	invoke(t, "judge-resolution", nil, p("j.json"), fixture(t, "frames.tar"))
	invoke(t, "hd", nil, p("hd.tar"), fixture(t, "frames.tar"), p("j.json"))
	r := invoke(t, "restore", nil, p("restored.tar"), p("hd.tar"), p("b0.tar"), p("b1.tar"))
	if r.Notes["faces"].(int) != 2 {
		t.Fatalf("restored %v faces", r.Notes["faces"])
	}
	invoke(t, "encode", nil, p("out.mp4"), p("restored.tar"))
	info, err := Probe(context.Background(), p("out.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1280 || info.Height != 720 || info.Frames != 30 {
		t.Fatalf("final clip %+v, want 1280x720, 30 frames", info)
	}
}

// skinNoise is the mean |Y − 3×3 mean of Y| over the crop's skin pixels
// well inside the face mask.
func skinNoise(t *testing.T, b []byte) float64 {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	y := toYCbCr420(img)
	pix, w, h := luma(y)
	mean := boxBlur(pix, w, h, 1)
	var s float64
	n := 0
	for yy := 0; yy < h; yy++ {
		for x := 0; x < w; x++ {
			if skinMask(y, x, yy, w, h) < 0.99 {
				continue
			}
			s += math.Abs(float64(pix[yy*w+x]) - float64(mean[yy*w+x]))
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d skin pixels in a %dx%d face crop", n, w, h)
	}
	return s / float64(n)
}

func TestInvokeChecksInputs(t *testing.T) {
	dir := t.TempDir()
	j := filepath.Join(dir, "j.json")
	if err := writeJSON(j, &Judgement{Kind: KindResolution, Factor: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		fn   string
		req  Request
		want string
	}{
		{"judge-resolution", Request{Output: filepath.Join(dir, "o")}, "needs inputs"},
		{"judge-resolution", Request{Inputs: []string{j}}, "needs an output"},
		{"judge-resolution", Request{Inputs: []string{j}, Output: filepath.Join(dir, "o")}, "want one frames input"},
		{"judge-resolution", Request{Inputs: []string{j}, Output: filepath.Join(dir, "o"), Args: map[string]string{"bogus": "1"}}, "no argument \"bogus\""},
		{"judge-resolution", Request{Inputs: []string{filepath.Join(dir, "missing")}, Output: filepath.Join(dir, "o")}, "no such file"},
	} {
		_, err := Invoke(ctx, tc.fn, tc.req)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want ErrInput with %q", tc.req, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o")); !os.IsNotExist(err) {
		t.Fatal("a failed call left an output")
	}
}
