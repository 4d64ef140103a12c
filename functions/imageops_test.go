package functions

import (
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// boxBlur against the naive mean with clamped edges.
func TestBoxBlurMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w, h, r := 13, 7, 2
	pix := make([]uint8, w*h)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	got := boxBlur(pix, w, h, r)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					s += int(pix[clamp(y+dy, 0, h-1)*w+clamp(x+dx, 0, w-1)])
					n++
				}
			}
			if want := uint8((s + n/2) / n); got[y*w+x] != want {
				t.Fatalf("(%d,%d): %d, want %d", x, y, got[y*w+x], want)
			}
		}
	}
}

func TestComponents(t *testing.T) {
	const w, h = 10, 6
	rows := []string{
		"##......#.",
		"##.......#", // diagonal: 8-connected with the one above
		"..........",
		"....###...",
		"....#.#...",
		"....###...",
	}
	m := make([]bool, w*h)
	for y, r := range rows {
		for x, c := range r {
			m[y*w+x] = c == '#'
		}
	}
	got := components(m, w, h, 2)
	want := []Box{{X: 4, Y: 3, W: 3, H: 3}, {X: 0, Y: 0, W: 2, H: 2}, {X: 8, Y: 0, W: 2, H: 2}}
	if len(got) != len(want) {
		t.Fatalf("components %+v, want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.X != want[i].X || g.Y != want[i].Y || g.W != want[i].W || g.H != want[i].H {
			t.Fatalf("component %d: %+v, want %+v", i, g, want[i])
		}
	}
}

func TestSuppressKeepsTheBestOfOverlaps(t *testing.T) {
	got := suppress([]Box{{X: 0, Y: 0, W: 100, H: 100, Score: 5}, {X: 10, Y: 5, W: 100, H: 100, Score: 9},
		{X: 300, Y: 0, W: 50, H: 50, Score: 6}}, 0.3)
	if len(got) != 2 || got[0].Score != 9 || got[1].Score != 6 {
		t.Fatalf("suppress: %+v", got)
	}
}

func TestTrackFaces(t *testing.T) {
	// Two faces; the right one is missed in frame 2 (a gap) and a spurious
	// detection appears once.
	f := func(x int) Box { return Box{X: x, Y: 50, W: 60, H: 60} }
	boxes := [][]Box{{f(10), f(200)}, {f(12), f(202)}, {f(14), f(400)}, {f(16), f(206)}}
	tr := trackFaces(boxes, 640, 360, 2)
	if len(tr) != 2 || len(tr[0].Boxes) != 4 || len(tr[1].Boxes) != 3 {
		t.Fatalf("tracks %+v", tr)
	}
	if tr[1].Boxes[2].Index != 3 {
		t.Fatalf("right track does not resume after the gap: %+v", tr[1].Boxes)
	}
	for _, b := range tr[0].Boxes {
		if b.X%2 != 0 || b.Y%2 != 0 || b.W%2 != 0 || b.X+b.W > 640 {
			t.Fatalf("crop box %+v not even or outside the frame", b)
		}
	}
}

func TestCropPathStationaryWhenFacesFit(t *testing.T) {
	face := Region{Rect: Rect{X: 0.4, Y: 0.3, W: 0.1, H: 0.2}, Weight: 1, Required: true}
	moving := func(i int) Region {
		return Region{Rect: Rect{X: float64(i) / 40, Y: 0.5, W: 0.05, H: 0.05}, Weight: 0.5}
	}
	var frames []FrameSignals
	for i := 0; i < 30; i++ {
		frames = append(frames, FrameSignals{Index: i, Regions: []Region{face, moving(i)}})
	}
	xs := cropPath(frames, Rect{0, 0, 1, 1}, 0.3, 30, true)
	for i, x := range xs {
		if x != xs[0] {
			t.Fatalf("frame %d: window moved to %v from %v although the face fits", i, x, xs[0])
		}
	}
	if c := xs[0] + 0.15; c < 0.44 || c > 0.46 {
		t.Fatalf("window centre %v, want the face's 0.45", c)
	}
	// Without a required region the window follows the object, at most
	// maxSpeed/fps per frame.
	for i := range frames {
		frames[i].Regions = []Region{moving(i)}
	}
	xs = cropPath(frames, Rect{0, 0, 1, 1}, 0.3, 30, true)
	for i := 1; i < len(xs); i++ {
		if d := xs[i] - xs[i-1]; d < -1e-12 || d > maxSpeed/30+1e-12 {
			t.Fatalf("frame %d: window moved by %v", i, d)
		}
	}
}

func TestFramesRoundTripAndSniff(t *testing.T) {
	dir := t.TempDir()
	img := image.NewYCbCr(image.Rect(0, 0, 32, 16), image.YCbCrSubsampleRatio420)
	jp, err := EncodeJPEG(img)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "f.tar")
	if err := WriteFrames(p, 32, 16, 25, [][]byte{jp, jp, jp}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFrames(p)
	if err != nil || f.Count != 3 || f.Width != 32 || f.FPS != 25 {
		t.Fatalf("round trip: %+v, %v", f, err)
	}
	again := filepath.Join(dir, "g.tar")
	if err := WriteFrames(again, 32, 16, 25, f.JPEG); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(p)
	b, _ := os.ReadFile(again)
	if string(a) != string(b) {
		t.Fatal("the same frames gave different tar bytes")
	}
	j := filepath.Join(dir, "j.json")
	if err := writeJSON(j, &Judgement{Kind: KindResolution}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]Kind{p: KindFrames, j: KindResolution} {
		if k, err := Sniff(path); err != nil || k != want {
			t.Errorf("Sniff(%s) = %q, %v; want %q", filepath.Base(path), k, err, want)
		}
	}
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello"), 0o644)
	if _, err := Sniff(junk); err == nil {
		t.Fatal("Sniff accepted junk")
	}
}

// Skin smoothing removes noise from skin and keeps a strong edge: the
// edge-preserving property of the bilateral filter.
func TestSmoothSkinPreservesEdges(t *testing.T) {
	const n = 120
	img := image.NewYCbCr(image.Rect(0, 0, n, n), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(3, 4))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			base := 150
			if x >= n/2 {
				base = 90 // a vertical edge through the middle
			}
			img.Y[y*img.YStride+x] = uint8(base + rng.IntN(13) - 6)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 110, 150 // skin
	}
	stats := func() (noise, edge float64) {
		var s, l, r float64
		k := 0
		for y := n / 3; y < 2*n/3; y++ {
			for x := n/2 - 20; x < n/2-4; x++ {
				a, b := float64(img.Y[y*img.YStride+x]), float64(img.Y[y*img.YStride+x+1])
				s += (a - b) * (a - b)
				k++
			}
			l += float64(img.Y[y*img.YStride+n/2-3])
			r += float64(img.Y[y*img.YStride+n/2+2])
		}
		return s / float64(k), (l - r) / float64(n/3)
	}
	noise0, edge0 := stats()
	smoothSkin(img, 1)
	noise1, edge1 := stats()
	if noise1 > 0.25*noise0 {
		t.Fatalf("noise energy %.1f → %.1f: not smoothed to a quarter", noise0, noise1)
	}
	if edge1 < 0.9*edge0 {
		t.Fatalf("edge contrast %.1f → %.1f: the edge was blurred", edge0, edge1)
	}
}
