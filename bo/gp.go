package bo

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// Sentinel errors; returned errors wrap them with detail.
var (
	// ErrNotPositiveDefinite reports a covariance matrix that stays
	// indefinite even with the largest jitter allowed.
	ErrNotPositiveDefinite = errors.New("bo: covariance matrix not positive definite")
	// ErrNotFitted reports a GP used before Fit.
	ErrNotFitted = errors.New("bo: GP not fitted")
	// ErrBadInput reports NaN, infinite or misshapen data.
	ErrBadInput = errors.New("bo: bad input")
)

// Jitter schedule: when K + σn²I fails to factorise, a jitter of
// jitterStart × mean(diag) is added to the diagonal and multiplied by 10 on
// each failure up to jitterMax × mean(diag).
const (
	jitterStart = 1e-10
	jitterMax   = 1e-3
)

// GP is Gaussian-process regression with a constant mean, a Kernel and
// homoscedastic Gaussian noise:
//
//	y = f(x) + ε,  f ~ GP(c, k),  ε ~ N(0, σn²).
//
// Inputs are points of the unit hypercube [0,1]^d. Fit standardises the
// outputs (subtracts their mean, divides by their standard deviation) and all
// hyperparameters (c, σ², σn²) refer to the standardised outputs; Predict and
// PredictJoint report in the original units.
//
// The hyperparameter vector, as Hyperparameters and SetHyperparameters see
// it, is [log ℓ_1 … log ℓ_d, log σ², log σn², c].
//
// A fitted GP is safe for concurrent Predict calls; Fit and
// SetHyperparameters must not run concurrently with anything else.
type GP struct {
	kernel   Kernel
	logNoise float64
	mean     float64

	d      int
	x      [][]float64
	y      []float64
	ys     []float64
	yMean  float64
	yScale float64
	sq     []float64 // squared differences (x_ik − x_jk)², dimension-major: [k][pair], pairs i<j in row order

	l      []float64 // n×n row-major lower Cholesky factor of K + σn²I + jitter
	invLS  []float64 // 1/ℓ_i
	sf2    float64   // σ²
	alpha  []float64 // (K + σn²I)⁻¹ (ys − c)
	jitter float64
	lml    float64 // log marginal likelihood of ys
	fitted bool
}

// NewGP returns an unfitted GP with kernel k (which it owns from then on),
// noise variance 1e-3 and constant mean 0, both in standardised units.
func NewGP(k Kernel) *GP {
	return &GP{kernel: k, logNoise: math.Log(1e-3), d: k.Dim()}
}

// Dim returns the input dimension.
func (g *GP) Dim() int { return g.d }

// N returns the number of observations of the last Fit.
func (g *GP) N() int { return len(g.x) }

// Kernel returns a copy of the kernel with the current hyperparameters.
func (g *GP) Kernel() Kernel { return g.kernel.Clone() }

// NumHyper returns the length of the hyperparameter vector, Dim()+3.
func (g *GP) NumHyper() int { return g.kernel.NumParams() + 2 }

// Hyperparameters returns [log ℓ_1 … log ℓ_d, log σ², log σn², c].
func (g *GP) Hyperparameters() []float64 {
	return append(g.kernel.Params(), g.logNoise, g.mean)
}

// SetHyperparameters sets the hyperparameter vector and, on a fitted GP,
// refactorises the covariance.
func (g *GP) SetHyperparameters(h []float64) error {
	if len(h) != g.NumHyper() {
		return fmt.Errorf("%w: %d hyperparameters for a GP that takes %d", ErrBadInput, len(h), g.NumHyper())
	}
	for i, v := range h {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: hyperparameter %d is %v", ErrBadInput, i, v)
		}
	}
	nk := g.kernel.NumParams()
	if err := g.kernel.SetParams(h[:nk]); err != nil {
		return err
	}
	g.logNoise, g.mean = h[nk], h[nk+1]
	if g.x != nil {
		return g.factor()
	}
	return nil
}

// NoiseVariance returns σn² in the original output units (standardised
// units before the first Fit).
func (g *GP) NoiseVariance() float64 {
	s := 1.0
	if g.fitted {
		s = g.yScale
	}
	return math.Exp(g.logNoise) * s * s
}

// Jitter returns the diagonal jitter the last factorisation needed (0 when
// none), in standardised units.
func (g *GP) Jitter() float64 { return g.jitter }

// LogMarginalLikelihood returns log p(y | X, θ) at the current
// hyperparameters, in the original units of y (the standardisation enters as
// −n log s). It returns NaN before Fit.
func (g *GP) LogMarginalLikelihood() float64 {
	if !g.fitted {
		return math.NaN()
	}
	return g.lml - float64(len(g.x))*math.Log(g.yScale)
}

// Best returns the smallest observed output and its index.
func (g *GP) Best() (y float64, idx int) {
	if len(g.y) == 0 {
		return math.NaN(), -1
	}
	idx = 0
	for i, v := range g.y {
		if v < g.y[idx] {
			idx = i
		}
	}
	return g.y[idx], idx
}

// validateData checks shapes and finiteness, naming the first offender.
func validateData(X [][]float64, y []float64, d int) error {
	if len(X) == 0 {
		return fmt.Errorf("%w: no observations", ErrBadInput)
	}
	if len(X) != len(y) {
		return fmt.Errorf("%w: %d inputs but %d outputs", ErrBadInput, len(X), len(y))
	}
	for i, x := range X {
		if len(x) != d {
			return fmt.Errorf("%w: X[%d] has dimension %d, want %d", ErrBadInput, i, len(x), d)
		}
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: X[%d][%d] is %v", ErrBadInput, i, j, v)
			}
		}
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: y[%d] is %v", ErrBadInput, i, v)
		}
	}
	return nil
}

// Fit conditions the GP on observations y at inputs X (copied), optimising
// the hyperparameters first when opts.Restarts > 0.
func (g *GP) Fit(X [][]float64, y []float64, opts FitOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if g.d < 1 {
		return fmt.Errorf("%w: kernel of dimension %d", ErrBadInput, g.d)
	}
	if err := validateData(X, y, g.d); err != nil {
		return err
	}
	g.setData(X, y)
	if opts.Restarts > 0 {
		if err := g.optimize(opts); err != nil {
			g.fitted = false
			return err
		}
	}
	if err := g.factor(); err != nil {
		g.fitted = false
		return err
	}
	return nil
}

func (g *GP) setData(X [][]float64, y []float64) {
	n, d := len(X), g.d
	g.x = make([][]float64, n)
	for i, x := range X {
		g.x[i] = append([]float64(nil), x...)
	}
	g.y = append([]float64(nil), y...)
	var m float64
	for _, v := range y {
		m += v
	}
	m /= float64(n)
	var ss float64
	for _, v := range y {
		ss += (v - m) * (v - m)
	}
	s := 1.0
	if n > 1 {
		s = math.Sqrt(ss / float64(n-1))
	}
	if !(s > 1e-12*math.Max(1, math.Abs(m))) {
		s = 1 // constant outputs: centre only
	}
	g.yMean, g.yScale = m, s
	g.ys = make([]float64, n)
	for i, v := range y {
		g.ys[i] = (v - m) / s
	}
	np := n * (n - 1) / 2
	g.sq = make([]float64, d*np)
	p := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for k := 0; k < d; k++ {
				t := g.x[i][k] - g.x[j][k]
				g.sq[k*np+p] = t * t
			}
			p++
		}
	}
	g.fitted = false
}

// factor computes the Cholesky factor (gonum mat.Cholesky with adaptive
// jitter), α and the log marginal likelihood at the current hyperparameters.
func (g *GP) factor() error {
	g.fitted = false
	n, d := len(g.x), g.d
	h := g.Hyperparameters()
	w := newLMLWork(n)
	g.fillK(h, w)
	k := mat.NewSymDense(n, w.k)
	var chol mat.Cholesky
	jitter, err := factorJitter(&chol, k)
	if err != nil {
		return err
	}
	r := mat.NewVecDense(n, nil)
	for i, v := range g.ys {
		r.SetVec(i, v-h[d+2])
	}
	alpha := mat.NewVecDense(n, nil)
	_ = chol.SolveVecTo(alpha, r) // a Condition error is a warning only
	lml := -0.5*mat.Dot(alpha, r) - 0.5*chol.LogDet() - 0.5*float64(n)*math.Log(2*math.Pi)
	if math.IsNaN(lml) || math.IsInf(lml, 0) {
		return fmt.Errorf("%w: log marginal likelihood is %v", ErrNotPositiveDefinite, lml)
	}
	g.l = make([]float64, n*n)
	u := chol.RawU().(*mat.TriDense).RawTriangular()
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			g.l[j*n+i] = u.Data[i*u.Stride+j]
		}
	}
	g.alpha = append(g.alpha[:0], alpha.RawVector().Data...)
	g.jitter = jitter
	g.lml = lml
	g.invLS = g.invLS[:0]
	for _, l := range h[:d] {
		g.invLS = append(g.invLS, math.Exp(-l))
	}
	g.sf2 = math.Exp(h[d])
	g.fitted = true
	return nil
}

// factorJitter factorises a into chol. If a is not numerically positive
// definite it adds jitter·I to a (in place), starting at jitterStart times
// the mean diagonal and growing tenfold up to jitterMax times it, and
// returns the jitter that succeeded.
func factorJitter(chol *mat.Cholesky, a *mat.SymDense) (float64, error) {
	if chol.Factorize(a) {
		return 0, nil
	}
	n := a.SymmetricDim()
	raw := a.RawSymmetric()
	var meanDiag float64
	for i := 0; i < n; i++ {
		meanDiag += raw.Data[i*raw.Stride+i]
	}
	meanDiag /= float64(n)
	if !(meanDiag > 0) || math.IsInf(meanDiag, 0) {
		return 0, fmt.Errorf("%w: mean diagonal %v", ErrNotPositiveDefinite, meanDiag)
	}
	added := 0.0
	for rel := jitterStart; rel <= jitterMax*(1+1e-9); rel *= 10 {
		j := rel * meanDiag
		for i := 0; i < n; i++ {
			raw.Data[i*raw.Stride+i] += j - added
		}
		added = j
		if chol.Factorize(a) {
			return j, nil
		}
	}
	return 0, fmt.Errorf("%w: still indefinite with jitter %.3g × mean diagonal (n = %d)", ErrNotPositiveDefinite, jitterMax, n)
}

// lmlWork holds the buffers of log-marginal-likelihood evaluations.
type lmlWork struct {
	n          int
	k          []float64 // K + σn²I, upper triangle, row-major
	u          []float64 // its Cholesky factor U (K = UᵀU)
	kinv       []float64 // K⁻¹, upper triangle
	xinv       []float64 // U⁻¹
	alpha      []float64
	kf, dg, il []float64 // per pair σ² g(r²) and σ² dg/d(r²); inverse squared length-scales
	r2, fw     []float64 // per pair r² and (ααᵀ − K⁻¹)_ij σ² dg/d(r²)
	jitter     float64
}

func newLMLWork(n int) *lmlWork {
	return &lmlWork{
		n:     n,
		k:     make([]float64, n*n),
		u:     make([]float64, n*n),
		kinv:  make([]float64, n*n),
		alpha: make([]float64, n),
		kf:    make([]float64, n*(n-1)/2),
		dg:    make([]float64, n*(n-1)/2),
		r2:    make([]float64, n*(n-1)/2),
		fw:    make([]float64, n*(n-1)/2),
	}
}

// fillK writes the upper triangle of K + σn²I at hyperparameters h into
// w.k, and the per-pair kernel values and derivatives into w.kf and w.dg.
func (g *GP) fillK(h []float64, w *lmlWork) {
	n, d := len(g.x), g.d
	np := n * (n - 1) / 2
	sf2 := math.Exp(h[d])
	sn2 := math.Exp(h[d+1])
	w.il = w.il[:0]
	for k := 0; k < d; k++ {
		w.il = append(w.il, math.Exp(-2*h[k]))
	}
	r2 := w.r2
	clear(r2)
	for k, il := range w.il {
		floats.AddScaled(r2, il, g.sq[k*np:(k+1)*np])
	}
	g.kernel.profileBatch(r2, w.kf, w.dg)
	floats.Scale(sf2, w.kf)
	floats.Scale(sf2, w.dg)
	p := 0
	for i := 0; i < n; i++ {
		row := w.k[i*n : (i+1)*n]
		row[i] = sf2 + sn2
		m := n - i - 1
		copy(row[i+1:], w.kf[p:p+m])
		p += m
	}
}

// potrf factorises w.k into w.u with LAPACK's dpotrf (gonum), adding the
// same adaptive jitter as factorJitter when needed. The hot path of
// hyperparameter fitting calls LAPACK directly because mat.Cholesky also
// estimates the condition number, which doubles the cost of a factorisation
// at n = 70.
func (w *lmlWork) potrf() error {
	n := w.n
	sym := blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: w.u}
	copy(w.u, w.k)
	w.jitter = 0
	if _, ok := lapack64.Potrf(sym); ok {
		return nil
	}
	var meanDiag float64
	for i := 0; i < n; i++ {
		meanDiag += w.k[i*n+i]
	}
	meanDiag /= float64(n)
	if !(meanDiag > 0) || math.IsInf(meanDiag, 0) {
		return fmt.Errorf("%w: mean diagonal %v", ErrNotPositiveDefinite, meanDiag)
	}
	for rel := jitterStart; rel <= jitterMax*(1+1e-9); rel *= 10 {
		j := rel * meanDiag
		copy(w.u, w.k)
		for i := 0; i < n; i++ {
			w.u[i*n+i] += j
		}
		if _, ok := lapack64.Potrf(sym); ok {
			w.jitter = j
			return nil
		}
	}
	return fmt.Errorf("%w: still indefinite with jitter %.3g × mean diagonal (n = %d)", ErrNotPositiveDefinite, jitterMax, n)
}

// solve overwrites b with (UᵀU)⁻¹ b using the factor in w.u, by row-wise
// forward (Uᵀ) and backward (U) substitution on contiguous rows.
func (w *lmlWork) solve(b []float64) {
	n := w.n
	for i := 0; i < n; i++ {
		b[i] /= w.u[i*n+i]
		floats.AddScaled(b[i+1:], -b[i], w.u[i*n+i+1:(i+1)*n])
	}
	for i := n - 1; i >= 0; i-- {
		b[i] = (b[i] - floats.Dot(w.u[i*n+i+1:(i+1)*n], b[i+1:])) / w.u[i*n+i]
	}
}

// inverse writes the upper triangle of K⁻¹ = U⁻¹U⁻ᵀ into w.kinv from the
// factor in w.u: X = U⁻¹ row by row from the bottom (row_i(X) = (e_i −
// Σ_{k>i} U_ik row_k(X)) / U_ii), then (K⁻¹)_ij = row_i(X)·row_j(X) over
// the columns ≥ j. Both steps run on contiguous rows with gonum's vector
// kernels, about twice as fast as LAPACK's dpotri at n = 70.
func (w *lmlWork) inverse() {
	n := w.n
	if len(w.xinv) < n*n {
		w.xinv = make([]float64, n*n)
	}
	x := w.xinv
	for i := n - 1; i >= 0; i-- {
		row := x[i*n : (i+1)*n]
		clear(row)
		row[i] = 1
		urow := w.u[i*n : (i+1)*n]
		for k := i + 1; k < n; k++ {
			floats.AddScaled(row[k:], -urow[k], x[k*n+k:(k+1)*n])
		}
		floats.Scale(1/urow[i], row[i:])
	}
	for i := 0; i < n; i++ {
		ri := x[i*n : (i+1)*n]
		for j := i; j < n; j++ {
			w.kinv[i*n+j] = floats.Dot(ri[j:], x[j*n+j:(j+1)*n])
		}
	}
}

// evalLML returns the log marginal likelihood of the standardised outputs
// at hyperparameters h and, when grad is non-nil, writes its gradient with
// respect to h into grad.
func (g *GP) evalLML(h, grad []float64, w *lmlWork) (float64, error) {
	n, d := len(g.x), g.d
	g.fillK(h, w)
	if err := w.potrf(); err != nil {
		return math.NaN(), err
	}
	c := h[d+2]
	alpha := w.alpha
	for i, v := range g.ys {
		alpha[i] = v - c
	}
	var quad, logdet float64
	w.solve(alpha)
	for i, a := range alpha {
		quad += a * (g.ys[i] - c)
		logdet += 2 * math.Log(w.u[i*n+i])
	}
	lml := -0.5*quad - 0.5*logdet - 0.5*float64(n)*math.Log(2*math.Pi)
	if math.IsNaN(lml) || math.IsInf(lml, 0) {
		return math.NaN(), fmt.Errorf("%w: log marginal likelihood is %v", ErrNotPositiveDefinite, lml)
	}
	if grad == nil {
		return lml, nil
	}
	// ∂L/∂θ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ), summed over pairs i<j (∂K_ii/∂log ℓ = 0).
	w.inverse()
	sf2, sn2 := math.Exp(h[d]), math.Exp(h[d+1])
	var gsf, trW, sumA float64
	p := 0
	for i := 0; i < n; i++ {
		ai := alpha[i]
		krow := w.kinv[i*n : (i+1)*n]
		trW += ai*ai - krow[i]
		sumA += ai
		for j := i + 1; j < n; j++ {
			wij := ai*alpha[j] - krow[j]
			gsf += wij * w.kf[p]
			w.fw[p] = wij * w.dg[p]
			p++
		}
	}
	np := len(w.fw)
	for k := 0; k < d; k++ {
		grad[k] = -2 * w.il[k] * floats.Dot(w.fw, g.sq[k*np:(k+1)*np])
	}
	grad[d] = gsf + 0.5*sf2*trW
	grad[d+1] = 0.5 * sn2 * trW
	grad[d+2] = sumA
	return lml, nil
}

// dist2 is the squared distance of two points in length-scale units, the
// kernel's argument.
func (g *GP) dist2(a, b []float64) float64 {
	var r2 float64
	for k, il := range g.invLS {
		t := (a[k] - b[k]) * il
		r2 += t * t
	}
	return r2
}

// kvec writes k(x, x_i) for every training input into dst.
func (g *GP) kvec(dst, x []float64) {
	if len(x) != g.d {
		panic(fmt.Sprintf("bo: point of dimension %d for a GP of dimension %d", len(x), g.d))
	}
	for i, xi := range g.x {
		gv, _ := g.kernel.profile(g.dist2(x, xi))
		dst[i] = g.sf2 * gv
	}
}

// forward solves L v = b in place (b becomes v).
func (g *GP) forward(b []float64) {
	n := len(g.x)
	for i := 0; i < n; i++ {
		b[i] = (b[i] - floats.Dot(g.l[i*n:i*n+i], b[:i])) / g.l[i*n+i]
	}
}

// backward solves Lᵀ w = v in place (v becomes w).
func (g *GP) backward(v []float64) {
	n := len(g.x)
	for i := n - 1; i >= 0; i-- {
		v[i] /= g.l[i*n+i]
		floats.AddScaled(v[:i], -v[i], g.l[i*n:i*n+i])
	}
}

func (g *GP) mustFitted() {
	if !g.fitted {
		panic(ErrNotFitted.Error() + ": call Fit before predicting")
	}
}

// predictStd returns the posterior mean and variance of f at x in
// standardised units, using buf (length N) as scratch.
func (g *GP) predictStd(x, buf []float64) (mean, variance float64) {
	g.kvec(buf, x)
	mean = g.mean
	for i, a := range g.alpha {
		mean += buf[i] * a
	}
	g.forward(buf)
	variance = g.kernel.Variance()
	for _, v := range buf {
		variance -= v * v
	}
	return mean, max(variance, 0)
}

// Predict returns the posterior mean and variance of the latent f(x) (not
// of a noisy observation) in the original units. It panics if the GP is not
// fitted or x has the wrong dimension; x must be finite.
func (g *GP) Predict(x []float64) (mean, variance float64) {
	g.mustFitted()
	buf := make([]float64, len(g.x))
	m, v := g.predictStd(x, buf)
	return g.yMean + g.yScale*m, g.yScale * g.yScale * v
}

// PredictJoint returns the joint posterior mean and covariance of the
// latent f at the points xs, in the original units.
func (g *GP) PredictJoint(xs [][]float64) (mean []float64, cov *mat.SymDense) {
	g.mustFitted()
	n, m := len(g.x), len(xs)
	mean = make([]float64, m)
	vs := make([][]float64, m)
	for a, x := range xs {
		v := make([]float64, n)
		g.kvec(v, x)
		mu := g.mean
		for i, al := range g.alpha {
			mu += v[i] * al
		}
		mean[a] = g.yMean + g.yScale*mu
		g.forward(v)
		vs[a] = v
	}
	cov = mat.NewSymDense(m, nil)
	s2 := g.yScale * g.yScale
	for a := 0; a < m; a++ {
		for b := a; b < m; b++ {
			c := g.kernel.Cov(xs[a], xs[b])
			for i := 0; i < n; i++ {
				c -= vs[a][i] * vs[b][i]
			}
			if a == b {
				c = max(c, 0)
			}
			cov.SetSym(a, b, s2*c)
		}
	}
	return mean, cov
}

// LeaveOneOut returns, for every observation i, the predictive mean and
// variance of the noisy observation y_i given all the others, at the
// current hyperparameters, in the original units (Rasmussen and Williams,
// Gaussian Processes for Machine Learning, eq. 5.12): with A = K + σn²I,
// mean_i = y_i − [A⁻¹y]_i / [A⁻¹]_ii and variance_i = 1 / [A⁻¹]_ii.
// Aquatope's outlier filter compares each observation with such an interval.
func (g *GP) LeaveOneOut() (mean, variance []float64) {
	g.mustFitted()
	n := len(g.x)
	diag := make([]float64, n)
	col := make([]float64, n)
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		g.forward(col) // L⁻¹ e_j; [A⁻¹]_jj = |L⁻¹ e_j|²
		diag[j] = floats.Dot(col[j:], col[j:])
	}
	mean, variance = make([]float64, n), make([]float64, n)
	s2 := g.yScale * g.yScale
	for i := range mean {
		mean[i] = g.y[i] - g.yScale*g.alpha[i]/diag[i]
		variance[i] = s2 / diag[i]
	}
	return mean, variance
}
