package experiments

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

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
	name += f.Suffix
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return "", err
	}
	w := width * vg.Length(len(panels))
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
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 4}
		canvases := plot.Align([][]*plot.Plot{panels}, tiles, c)
		for i, p := range panels {
			p.Draw(canvases[0][i])
		}
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
