package navigator

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPairedFaster: a size measured 5 % faster on every payload (with 1 %
// noise) is faster; the same size measured twice is not (in at most a
// few percent of draws at 95 %, as a one-sided test must); a faster mean
// that comes from one payload is not; payloads that failed or do not pair
// up decide nothing.
func TestPairedFaster(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	clips := []float64{700, 1200, 2100, 2200, 2400, 4500, 4300, 5100, 5000, 10300}
	draw := func(f, noise float64) []float64 {
		out := make([]float64, len(clips))
		for k, c := range clips {
			out[k] = c * f * math.Exp(noise*rng.NormFloat64())
		}
		return out
	}
	if a, b := draw(1, 0.01), draw(0.95, 0.01); !pairedFaster(b, a, 0.95) {
		t.Errorf("5 %% faster on every payload: not found faster\n a %v\n b %v", a, b)
	}
	false95 := 0
	for i := 0; i < 1000; i++ {
		if pairedFaster(draw(1, 0.02), draw(1, 0.02), 0.95) {
			false95++
		}
	}
	if false95 > 70 { // 5 % expected: 50 ± 7
		t.Errorf("the same size measured twice: faster in %d of 1000 draws at 95 %%, want about 50", false95)
	}
	a := draw(1, 0)
	b := append([]float64(nil), a...)
	b[9] = a[9] / 2 // one payload much faster, the rest 2 % slower
	for k := 0; k < 9; k++ {
		b[k] = a[k] * 1.02
	}
	if pairedFaster(b, a, 0.84) {
		t.Error("a faster mean from one payload while nine are 2 % slower: found faster")
	}
	b = draw(0.9, 0.001)
	b[3] = math.NaN()
	if pairedFaster(b, a, 0.5) {
		t.Error("a payload without a time: decided anyway")
	}
	if pairedFaster(draw(0.9, 0.001)[:9], a, 0.5) {
		t.Error("9 payloads against 10: decided anyway")
	}
}
