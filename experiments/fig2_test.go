package experiments

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fig2Rows are the rows of both shapes on a synthetic landscape: latency
// falls with every memory, and configurations whose memories sum above
// 8,192 MB are over the bound.
func fig2Rows() []Row {
	var rows []Row
	for _, shape := range []string{"branch", "sequence"} {
		for a := 128; a <= 4096; a += 128 {
			for b := 128; b <= 4096; b += 128 {
				for d := 128; d <= 4096; d += 128 {
					x := float64(a)*1e8 + float64(b)*1e4 + float64(d)
					lat := 1e3 * (1 + 3e5/float64(a*b) + 100/float64(d))
					feas := 0.0
					if a+b+d <= 8192 {
						feas = 1
					}
					rows = append(rows,
						Row{Pipeline: shape + "3", Series: shape, Seed: 1, Bound: fig2Bound, X: x, Metric: "latency_ms", Value: lat},
						Row{Pipeline: shape + "3", Series: shape, Seed: 1, Bound: fig2Bound, X: x, Metric: "feasible", Value: feas})
				}
			}
		}
	}
	return rows
}

// TestFig2Figure renders fig2 and checks its elements: both heat maps with
// their titles and axis labels, a labelled colour bar with ticks at the
// right, the colours of the scale and grey for infeasible configurations.
func TestFig2Figure(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("CNAV_FIG2_DIR"); d != "" {
		dir = d
	}
	sec, err := fig2{}.Summarize(fig2Rows(), &Figures{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(sec.Figures) != 1 || sec.Figures[0] != "fig2.png" || len(sec.Captions) != 1 || !strings.Contains(sec.Captions[0], "colour bar") {
		t.Fatalf("figures %q, captions %q", sec.Figures, sec.Captions)
	}
	for _, h := range sec.Headlines {
		if h.Unit == "" {
			t.Errorf("headline %q has no unit", h.Name)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "fig2.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"branch (decode at", "sequence (decode at", "face-detect memory (MB)", "encode memory (MB)", "end-to-end latency (s)"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("fig2.svg lacks %q", want)
		}
	}
	f, err := os.Open(filepath.Join(dir, "fig2.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 2 panels of 14 cm and a 3 cm colour bar at 96 dpi.
	b := img.Bounds()
	if want := int(math.Round(31 / 2.54 * 96)); abs(b.Dx()-want) > 1 {
		t.Errorf("width %d px, want %d", b.Dx(), want)
	}
	// The colour bar: the right-most 3 cm hold the scale's two ends (blue
	// and red) and nothing grey; the panels hold grey (infeasible).
	barX := b.Max.X - int(math.Round(3/2.54*96))
	var blue, red, greyBar, greyPanels bool
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			isGrey := r == 190 && g == 190 && bl == 190
			if x >= barX {
				blue = blue || bl > 150 && r < 100
				red = red || r > 150 && bl < 100
				greyBar = greyBar || isGrey
			} else {
				greyPanels = greyPanels || isGrey
			}
		}
	}
	if !blue || !red {
		t.Errorf("no colour bar at the right (blue %v, red %v)", blue, red)
	}
	if greyBar || !greyPanels {
		t.Errorf("grey (infeasible) in the bar %v, in the panels %v", greyBar, greyPanels)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
