package bo_test

import (
	"fmt"
	"math"

	"github.com/confignav/confignav/bo"
)

// Example tunes one Lambda function's memory, a knob with 32 settings,
// to minimise a latency curve: four Sobol-chosen settings, then expected
// improvement on a Matérn-5/2 GP, evaluated on the grid itself.
func Example() {
	mem := make([]float64, 32)
	for i := range mem {
		mem[i] = 128 + 320*float64(i)
	}
	grid, _ := bo.NewGrid(mem)
	latency := func(mb float64) float64 { // seconds: CPU-bound work plus a floor
		return 0.3 + 400/mb + mb/20000
	}

	var X [][]float64
	var y []float64
	seen := map[int]bool{}
	observe := func(i int) {
		seen[i] = true
		X = append(X, []float64{grid.Unit(i)})
		y = append(y, latency(mem[i]))
	}
	s, _ := bo.NewSobol(1)
	for range 4 {
		observe(grid.Index(s.Next(nil)[0]))
	}
	g := bo.NewGP(bo.NewMatern52(1, 0.3, 1))
	opts := bo.DefaultFitOptions()
	for range 6 {
		if err := g.Fit(X, y, opts); err != nil {
			fmt.Println(err)
			return
		}
		best, _ := g.Best()
		next, nextEI := -1, -1.0
		for i := range mem {
			if ei := bo.PredictEI(g, []float64{grid.Unit(i)}, best, 0.01); !seen[i] && ei > nextEI {
				next, nextEI = i, ei
			}
		}
		observe(next)
	}
	at := 0
	for i := range y {
		if y[i] < y[at] {
			at = i
		}
	}
	fmt.Printf("evaluations: %d\n", len(y))
	fmt.Printf("best: %.0f MB, %.4f s\n", grid.Value(X[at][0]), y[at])
	trueBest := math.Inf(1)
	for _, m := range mem {
		trueBest = min(trueBest, latency(m))
	}
	fmt.Printf("grid optimum: %.4f s\n", trueBest)
	// Output:
	// evaluations: 10
	// best: 2688 MB, 0.5832 s
	// grid optimum: 0.5832 s
}
