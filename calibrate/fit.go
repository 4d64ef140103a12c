package calibrate

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Options configure a fit.
type Options struct {
	// Platform supplies the memory-pressure rule and, for rows measured on
	// Lambda, the S3 transfer model; its CPU rule is not used for local rows
	// (their granted CPU is recorded).
	Platform *platform.Profile
	// BaselineMB is the resident memory of the runtime doing nothing: the
	// part of the peak that does not grow with the input.
	BaselineMB float64
	// HuberDelta is the residual (in log time) beyond which the loss grows
	// linearly: rows further off than e^δ weigh less (0.1 when 0).
	HuberDelta float64
}

// Params are a fit's parameters in measurement units.
type Params struct {
	CPUMsBase        float64 `json:"cpu_ms_base_clip"`  // CPU work at 1 vCPU on the base clip
	ParallelFraction float64 `json:"parallel_fraction"` // share of the work that runs on every core
	OverheadMs       float64 `json:"overhead_ms"`       // memory-independent time per invocation
	FixedCPUMs       float64 `json:"fixed_cpu_ms"`      // input-independent serial CPU work at 1 vCPU
	QuotaCoef        float64 `json:"small_quota_coef"`
	QuotaExp         float64 `json:"small_quota_exp"`
	PixelsExp        float64 `json:"pixels_exp"` // work ∝ pixels^PixelsExp
	FramesExp        float64 `json:"frames_exp"` // work ∝ frames^FramesExp
	PixelsFitted     bool    `json:"pixels_fitted"`
	FramesFitted     bool    `json:"frames_fitted"`
	WSPixelsExp      float64 `json:"working_set_pixels_exp"`
	WSFramesExp      float64 `json:"working_set_frames_exp"`
	OutPixelsExp     float64 `json:"output_pixels_exp"`
	OutFramesExp     float64 `json:"output_frames_exp"`
}

// Result is one function's fit.
type Result struct {
	Function string          `json:"function"`
	Profile  fnmodel.Profile `json:"profile"`
	Params   Params          `json:"params"`
	Rows     int             `json:"rows"`
	// Spread is the median over rows of the samples' log standard deviation
	// (robust): the run-to-run variability of the measured function.
	Spread float64 `json:"spread"`
	// RMSLog is the root mean square of log(measured/fitted) medians.
	RMSLog float64  `json:"rms_log_error"`
	Notes  []string `json:"notes,omitempty"`
}

// point is one row with its clip, ready to evaluate.
type point struct {
	row  Row
	in   video.Input
	clip *Clip
	logY float64
}

// Fit fits one function's basic-operation profile to its measurements by
// robust least squares on log median time (see the package doc).
func Fit(m Measurement, o Options) (Result, error) {
	if o.Platform == nil {
		return Result{}, fmt.Errorf("calibrate: %s: no platform profile", m.Function)
	}
	if o.HuberDelta == 0 {
		o.HuberDelta = 0.1
	}
	if len(m.Clips) == 0 || len(m.Clips[0].Rows) == 0 {
		return Result{}, fmt.Errorf("calibrate: %s: %w", m.Function, errNoData)
	}
	base := m.Clips[0]
	var pts []point
	for i := range m.Clips {
		c := &m.Clips[i]
		for _, r := range c.Rows {
			pts = append(pts, point{row: r, in: c.Input, clip: c, logY: math.Log(r.Median())})
		}
	}
	res := Result{Function: m.Function, Rows: len(pts)}
	structure := Structure(m.Function)
	pixelsVary, framesVary := false, false
	basePx, _ := structure.EffectivePixels(base.Input)
	for _, c := range m.Clips[1:] {
		px, pass := structure.EffectivePixels(c.Input)
		pixelsVary = pixelsVary || (!pass && math.Abs(px/basePx-1) > 1e-9)
		framesVary = framesVary || math.Abs(c.Input.Frames()/base.Input.Frames()-1) > 1e-9
	}
	wsPx, wsFr := fitGrowth(m.Clips, structure, func(c Clip) float64 { return c.PeakRSSMB - o.BaselineMB })
	outPx, outFr := fitGrowth(m.Clips, structure, func(c Clip) float64 { return c.OutputMB })
	res.Params.WSPixelsExp, res.Params.WSFramesExp = wsPx, wsFr
	res.Params.OutPixelsExp, res.Params.OutFramesExp = outPx, outFr
	if !pixelsVary {
		res.Notes = append(res.Notes, "no clip varies the pixels this function works on: its work is assumed proportional to pixels (exponent 1)")
	}
	if !framesVary {
		res.Notes = append(res.Notes, "no clip with other frames: work assumed proportional to frames (exponent 1)")
	}

	// x = [log W, logit p, log F, logit a/amax, b, α, β, log fixed CPU]
	build := func(x []float64) (fnmodel.Profile, Params) {
		pr := Params{
			CPUMsBase: math.Exp(x[0]), ParallelFraction: sigmoid(x[1]), OverheadMs: math.Exp(x[2]),
			QuotaCoef: maxQuotaCoef * sigmoid(x[3]), QuotaExp: 4 * sigmoid(x[4]), PixelsExp: 1, FramesExp: 1,
			PixelsFitted: pixelsVary, FramesFitted: framesVary, WSPixelsExp: wsPx, WSFramesExp: wsFr,
			OutPixelsExp: outPx, OutFramesExp: outFr,
		}
		if pixelsVary || framesVary {
			pr.FixedCPUMs = math.Exp(x[7])
		}
		if pixelsVary {
			pr.PixelsExp = maxExp * sigmoid(x[5])
		}
		if framesVary {
			pr.FramesExp = maxExp * sigmoid(x[6])
		}
		return profileFrom(m, pr, o.BaselineMB), pr
	}
	loss := func(x []float64) float64 {
		prof, _ := build(x)
		var s float64
		for i := range pts {
			y := predictMs(&prof, o.Platform, pts[i].row, pts[i].in, pts[i].clip)
			if !(y > 0) || math.IsInf(y, 0) {
				return math.Inf(1)
			}
			s += huber(pts[i].logY-math.Log(y), o.HuberDelta)
		}
		return s
	}
	// Starting points: the time near one vCPU as the work, a few parallel
	// fractions and quota exponents; the best local optimum wins.
	w0 := math.Log(startWork(base))
	best := math.Inf(1)
	var bestX []float64
	for _, p0 := range []float64{0.2, 0.6, 0.9} {
		for _, b0 := range []float64{-1, 1} {
			x0 := []float64{w0, logit(p0), math.Log(1), logit(1e-3 / maxQuotaCoef), b0, logit(1.0 / maxExp), logit(1.0 / maxExp), math.Log(1)}
			r, err := optimize.Minimize(optimize.Problem{Func: loss}, x0,
				&optimize.Settings{MajorIterations: 4000, FuncEvaluations: 20000}, &optimize.NelderMead{})
			if err != nil && r == nil {
				continue
			}
			if r.F < best {
				best, bestX = r.F, append([]float64(nil), r.X...)
			}
		}
	}
	if bestX == nil {
		return Result{}, fmt.Errorf("calibrate: %s: the fit did not converge from any start", m.Function)
	}
	res.Profile, res.Params = build(bestX)
	var sq float64
	var spreads []float64
	for i := range pts {
		y := predictMs(&res.Profile, o.Platform, pts[i].row, pts[i].in, pts[i].clip)
		d := pts[i].logY - math.Log(y)
		sq += d * d
		spreads = append(spreads, pts[i].row.Spread())
	}
	res.RMSLog = math.Sqrt(sq / float64(len(pts)))
	res.Spread = median(spreads)
	return res, nil
}

// profileFrom turns fitted parameters into a profile on video.Reference.
func profileFrom(m Measurement, pr Params, baselineMB float64) fnmodel.Profile {
	base := m.Clips[0]
	scale := Structure(m.Function)
	scale.Pixels, scale.Frames = pr.PixelsExp, pr.FramesExp
	scale.WorkingSetPixels, scale.WorkingSetFrames = pr.WSPixelsExp, pr.WSFramesExp
	scale.OutputPixels, scale.OutputFrames = pr.OutPixelsExp, pr.OutFramesExp
	f := scale.Factors(base.Input)
	ws := math.Max(base.PeakRSSMB-baselineMB, 0.1)
	out := base.OutputMB
	return fnmodel.Profile{
		Runtime: m.Runtime, PackageMB: m.PackageMB, InitCPUMs: m.InitMs,
		CPUMs: pr.CPUMsBase / f.Work, ParallelFraction: pr.ParallelFraction, Threads: coresOf(base), AutoThreads: true,
		SmallQuota:   fnmodel.QuotaSlowdown{Coef: pr.QuotaCoef, Exp: pr.QuotaExp},
		WorkingSetMB: ws / f.WorkingSet, BaseMemoryMB: baselineMB,
		OverheadMs: pr.OverheadMs, FixedCPUMs: pr.FixedCPUMs, OutputMB: out / f.Output,
		Scale: scale,
	}
}

func coresOf(c Clip) int {
	if len(c.Rows) == 0 || c.Rows[0].Cores < 1 {
		return 1
	}
	return c.Rows[0].Cores
}

// Structure is what the functions' code fixes about how a function's input
// relates to the clip, as opposed to what is fitted: in face-beautification
// judge-resolution asks hd to upscale clips below 720 lines (functions/
// judge.go, its default target) and restore works on hd's frames; hd passes
// frames of 720 lines or more through.
func Structure(function string) fnmodel.Scale {
	switch function {
	case "hd":
		return fnmodel.Scale{UpscaleTo: 720, Passes: true}
	case "restore":
		return fnmodel.Scale{UpscaleTo: 720}
	}
	return fnmodel.Scale{}
}

// predictMs is the profile's time for a row under the row's conditions: the
// granted CPU and the cores the function saw; rows measured on Lambda also
// pay the modelled S3 transfers of their input and output.
func predictMs(p *fnmodel.Profile, plat *platform.Profile, r Row, in video.Input, c *Clip) float64 {
	pt := p.AtShare(plat, r.MemoryMB, r.CPUs, r.Cores)
	f := p.Scale.Factors(in)
	var bytes, objects float64
	if r.Lambda {
		bytes = (c.InputMB + c.OutputMB) * (1 << 20)
		objects = float64(c.InputObjects + 1)
	}
	us, _ := pt.Mean(f, bytes, objects)
	return us / 1000
}

// startWork estimates the CPU work at one vCPU from the row nearest it.
func startWork(c Clip) float64 {
	best, d := c.Rows[0], math.Inf(1)
	for _, r := range c.Rows {
		if dd := math.Abs(math.Log(r.CPUs)); dd < d {
			best, d = r, dd
		}
	}
	return math.Max(best.Median()*math.Min(best.CPUs, 1), 0.01)
}

// fitGrowth fits v(clip) ∝ pixels^γ · frames^δ over the clips by least
// squares in logs (pixels as the function sees them, see Structure: hd's
// upscaled frames, or the clip's own when it passes them through); an
// exponent without a clip that varies it is 0 (no growth assumed), fitted
// ones are kept in [0, 2].
func fitGrowth(clips []Clip, structure fnmodel.Scale, v func(Clip) float64) (gamma, delta float64) {
	if len(clips) < 2 {
		return 0, 0
	}
	b := clips[0].Input
	bpx, _ := structure.EffectivePixels(b)
	var rows [][3]float64
	var ys []float64
	for _, c := range clips {
		px, _ := structure.EffectivePixels(c.Input) // a pass-through reads and writes the clip's own frames
		rows = append(rows, [3]float64{1, math.Log(px / bpx), math.Log(c.Input.Frames() / b.Frames())})
		ys = append(ys, math.Log(math.Max(v(c), 1e-4)))
	}
	cols := []int{0}
	for j := 1; j < 3; j++ {
		for _, r := range rows {
			if math.Abs(r[j]) > 1e-9 {
				cols = append(cols, j)
				break
			}
		}
	}
	if len(rows) < len(cols) {
		return 0, 0
	}
	a := mat.NewDense(len(rows), len(cols), nil)
	for i, r := range rows {
		for k, j := range cols {
			a.Set(i, k, r[j])
		}
	}
	var x mat.VecDense
	if err := x.SolveVec(a, mat.NewVecDense(len(ys), ys)); err != nil {
		return 0, 0
	}
	clamp := func(v float64) float64 { return math.Min(math.Max(v, 0), 2) }
	for k, j := range cols {
		switch j {
		case 1:
			gamma = clamp(x.AtVec(k))
		case 2:
			delta = clamp(x.AtVec(k))
		}
	}
	return gamma, delta
}

// Baseline is the smallest peak resident memory over the functions' base
// clips: the runtime's own footprint, which does not grow with the input.
func Baseline(ms []Measurement) float64 {
	var peaks []float64
	for _, m := range ms {
		if len(m.Clips) > 0 && m.Clips[0].PeakRSSMB > 0 {
			peaks = append(peaks, m.Clips[0].PeakRSSMB)
		}
	}
	if len(peaks) == 0 {
		return 0
	}
	sort.Float64s(peaks)
	return peaks[0]
}

// maxQuotaCoef bounds the small-quota slowdown's coefficient: at the
// smallest share (128 MB, 1/c − 1 ≈ 12.8) an exponent of 1 then allows a
// 1,300-fold slowdown, far beyond the largest measured (hd, 9-fold).
const maxQuotaCoef = 100

// maxExp bounds the work's pixels and frames exponents to [0, 3]: work does
// not shrink with a larger input, and a cubic growth is beyond any of the
// functions' algorithms (the fit stays there only where the work is too
// small to identify an exponent, e.g. signal-fuse's 2 ms).
const maxExp = 3

func huber(r, d float64) float64 {
	a := math.Abs(r)
	if a <= d {
		return 0.5 * r * r
	}
	return d * (a - 0.5*d)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func logit(p float64) float64   { return math.Log(p / (1 - p)) }
