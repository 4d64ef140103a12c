package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// TrainOptions are the knobs of Train. Zero fields take the defaults of
// DefaultTrainOptions.
type TrainOptions struct {
	Seed uint64 `json:"seed"` // split, initialisation and minibatch order
	// ValidationFraction of the functions is held out for evaluation (the
	// paper's 8:2 split) and never used in training or model selection.
	ValidationFraction float64 `json:"validation_fraction"`
	// StopFraction of the remaining (training) functions is held out to
	// decide early stopping.
	StopFraction float64 `json:"stop_fraction"`
	MaxEpochs    int     `json:"max_epochs"`
	// Patience is how many epochs without a better stopping-set loss end
	// training; the best epoch's weights are kept.
	Patience     int     `json:"patience"`
	BatchSize    int     `json:"batch_size"`
	LearningRate float64 `json:"learning_rate"` // Adam's step size
	// LRDecayEvery epochs without improvement halve the learning rate (0:
	// Patience/3).
	LRDecayEvery int `json:"lr_decay_every"`
	// EMA is the decay per step of the exponential moving average of the
	// weights (Polyak averaging) that is evaluated and kept; negative: none.
	EMA float64 `json:"ema"`
	// WeightDecay is AdamW's decoupled weight decay per step (times the
	// learning rate); negative means none.
	WeightDecay float64 `json:"weight_decay"`
}

// DefaultTrainOptions are the options the reference model was trained with.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{
		Seed: 1, ValidationFraction: 0.2, StopFraction: 0.125,
		MaxEpochs: 400, Patience: 40, BatchSize: 64, LearningRate: 2e-3, LRDecayEvery: 12, WeightDecay: -1, EMA: 0.999,
	}
}

func (o *TrainOptions) fill() {
	d := DefaultTrainOptions()
	if o.ValidationFraction == 0 {
		o.ValidationFraction = d.ValidationFraction
	}
	if o.StopFraction == 0 {
		o.StopFraction = d.StopFraction
	}
	if o.MaxEpochs == 0 {
		o.MaxEpochs = d.MaxEpochs
	}
	if o.Patience == 0 {
		o.Patience = d.Patience
	}
	if o.BatchSize == 0 {
		o.BatchSize = d.BatchSize
	}
	if o.LearningRate == 0 {
		o.LearningRate = d.LearningRate
	}
	if o.EMA == 0 {
		o.EMA = d.EMA
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = d.WeightDecay
	}
	if o.LRDecayEvery == 0 {
		o.LRDecayEvery = max(1, o.Patience/3)
	}
}

// Validate reports the first option out of range.
func (o TrainOptions) Validate() error {
	switch {
	case !(o.ValidationFraction > 0 && o.ValidationFraction < 1):
		return fmt.Errorf("model: validation fraction %v, want a number in (0, 1)", o.ValidationFraction)
	case !(o.StopFraction > 0 && o.StopFraction < 1):
		return fmt.Errorf("model: stop fraction %v, want a number in (0, 1)", o.StopFraction)
	case o.MaxEpochs < 1 || o.Patience < 1 || o.BatchSize < 1 || o.LRDecayEvery < 1:
		return fmt.Errorf("model: epochs %d, patience %d, batch size %d and decay interval %d must be at least 1", o.MaxEpochs, o.Patience, o.BatchSize, o.LRDecayEvery)
	case math.IsNaN(o.WeightDecay) || o.WeightDecay > 1:
		return fmt.Errorf("model: weight decay %v, want a number ≤ 1 (negative: none)", o.WeightDecay)
	case math.IsNaN(o.EMA) || o.EMA >= 1:
		return fmt.Errorf("model: EMA decay %v, want a number < 1 (negative: none)", o.EMA)
	case !(o.LearningRate > 0 && o.LearningRate < 1):
		return fmt.Errorf("model: learning rate %v, want a number in (0, 1)", o.LearningRate)
	}
	return nil
}

// Named random streams of Train.
const (
	streamSplit uint64 = 0x73706c6974 // "split"
	streamTime  uint64 = 0x74696d65   // "time"
	streamVar   uint64 = 0x766172     // "var"
)

// rows is a design matrix with its targets, row-major.
type rows struct {
	x, y    []float64
	in, out int
	n       int
}

func (r *rows) add(x []float64, y ...float64) {
	r.x = append(r.x, x...)
	r.y = append(r.y, y...)
	r.n++
}

// Train fits the two networks on a dataset (see the package doc for every
// choice): a function-level split (validation, early stopping, training),
// inputs and log targets standardised on the training rows, Adam on
// minibatches, early stopping on the stopping set. The same dataset and
// options give the same model, bit for bit.
func Train(ds *Dataset, opts TrainOptions) (*Model, error) {
	opts.fill()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if ds == nil || len(ds.Functions) == 0 {
		return nil, errors.New("model: train: empty dataset")
	}
	if len(ds.Grid) == 0 {
		return nil, errors.New("model: train: dataset has no memory grid")
	}
	if !(ds.CPU.MBPerVCPU > 0) || !(ds.CPU.Speed > 0) || len(ds.CPU.VisibleCores) == 0 {
		return nil, errors.New("model: train: dataset has no CPU allocation rule (measure it again with this build)")
	}
	n := len(ds.Functions)
	if n < 5 {
		return nil, fmt.Errorf("model: train: %d functions, need at least 5 for the split", n)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, streamSplit))
	perm := rng.Perm(n)
	nVal := max(1, int(math.Round(opts.ValidationFraction*float64(n))))
	nStop := max(1, int(math.Round(opts.StopFraction*float64(n-nVal))))
	if nVal+nStop >= n {
		return nil, fmt.Errorf("model: train: %d functions leave none to train on after %d validation and %d stopping", n, nVal, nStop)
	}
	valIdx, stopIdx, trainIdx := perm[:nVal], perm[nVal:nVal+nStop], perm[nVal+nStop:]
	slices.Sort(valIdx)
	slices.Sort(stopIdx)
	slices.Sort(trainIdx)

	nin := len(inputNames())
	build := func(idx []int) (t, v rows, err error) {
		t = rows{in: nin, out: 2}
		v = rows{in: nin, out: 1}
		fv := make([]float64, len(features))
		var x []float64
		for _, i := range idx {
			f := &ds.Functions[i]
			if err := featureVector(&f.Features, fv); err != nil {
				return t, v, fmt.Errorf("model: train: function %q: %w", f.Name, err)
			}
			if err := checkWall(&f.Features); err != nil {
				return t, v, fmt.Errorf("model: train: function %q: %w", f.Name, err)
			}
			for _, p := range f.Points {
				if !p.OK() {
					continue
				}
				if !(p.MeanMs > 0) || !(p.P95Ms > 0) || math.IsInf(p.MeanMs, 0) || math.IsInf(p.P95Ms, 0) || math.IsNaN(p.VarMs2) || math.IsInf(p.VarMs2, 0) {
					return t, v, fmt.Errorf("model: train: function %q at %d MB: statistics %v, %v, %v are not positive finite numbers", f.Name, p.MemoryMB, p.MeanMs, p.P95Ms, p.VarMs2)
				}
				x = inputVector(fv, &f.Features, &ds.CPU, p.MemoryMB, x)
				lw := lnWallMs(&f.Features)
				t.add(x, math.Log(p.MeanMs)-lw, math.Log(p.P95Ms)-lw)
				v.add(x, math.Log(math.Max(p.VarMs2, 1e-12*p.MeanMs*p.MeanMs))-2*lw)
			}
		}
		return t, v, nil
	}
	trT, trV, err := build(trainIdx)
	if err != nil {
		return nil, err
	}
	stT, stV, err := build(stopIdx)
	if err != nil {
		return nil, err
	}
	if trT.n == 0 || stT.n == 0 {
		return nil, errors.New("model: train: no measured (function, memory) points in the training or stopping set")
	}
	inMean, inStd := standardise(trT.x, nin)
	for _, r := range []*rows{&trV, &stT, &stV} { // trT is standardised already
		apply(r.x, nin, inMean, inStd)
	}
	tMean, tStd := standardise(trT.y, 2)
	apply(stT.y, 2, tMean, tStd)
	vMean, vStd := standardise(trV.y, 1)
	apply(stV.y, 1, vMean, vStd)

	m := &Model{cpu: ds.CPU, p: payload{
		Platform: ds.Platform, Fingerprint: ds.PlatformH, MinMB: slices.Min(ds.Grid), MaxMB: slices.Max(ds.Grid),
		Inputs: inputNames(), Activation: "elu", InputMean: inMean, InputStd: inStd,
	}}
	timeNet, tInfo := fit(&trT, &stT, opts, streamTime)
	varNet, vInfo := fit(&trV, &stV, opts, streamVar)
	for _, in := range []NetInfo{tInfo, vInfo} {
		if math.IsInf(in.StopLoss, 0) || math.IsNaN(in.TrainLoss) || math.IsInf(in.TrainLoss, 0) {
			return nil, fmt.Errorf("%w: training diverged (loss %v); lower the learning rate", ErrNonFinite, in.TrainLoss)
		}
	}
	m.p.Time = netFile{Outputs: []string{"ln_mean_over_wall", "ln_p95_over_wall"}, TargetMean: tMean, TargetStd: tStd, Net: *timeNet}
	m.p.Var = netFile{Outputs: []string{"ln_var_over_wall2"}, TargetMean: vMean, TargetStd: vStd, Net: *varNet}
	names := func(idx []int) []string {
		s := make([]string, len(idx))
		for k, i := range idx {
			s[k] = ds.Functions[i].Name
		}
		return s
	}
	m.p.Training = Info{
		Functions: n, Samples: ds.Samples, DataSeed: ds.Seed, DatasetHash: ds.Hash(), Options: opts,
		TrainFunctions: len(trainIdx), StopFunctions: len(stopIdx), ValidationFunctions: names(valIdx),
		TrainRows: trT.n, StopRows: stT.n, TimeNet: tInfo, VarNet: vInfo,
	}
	m.init()
	return m, nil
}

// standardise returns per-column means and standard deviations (1 for a
// constant column) of a row-major matrix and standardises it in place.
func standardise(x []float64, cols int) (mean, std []float64) {
	mean, std = make([]float64, cols), make([]float64, cols)
	n := float64(len(x) / cols)
	for i, v := range x {
		mean[i%cols] += v / n
	}
	for i, v := range x {
		d := v - mean[i%cols]
		std[i%cols] += d * d / n
	}
	for j := range std {
		std[j] = math.Sqrt(std[j])
		if !(std[j] > 1e-9) {
			std[j] = 1
		}
	}
	apply(x, cols, mean, std)
	return mean, std
}

func apply(x []float64, cols int, mean, std []float64) {
	for i := range x {
		x[i] = (x[i] - mean[i%cols]) / std[i%cols]
	}
}

// NetInfo is how one network's training went.
type NetInfo struct {
	Parameters int     `json:"parameters"`
	Epochs     int     `json:"epochs"`     // epochs run
	BestEpoch  int     `json:"best_epoch"` // the epoch whose weights were kept (1-based)
	TrainLoss  float64 `json:"train_loss"` // MSE on standardised targets at the best epoch
	StopLoss   float64 `json:"stop_loss"`  // the same on the stopping set
	FinalLR    float64 `json:"final_lr"`   // learning rate at the end
	Decays     int     `json:"lr_decays"`  // times the learning rate was halved
}

// fit trains one network with Adam and early stopping.
func fit(tr, st *rows, opts TrainOptions, stream uint64) (*mlp, NetInfo) {
	rng := rand.New(rand.NewPCG(opts.Seed, stream))
	net, params := newMLP(tr.in, tr.out, rng)
	t := newTrainer(net, params)
	best := slices.Clone(params)
	ema := slices.Clone(params)
	cur := make([]float64, len(params))
	info := NetInfo{Parameters: len(params), StopLoss: math.Inf(1)}
	order := make([]int, tr.n)
	for i := range order {
		order[i] = i
	}
	bx := make([]float64, opts.BatchSize*tr.in)
	by := make([]float64, opts.BatchSize*tr.out)
	lr := opts.LearningRate
	sinceBest, sinceDecay := 0, 0
	for epoch := 1; epoch <= opts.MaxEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b0 := 0; b0 < tr.n; b0 += opts.BatchSize {
			b1 := min(tr.n, b0+opts.BatchSize)
			k := b1 - b0
			for r, i := range order[b0:b1] {
				copy(bx[r*tr.in:(r+1)*tr.in], tr.x[i*tr.in:(i+1)*tr.in])
				copy(by[r*tr.out:(r+1)*tr.out], tr.y[i*tr.out:(i+1)*tr.out])
			}
			t.forward(bx[:k*tr.in], k)
			t.backward(bx[:k*tr.in], by[:k*tr.out], k)
			t.adam(lr, opts.WeightDecay)
			if opts.EMA > 0 {
				for i, p := range params {
					ema[i] = opts.EMA*ema[i] + (1-opts.EMA)*p
				}
			}
		}
		info.Epochs = epoch
		if opts.EMA > 0 {
			copy(cur, params)
			copy(params, ema)
		}
		loss := t.loss(st.x, st.y, st.n)
		if opts.EMA > 0 {
			copy(ema, params)
			copy(params, cur)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			break
		}
		if loss < info.StopLoss {
			info.StopLoss, info.BestEpoch = loss, epoch
			if opts.EMA > 0 {
				copy(best, ema)
			} else {
				copy(best, params)
			}
			sinceBest, sinceDecay = 0, 0
			continue
		}
		sinceBest++
		sinceDecay++
		if sinceBest >= opts.Patience {
			break
		}
		if sinceDecay >= opts.LRDecayEvery {
			lr /= 2
			info.Decays++
			sinceDecay = 0
		}
	}
	copy(params, best)
	info.TrainLoss = t.loss(tr.x, tr.y, tr.n)
	info.FinalLR = lr
	return net, info
}
