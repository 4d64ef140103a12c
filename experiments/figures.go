package experiments

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figures writes an experiment's figures, each as PNG and SVG, into a run
// directory.
type Figures struct {
	Dir string
	// Suffix is appended to every figure's name (the measured platform's
	// copies of the figures: "-measured").
	Suffix string
}

// Save writes plots laid out in a row (one or more panels) as name.png and
// name.svg and returns the PNG's file name.
func (f *Figures) Save(name string, width, height vg.Length, panels ...*plot.Plot) (string, error) {
	return f.render(name, width*vg.Length(len(panels)), height, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 4}
		canvases := plot.Align([][]*plot.Plot{panels}, tiles, c)
		for i, p := range panels {
			p.Draw(canvases[0][i])
		}
	})
}

// legendWidth is the width of the legend column of SaveGrid.
const legendWidth = 6.5 * vg.Centimeter

// SaveGrid writes panels laid out in rows (every row as long as the first; a
// nil panel leaves its tile empty), each panel cellW × cellH, with leg (when
// it has entries) in a column of its own at the right, off the data.
func (f *Figures) SaveGrid(name string, cellW, cellH vg.Length, grid [][]*plot.Plot, leg *plot.Legend) (string, error) {
	cols := 0
	for _, row := range grid {
		cols = max(cols, len(row))
	}
	lw := vg.Length(0)
	if leg != nil {
		lw = legendWidth
	}
	return f.render(name, cellW*vg.Length(cols)+lw, cellH*vg.Length(len(grid)), func(c draw.Canvas) {
		area := draw.Crop(c, 0, -lw, 0, 0)
		tiles := draw.Tiles{Rows: len(grid), Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2}
		full := make([][]*plot.Plot, len(grid))
		for j, row := range grid {
			full[j] = make([]*plot.Plot, cols)
			copy(full[j], row)
		}
		canvases := plot.Align(full, tiles, area)
		for j, row := range full {
			for i, p := range row {
				if p != nil {
					p.Draw(canvases[j][i])
				}
			}
		}
		if leg != nil {
			l := *leg
			l.Top, l.Left = true, true
			l.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: c.Max.X - lw + vg.Millimeter*3, Y: c.Min.Y},
				Max: vg.Point{X: c.Max.X, Y: c.Max.Y - vg.Millimeter*8}}})
		}
	})
}

// render writes one figure as name.png and name.svg, drawn by draw on a
// w × h canvas, and returns the PNG's file name.
func (f *Figures) render(name string, w, height vg.Length, drawFig func(c draw.Canvas)) (string, error) {
	name += f.Suffix
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return "", err
	}
	for _, ext := range []string{"png", "svg"} {
		var c draw.Canvas
		var save func(path string) error
		switch ext {
		case "png":
			img := vgimg.NewWith(vgimg.UseWH(w, height), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
			c = draw.New(img)
			save = func(path string) error {
				out, err := os.Create(path)
				if err != nil {
					return err
				}
				if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out); err != nil {
					out.Close()
					return err
				}
				return out.Close()
			}
		case "svg":
			img := vgsvg.New(w, height)
			c = draw.New(img)
			save = func(path string) error {
				out, err := os.Create(path)
				if err != nil {
					return err
				}
				if _, err := img.WriteTo(out); err != nil {
					out.Close()
					return err
				}
				return out.Close()
			}
		}
		drawFig(c)
		path := filepath.Join(f.Dir, name+"."+ext)
		tmp := path + ".tmp"
		if err := save(tmp); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("experiments: figure %s: %w", name, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
	}
	return name + ".png", nil
}

// palette is a colour-blind-safe set (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // green
	color.RGBA{204, 121, 167, 255}, // purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{240, 228, 66, 255},  // yellow
}

func colour(i int) color.Color { return palette[i%len(palette)] }

// newPlot makes a titled plot with labelled axes.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	return p
}

// swatch is a legend entry that is a filled box of one colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}
	c.FillPolygon(s.c, c.ClipPolygonY(pts))
}

// padRange widens a plot's axes by frac of their data range on each side
// (at least a small absolute margin), so that points at the edges are drawn
// whole and not clipped.
func padRange(p *plot.Plot, fracX, fracY float64) {
	pad := func(a *plot.Axis, frac float64) {
		if frac == 0 || a.Min > a.Max {
			return
		}
		d := (a.Max - a.Min) * frac
		if d == 0 {
			d = math.Max(math.Abs(a.Max)*frac, frac)
		}
		a.Min -= d
		a.Max += d
	}
	pad(&p.X, fracX)
	pad(&p.Y, fracY)
}

// fmtTicks labels a ticker's major ticks with format (raw floats such as
// "64000000" read badly).
type fmtTicks struct {
	base   plot.Ticker
	format func(v float64) string
}

func (t fmtTicks) Ticks(min, max float64) []plot.Tick {
	ts := t.base.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = t.format(ts[i].Value)
		}
	}
	return ts
}

// trimFloat formats v with up to prec decimals, without trailing zeros.
func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// vline is a vertical line across a plot's data area at x (a bound).
type vline struct {
	x     float64
	style draw.LineStyle
}

func (l vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(l.x)
	c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
}

// DataRange makes the line's x part of the axis range (y is left alone).
func (l vline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return l.x, l.x, math.Inf(1), math.Inf(-1)
}

func (l vline) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
}

// panel is a plot that remembers what was added to it, so that tests can
// check a figure's elements.
type panel struct {
	*plot.Plot
	items []plot.Plotter
}

func newPanel(title, x, y string) *panel { return &panel{Plot: newPlot(title, x, y)} }

// Add adds plotters to the plot and remembers them.
func (p *panel) Add(ps ...plot.Plotter) {
	p.items = append(p.items, ps...)
	p.Plot.Add(ps...)
}

// plots unwraps a grid of panels (nil stays nil).
func plots(grid [][]*panel) [][]*plot.Plot {
	out := make([][]*plot.Plot, len(grid))
	for j, row := range grid {
		out[j] = make([]*plot.Plot, len(row))
		for i, p := range row {
			if p != nil {
				out[j][i] = p.Plot
			}
		}
	}
	return out
}
