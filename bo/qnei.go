package bo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// QNEIConfig configures batch noisy expected improvement.
type QNEIConfig struct {
	// Samples is the number of quasi-Monte-Carlo posterior samples
	// (Aquatope: 32).
	Samples int
	// Eta is the temperature of the sigmoid feasibility weight
	// σ((Threshold − c)/Eta) (BoTorch default 1e-3). It is in the constraint
	// GP's output units, so model a constraint of order one (for example
	// cost/C_bound with Threshold 1).
	Eta float64
	// Threshold: a point is feasible when its constraint value is ≤ Threshold.
	Threshold float64
	// InfeasibleValue is the objective value (minimisation units) that an
	// infeasible sample is pulled towards: BoTorch's infeasible_cost M in
	// f̃ = M − max(M − f, 0)·w. Aquatope's code leaves it at 0, which for a
	// positive objective such as latency makes f̃ = 0 for every sample, so
	// the acquisition is identically zero; the corrected choice is the worst
	// (largest) objective value observed.
	InfeasibleValue float64
}

// DefaultQNEIConfig returns Aquatope's settings: 32 samples, η = 1e-3.
func DefaultQNEIConfig() QNEIConfig {
	return QNEIConfig{Samples: 32, Eta: 1e-3}
}

// Validate reports inconsistent settings.
func (c QNEIConfig) Validate() error {
	if c.Samples < 1 {
		return fmt.Errorf("bo: qNEI needs at least one sample, got %d", c.Samples)
	}
	if !(c.Eta > 0) || math.IsInf(c.Eta, 0) {
		return fmt.Errorf("bo: qNEI temperature %v is not positive and finite", c.Eta)
	}
	if math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0) || math.IsNaN(c.InfeasibleValue) || math.IsInf(c.InfeasibleValue, 0) {
		return fmt.Errorf("bo: qNEI threshold %v and infeasible value %v must be finite", c.Threshold, c.InfeasibleValue)
	}
	return nil
}

// QNEI is batch noisy expected improvement (Letham et al. 2019, BoTorch's
// qNoisyExpectedImprovement) for minimisation, optionally with one outcome
// constraint, as Aquatope uses it. For a batch of q candidates it draws
// Samples joint posterior samples of the latent objective (and constraint) at
// the q candidates and at every observed point, from fixed scrambled-Sobol
// normal base samples, and averages
//
//	max( min_i f̃(x_i) − min_j f̃(x_j), 0 )
//
// over samples, i over the observed points and j over the candidates. With a
// constraint, f̃ = M − max(M − f, 0)·σ((Threshold − c)/η) (BoTorch's
// ConstrainedMCObjective in minimisation form); without one f̃ = f.
//
// The base samples are fixed per batch size, so Value is a deterministic,
// continuous function of the batch that the optimiser can climb. A QNEI
// caches per-batch-size state and is not safe for concurrent use.
type QNEI struct {
	cfg    QNEIConfig
	models []*qneiModel // objective, then constraint if any
	seed   uint64
	perQ   map[int]*qneiBase
}

// qneiModel holds the posterior of one GP at its training points.
type qneiModel struct {
	g   *GP
	mu  []float64 // posterior mean at the training points, standardised
	lnn []float64 // n×n lower Cholesky factor of the posterior covariance there
	m   []float64 // n×n: L_nn⁻¹ · s · A⁻¹, so that row j of L_qn is m k(X, x_j)
	s   float64   // σn² + jitter, standardised

	// Per batch slot j, the quantities that depend on x_j alone, cached
	// because a coordinate search changes one slot at a time.
	cx     [][]float64 // the x_j they were computed for (nil: none)
	v, lqn [][]float64 // L⁻¹ k(X, x_j) and row j of L_qn
	muq    []float64   // μ(x_j), standardised
	base   [][]float64 // [j][sample] μ(x_j) + L_qn[j]·z_n
	sm     []float64
	out    [][]float64
}

// qneiBase holds, for one batch size q, the normal base samples and the
// per-sample best constrained objective over the observed points.
type qneiBase struct {
	zn   [][][]float64 // [model][sample][n]
	zq   [][][]float64 // [model][sample][q]
	best []float64     // [sample]
	lzn  [][][]float64 // [model][sample][n]: L_nn z_n
}

// NewQNEI builds the acquisition for the fitted objective GP obj and the
// fitted constraint GP cons (nil for none), which must share their inputs.
// rng seeds the scrambling of the base samples.
func NewQNEI(obj, cons *GP, cfg QNEIConfig, rng *rand.Rand) (*QNEI, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if obj == nil || !obj.fitted {
		return nil, fmt.Errorf("%w: qNEI objective", ErrNotFitted)
	}
	if rng == nil {
		return nil, fmt.Errorf("bo: qNEI needs a random source")
	}
	a := &QNEI{cfg: cfg, seed: rng.Uint64(), perQ: map[int]*qneiBase{}}
	gps := []*GP{obj}
	if cons != nil {
		if !cons.fitted {
			return nil, fmt.Errorf("%w: qNEI constraint", ErrNotFitted)
		}
		if cons.d != obj.d || len(cons.x) != len(obj.x) {
			return nil, fmt.Errorf("%w: objective and constraint GPs are fitted on different inputs", ErrBadInput)
		}
		for i := range obj.x {
			if !equalSlices(obj.x[i], cons.x[i]) {
				return nil, fmt.Errorf("%w: objective and constraint GPs differ at input %d", ErrBadInput, i)
			}
		}
		gps = append(gps, cons)
	}
	for _, g := range gps {
		m, err := newQNEIModel(g)
		if err != nil {
			return nil, err
		}
		a.models = append(a.models, m)
	}
	return a, nil
}

func newQNEIModel(g *GP) (*qneiModel, error) {
	n := len(g.x)
	s := math.Exp(g.logNoise) + g.jitter
	m := &qneiModel{g: g, s: s, mu: make([]float64, n)}
	for i := range m.mu {
		m.mu[i] = g.ys[i] - s*g.alpha[i]
	}
	// Σ_nn = K − K A⁻¹ K = s I − s² A⁻¹ with A = K + s I.
	col := make([]float64, n)
	cov := mat.NewSymDense(n, nil)
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		g.forward(col)
		g.backward(col) // column j of A⁻¹
		for i := 0; i <= j; i++ {
			v := -s * s * col[i]
			if i == j {
				v += s
			}
			cov.SetSym(i, j, v)
		}
	}
	var chol mat.Cholesky
	if _, err := factorJitter(&chol, cov); err != nil {
		return nil, fmt.Errorf("%w (posterior covariance at the observations)", err)
	}
	u := chol.RawU().(*mat.TriDense).RawTriangular()
	m.lnn = make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			m.lnn[j*n+i] = u.Data[i*u.Stride+j]
		}
	}
	// m = L_nn⁻¹ (s A⁻¹): column j is L_nn⁻¹ applied to s·(A⁻¹ e_j).
	m.m = make([]float64, n*n)
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		g.forward(col)
		g.backward(col)
		for i := 0; i < n; i++ {
			col[i] = (s*col[i] - floats.Dot(m.lnn[i*n:i*n+i], col[:i])) / m.lnn[i*n+i]
		}
		for i := 0; i < n; i++ {
			m.m[i*n+j] = col[i]
		}
	}
	return m, nil
}

// base returns the base samples for batch size q, building them on first use.
func (a *QNEI) base(q int) *qneiBase {
	if b, ok := a.perQ[q]; ok {
		return b
	}
	n := len(a.models[0].g.x)
	S := a.cfg.Samples
	nm := len(a.models)
	dim := (n + q) * nm
	rng := rand.New(rand.NewPCG(a.seed, uint64(q)))
	var pts [][]float64
	if dim <= MaxSobolDim {
		pts, _ = SobolPoints(S, dim, rng)
	} else { // beyond the Sobol table: plain Monte Carlo
		pts = UniformPoints(S, dim, rng)
	}
	const eps = 0x1p-52
	b := &qneiBase{best: make([]float64, S)}
	for mi, m := range a.models {
		zn := make([][]float64, S)
		zq := make([][]float64, S)
		lzn := make([][]float64, S)
		for s := 0; s < S; s++ {
			row := pts[s][mi*(n+q) : (mi+1)*(n+q)]
			z := make([]float64, n+q)
			for k, u := range row {
				z[k] = normQuantile(0.5 + (1-eps)*(u-0.5))
			}
			zn[s], zq[s] = z[:n], z[n:]
			lz := make([]float64, n)
			for i := 0; i < n; i++ {
				var t float64
				for k, l := range m.lnn[i*n : i*n+i+1] {
					t += l * z[k]
				}
				lz[i] = t
			}
			lzn[s] = lz
		}
		b.zn = append(b.zn, zn)
		b.zq = append(b.zq, zq)
		b.lzn = append(b.lzn, lzn)
	}
	for s := 0; s < S; s++ {
		best := math.Inf(1)
		for i := 0; i < n; i++ {
			f := a.models[0].orig(a.models[0].mu[i] + b.lzn[0][s][i])
			if len(a.models) > 1 {
				c := a.models[1].orig(a.models[1].mu[i] + b.lzn[1][s][i])
				f = a.constrained(f, c)
			}
			best = min(best, f)
		}
		b.best[s] = best
	}
	a.perQ[q] = b
	return b
}

func (m *qneiModel) orig(v float64) float64 { return m.g.yMean + m.g.yScale*v }

// constrained applies BoTorch's soft constraint in minimisation form.
func (a *QNEI) constrained(f, c float64) float64 {
	M := a.cfg.InfeasibleValue
	w := sigmoid((a.cfg.Threshold - c) / a.cfg.Eta)
	return M - max(M-f, 0)*w
}

// Value returns qNEI of the batch (q points of [0,1]^d).
func (a *QNEI) Value(batch [][]float64) (float64, error) {
	d := a.models[0].g.d
	if len(batch) == 0 {
		return 0, fmt.Errorf("%w: empty batch", ErrBadInput)
	}
	for j, x := range batch {
		if len(x) != d {
			return 0, fmt.Errorf("%w: batch[%d] has dimension %d, want %d", ErrBadInput, j, len(x), d)
		}
		for k, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%w: batch[%d][%d] is %v", ErrBadInput, j, k, v)
			}
		}
	}
	return a.value(batch), nil
}

// value evaluates qNEI without checking its input.
func (a *QNEI) value(batch [][]float64) float64 {
	q := len(batch)
	b := a.base(q)
	S := a.cfg.Samples
	// fq[model][sample][j]
	fq := make([][][]float64, len(a.models))
	for mi, m := range a.models {
		fq[mi] = m.batchSamples(batch, b.zn[mi], b.zq[mi])
	}
	var total float64
	for s := 0; s < S; s++ {
		bestQ := math.Inf(1)
		for j := 0; j < q; j++ {
			f := fq[0][s][j]
			if len(a.models) > 1 {
				f = a.constrained(f, fq[1][s][j])
			}
			bestQ = min(bestQ, f)
		}
		total += max(b.best[s]-bestQ, 0)
	}
	return total / float64(S)
}

// batchSamples returns the joint posterior samples, in original units, of
// the latent function at the batch: f_q = μ_q + L_qn z_n + L_qq z_q, where
// [L_nn 0; L_qn L_qq] is the Cholesky factor of the joint posterior
// covariance of (observed points, batch). With A = K + sI, the cross
// covariance is Σ_nq = s A⁻¹ k(X, x_q), so L_qn row j = m k(X, x_j), and
// L_qq is the factor of Σ_qq − L_qn L_qnᵀ, Σ_qq = k(x_a, x_b) − v_a·v_b,
// v = L⁻¹ k(X, x).
func (m *qneiModel) batchSamples(batch [][]float64, zn, zq [][]float64) [][]float64 {
	g := m.g
	n, q, S := len(g.x), len(batch), len(zn)
	if len(m.v) != q || len(m.out) != S {
		m.cx = make([][]float64, q)
		m.v, m.lqn, m.base = make([][]float64, q), make([][]float64, q), make([][]float64, q)
		for j := range m.v {
			m.v[j], m.lqn[j], m.base[j] = make([]float64, n), make([]float64, n), make([]float64, S)
		}
		m.muq, m.sm = make([]float64, q), make([]float64, q*q)
		m.out = make([][]float64, S)
		for s := range m.out {
			m.out[s] = make([]float64, q)
		}
	}
	v, lqn, mu, sm := m.v, m.lqn, m.muq, m.sm
	for j, x := range batch {
		if m.cx[j] != nil && equalSlices(m.cx[j], x) {
			continue
		}
		m.cx[j] = append(m.cx[j][:0], x...)
		k, r := v[j], lqn[j]
		g.kvec(k, x)
		mu[j] = g.mean + floats.Dot(k, g.alpha)
		for i := 0; i < n; i++ {
			r[i] = floats.Dot(m.m[i*n:(i+1)*n], k)
		}
		g.forward(k)
		for s := range m.base[j] {
			m.base[j][s] = mu[j] + floats.Dot(r, zn[s])
		}
	}
	for a := 0; a < q; a++ {
		for c := 0; c <= a; c++ {
			val := g.kernel.Cov(batch[a], batch[c]) - floats.Dot(v[a], v[c]) - floats.Dot(lqn[a], lqn[c])
			sm[a*q+c] = val
			sm[c*q+a] = val
		}
	}
	lqq := semidefCholesky(sm, q)
	for s, f := range m.out {
		for j := 0; j < q; j++ {
			val := m.base[j][s]
			for c := 0; c <= j; c++ {
				val += lqq[j*q+c] * zq[s][c]
			}
			f[j] = g.yMean + g.yScale*val
		}
	}
	return m.out
}

// semidefCholesky returns a lower factor L with L Lᵀ ≈ a for a symmetric
// positive semidefinite q×q matrix (row-major): pivots at or below a
// relative floor are treated as zero, so rounding that makes a slightly
// indefinite cannot produce NaN.
func semidefCholesky(a []float64, q int) []float64 {
	l := make([]float64, q*q)
	var scale float64
	for i := 0; i < q; i++ {
		scale = max(scale, math.Abs(a[i*q+i]))
	}
	floor := 1e-12 * scale
	for j := 0; j < q; j++ {
		d := a[j*q+j]
		for k := 0; k < j; k++ {
			d -= l[j*q+k] * l[j*q+k]
		}
		if d <= floor {
			continue // column j stays zero
		}
		ljj := math.Sqrt(d)
		l[j*q+j] = ljj
		for i := j + 1; i < q; i++ {
			v := a[i*q+j]
			for k := 0; k < j; k++ {
				v -= l[i*q+k] * l[j*q+k]
			}
			l[i*q+j] = v / ljj
		}
	}
	return l
}

// Optimize chooses a batch of q points of [0,1]^d that maximises qNEI
// jointly, by Maximize over the q·d coordinates, and returns it with its
// value.
func (a *QNEI) Optimize(q int, opts AcqOptions, rng *rand.Rand) ([][]float64, float64, error) {
	if q < 1 {
		return nil, 0, fmt.Errorf("bo: batch size %d is not positive", q)
	}
	d := a.models[0].g.d
	batch := make([][]float64, q)
	f := func(x []float64) float64 {
		for j := range batch {
			batch[j] = x[j*d : (j+1)*d]
		}
		return a.value(batch)
	}
	x, v, err := Maximize(f, q*d, opts, rng)
	if err != nil {
		return nil, 0, err
	}
	out := make([][]float64, q)
	for j := range out {
		out[j] = append([]float64(nil), x[j*d:(j+1)*d]...)
	}
	return out, v, nil
}
