package model_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/confignav/confignav/navigator/model"
)

// A predicted distribution keeps the predicted mean and p95 exactly; its
// samples feed Monte Carlo estimates such as the slower of two parallel
// branches.
func ExampleNewDist() {
	a, err := model.NewDist(1000, 1100, 60*60)
	if err != nil {
		panic(err)
	}
	b, _ := model.NewDist(900, 1150, 150*150)
	fmt.Printf("a: mean %.0f ms, p95 %.0f ms\n", a.Mean(), a.Quantile(0.95))
	rng := rand.New(rand.NewPCG(1, 1))
	var s float64
	const n = 100000
	for range n {
		s += max(a.Sample(rng), b.Sample(rng))
	}
	fmt.Printf("E[max(a, b)] ≈ %.0f ms\n", s/n)
	// Output:
	// a: mean 1000 ms, p95 1100 ms
	// E[max(a, b)] ≈ 1029 ms
}
