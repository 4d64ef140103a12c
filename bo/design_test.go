package bo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/confignav/confignav/bo"
)

// TestSobolJoeKuo checks the first ten points of the three-dimensional
// sequence against the published output of Joe and Kuo's reference program
// (sobol.cc with new-joe-kuo-6.21201, Gray-code order, origin first).
func TestSobolJoeKuo(t *testing.T) {
	want := [][]float64{
		{0, 0, 0},
		{0.5, 0.5, 0.5},
		{0.75, 0.25, 0.25},
		{0.25, 0.75, 0.75},
		{0.375, 0.375, 0.625},
		{0.875, 0.875, 0.125},
		{0.625, 0.125, 0.875},
		{0.125, 0.625, 0.375},
		{0.1875, 0.3125, 0.9375},
		{0.6875, 0.8125, 0.4375},
	}
	got, err := bo.SobolPoints(len(want), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] { // dyadic rationals: exact
				t.Errorf("point %d: %v, want %v", i, got[i], want[i])
				break
			}
		}
	}
	s, _ := bo.NewSobol(3)
	s.Skip(9)
	if p := s.Next(nil); p[2] != 0.4375 {
		t.Errorf("after Skip(9): %v, want third coordinate 0.4375", p)
	}
}

// TestSobolStratified checks the defining net property on one-dimensional
// projections: the first 2^m points put exactly one point in each interval
// [k/2^m, (k+1)/2^m) of every coordinate. It covers table dimensions and
// generated ones (beyond 53), plain and scrambled.
func TestSobolStratified(t *testing.T) {
	const m = 7
	n := 1 << m
	for _, tc := range []struct {
		name string
		rng  *rand.Rand
	}{
		{"plain", nil},
		{"scrambled", rand.New(rand.NewPCG(7, 7))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := bo.SobolPoints(n, 160, tc.rng)
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 160; j++ {
				seen := make([]bool, n)
				for _, p := range pts {
					if p[j] < 0 || p[j] >= 1 {
						t.Fatalf("coordinate %d value %v outside [0,1)", j, p[j])
					}
					seen[int(p[j]*float64(n))] = true
				}
				for k, ok := range seen {
					if !ok {
						t.Errorf("dimension %d: no point in stratum %d of %d", j+1, k, n)
						break
					}
				}
			}
		})
	}
}

// TestLatinHypercube checks one point per stratum per dimension.
func TestLatinHypercube(t *testing.T) {
	for _, tc := range []struct{ n, d int }{{1, 1}, {5, 3}, {32, 8}} {
		pts, err := bo.LatinHypercube(tc.n, tc.d, rand.New(rand.NewPCG(uint64(tc.n), 1)))
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < tc.d; j++ {
			seen := make([]int, tc.n)
			for _, p := range pts {
				seen[int(math.Floor(p[j]*float64(tc.n)))]++
			}
			for k, c := range seen {
				if c != 1 {
					t.Errorf("n=%d d=%d: dimension %d stratum %d holds %d points", tc.n, tc.d, j, k, c)
				}
			}
		}
	}
	if _, err := bo.LatinHypercube(0, 2, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("LatinHypercube(0, …) gave no error")
	}
}

// TestGrid maps 32 Lambda memory sizes to [0,1] and back.
func TestGrid(t *testing.T) {
	mem := make([]float64, 32)
	for i := range mem {
		mem[i] = 128 + 320*float64(i) // 128 … 10048 MB
	}
	g, err := bo.NewGrid(mem)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mem {
		u := g.Unit(i)
		if g.Index(u) != i || g.Value(u) != v {
			t.Errorf("setting %d: unit %v maps back to %d", i, u, g.Index(u))
		}
	}
	for _, tc := range []struct {
		u    float64
		want int
	}{{-1, 0}, {0, 0}, {0.5 / 31, 1}, {0.49 / 31, 0}, {0.5, 16}, {1, 31}, {2, 31}} {
		if got := g.Index(tc.u); got != tc.want {
			t.Errorf("Index(%v) = %d, want %d", tc.u, got, tc.want)
		}
	}
	if _, err := bo.NewGrid([]float64{128, 128}); err == nil {
		t.Error("NewGrid accepted repeated values")
	}
	if i, err := g.IndexOf(448); err != nil || i != 1 {
		t.Errorf("IndexOf(448) = %d, %v", i, err)
	}
}
