package model

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// DefaultSamples is the number of warm invocations measured per (function,
// memory) by default: the paper's campaign, one invocation every five minutes
// for two weeks (12 × 24 × 14 = 4,032). Fewer would do for the mean (200
// estimate it to about 1 %), but the variance of this platform's execution
// times is dominated by rare interference slowdowns: with 200 samples two
// measurements of the same function differ by ~150 % in variance (mean
// absolute percentage), with 4,032 by ~23 %. Measuring 400 functions × 32
// sizes × 4,032 takes about 5 s on two cores (1,000: 10–15 s).
const DefaultSamples = 4032

// DefaultFunctions is the size of the synthetic training set. The paper
// generates 400; on the calibrated ground truth 400 leave the networks at
// 8.7–9.7 % mean error on the pipeline functions at ≥ 512 MB depending on the
// seed, 1,000 at 5.4–8.1 % (cnav model eval, seeds 1 and 2, 2026-12-04): the
// calibrated functions' small-quota slowdown and start-up work vary more than
// 400 draws cover.
const DefaultFunctions = 1000

// campaignSeconds is the length of the paper's measurement campaign (two
// weeks), over which the samples are spread to meet the traffic tide.
const campaignSeconds = 14 * 24 * 3600

// Function is a named function to measure.
type Function struct {
	Name    string
	Profile fnmodel.Profile
}

// MLInitMs is the init CPU from which a function counts as an ML function: it
// loads a model for seconds at init (face-detect, object-detect, hd). The
// paper's Table 5 discussion separates ML from other functions.
const MLInitMs = 1000

// ML reports whether the function is an ML function (see MLInitMs).
func (f Function) ML() bool { return f.Profile.InitCPUMs >= MLInitMs }

// Builtins are every built-in function of package fnmodel, in name order.
func Builtins() ([]Function, error) {
	var fns []Function
	for _, name := range fnmodel.BuiltinNames() {
		p, err := fnmodel.Builtin(name)
		if err != nil {
			return nil, err
		}
		fns = append(fns, Function{Name: name, Profile: p})
	}
	return fns, nil
}

// Dataset is a measured function set: per function its profiled features
// and, per memory size of the platform's grid, statistics of warm execution
// times.
type Dataset struct {
	Platform  string          `json:"platform"`             // the platform profile's name
	PlatformH string          `json:"platform_fingerprint"` // Fingerprint of the profile measured on
	Grid      []int           `json:"grid_mb"`
	CPU       CPU             `json:"cpu"` // the platform's CPU allocation rule (model inputs)
	Samples   int             `json:"samples"`
	Seed      uint64          `json:"seed"`
	Functions []FunctionStats `json:"functions"`
}

// FunctionStats is one function of a Dataset.
type FunctionStats struct {
	Name     string           `json:"name"`
	Features backend.Features `json:"features"`
	Points   []Point          `json:"points"` // one per grid size, ascending
}

// Point is the measurement of one function at one memory size. Status is
// "ok", "oom" (the working set does not fit: no execution time) or "timeout"
// (the function runs past the platform's timeout); N and the statistics are
// zero unless Status is "ok".
type Point struct {
	MemoryMB int     `json:"memory_mb"`
	Status   string  `json:"status"`
	N        int     `json:"n"`
	MeanMs   float64 `json:"mean_ms"`
	P95Ms    float64 `json:"p95_ms"`
	VarMs2   float64 `json:"var_ms2"`
}

// OK reports whether the point has a measurement.
func (p *Point) OK() bool { return p.Status == "ok" }

// Fingerprint identifies a platform profile: the SHA-256 of its JSON form. A
// model is only valid on the profile it was measured on.
func Fingerprint(plat *platform.Profile) string {
	h := sha256.Sum256(plat.JSON())
	return "sha256:" + hex.EncodeToString(h[:])
}

// Measure measures synthetic functions, named syn-0000, syn-0001, …, as
// MeasureFunctions does.
func Measure(ctx context.Context, plat *platform.Profile, fns []fnmodel.Profile, samples int, seed uint64) (*Dataset, error) {
	named := make([]Function, len(fns))
	for i, p := range fns {
		named[i] = Function{Name: SyntheticName(i), Profile: p}
	}
	return MeasureFunctions(ctx, plat, named, samples, seed)
}

// SyntheticName is the name Measure gives the i-th synthetic function.
func SyntheticName(i int) string { return fmt.Sprintf("syn-%04d", i) }

// MeasureFunctions deploys each function alone (a one-function pipeline) on
// the simulated platform, profiles it once (sim.Profile on video.Reference:
// the model's input features), and measures samples warm invocations
// (sim.WarmUs: noise, environment speed and interference of the ground
// truth) at every grid size. The samples of one size are spread evenly over a
// two-week campaign and multiplied by the platform's traffic tide at their
// time (a sine of the profile's amplitude and period, phase random per
// function), as the paper's invocation every five minutes meets it. Cold
// starts are excluded, as in the paper. samples ≤ 0 means DefaultSamples.
//
// Each function's randomness is seeded by (seed, name), so a function's
// measurement does not depend on the others in the list. Functions are
// measured in parallel; the result does not depend on the number of CPUs.
func MeasureFunctions(ctx context.Context, plat *platform.Profile, fns []Function, samples int, seed uint64) (*Dataset, error) {
	if plat == nil {
		return nil, errors.New("model: measure: no platform profile")
	}
	if err := plat.Validate(); err != nil {
		return nil, err
	}
	if samples <= 0 {
		samples = DefaultSamples
	}
	ds := &Dataset{Platform: plat.Name, PlatformH: Fingerprint(plat), Grid: plat.Grid(), CPU: CPUOf(plat), Samples: samples, Seed: seed,
		Functions: make([]FunctionStats, len(fns))}
	seen := map[string]bool{}
	for _, f := range fns {
		if f.Name == "" {
			return nil, errors.New("model: measure: a function has no name")
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("model: measure: function %q given twice", f.Name)
		}
		seen[f.Name] = true
	}
	errs := make([]error, len(fns))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(fns))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				ds.Functions[i], errs[i] = measureOne(ctx, plat, fns[i], samples, seed)
			}
		}()
	}
	for i := range fns {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ds, nil
}

func nameSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

func measureOne(ctx context.Context, plat *platform.Profile, f Function, samples int, seed uint64) (FunctionStats, error) {
	prof := f.Profile
	if err := prof.Validate(); err != nil {
		return FunctionStats{}, fmt.Errorf("model: function %q: %w", f.Name, err)
	}
	dag, err := pipeline.Compile(&pipeline.Spec{Name: f.Name, Functions: []pipeline.Function{{Name: f.Name, Profile: &prof}}})
	if err != nil {
		return FunctionStats{}, fmt.Errorf("model: function %q: %w", f.Name, err)
	}
	fseed := nameSeed(seed, f.Name)
	s, err := sim.New(plat, dag, fseed)
	if err != nil {
		return FunctionStats{}, fmt.Errorf("model: function %q: %w", f.Name, err)
	}
	feat, err := s.Profile(ctx, f.Name, video.Reference)
	if err != nil {
		return FunctionStats{}, fmt.Errorf("model: function %q: %w", f.Name, err)
	}
	out := FunctionStats{Name: f.Name, Features: feat, Points: make([]Point, 0, len(plat.Grid()))}
	nz := &plat.Noise
	phase := rand.New(rand.NewPCG(fseed, 0x74696465)).Float64() * 2 * math.Pi // "tide"
	buf := make([]float64, samples)
	timeoutMs := plat.TimeoutS * 1000
	for _, mb := range plat.Grid() {
		rng := rand.New(rand.NewPCG(fseed, uint64(mb)))
		pt := Point{MemoryMB: mb, Status: "ok", N: samples}
		for k := range buf {
			us, fits, err := s.WarmUs(0, mb, video.Reference, s.NewDraw(rng))
			if err != nil {
				return FunctionStats{}, fmt.Errorf("model: function %q at %d MB: %w", f.Name, mb, err)
			}
			if !fits {
				pt.Status = "oom"
				break
			}
			t := campaignSeconds * (float64(k) + 0.5) / float64(samples)
			ms := us / 1000 * (1 + nz.DriftAmplitude*math.Sin(2*math.Pi*t/nz.DriftPeriodS+phase))
			if ms > timeoutMs {
				pt.Status = "timeout"
				break
			}
			buf[k] = ms
		}
		if pt.Status != "ok" {
			pt.N, pt.MeanMs, pt.P95Ms, pt.VarMs2 = 0, 0, 0, 0
		} else {
			pt.MeanMs, pt.P95Ms, pt.VarMs2 = stats(buf)
		}
		out.Points = append(out.Points, pt)
	}
	return out, nil
}

// stats returns the mean, the 95th percentile (linear interpolation between
// order statistics, R's type 7) and the unbiased variance. It sorts xs.
func stats(xs []float64) (mean, p95, variance float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		variance /= n - 1
	}
	sort.Float64s(xs)
	h := (n - 1) * 0.95
	i := int(h)
	p95 = xs[i]
	if i+1 < len(xs) {
		p95 += (h - float64(i)) * (xs[i+1] - xs[i])
	}
	return mean, p95, variance
}

// Lookup returns the named function's statistics.
func (ds *Dataset) Lookup(name string) (*FunctionStats, bool) {
	for i := range ds.Functions {
		if ds.Functions[i].Name == name {
			return &ds.Functions[i], true
		}
	}
	return nil, false
}

// Hash identifies the dataset's contents (platform, grid, and every function's
// name, features and statistics): a model records the hash of the dataset it
// was trained on, so that an evaluation can check it regenerated the same one.
func (ds *Dataset) Hash() string {
	h := sha256.New()
	var b [8]byte
	f := func(v float64) {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	str := func(s string) {
		f(float64(len(s)))
		h.Write([]byte(s))
	}
	str(ds.PlatformH)
	for _, mb := range ds.Grid {
		f(float64(mb))
	}
	f(float64(ds.Samples))
	for _, fn := range ds.Functions {
		str(fn.Name)
		ft := fn.Features
		for _, v := range []float64{ft.Instructions, ft.Branches, ft.ContextSwitches, ft.HeapBytes, ft.StackBytes,
			ft.AllocCount, ft.AllocBytes, ft.PeakMemoryBytes, ft.BytesSent, ft.BytesReceived, ft.PacketsSent,
			ft.PacketsReceived, ft.IOBytes, ft.IOThroughput, ft.WallSeconds, ft.Threads} {
			f(v)
		}
		for _, p := range fn.Points {
			f(float64(p.MemoryMB))
			str(p.Status)
			f(float64(p.N))
			f(p.MeanMs)
			f(p.P95Ms)
			f(p.VarMs2)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
