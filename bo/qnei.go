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
	r   []float64 // n×n upper triangular, rᵀr = A⁻¹ + mᵀm (see newQNEIModel)
	rt  []float64 // rᵀ, lower triangular row-major
	xt  []float64 // d×n: the training inputs, dimension-major
	s   float64   // σn² + jitter, standardised

	// Per batch slot j, the quantities that depend on x_j alone, cached
	// because a coordinate search changes one slot at a time.
	cx      [][]float64 // the x_j they were computed for (nil: none)
	k, dg   [][]float64 // k(X, x_j) and dg/d(r²) of the kernel profile at each x_i
	w       [][]float64 // r k(X, x_j): w_a·w_b = v_a·v_b + L_qn[a]·L_qn[b], v = L⁻¹ k
	base    [][]float64 // [j][sample] μ(x_j) + L_qn[j]·z_n, standardised
	uOK     []bool      // u is up to date for slot j
	u       [][]float64 // [j] rᵀ w_j = (A⁻¹ + mᵀm) k(X, x_j)
	kBar, e []float64   // n: ∂qNEI/∂k(X, x_j), and the same with L_qq's share
	pdg     []float64   // q×q: dg/d(r²) between batch points
	sm, lqq []float64   // q×q: Σ_qq − L_qn L_qnᵀ and its lower factor
	out     [][]float64 // [sample][j] samples in original units
	outBar  []float64   // [j·S + sample] ∂qNEI/∂out
	lBar    []float64   // q×q: ∂qNEI/∂L_qq
	cBar    []float64   // q×q: ∂qNEI/∂C_ac for the pair {a, c} (C's lower triangle)
	dC, dL  []float64   // q×q tangents
}

// qneiBase holds, for one batch size q, the normal base samples and the
// per-sample best constrained objective over the observed points.
type qneiBase struct {
	zn   [][][]float64 // [model][sample][n]
	zq   [][][]float64 // [model][sample][q]
	best []float64     // [sample]
	lzn  [][][]float64 // [model][sample][n]: L_nn z_n
	beta [][]float64   // [model][sample·n + i]: α + mᵀ z_n, so μ(x) + L_qn(x)·z_n = c + k(X, x)·β
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
	// r: the triangular factor of the QR decomposition of G = [L⁻¹; m]
	// (2n×n), so that rᵀr = GᵀG = A⁻¹ + mᵀm and r k(X, x_a)·r k(X, x_b) =
	// v_a·v_b + L_qn[a]·L_qn[b] in one n×n triangular product, with the
	// accuracy of the squared norms it replaces (Householder QR is backward
	// stable) and without forming A⁻¹ + mᵀm, which is as ill-conditioned as
	// K.
	gm := mat.NewDense(2*n, n, nil)
	for j := 0; j < n; j++ {
		clear(col)
		col[j] = 1
		g.forward(col) // column j of L⁻¹
		for i := j; i < n; i++ {
			gm.Set(i, j, col[i])
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			gm.Set(n+i, j, m.m[i*n+j])
		}
	}
	var qr mat.QR
	qr.Factorize(gm)
	var rd mat.Dense
	qr.RTo(&rd)
	m.r, m.rt = make([]float64, n*n), make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			m.r[i*n+j] = rd.At(i, j)
			m.rt[j*n+i] = m.r[i*n+j]
		}
	}
	m.xt = make([]float64, g.d*n)
	for i, x := range g.x {
		for kk, v := range x {
			m.xt[kk*n+i] = v
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
		// β_s = α + mᵀ z_n,s.
		beta := make([]float64, S*n)
		for s := 0; s < S; s++ {
			bs := beta[s*n : (s+1)*n]
			copy(bs, m.g.alpha)
			for r := 0; r < n; r++ {
				floats.AddScaled(bs, zn[s][r], m.m[r*n:(r+1)*n])
			}
		}
		b.beta = append(b.beta, beta)
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

// sigmoidPair returns σ(u) and 1 − σ(u) = σ(−u), each without cancellation.
func sigmoidPair(u float64) (w, w1 float64) {
	if u >= 0 {
		e := math.Exp(-u)
		w = 1 / (1 + e)
		return w, e * w
	}
	e := math.Exp(u)
	w1 = 1 / (1 + e)
	return e * w1, w1
}

// Dim returns d, the dimension of a batch point.
func (a *QNEI) Dim() int { return a.models[0].g.d }

// Value returns qNEI of the batch (q points of [0,1]^d).
func (a *QNEI) Value(batch [][]float64) (float64, error) {
	if err := a.check(batch); err != nil {
		return 0, err
	}
	return a.value(batch), nil
}

// ValueGrad returns qNEI of the batch and writes into grad (length q·d,
// slot-major: grad[j·d + k] = ∂qNEI/∂batch[j][k]) its exact gradient with
// the base samples fixed: the derivative of the Monte-Carlo estimate
// through the reparameterisation f_q = μ_q + L_qn z_n + L_qq z_q (posterior
// mean and cross-covariance by the kernel's derivative, L_qq by the
// derivative of its Cholesky factorisation), the sigmoid weight, and the
// minimum and clamp at their active branches, as autograd differentiates
// BoTorch's estimate.
func (a *QNEI) ValueGrad(batch [][]float64, grad []float64) (float64, error) {
	if err := a.check(batch); err != nil {
		return 0, err
	}
	if want := len(batch) * a.models[0].g.d; len(grad) != want {
		return 0, fmt.Errorf("%w: gradient of length %d, want %d", ErrBadInput, len(grad), want)
	}
	return a.eval(batch, grad), nil
}

func (a *QNEI) check(batch [][]float64) error {
	d := a.models[0].g.d
	if len(batch) == 0 {
		return fmt.Errorf("%w: empty batch", ErrBadInput)
	}
	for j, x := range batch {
		if len(x) != d {
			return fmt.Errorf("%w: batch[%d] has dimension %d, want %d", ErrBadInput, j, len(x), d)
		}
		for k, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: batch[%d][%d] is %v", ErrBadInput, j, k, v)
			}
		}
	}
	return nil
}

// value evaluates qNEI without checking its input.
func (a *QNEI) value(batch [][]float64) float64 { return a.eval(batch, nil) }

// eval evaluates qNEI of batch and, when grad is not nil (length q·d), its
// gradient, without checking the input. The forward pass is the estimate of
// the QNEI doc; the backward pass carries ∂qNEI/∂f̃ of each sample's best
// candidate to the samples of each model (outBar), then to the batch.
func (a *QNEI) eval(batch [][]float64, grad []float64) float64 {
	q := len(batch)
	b := a.base(q)
	S := a.cfg.Samples
	for mi, m := range a.models {
		m.samples(batch, b, mi)
		if grad != nil {
			clear(m.outBar)
		}
	}
	obj := a.models[0].out
	var con [][]float64
	if len(a.models) > 1 {
		con = a.models[1].out
	}
	M, T, eta := a.cfg.InfeasibleValue, a.cfg.Threshold, a.cfg.Eta
	var total float64
	for s := 0; s < S; s++ {
		bestQ, arg := math.Inf(1), -1
		var dfdf, dfdc float64
		for j := 0; j < q; j++ {
			f := obj[s][j]
			df, dc := 1.0, 0.0
			if con != nil {
				// f̃ = M − max(M − f, 0)·w, w = σ((T − c)/η):
				// ∂f̃/∂f = w and ∂f̃/∂c = (M − f)·w(1 − w)/η where M > f.
				if gap := M - f; gap > 0 {
					w, w1 := sigmoidPair((T - con[s][j]) / eta)
					f = M - gap*w
					df, dc = w, gap*w*w1/eta
				} else {
					f, df = M, 0
				}
			}
			if f < bestQ {
				bestQ, arg, dfdf, dfdc = f, j, df, dc
			}
		}
		if imp := b.best[s] - bestQ; imp > 0 {
			total += imp
			if grad != nil {
				a.models[0].outBar[arg*S+s] = -dfdf / float64(S)
				if con != nil {
					a.models[1].outBar[arg*S+s] = -dfdc / float64(S)
				}
			}
		}
	}
	if grad != nil {
		clear(grad)
		for mi, m := range a.models {
			m.backprop(batch, b, mi, grad)
		}
	}
	return total / float64(S)
}

// ensure sizes the per-slot caches for batch size q and S samples.
func (m *qneiModel) ensure(q, S int) {
	if len(m.cx) == q && len(m.out) == S {
		return
	}
	n := len(m.g.x)
	m.cx, m.uOK = make([][]float64, q), make([]bool, q)
	m.k, m.dg, m.w, m.base = make([][]float64, q), make([][]float64, q), make([][]float64, q), make([][]float64, q)
	m.u = make([][]float64, q)
	m.kBar, m.e = make([]float64, n), make([]float64, n)
	for j := 0; j < q; j++ {
		m.k[j], m.dg[j], m.w[j] = make([]float64, n), make([]float64, n), make([]float64, n)
		m.base[j], m.u[j] = make([]float64, S), make([]float64, n)
	}
	m.pdg, m.sm, m.lqq = make([]float64, q*q), make([]float64, q*q), make([]float64, q*q)
	m.lBar, m.cBar, m.dC, m.dL = make([]float64, q*q), make([]float64, q*q), make([]float64, q*q), make([]float64, q*q)
	m.outBar = make([]float64, q*S)
	m.out = make([][]float64, S)
	for s := range m.out {
		m.out[s] = make([]float64, q)
	}
}

// samples writes into m.out the joint posterior samples, in original
// units, of the latent function at the batch: f_q = μ_q + L_qn z_n + L_qq z_q,
// where [L_nn 0; L_qn L_qq] is the Cholesky factor of the joint posterior
// covariance of (observed points, batch). With A = K + sI, the cross
// covariance is Σ_nq = s A⁻¹ k(X, x_q), so L_qn row j = m k(X, x_j), and
// L_qq is the factor of Σ_qq − L_qn L_qnᵀ, Σ_qq = k(x_a, x_b) − v_a·v_b,
// v = L⁻¹ k(X, x), computed as k(x_a, x_b) − w_a·w_b (see m.r). μ_j +
// L_qn[j]·z_n is c + k(X, x_j)·β_s.
func (m *qneiModel) samples(batch [][]float64, b *qneiBase, mi int) {
	g := m.g
	n, q, S := len(g.x), len(batch), len(b.best)
	m.ensure(q, S)
	beta, zq := b.beta[mi], b.zq[mi]
	for j, x := range batch {
		if m.cx[j] == nil || !equalSlices(m.cx[j], x) {
			m.cx[j] = append(m.cx[j][:0], x...)
			m.uOK[j] = false
			k, dg := m.k[j], m.dg[j]
			for i, xi := range g.x {
				gv, dgv := g.kernel.profile(g.dist2(x, xi))
				k[i], dg[i] = g.sf2*gv, dgv
			}
			w := m.w[j]
			for i := 0; i < n; i++ {
				w[i] = floats.Dot(m.r[i*n+i:(i+1)*n], k[i:])
			}
			for s := range m.base[j] {
				m.base[j][s] = g.mean + floats.Dot(beta[s*n:(s+1)*n], k)
			}
		}
	}
	w, sm := m.w, m.sm
	for a := 0; a < q; a++ {
		for c := 0; c <= a; c++ {
			gv, dgv := g.kernel.profile(g.dist2(batch[a], batch[c]))
			m.pdg[a*q+c], m.pdg[c*q+a] = dgv, dgv
			val := g.sf2*gv - floats.Dot(w[a], w[c])
			sm[a*q+c] = val
			sm[c*q+a] = val
		}
	}
	lqq := m.lqq
	semidefCholesky(lqq, sm, q)
	for s, f := range m.out {
		z := zq[s]
		for j := 0; j < q; j++ {
			val := m.base[j][s]
			for c := 0; c <= j; c++ {
				val += lqq[j*q+c] * z[c]
			}
			f[j] = g.yMean + g.yScale*val
		}
	}
}

// backprop adds to grad the batch gradient of qNEI through this model's
// samples, given m.outBar = ∂qNEI/∂out for the samples of the last call to
// samples. With out_sj = ȳ + s_y (c + k_j·β_s + Σ_c L_qq[j,c] z_q,s[c]):
// ∂/∂k_j = s_y Σ_s β_s ∂qNEI/∂out_sj, ∂/∂L_qq[j,c] = s_y Σ_s z_q,s[c]
// ∂qNEI/∂out_sj; L_qq's adjoint is carried back to C = Σ_qq − L_qn L_qnᵀ
// by the factorisation's tangent in the direction of each of C's q(q+1)/2
// entries (exact where a pivot was floored to zero too, as it stays zero);
// and C_ac = k(x_a, x_c) − k_a·u_c with u = (A⁻¹ + mᵀm) k, so x_a moves
// C through ∂k(x_a, x_c)/∂x_a and through k_a, whose derivative
// ∂k(x_i, x_a)/∂x_a,kk = 2σ² g'(r²)(x_a,kk − x_i,kk)/ℓ_kk² meets
// e = ∂qNEI/∂k_a − Σ_{c≠a} C̄_ac u_c − 2 C̄_aa u_a.
func (m *qneiModel) backprop(batch [][]float64, b *qneiBase, mi int, grad []float64) {
	g := m.g
	n, q, S, d := len(g.x), len(batch), len(b.best), g.d
	beta, zq := b.beta[mi], b.zq[mi]
	ys := g.yScale
	lBar, cBar := m.lBar, m.cBar
	clear(lBar)
	clear(cBar)
	for j := 0; j < q; j++ {
		for s, o := range m.outBar[j*S : (j+1)*S] {
			if o == 0 {
				continue
			}
			o *= ys
			z := zq[s]
			for c := 0; c <= j; c++ {
				lBar[j*q+c] += o * z[c]
			}
		}
	}
	if !allZero(lBar) {
		dC := m.dC
		for a := 0; a < q; a++ {
			for c := 0; c <= a; c++ {
				clear(dC)
				dC[a*q+c], dC[c*q+a] = 1, 1
				cholTangent(m.dL, m.lqq, dC, q)
				var t float64
				for j := 0; j < q; j++ {
					for cc := 0; cc <= j; cc++ {
						t += lBar[j*q+cc] * m.dL[j*q+cc]
					}
				}
				cBar[a*q+c], cBar[c*q+a] = t, t
			}
		}
	}
	useC := !allZero(cBar)
	if useC {
		for j := 0; j < q; j++ {
			if !m.uOK[j] { // u = (A⁻¹ + mᵀm) k = rᵀ w.
				m.uOK[j] = true
				for i := range m.u[j] {
					m.u[j][i] = floats.Dot(m.rt[i*n:i*n+i+1], m.w[j][:i+1])
				}
			}
		}
	}
	kBar, e := m.kBar, m.e
	for a := 0; a < q; a++ {
		clear(kBar)
		for s, o := range m.outBar[a*S : (a+1)*S] {
			if o != 0 {
				floats.AddScaled(kBar, ys*o, beta[s*n:(s+1)*n])
			}
		}
		if useC {
			for c := 0; c < q; c++ {
				f := -cBar[a*q+c]
				if c == a {
					f *= 2
				}
				if f != 0 {
					floats.AddScaled(kBar, f, m.u[c])
				}
			}
		}
		// e_i = k̄_i g'(r_i²); ∂/∂x_a,kk = 2σ²/ℓ² Σ_i e_i (x_a,kk − x_i,kk).
		var se float64
		for i, dg := range m.dg[a] {
			e[i] = kBar[i] * dg
			se += e[i]
		}
		x := batch[a]
		for kk, il := range g.invLS {
			t := x[kk]*se - floats.Dot(e, m.xt[kk*n:(kk+1)*n])
			if useC {
				for c := 0; c < q; c++ {
					if c != a {
						t += cBar[a*q+c] * m.pdg[a*q+c] * (x[kk] - batch[c][kk])
					}
				}
			}
			grad[a*d+kk] += 2 * g.sf2 * il * il * t
		}
	}
}

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// semidefCholesky writes into l a lower factor L with L Lᵀ ≈ a for a
// symmetric positive semidefinite q×q matrix (row-major): pivots at or below
// a relative floor are treated as zero, so rounding that makes a slightly
// indefinite cannot produce NaN.
func semidefCholesky(l, a []float64, q int) {
	clear(l)
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
}

// cholTangent writes into dl the derivative of semidefCholesky's factor l
// of a in the direction da (both q×q, da symmetric): the factorisation's
// recurrences differentiated term by term, a column that was floored to
// zero staying zero.
func cholTangent(dl, l, da []float64, q int) {
	clear(dl)
	for j := 0; j < q; j++ {
		ljj := l[j*q+j]
		if ljj == 0 {
			continue
		}
		dd := da[j*q+j]
		for k := 0; k < j; k++ {
			dd -= 2 * l[j*q+k] * dl[j*q+k]
		}
		dljj := dd / (2 * ljj)
		dl[j*q+j] = dljj
		for i := j + 1; i < q; i++ {
			dv := da[i*q+j]
			for k := 0; k < j; k++ {
				dv -= dl[i*q+k]*l[j*q+k] + l[i*q+k]*dl[j*q+k]
			}
			dl[i*q+j] = (dv - l[i*q+j]*dljj) / ljj
		}
	}
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
	fg := func(x, grad []float64) float64 {
		for j := range batch {
			batch[j] = x[j*d : (j+1)*d]
		}
		return a.eval(batch, grad)
	}
	x, v, err := MaximizeGrad(fg, q*d, opts, rng)
	if err != nil {
		return nil, 0, err
	}
	out := make([][]float64, q)
	for j := range out {
		out[j] = append([]float64(nil), x[j*d:(j+1)*d]...)
	}
	return out, v, nil
}
