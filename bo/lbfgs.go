package bo

import "math"

// lbfgs minimises f with the limited-memory BFGS method (Nocedal and
// Wright, Numerical Optimization, Algorithm 7.4, memory 10) and a
// backtracking Armijo line search; curvature pairs with sᵀy ≤ 0 are skipped,
// and a non-finite value counts as a failed step, so the search backs away
// from regions where the objective cannot be evaluated.
//
// It is written here rather than taken from gonum/optimize because that
// package imports gonum/stat/distmv, which needs golang.org/x/tools, a
// module the project's go.sum does not carry.
//
// f returns the value at x and writes the gradient into grad. The run stops
// after maxIter iterations, when the largest gradient component falls below
// gtol, or when three iterations in a row improve f by less than
// ftol·(1+|f|). It returns the best point found and its value.
func lbfgs(f func(x, grad []float64) float64, x0 []float64, maxIter int, gtol, ftol float64) ([]float64, float64) {
	const (
		memory  = 10
		c1      = 1e-4
		maxHalf = 40
	)
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f(x, g)
	if math.IsNaN(fx) || math.IsInf(fx, 0) {
		return x, math.Inf(1)
	}
	var (
		ss, ys [][]float64
		rhos   []float64
	)
	dir := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, memory)
	stall := 0
	for iter := 0; iter < maxIter; iter++ {
		if normInf(g) < gtol {
			break
		}
		// Two-loop recursion: dir = −H g.
		copy(dir, g)
		for k := len(ss) - 1; k >= 0; k-- {
			alpha[k] = rhos[k] * dot(ss[k], dir)
			axpy(-alpha[k], ys[k], dir)
		}
		gamma := 1.0
		if m := len(ss); m > 0 {
			gamma = dot(ss[m-1], ys[m-1]) / dot(ys[m-1], ys[m-1])
		} else {
			gamma = 1 / max(normInf(g), 1)
		}
		for i := range dir {
			dir[i] *= gamma
		}
		for k := range ss {
			b := rhos[k] * dot(ys[k], dir)
			axpy(alpha[k]-b, ss[k], dir)
		}
		for i := range dir {
			dir[i] = -dir[i]
		}
		slope := dot(g, dir)
		if !(slope < 0) { // not a descent direction: restart from steepest descent
			ss, ys, rhos = ss[:0], ys[:0], rhos[:0]
			for i := range dir {
				dir[i] = -g[i] / max(normInf(g), 1)
			}
			slope = dot(g, dir)
		}
		step := 1.0
		var fn float64
		ok := false
		for h := 0; h < maxHalf; h++ {
			for i := range x {
				xn[i] = x[i] + step*dir[i]
			}
			fn = f(xn, gn)
			if fn <= fx+c1*step*slope && !math.IsNaN(fn) {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			break
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-12*math.Sqrt(dot(s, s)*dot(y, y)) {
			if len(ss) == memory {
				ss, ys, rhos = ss[1:], ys[1:], rhos[1:]
			}
			ss, ys, rhos = append(ss, s), append(ys, y), append(rhos, 1/sy)
		}
		if fx-fn < ftol*(1+math.Abs(fx)) {
			stall++
		} else {
			stall = 0
		}
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if stall >= 3 {
			break
		}
	}
	return x, fx
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func normInf(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = max(m, math.Abs(v))
	}
	return m
}
