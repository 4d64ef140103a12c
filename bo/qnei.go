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
	cx      [][]float64 // the x_j they were computed for (nil: none)
	k, dg   [][]float64 // k(X, x_j) and dg/d(r²) of the kernel profile at each x_i
	v, lqn  [][]float64 // L⁻¹ k(X, x_j) and row j of L_qn
	base    [][]float64 // [j][sample] μ(x_j) + L_qn[j]·z_n, standardised
	gradOK  []bool      // dk and u are up to date for slot j
	dk      [][]float64 // [j][kk·n + i] ∂k(x_i, x_j)/∂x_j[kk]
	u       [][]float64 // [j] (A⁻¹ + mᵀm) k(X, x_j): L_qn and L⁻¹k's shared adjoint map
	pdg     []float64   // q×q: dg/d(r²) between batch points
	sm, lqq []float64   // q×q: Σ_qq − L_qn L_qnᵀ and its lower factor
	out     [][]float64 // [sample][j] samples in original units
	outBar  []float64   // [j·S + sample] ∂qNEI/∂out
	lBar    []float64   // q×q: ∂qNEI/∂L_qq
	dC, dL  []float64   // q×q tangents
}

// qneiBase holds, for one batch size q, the normal base samples and the
// per-sample best constrained objective over the observed points.
type qneiBase struct {
	zn    [][][]float64 // [model][sample][n]
	zq    [][][]float64 // [model][sample][q]
	best  []float64     // [sample]
	lzn   [][][]float64 // [model][sample][n]: L_nn z_n
	betaT [][]float64   // [model][i·S + sample]: α + mᵀ z_n, so μ(x) + L_qn(x)·z_n = c + k(X, x)·β
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
		// β_s = α + mᵀ z_n,s, stored transposed (sample-contiguous).
		bt := make([]float64, n*S)
		mz := make([]float64, n)
		for s := 0; s < S; s++ {
			copy(mz, m.g.alpha)
			for r := 0; r < n; r++ {
				floats.AddScaled(mz, zn[s][r], m.m[r*n:(r+1)*n])
			}
			for i, v := range mz {
				bt[i*S+s] = v
			}
		}
		b.betaT = append(b.betaT, bt)
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
		m.samples(batch, b, mi, grad != nil)
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
	n, d := len(m.g.x), m.g.d
	m.cx, m.gradOK = make([][]float64, q), make([]bool, q)
	m.k, m.dg, m.v, m.lqn, m.base = make([][]float64, q), make([][]float64, q), make([][]float64, q), make([][]float64, q), make([][]float64, q)
	m.dk, m.u = make([][]float64, q), make([][]float64, q)
	for j := 0; j < q; j++ {
		m.k[j], m.dg[j], m.v[j], m.lqn[j] = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		m.base[j], m.dk[j], m.u[j] = make([]float64, S), make([]float64, n*d), make([]float64, n)
	}
	m.pdg, m.sm, m.lqq = make([]float64, q*q), make([]float64, q*q), make([]float64, q*q)
	m.lBar, m.dC, m.dL = make([]float64, q*q), make([]float64, q*q), make([]float64, q*q)
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
// v = L⁻¹ k(X, x). μ_j + L_qn[j]·z_n is c + k(X, x_j)·β_s. With wantGrad it
// also brings the slots' derivative quantities (dk, u) up to date.
func (m *qneiModel) samples(batch [][]float64, b *qneiBase, mi int, wantGrad bool) {
	g := m.g
	n, q, S := len(g.x), len(batch), len(b.best)
	m.ensure(q, S)
	bt, zq := b.betaT[mi], b.zq[mi]
	for j, x := range batch {
		if m.cx[j] == nil || !equalSlices(m.cx[j], x) {
			m.cx[j] = append(m.cx[j][:0], x...)
			m.gradOK[j] = false
			k, dg := m.k[j], m.dg[j]
			for i, xi := range g.x {
				var r2 float64
				for kk, il := range g.invLS {
					t := (x[kk] - xi[kk]) * il
					r2 += t * t
				}
				gv, dgv := g.kernel.profile(r2)
				k[i], dg[i] = g.sf2*gv, dgv
			}
			r := m.lqn[j]
			for i := 0; i < n; i++ {
				r[i] = floats.Dot(m.m[i*n:(i+1)*n], k)
			}
			copy(m.v[j], k)
			g.forward(m.v[j])
			base := m.base[j]
			for s := range base {
				base[s] = g.mean
			}
			for i, ki := range k {
				floats.AddScaled(base, ki, bt[i*S:(i+1)*S])
			}
		}
		if wantGrad && !m.gradOK[j] {
			m.gradOK[j] = true
			// ∂k(x_i, x)/∂x_kk = σ² g'(r²) · 2 (x_kk − x_i,kk)/ℓ_kk².
			dk := m.dk[j]
			for kk, il := range g.invLS {
				c := 2 * g.sf2 * il * il
				row := dk[kk*n : (kk+1)*n]
				for i, xi := range g.x {
					row[i] = c * m.dg[j][i] * (x[kk] - xi[kk])
				}
			}
			// u = A⁻¹ k + mᵀ m k = L⁻ᵀ v + mᵀ L_qn[j].
			u := m.u[j]
			copy(u, m.v[j])
			g.backward(u)
			for i, r := range m.lqn[j] {
				floats.AddScaled(u, r, m.m[i*n:(i+1)*n])
			}
		}
	}
	v, lqn, sm := m.v, m.lqn, m.sm
	for a := 0; a < q; a++ {
		for c := 0; c <= a; c++ {
			var r2 float64
			for kk, il := range g.invLS {
				t := (batch[a][kk] - batch[c][kk]) * il
				r2 += t * t
			}
			gv, dgv := g.kernel.profile(r2)
			m.pdg[a*q+c], m.pdg[c*q+a] = dgv, dgv
			val := g.sf2*gv - floats.Dot(v[a], v[c]) - floats.Dot(lqn[a], lqn[c])
			sm[a*q+c] = val
			sm[c*q+a] = val
		}
	}
	lqq := m.lqq
	semidefCholeskyTo(lqq, sm, q)
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
// samples, given m.outBar = ∂qNEI/∂out (the samples of the last call to
// samples, with wantGrad).
func (m *qneiModel) backprop(batch [][]float64, b *qneiBase, mi int, grad []float64) {
	g := m.g
	n, q, S, d := len(g.x), len(batch), len(b.best), g.d
	bt, zq := b.betaT[mi], b.zq[mi]
	ys := g.yScale
	// out_sj = ȳ + s_y (c + k_j·β_s + Σ_c L_qq[j,c] z_q,s[c]).
	lBar := m.lBar
	clear(lBar)
	for j := 0; j < q; j++ {
		ob := m.outBar[j*S : (j+1)*S]
		active := false
		for s, o := range ob {
			if o == 0 {
				continue
			}
			active = true
			z := zq[s]
			for c := 0; c <= j; c++ {
				lBar[j*q+c] += ys * o * z[c]
			}
		}
		if !active {
			continue
		}
		// ∂/∂k_j,i = s_y Σ_s β_s,i ∂qNEI/∂out_sj, then through ∂k_j/∂x_j.
		dk := m.dk[j]
		for i := 0; i < n; i++ {
			kb := ys * floats.Dot(bt[i*S:(i+1)*S], ob)
			if kb == 0 {
				continue
			}
			for kk := 0; kk < d; kk++ {
				grad[j*d+kk] += kb * dk[kk*n+i]
			}
		}
	}
	if allZero(lBar) {
		return
	}
	// L_qq by forward-mode differentiation of its factorisation, one batch
	// coordinate at a time: x_a,kk moves row and column a of
	// C = Σ_qq − L_qn L_qnᵀ, C_ac = k(x_a, x_c) − k_a·(A⁻¹ + mᵀm) k_c.
	dC := m.dC
	for a := 0; a < q; a++ {
		for kk := 0; kk < d; kk++ {
			clear(dC)
			dka := m.dk[a][kk*n : (kk+1)*n]
			il := g.invLS[kk]
			for c := 0; c < q; c++ {
				t := floats.Dot(dka, m.u[c])
				if c == a {
					dC[a*q+a] = -2 * t
					continue
				}
				dpair := 2 * g.sf2 * m.pdg[a*q+c] * (batch[a][kk] - batch[c][kk]) * il * il
				dC[a*q+c] = dpair - t
				dC[c*q+a] = dpair - t
			}
			cholTangent(m.dL, m.lqq, dC, q)
			var t float64
			for j := 0; j < q; j++ {
				for c := 0; c <= j; c++ {
					t += lBar[j*q+c] * m.dL[j*q+c]
				}
			}
			grad[a*d+kk] += t
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

// semidefCholesky returns a lower factor L with L Lᵀ ≈ a for a symmetric
// positive semidefinite q×q matrix (row-major): pivots at or below a
// relative floor are treated as zero, so rounding that makes a slightly
// indefinite cannot produce NaN.
func semidefCholesky(a []float64, q int) []float64 {
	l := make([]float64, q*q)
	semidefCholeskyTo(l, a, q)
	return l
}

// semidefCholeskyTo is semidefCholesky writing into l (length q·q).
func semidefCholeskyTo(l, a []float64, q int) {
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
