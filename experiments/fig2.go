package experiments

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/video"
)

// fig2: the configuration space of a 3-function pipeline, as a branch and as
// a sequence (paper §2.2, Figure 2): end-to-end latency over the three
// memories with a penalty where the cost exceeds the bound.
type fig2 struct{}

func init() { register(fig2{}) }

func (fig2) Name() string  { return "fig2" }
func (fig2) Title() string { return "configuration space of a 3-function pipeline (Figure 2)" }

var fig2Specs = map[string]string{
	"branch":   `{name: branch3, functions: [{name: decode, model: decode}, {name: face-detect, model: face-detect}, {name: encode, model: encode}], edges: [[decode, face-detect], [decode, encode]]}`,
	"sequence": `{name: sequence3, functions: [{name: decode, model: decode}, {name: face-detect, model: face-detect}, {name: encode, model: encode}], edges: [[decode, face-detect], [face-detect, encode]]}`,
}

const fig2Bound = 0.3

func (fig2) Cells(mode Mode, seeds int) []Cell {
	var cells []Cell
	n := 1 // the landscape is the ground truth; seeds change only its sampling
	if mode == Full {
		n = min(seeds, 3)
	}
	for _, shape := range []string{"branch", "sequence"} {
		for s := 1; s <= n; s++ {
			cells = append(cells, Cell{Experiment: "fig2", Params: Params(map[string]string{"shape": shape}), Seed: uint64(s)})
		}
	}
	return cells
}

func (fig2) Run(ctx context.Context, env *Env, c Cell) ([]Row, error) {
	dag, err := compile(fig2Specs[c.Param("shape")])
	if err != nil {
		return nil, err
	}
	dag = env.adapt(dag)
	grid := env.Platform.Grid()
	o, err := env.truth(dag, grid, video.Reference, 64, c.Seed)
	if err != nil {
		return nil, err
	}
	cmin, _, err := o.CMin()
	if err != nil {
		return nil, err
	}
	bound := (1 + fig2Bound) * cmin
	names := dag.Names()
	var rows []Row
	for a := range grid {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for b := range grid {
			for d := range grid {
				cfg := backend.Config{names[0]: grid[a], names[1]: grid[b], names[2]: grid[d]}
				t, err := o.Evaluate(cfg)
				if err != nil {
					return nil, err
				}
				feasible := 0.0
				if t.Fits && t.CostUSD <= bound {
					feasible = 1
				}
				// x encodes the configuration as m1·10⁸ + m2·10⁴ + m3.
				x := float64(grid[a])*1e8 + float64(grid[b])*1e4 + float64(grid[d])
				rows = append(rows,
					Row{Pipeline: dag.Name, Series: c.Param("shape"), Bound: fig2Bound, X: x, Metric: "latency_ms", Value: t.LatencyMs},
					Row{Pipeline: dag.Name, Series: c.Param("shape"), Bound: fig2Bound, X: x, Metric: "feasible", Value: feasible})
			}
		}
	}
	return rows, nil
}

type cfg3 struct{ m [3]int }

func decode3(x float64) cfg3 {
	v := int64(x)
	return cfg3{[3]int{int(v / 1e8), int(v / 1e4 % 1e4), int(v % 1e4)}}
}

func (fig2) Summarize(rows []Row, figs *Figures) (*Section, error) {
	sec := &Section{Title: "configuration space of a 3-function pipeline (Figure 2)"}
	sec.Text = "decode, face detection and encode as a branch (decode feeds both) and as a sequence; every one of the 32³ " +
		"configurations evaluated on the simulator's ground truth (mean over 64 common-random-number samples), at a bound 30 % above " +
		"the minimum cost. The paper observes that good configurations form sparse, localised clusters; we count the configurations " +
		"within 5 % of the best feasible one and the locally optimal regions (connected plateaus of feasible configurations that no grid neighbour improves by more than 0.1 %)."
	sec.Table = [][]string{{"shape", "configurations", "feasible", "within 5 % of best", "locally optimal regions", "best (decode, face-detect, encode MB)", "best latency (ms)"}}
	var panels []*plot.Plot
	var grids []*heat
	for _, shape := range []string{"branch", "sequence"} {
		lat := map[cfg3]float64{}
		feas := map[cfg3]bool{}
		for _, r := range rows {
			if r.Series != shape || r.Seed != 1 {
				continue
			}
			c := decode3(r.X)
			if r.Metric == "latency_ms" {
				lat[c] = r.Value
			} else if r.Value == 1 {
				feas[c] = true
			}
		}
		if len(lat) == 0 {
			continue
		}
		best, bestC := math.Inf(1), cfg3{}
		for c, l := range lat {
			if feas[c] && (l < best || (l == best && less3(c, bestC))) {
				best, bestC = l, c
			}
		}
		near := 0
		step := 128
		// A configuration is locally optimal when no feasible neighbour on the
		// grid is faster by more than 0.1 %; plateaus of such configurations
		// are counted once, as connected regions.
		locOpt := map[cfg3]bool{}
		for c, l := range lat {
			if !feas[c] {
				continue
			}
			if l <= best*1.05 {
				near++
			}
			ok := true
			for k := 0; k < 3 && ok; k++ {
				for _, d := range []int{-step, step} {
					n := c
					n.m[k] += d
					if ln, found := lat[n]; found && feas[n] && ln < l*(1-1e-3) {
						ok = false
						break
					}
				}
			}
			if ok {
				locOpt[c] = true
			}
		}
		optima := 0
		seen := map[cfg3]bool{}
		for c := range locOpt {
			if seen[c] {
				continue
			}
			optima++
			queue := []cfg3{c}
			seen[c] = true
			for len(queue) > 0 {
				u := queue[0]
				queue = queue[1:]
				for k := 0; k < 3; k++ {
					for _, d := range []int{-step, step} {
						n := u
						n.m[k] += d
						if locOpt[n] && !seen[n] {
							seen[n] = true
							queue = append(queue, n)
						}
					}
				}
			}
		}
		sec.Table = append(sec.Table, []string{shape, fmt.Sprint(len(lat)), fmt.Sprint(len(feas)), fmt.Sprint(near), fmt.Sprint(optima),
			fmt.Sprintf("%d, %d, %d", bestC.m[0], bestC.m[1], bestC.m[2]), fmt.Sprintf("%.0f", best)})
		sec.Headlines = append(sec.Headlines,
			Headline{Name: shape + ": share of configurations within 5 % of the best", Paper: math.NaN(), Ours: 100 * float64(near) / float64(len(lat)), Low: math.NaN(), High: math.NaN(), Unit: "%", Tolerance: 0.5},
			Headline{Name: shape + ": locally optimal regions on the grid", Paper: math.NaN(), Ours: float64(optima), Low: math.NaN(), High: math.NaN(), Unit: "regions", Tolerance: 15})
		// Heat map of (face-detect, encode) at the best decode memory;
		// infeasible configurations (over the bound or out of memory) are
		// grey, outside the colour scale.
		g := &heat{n: 32, step: 128, z: map[[2]int]float64{}}
		for c, l := range lat {
			if c.m[0] != bestC.m[0] {
				continue
			}
			if !feas[c] || math.IsNaN(l) {
				l = math.NaN()
			}
			g.z[[2]int{c.m[1], c.m[2]}] = l / 1000
		}
		p := newPlot(fmt.Sprintf("%s (decode at %d MB)", shape, bestC.m[0]), "face-detect memory (MB)", "encode memory (MB)")
		panels = append(panels, p)
		grids = append(grids, g)
	}
	if len(panels) > 0 {
		// One colour scale for both panels, so the colour bar reads for both.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, g := range grids {
			for _, v := range g.z {
				if !math.IsNaN(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		if math.IsInf(lo, 0) {
			lo, hi = 0, 1 // nothing feasible: every cell is grey
		}
		if hi <= lo {
			hi = lo + 1e-3
		}
		for i, p := range panels {
			hm := plotter.NewHeatMap(grids[i], moreland.SmoothBlueRed().Palette(64))
			hm.Min, hm.Max, hm.NaN = lo, hi, fig2Infeasible
			p.Add(hm)
		}
		f, err := saveWithColourBar(figs, "fig2", 14*vg.Centimeter, 12*vg.Centimeter, panels, colourBar(lo, hi, "end-to-end latency (s)"), 3*vg.Centimeter)
		if err != nil {
			return nil, err
		}
		sec.Figures = []string{f}
		sec.Captions = []string{"Figure 2: end-to-end latency (s, colour bar on the right; blue fast, red slow) over the face-detect and encode memories at the best decode memory; " +
			"grey: infeasible (cost over the bound, or out of memory)."}
		sec.Text += " Heat maps: end-to-end latency in seconds on one colour scale (the colour bar); infeasible configurations are grey."
	}
	return sec, nil
}

func less3(a, b cfg3) bool {
	for k := 0; k < 3; k++ {
		if a.m[k] != b.m[k] {
			return a.m[k] < b.m[k]
		}
	}
	return false
}

// heat is a GridXYZ over memory pairs.
type heat struct {
	n, step int
	z       map[[2]int]float64
}

func (h *heat) Dims() (c, r int)   { return h.n, h.n }
func (h *heat) X(c int) float64    { return float64((c + 1) * h.step) }
func (h *heat) Y(r int) float64    { return float64((r + 1) * h.step) }
func (h *heat) Z(c, r int) float64 { return h.z[[2]int{(c + 1) * h.step, (r + 1) * h.step}] }

// fig2Infeasible is the colour of infeasible configurations.
var fig2Infeasible = color.Gray{Y: 190}

// colourBar is a vertical colour bar of the heat maps' colour map over
// [lo, hi], labelled on its axis.
func colourBar(lo, hi float64, label string) *plot.Plot {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	p := plot.New()
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	p.HideX()
	p.Y.Label.Text = label
	p.Y.Padding = 0
	return p
}

// saveWithColourBar writes heat-map panels in a row with a colour bar of
// width barW at their right, aligned with their data area, as name.png and
// name.svg (as Figures.Save) and returns the PNG's file name.
func saveWithColourBar(f *Figures, name string, width, height vg.Length, panels []*plot.Plot, bar *plot.Plot, barW vg.Length) (string, error) {
	name += f.Suffix
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return "", err
	}
	w := width*vg.Length(len(panels)) + barW
	layout := func(c draw.Canvas) {
		left, right := c, c
		left.Max.X = c.Min.X + width*vg.Length(len(panels))
		right.Min.X = left.Max.X + vg.Millimeter*4
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 4}
		canvases := plot.Align([][]*plot.Plot{panels}, tiles, left)
		for i, p := range panels {
			p.Draw(canvases[0][i])
		}
		// The bar spans the panels' data area (below their titles, above
		// their x axes).
		dc := panels[0].DataCanvas(canvases[0][0])
		right.Min.Y, right.Max.Y = dc.Min.Y, dc.Max.Y
		bar.Draw(right)
	}
	for _, ext := range []string{"png", "svg"} {
		path := filepath.Join(f.Dir, name+"."+ext)
		tmp := path + ".tmp"
		out, err := os.Create(tmp)
		if err != nil {
			return "", err
		}
		switch ext {
		case "png":
			img := vgimg.NewWith(vgimg.UseWH(w, height), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
			layout(draw.New(img))
			_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		case "svg":
			img := vgsvg.New(w, height)
			layout(draw.New(img))
			_, err = img.WriteTo(out)
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("experiments: figure %s: %w", name, err)
		}
	}
	return name + ".png", nil
}
