package model

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// layer is a fully connected layer y = W·x + b, W stored Out×In row-major.
type layer struct {
	In  int       `json:"in"`
	Out int       `json:"out"`
	W   []float64 `json:"w"`
	B   []float64 `json:"b"`
}

// mlp is a fully connected network: hidden layers with the activation, a
// linear output layer.
type mlp struct {
	Layers []layer `json:"layers"`
}

// hidden are the hidden layer widths of both networks (§3.1: "three fully
// connected layers with 64, 32, and 16 neurons").
var hidden = []int{64, 32, 16}

// newMLP initialises a network with He-uniform weights (suited to the ReLU
// family) and zero biases. The parameters are one slice, so that Adam runs
// over them in one loop; each layer's W and B are views into it.
func newMLP(in, out int, rng *rand.Rand) (*mlp, []float64) {
	sizes := append(append([]int{in}, hidden...), out)
	total := 0
	for i := 1; i < len(sizes); i++ {
		total += sizes[i]*sizes[i-1] + sizes[i]
	}
	params := make([]float64, total)
	n := &mlp{}
	off := 0
	for i := 1; i < len(sizes); i++ {
		l := layer{In: sizes[i-1], Out: sizes[i]}
		l.W = params[off : off+l.In*l.Out : off+l.In*l.Out]
		off += l.In * l.Out
		l.B = params[off : off+l.Out : off+l.Out]
		off += l.Out
		limit := math.Sqrt(6 / float64(l.In))
		if i == len(sizes)-1 {
			limit = math.Sqrt(3 / float64(l.In)) // unit-variance output for standardised targets
		}
		for j := range l.W {
			l.W[j] = (2*rng.Float64() - 1) * limit
		}
		n.Layers = append(n.Layers, l)
	}
	return n, params
}

// act is the hidden activation: ELU (α = 1). Smooth, so the predicted time
// is a smooth function of memory and features, and without ReLU's dead units,
// which matter in layers as narrow as 16.
func act(z float64) float64 {
	if z > 0 {
		return z
	}
	return math.Expm1(z)
}

// actGrad is the derivative of act given its output a.
func actGrad(a float64) float64 {
	if a > 0 {
		return 1
	}
	return a + 1
}

// forward1 evaluates the network on one input (no allocation given scratch
// space of twice the widest layer).
func (n *mlp) forward1(x, out, scratch []float64) []float64 {
	w := 0
	for _, l := range n.Layers {
		w = max(w, l.Out)
	}
	if len(scratch) < 2*w {
		scratch = make([]float64, 2*w)
	}
	a, b := scratch[:w], scratch[w:2*w]
	in := x
	for k, l := range n.Layers {
		y := b[:l.Out]
		for o := range l.Out {
			s := l.B[o]
			row := l.W[o*l.In : (o+1)*l.In]
			for i, v := range row {
				s += v * in[i]
			}
			if k < len(n.Layers)-1 {
				s = act(s)
			}
			y[o] = s
		}
		in = y
		a, b = b, a
	}
	return append(out[:0], in...)
}

// trainer holds the buffers of minibatch training of one network.
type trainer struct {
	net    *mlp
	params []float64
	grads  []float64
	gl     []layer // gradient views, same shapes as net.Layers
	m, v   []float64
	step   int
	acts   [][]float64 // per layer output, batch×Out
	deltas [][]float64
}

func newTrainer(n *mlp, params []float64) *trainer {
	t := &trainer{net: n, params: params, grads: make([]float64, len(params)),
		m: make([]float64, len(params)), v: make([]float64, len(params))}
	off := 0
	for _, l := range n.Layers {
		g := layer{In: l.In, Out: l.Out}
		g.W = t.grads[off : off+l.In*l.Out]
		off += l.In * l.Out
		g.B = t.grads[off : off+l.Out]
		off += l.Out
		t.gl = append(t.gl, g)
	}
	return t
}

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// forward evaluates the network on a batch X (rows × In), keeping every
// layer's output; it returns the output layer's (rows × Out).
func (t *trainer) forward(x []float64, rows int) []float64 {
	if len(t.acts) != len(t.net.Layers) {
		t.acts = make([][]float64, len(t.net.Layers))
		t.deltas = make([][]float64, len(t.net.Layers))
	}
	in := x
	for k, l := range t.net.Layers {
		if cap(t.acts[k]) < rows*l.Out {
			t.acts[k] = make([]float64, rows*l.Out)
			t.deltas[k] = make([]float64, rows*l.Out)
		}
		y := t.acts[k][:rows*l.Out]
		for r := range rows {
			copy(y[r*l.Out:(r+1)*l.Out], l.B)
		}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, general(rows, l.In, in), general(l.Out, l.In, l.W), 1, general(rows, l.Out, y))
		if k < len(t.net.Layers)-1 {
			for i, z := range y {
				y[i] = act(z)
			}
		}
		in = y
	}
	return in
}

// backward computes the gradient of the mean squared error over the batch
// (all outputs weighted equally) into t.grads, after forward on the same x.
func (t *trainer) backward(x, y []float64, rows int) {
	L := len(t.net.Layers)
	out := t.net.Layers[L-1].Out
	d := t.deltas[L-1][:rows*out]
	pred := t.acts[L-1]
	scale := 2 / float64(rows*out)
	for i := range d {
		d[i] = (pred[i] - y[i]) * scale
	}
	for k := L - 1; k >= 0; k-- {
		l := t.net.Layers[k]
		g := t.gl[k]
		var in []float64
		if k == 0 {
			in = x
		} else {
			in = t.acts[k-1]
		}
		d := t.deltas[k][:rows*l.Out]
		// dW = dᵀ·in, db = Σ rows of d.
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(rows, l.Out, d), general(rows, l.In, in), 0, general(l.Out, l.In, g.W))
		for o := range g.B {
			g.B[o] = 0
		}
		for r := range rows {
			for o, v := range d[r*l.Out : (r+1)*l.Out] {
				g.B[o] += v
			}
		}
		if k > 0 {
			prev := t.deltas[k-1][:rows*l.In]
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(rows, l.Out, d), general(l.Out, l.In, l.W), 0, general(rows, l.In, prev))
			for i, a := range t.acts[k-1][:rows*l.In] {
				prev[i] *= actGrad(a)
			}
		}
	}
}

// adam applies one Adam step (Kingma & Ba 2015) with learning rate lr and,
// when decay > 0, decoupled weight decay (AdamW, Loshchilov & Hutter 2019).
func (t *trainer) adam(lr, decay float64) {
	if decay > 0 {
		for i := range t.params {
			t.params[i] -= lr * decay * t.params[i]
		}
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	t.step++
	c1 := 1 - math.Pow(b1, float64(t.step))
	c2 := 1 - math.Pow(b2, float64(t.step))
	for i, g := range t.grads {
		t.m[i] = b1*t.m[i] + (1-b1)*g
		t.v[i] = b2*t.v[i] + (1-b2)*g*g
		t.params[i] -= lr * (t.m[i] / c1) / (math.Sqrt(t.v[i]/c2) + eps)
	}
}

// loss is the mean squared error of the network on x, y (rows of each).
func (t *trainer) loss(x, y []float64, rows int) float64 {
	const chunk = 1024
	out := t.net.Layers[len(t.net.Layers)-1].Out
	in := t.net.Layers[0].In
	var s float64
	for r0 := 0; r0 < rows; r0 += chunk {
		r1 := min(rows, r0+chunk)
		pred := t.forward(x[r0*in:r1*in], r1-r0)
		for i, p := range pred[:(r1-r0)*out] {
			e := p - y[r0*out+i]
			s += e * e
		}
	}
	return s / float64(rows*out)
}
