package fnmodel

import (
	"errors"
	"fmt"
	"math"

	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Profile is a function's basic operations on the reference clip.
type Profile struct {
	Runtime   string  `json:"runtime"`               // runtime family of the platform's cold-start table
	PackageMB float64 `json:"package_mb,omitempty"`  // deployment package size (cold start)
	InitCPUMs float64 `json:"init_cpu_ms,omitempty"` // static initialisation work at 1 vCPU (model loading)

	CPUMs float64 `json:"cpu_ms"` // CPU work at 1 vCPU on the reference clip
	// FixedCPUMs is CPU work per invocation that does not grow with the input
	// (process start, loading libraries and models), serial, at 1 vCPU.
	FixedCPUMs       float64 `json:"fixed_cpu_ms,omitempty"`
	ParallelFraction float64 `json:"parallel_fraction"` // share of CPU work that runs in parallel
	Threads          int     `json:"threads"`           // threads of the parallel section (where it was measured, if AutoThreads)
	// AutoThreads: the function runs one thread per visible core (Go's
	// GOMAXPROCS, ffmpeg's -threads auto), so on the platform its thread count
	// is the visible cores at the memory size, not Threads.
	AutoThreads bool `json:"auto_threads,omitempty"`
	// SmallQuota is the slowdown of CPU work beyond the share under small CPU
	// quotas, measured at 128–512 MB (see QuotaSlowdown).
	SmallQuota QuotaSlowdown `json:"small_quota,omitempty"`

	WorkingSetMB float64 `json:"working_set_mb"`           // peak memory on the reference clip
	BaseMemoryMB float64 `json:"base_memory_mb,omitempty"` // runtime baseline, not scaled

	LocalIOMB  float64 `json:"local_io_mb,omitempty"` // bytes written and read on /tmp
	NetMB      float64 `json:"net_mb,omitempty"`      // network bytes besides pipeline data (e.g. model download)
	Requests   float64 `json:"requests,omitempty"`    // remote requests besides pipeline data
	OverheadMs float64 `json:"overhead_ms,omitempty"` // fixed per-invocation time
	OutputMB   float64 `json:"output_mb,omitempty"`   // data written to S3 for successors

	BranchFraction float64 `json:"branch_fraction,omitempty"` // branches per instruction (profiling)

	Scale Scale `json:"scale"`
}

// QuotaSlowdown multiplies CPU time by 1 + Coef·(1/c − 1)^Exp at a share of
// c < 1 vCPU (none from one vCPU up): an empirical term fitted to measurements under small CFS quotas,
// where several threads exhaust a few-millisecond quota and wait out the
// period, the Go collector's background work takes a larger part of the
// quota, and page reclaim near the memory limit costs CPU. Zero: none.
type QuotaSlowdown struct {
	Coef float64 `json:"coef"`
	Exp  float64 `json:"exp"`
}

// Factor is the slowdown at a share of c vCPUs.
func (q QuotaSlowdown) Factor(c float64) float64 {
	if q.Coef == 0 || c >= 1 {
		return 1
	}
	return 1 + q.Coef*math.Pow(1/c-1, q.Exp)
}

// Scale says how work grows with the input relative to video.Reference:
// factor = (pixels/ref)^Pixels · (frames/ref)^Frames · (1 + Motion·(motion − 0.5))
// · max(0.05, 1 + Faces·(faces − 1)). The working set scales by
// (pixels/ref)^WorkingSetPixels · (frames/ref)^WorkingSetFrames.
//
// UpscaleTo follows the face-beautification pipeline's resolution rule
// (functions/judge.go): a clip below UpscaleTo lines is upscaled ×⌈UpscaleTo/
// height⌉ (at most 4) by hd, so hd and the functions after it work on that
// many more pixels; Passes marks hd itself, which passes frames through
// untouched (no work beyond its fixed overhead) when no upscaling is needed.
type Scale struct {
	Pixels           float64 `json:"pixels"`
	Frames           float64 `json:"frames"`
	Motion           float64 `json:"motion,omitempty"`
	Faces            float64 `json:"faces,omitempty"`
	WorkingSetPixels float64 `json:"working_set_pixels,omitempty"`
	WorkingSetFrames float64 `json:"working_set_frames,omitempty"`
	OutputPixels     float64 `json:"output_pixels,omitempty"` // output ∝ pixels^OutputPixels · frames^OutputFrames
	OutputFrames     float64 `json:"output_frames,omitempty"`
	UpscaleTo        int     `json:"upscale_to,omitempty"`
	Passes           bool    `json:"passes,omitempty"`
}

// Factors are the input-dependent multipliers of one function for one clip.
type Factors struct {
	Work       float64 // CPU, I/O
	WorkingSet float64
	Output     float64 // data written for successors
}

// EffectivePixels is the number of pixels per frame the function works on
// for a clip (its input's, or hd's upscaled frames'), and whether it only
// passes the frames through.
func (s Scale) EffectivePixels(in video.Input) (px float64, pass bool) {
	px = in.Pixels()
	if s.UpscaleTo > 0 {
		if in.Height < s.UpscaleTo {
			f := math.Min(4, math.Ceil(float64(s.UpscaleTo)/float64(in.Height)))
			px *= f * f
		} else {
			pass = s.Passes
		}
	}
	return px, pass
}

// Factors computes the scaling of the profile's work for a clip.
func (s Scale) Factors(in video.Input) Factors {
	ref := video.Reference
	epx, pass := s.EffectivePixels(in)
	px := epx / ref.Pixels()
	fr := in.Frames() / ref.Frames()
	w := math.Pow(px, s.Pixels) * math.Pow(fr, s.Frames)
	w *= 1 + s.Motion*(in.Motion-0.5)
	w *= math.Max(0.05, 1+s.Faces*float64(in.Faces-1))
	f := Factors{Work: w, WorkingSet: math.Pow(px, s.WorkingSetPixels) * math.Pow(fr, s.WorkingSetFrames),
		Output: math.Pow(px, s.OutputPixels) * math.Pow(fr, s.OutputFrames)}
	if pass {
		// Frames pass through: no work, and the output is the input's frames.
		f.Work = 0
		f.Output = math.Pow(in.Pixels()/ref.Pixels(), s.OutputPixels) * math.Pow(fr, s.OutputFrames)
	}
	return f
}

// Validate reports every field out of range, naming it.
func (p *Profile) Validate() error {
	var errs []error
	num := func(name string, v, lo, hi float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s = %v, want a number in [%v, %v]", name, v, lo, hi))
		}
	}
	if p.Runtime == "" {
		errs = append(errs, errors.New("runtime is empty"))
	}
	num("package_mb", p.PackageMB, 0, 10240)
	num("init_cpu_ms", p.InitCPUMs, 0, 600000)
	num("cpu_ms", p.CPUMs, 0, 1e8)
	num("fixed_cpu_ms", p.FixedCPUMs, 0, 1e7)
	num("parallel_fraction", p.ParallelFraction, 0, 1)
	if p.Threads < 1 || p.Threads > 1024 {
		errs = append(errs, fmt.Errorf("threads = %d, want 1..1024", p.Threads))
	}
	num("working_set_mb", p.WorkingSetMB, 0, 1e5)
	num("base_memory_mb", p.BaseMemoryMB, 0, 1e4)
	num("local_io_mb", p.LocalIOMB, 0, 1e6)
	num("net_mb", p.NetMB, 0, 1e6)
	num("requests", p.Requests, 0, 1e6)
	num("overhead_ms", p.OverheadMs, 0, 1e7)
	num("output_mb", p.OutputMB, 0, 1e6)
	num("branch_fraction", p.BranchFraction, 0, 1)
	num("scale.pixels", p.Scale.Pixels, -4, 4)
	num("scale.frames", p.Scale.Frames, -4, 4)
	num("scale.motion", p.Scale.Motion, -2, 2)
	num("scale.faces", p.Scale.Faces, -2, 10)
	num("scale.working_set_pixels", p.Scale.WorkingSetPixels, -4, 4)
	num("scale.working_set_frames", p.Scale.WorkingSetFrames, -4, 4)
	num("scale.output_pixels", p.Scale.OutputPixels, -4, 4)
	num("scale.output_frames", p.Scale.OutputFrames, -4, 4)
	num("small_quota.coef", p.SmallQuota.Coef, 0, 1e6)
	num("small_quota.exp", p.SmallQuota.Exp, 0, 10)
	return errors.Join(errs...)
}

// Point is the deterministic cost of one invocation at one memory size, split
// into the parts that scale with the input (Work) and those that do not.
type Point struct {
	MemoryMB  int
	FixedUs   float64 // overhead, independent of input
	WorkUs    float64 // CPU, local I/O, extra network at Factors.Work = 1
	PerByteUs float64 // per byte of pipeline data moved through S3
	PerObjUs  float64 // per S3 object get or put
	cpuUs     float64
	fixedCPU  float64 // µs of input-independent CPU work at this size
	wsMB      float64
	baseMB    float64
	knee      float64
	strength  float64
}

// At prepares the cost of the profile at memory mb on platform p.
func (pr *Profile) At(p *platform.Profile, mb int) Point {
	c := p.VCPU(mb)
	if p.Arch == "arm64" {
		c *= p.Price.ArmSpeedRelative
	}
	return pr.AtShare(p, mb, c, p.VisibleCores(mb))
}

// AtShare is At with the CPU share (vCPUs) and visible cores given rather
// than derived from the memory size: the conditions of a measurement that
// granted less CPU than Lambda would (a machine with fewer cores) or that
// ran elsewhere. Calibration fits profiles through it, so a fitted profile
// and the simulator evaluate the same formula.
func (pr *Profile) AtShare(p *platform.Profile, mb int, c float64, cores int) Point {
	threads := pr.Threads
	if pr.AutoThreads {
		threads = cores
	}
	slowdown := pr.SmallQuota.Factor(c)
	cpuUs := CPUTimeUs(pr.CPUMs*1000, pr.ParallelFraction, min(threads, cores), c) * slowdown
	fixedCPU := pr.FixedCPUMs * 1000 / math.Min(c, 1) * slowdown
	slow := 1 / math.Min(c, 1)
	net := pr.NetMB * (1 << 20) / p.BandwidthBytesPerUs(mb)
	net += pr.Requests * p.Network.RequestLatencyMs * 1000
	packets := (pr.NetMB * (1 << 20)) / p.Network.MTUBytes
	net += packets * p.Network.PacketCPUUs * slow
	io := pr.LocalIOMB * (1 << 20) / p.LocalIOBytesPerUs(mb)
	perByte, perObj := Transfer(p, mb)
	return Point{
		MemoryMB: mb, FixedUs: pr.OverheadMs * 1000,
		WorkUs: net + io, PerByteUs: perByte, PerObjUs: perObj,
		cpuUs: cpuUs, fixedCPU: fixedCPU, wsMB: pr.WorkingSetMB, baseMB: pr.BaseMemoryMB,
		knee: p.Pressure.Knee, strength: p.Pressure.Strength,
	}
}

// Transfer is the time to move pipeline data through S3 at memory mb: per
// byte (bandwidth plus per-packet CPU) and per object (request latency).
func Transfer(p *platform.Profile, mb int) (perByteUs, perObjUs float64) {
	slow := 1 / math.Min(p.VCPU(mb), 1)
	return 1/p.BandwidthBytesPerUs(mb) + p.Network.PacketCPUUs*slow/p.Network.MTUBytes,
		p.Network.RequestLatencyMs * 1000
}

// CPUTimeUs is the time of workUs of CPU work (at 1 vCPU) with parallel
// fraction p over k threads on a share of c vCPUs: the serial part runs on at
// most one core, the parallel part on at most k (Amdahl with a fractional
// CFS share, see the package doc).
func CPUTimeUs(workUs, p float64, k int, c float64) float64 {
	return workUs*(1-p)/math.Min(c, 1) + workUs*p/math.Min(c, float64(k))
}

// MemoryNeedMB is the memory an invocation needs for an input: the runtime
// baseline plus the scaled working set.
func (pt *Point) MemoryNeedMB(f Factors) float64 { return pt.baseMB + pt.wsMB*f.WorkingSet }

// Mean is the deterministic execution time (µs) for an input, with dataBytes
// of pipeline data read and written in objects S3 objects, and whether the
// invocation fits in memory. When it does not, the time is what the
// invocation would have taken; the caller decides when it dies.
func (pt *Point) Mean(f Factors, dataBytes, objects float64) (us float64, fits bool) {
	need := pt.MemoryNeedMB(f)
	mb := float64(pt.MemoryMB)
	fits = need <= mb
	pressure := 1.0
	if need > 0 {
		r := math.Max(mb/need, 1) // an invocation out of memory runs at the worst pressure until it dies
		if r < pt.knee {
			x := (pt.knee - r) / (pt.knee - 1)
			pressure += pt.strength * x * x
		}
	}
	return pt.FixedUs + pt.fixedCPU*pressure + (pt.cpuUs*pressure+pt.WorkUs)*f.Work + dataBytes*pt.PerByteUs + objects*pt.PerObjUs, fits
}
