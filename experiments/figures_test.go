package experiments

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// figDir is where the figure tests render (CNAV_FIG_DIR keeps them for a
// look).
func figDir(t *testing.T) string {
	if d := os.Getenv("CNAV_FIG_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}

// svgOf reads a rendered figure's SVG.
func svgOf(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
		t.Fatalf("%s.png: %v", name, err)
	}
	return string(b)
}

// rawTick finds tick labels printed as raw large floats ("64000000",
// "62500000.00").
var rawTick = regexp.MustCompile(`>\s*-?\d{6,}(\.\d+)?\s*<`)

// legendOffData fails unless every text label of the figure sits in the
// legend column at the right (SaveGrid), off the panels.
func legendOffData(t *testing.T, name, svg string, labels ...string) {
	t.Helper()
	m := regexp.MustCompile(`<svg width="([0-9.]+)pt"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("%s.svg: no width", name)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	for _, l := range labels {
		xs := regexp.MustCompile(`<text x="([0-9.]+)"[^>]*>`+regexp.QuoteMeta(l)+`</text>`).FindAllStringSubmatch(svg, -1)
		if len(xs) == 0 {
			t.Errorf("%s.svg: no legend entry %q", name, l)
		}
		for _, x := range xs {
			if v, _ := strconv.ParseFloat(x[1], 64); v < w-legendWidth.Points() {
				t.Errorf("%s.svg: %q at x = %v pt, inside the panels (the legend column starts at %v pt)", name, l, v, w-legendWidth.Points())
			}
		}
	}
}

// dataMax is the largest y and x among a panel's scatters, lines and box
// plots.
func dataMax(p *panel) (x, y float64) {
	x, y = math.Inf(-1), math.Inf(-1)
	for _, it := range p.items {
		d, ok := it.(plot.DataRanger)
		if !ok {
			continue
		}
		xmin, xmax, ymin, ymax := d.DataRange()
		_, _ = xmin, ymin
		if _, ok := d.(vline); ok {
			continue
		}
		x, y = math.Max(x, xmax), math.Max(y, ymax)
	}
	return x, y
}

// checkPadded fails when a panel's axes end at its data (a point or box on
// the edge is drawn half).
func checkPadded(t *testing.T, name string, p *panel) {
	t.Helper()
	x, y := dataMax(p)
	if !(p.Y.Max > y) {
		t.Errorf("%s %q: y axis ends at %v, data reach %v (clipped at the top)", name, p.Title.Text, p.Y.Max, y)
	}
	if !(p.X.Max > x) {
		t.Errorf("%s %q: x axis ends at %v, data reach %v (clipped at the right)", name, p.Title.Text, p.X.Max, x)
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if !strings.Contains(a.Label.Text, "(") {
			t.Errorf("%s %q: axis label %q has no unit", name, p.Title.Text, a.Label.Text)
		}
	}
}

// fig10Rows are every tuner's answers on every pipeline and bound of fig10
// over three seeds, with the bound in MB·ms.
func fig10Rows() []Row {
	rows := synthRows(allPipelines, fig9Bounds, "latency_ms", "cost_usd")
	var out []Row
	for _, r := range rows {
		out = append(out, r)
		if r.Metric == "cost_usd" {
			m := r
			m.Metric, m.Value = "cost_mb_ms", 64e6*(1+float64(r.Seed)/10+r.Bound/5)
			out = append(out, m)
			c := r
			c.Metric, c.Value = "c_bound_mb_ms", 64e6*(1.25+r.Bound/5)
			out = append(out, c)
		}
	}
	return out
}

// TestFig10Figure renders fig10 and checks its elements: a panel for every
// pipeline and bound, the bound as a dashed vertical line, formatted ticks
// with units, the legend in its own column, no point on an axis end.
func TestFig10Figure(t *testing.T) {
	rows := fig10Rows()
	seen := orderTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	grid, leg, err := fig10Panels(rows, seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(grid) != len(allPipelines) {
		t.Fatalf("%d rows of panels, want one per pipeline (%d)", len(grid), len(allPipelines))
	}
	for i, row := range grid {
		if len(row) != len(fig9Bounds) {
			t.Fatalf("row %d: %d panels, want one per bound", i, len(row))
		}
		for _, p := range row {
			if p == nil {
				t.Fatalf("row %d: an empty panel", i)
			}
			checkPadded(t, "fig10", p)
			lines := 0
			for _, d := range p.items {
				if _, ok := d.(vline); ok {
					lines++
				}
			}
			if lines != 1 {
				t.Errorf("fig10 %q: %d bound lines, want 1", p.Title.Text, lines)
			}
		}
	}
	if leg.TextStyle.Font.Size == 0 {
		t.Error("fig10's legend has no text style")
	}
	dir := figDir(t)
	sec, err := fig10{}.Summarize(rows, &Figures{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(sec.Figures) != 1 || !strings.Contains(sec.Captions[0], "dashed vertical line") {
		t.Fatalf("figures %q, captions %q", sec.Figures, sec.Captions)
	}
	svg := svgOf(t, dir, "fig10")
	for _, want := range []string{"face-detection, +30 %", "face-beautification, +50 %", "autoclip, +100 %",
		"true cost (GB·s per request)", "true mean latency (s)", "cost bound C_bound", "navigator", "aquatope-fixed (corrected)", "stroke-dasharray"} {
		if !strings.Contains(svg, want) {
			t.Errorf("fig10.svg lacks %q", want)
		}
	}
	if m := rawTick.FindString(svg); m != "" {
		t.Errorf("fig10.svg has a raw tick label %s", m)
	}
	legendOffData(t, "fig10", svg, "navigator", "charmseeker", "aquatope-fixed (corrected)", "cost bound C_bound")
}

// fig7Rows are every tuner's runs on every pipeline and bound.
func fig7Rows() []Row {
	rows := synthRows(allPipelines, paperBounds, "mean_ms", "cost_per_request_usd")
	for i := range rows {
		if rows[i].Metric == "mean_ms" {
			rows[i].Value *= 10
		}
	}
	return rows
}

// TestFig7Figure renders fig7 and checks its elements: a panel per pipeline,
// every box inside the axes (the right-most one was cut off), the legend in
// its own column.
func TestFig7Figure(t *testing.T) {
	rows := fig7Rows()
	seen := orderTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	panels, _, err := fig7Panels(rows, seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(panels) != len(allPipelines) {
		t.Fatalf("%d panels, want %d", len(panels), len(allPipelines))
	}
	for _, p := range panels {
		checkPadded(t, "fig7", p)
		// The right-most box's position plus half a slot.
		last := float64(len(paperBounds)-1)*float64(len(seen)+1) + float64(len(seen)-1)
		if p.X.Max < last+0.5 || p.X.Min > -0.5 {
			t.Errorf("fig7 %q: x axis [%v, %v] cuts boxes at 0 … %v", p.Title.Text, p.X.Min, p.X.Max, last)
		}
		for _, d := range p.items {
			if _, ok := d.(*plotter.BoxPlot); !ok {
				t.Errorf("fig7 %q: unexpected element %T", p.Title.Text, d)
			}
		}
	}
	dir := figDir(t)
	if _, err := (fig7{}).Summarize(rows, &Figures{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	svg := svgOf(t, dir, "fig7")
	for _, want := range []string{"face-detection", "face-beautification", "autoclip", "cost bound above C_min (%)", "mean end-to-end latency per run (s)", "+100 %", "aquatope (literal)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("fig7.svg lacks %q", want)
		}
	}
	legendOffData(t, "fig7", svg, "navigator", "charmseeker", "aquatope (literal)")
}

// fig9Rows are best-so-far curves of three seeds for every tuner, pipeline
// and bound, and each answer's final true latency.
func fig9Rows() []Row {
	var rows []Row
	for _, p := range allPipelines {
		for _, b := range fig9Bounds {
			for s := int64(1); s <= 3; s++ {
				for ti, tn := range mainTuners {
					best := 20000.0 + 1000*float64(ti)
					for i := 1; i <= 10; i++ {
						at := float64(i*(ti+1)) * 10 * (1 + float64(s)/10)
						best = math.Min(best, 20000-float64(i*500)+float64(s*100))
						rows = append(rows, Row{Pipeline: p, Tuner: tn, Bound: b, Seed: s, X: at, Metric: "best_feasible_ms", Value: best})
					}
					rows = append(rows, Row{Pipeline: p, Tuner: tn, Bound: b, Seed: s, X: nan, Metric: "final_true_ms", Value: best},
						Row{Pipeline: p, Tuner: tn, Bound: b, Seed: s, X: nan, Metric: "feasible", Value: 1},
						Row{Pipeline: p, Tuner: tn, Bound: b, Seed: s, X: nan, Metric: "search_s", Value: float64(100 * (ti + 1))})
				}
			}
		}
	}
	return rows
}

// TestFig9Figure renders fig9 and checks its elements: every pipeline and
// bound, every seed (a mean line over seeds and a band), the legend in its
// own column.
func TestFig9Figure(t *testing.T) {
	rows := fig9Rows()
	seen := orderTuners(uniq(rows, func(r *Row) string { return r.Tuner }))
	grid, _, skipped, err := fig9Panels(rows, seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Errorf("tuners left out: %v", skipped)
	}
	if len(grid) != len(allPipelines) {
		t.Fatalf("%d rows of panels, want %d", len(grid), len(allPipelines))
	}
	for _, row := range grid {
		for _, p := range row {
			if p == nil {
				t.Fatal("an empty panel")
			}
			var bands, lines int
			for _, d := range p.items {
				switch d.(type) {
				case *plotter.Polygon:
					bands++
				case *plotter.Line:
					lines++
				}
			}
			if bands != len(seen) || lines != len(seen) {
				t.Errorf("fig9 %q: %d bands and %d lines, want %d of each", p.Title.Text, bands, lines, len(seen))
			}
			if !strings.Contains(p.X.Label.Text, "(s") || !strings.Contains(p.Y.Label.Text, "(s)") {
				t.Errorf("fig9 %q: axes %q, %q without units", p.Title.Text, p.X.Label.Text, p.Y.Label.Text)
			}
		}
	}
	// The mean over seeds of the first panel's navigator at its last time:
	// seeds 1–3 end at 15,100, 15,200 and 15,300 ms.
	c := meanCurve(filter(rows, func(r *Row) bool {
		return r.Pipeline == allPipelines[0] && r.Bound == fig9Bounds[0] && r.Tuner == "navigator" && r.Metric == "best_feasible_ms"
	}))
	if last := c[len(c)-1]; last.mean != 15200 || last.lo != 15100 || last.hi != 15300 {
		t.Errorf("last point of the mean curve %+v, want mean 15200 in [15100, 15300]", last)
	}
	dir := figDir(t)
	sec, err := fig9{}.Summarize(rows, &Figures{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sec.Captions[0], "mean over 3 seeds") {
		t.Errorf("caption %q", sec.Captions[0])
	}
	svg := svgOf(t, dir, "fig9")
	for _, want := range []string{"face-detection, +30 %", "autoclip, +100 %", "search time (s, log scale)", "best feasible latency measured (s)", "navigator", "aquatope (literal)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("fig9.svg lacks %q", want)
		}
	}
	legendOffData(t, "fig9", svg, "navigator", "charmseeker", "aquatope (literal)")
}

// TestPadRange: a padded axis ends beyond its data on both sides.
func TestPadRange(t *testing.T) {
	p := plot.New()
	s, _ := plotter.NewScatter(plotter.XYs{{X: 1, Y: 10}, {X: 3, Y: 20}})
	p.Add(s)
	padRange(p, 0.1, 0.05)
	if p.X.Min != 0.8 || p.X.Max != 3.2 || p.Y.Min != 9.5 || p.Y.Max != 20.5 {
		t.Errorf("padded to x [%v, %v], y [%v, %v]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
}

// fig11Rows are window means of two variants on every pipeline, seed 1.
func fig11Rows() []Row {
	var rows []Row
	for _, pipe := range allPipelines {
		for _, t := range []string{"navigator-online", "charmseeker-static"} {
			for w := 0; w < 30; w++ {
				v := 9000.0
				if w >= 10 {
					v = 4000
				}
				if t == "navigator-online" && w >= 12 {
					v = 3000
				}
				rows = append(rows, Row{Experiment: "fig11", Pipeline: pipe, Tuner: t, Seed: 1, X: float64(60 * w), Metric: "window_mean_ms", Value: v, Bound: nan})
			}
		}
	}
	return rows
}

// Fig. 11 covers every pipeline, marks the input change, and keeps the
// online line apart from the static ones (solid and thick against dashed).
func TestFig11Figure(t *testing.T) {
	rows := fig11Rows()
	panels, _, err := fig11Panels(rows, []string{"navigator-online", "charmseeker-static"})
	if err != nil {
		t.Fatal(err)
	}
	if len(panels) != len(allPipelines) {
		t.Fatalf("%d panels, want one per pipeline (%d)", len(panels), len(allPipelines))
	}
	for _, p := range panels {
		checkPadded(t, "fig11", p)
		var changes, solid, dashed int
		for _, d := range p.items {
			switch v := d.(type) {
			case vline:
				if v.x != 10 {
					t.Errorf("fig11 %q: change marker at %v min, want 10", p.Title.Text, v.x)
				}
				changes++
			case *plotter.Line:
				if len(v.Dashes) == 0 {
					solid++
				} else {
					dashed++
				}
			}
		}
		if changes != 1 || solid != 1 || dashed != 1 {
			t.Errorf("fig11 %q: %d change markers, %d solid and %d dashed lines; want 1, 1, 1", p.Title.Text, changes, solid, dashed)
		}
		if !strings.Contains(p.X.Label.Text, "min") || !strings.Contains(p.Y.Label.Text, "(s)") {
			t.Errorf("fig11 %q: axis labels %q, %q lack units", p.Title.Text, p.X.Label.Text, p.Y.Label.Text)
		}
	}
}
