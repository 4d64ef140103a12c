package model

import (
	"fmt"
	"math"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/platform"
)

// feature is one input of the networks taken from the profiled features.
type feature struct {
	name  string // the JSON name of the backend.Features field
	get   func(f *backend.Features) float64
	floor float64 // added before the logarithm: the value's resolution
}

// features are the profiled basic-operation metrics (the paper's Table 2) in
// the order FeatureVector returns them.
var features = []feature{
	{"instructions", func(f *backend.Features) float64 { return f.Instructions }, 1},
	{"branches", func(f *backend.Features) float64 { return f.Branches }, 1},
	{"context_switches", func(f *backend.Features) float64 { return f.ContextSwitches }, 1},
	{"heap_bytes", func(f *backend.Features) float64 { return f.HeapBytes }, 1},
	{"stack_bytes", func(f *backend.Features) float64 { return f.StackBytes }, 1},
	{"alloc_count", func(f *backend.Features) float64 { return f.AllocCount }, 1},
	{"alloc_bytes", func(f *backend.Features) float64 { return f.AllocBytes }, 1},
	{"peak_memory_bytes", func(f *backend.Features) float64 { return f.PeakMemoryBytes }, 1},
	{"bytes_sent", func(f *backend.Features) float64 { return f.BytesSent }, 1},
	{"bytes_received", func(f *backend.Features) float64 { return f.BytesReceived }, 1},
	{"packets_sent", func(f *backend.Features) float64 { return f.PacketsSent }, 1},
	{"packets_received", func(f *backend.Features) float64 { return f.PacketsReceived }, 1},
	{"io_bytes", func(f *backend.Features) float64 { return f.IOBytes }, 1},
	{"io_bytes_per_second", func(f *backend.Features) float64 { return f.IOThroughput }, 1},
	{"wall_seconds", func(f *backend.Features) float64 { return f.WallSeconds }, 1e-4},
	{"threads", func(f *backend.Features) float64 { return f.Threads }, 0},
}

// memoryInputs are the inputs that follow the features: the memory size and
// its ratio to the profiled peak memory, then the CPU allocation at that size
// on the platform (see inputVector).
var memoryInputs = []string{"log2_memory_mb", "log2_memory_over_peak",
	"log2_vcpu_share", "log2_serial_share", "log2_visible_cores", "log2_parallel_cpus"}

// CPU is the platform's CPU allocation rule that the model's CPU inputs are
// computed from: the share of memory/MBPerVCPU vCPUs (at most MaxVCPU),
// each Speed times an x86 vCPU (the platform's arm64 speed on arm64), and the
// visible cores by memory size. It is read from the platform profile the model
// is measured on or loaded for, never a constant of this package.
type CPU struct {
	platform.CPU
	Speed float64 `json:"speed"`
}

// CPUOf is the CPU allocation rule of a platform profile.
func CPUOf(p *platform.Profile) CPU {
	speed := 1.0
	if p.Arch == "arm64" && p.Price.ArmSpeedRelative > 0 {
		speed = p.Price.ArmSpeedRelative
	}
	return CPU{CPU: p.CPU, Speed: speed}
}

// alloc is the CPU a function with k threads gets at mb: its vCPU share c,
// the visible cores V, and the CPUs its parallel section can use,
// min(c, k, V) (a CFS quota of c shared by k threads on V cores).
func (c *CPU) alloc(mb int, threads float64) (share, cores, parallel float64) {
	p := platform.Profile{CPU: c.CPU}
	share = p.VCPU(mb) * c.Speed
	cores = float64(p.VisibleCores(mb))
	return share, cores, math.Min(share, math.Min(math.Max(threads, 1), cores))
}

// FeatureNames lists the features of FeatureVector, in its order.
func FeatureNames() []string {
	names := make([]string, len(features))
	for i, ft := range features {
		names[i] = ft.name
	}
	return names
}

// inputNames are all the network inputs.
func inputNames() []string { return append(FeatureNames(), memoryInputs...) }

// FeatureVector turns profiled features into the model's input vector:
// log10(v + floor) of each metric in the order of FeatureNames, where floor is
// 1 for counts and bytes (so zero maps to zero), 1e-4 for wall seconds (0.1 ms)
// and 0 for threads (at least 1). Logarithms because the metrics span orders
// of magnitude and time scales multiplicatively with them. A NaN, infinite or
// negative metric is an error naming it: the model never guesses a missing
// measurement.
func FeatureVector(f backend.Features) ([]float64, error) {
	v := make([]float64, len(features))
	if err := featureVector(&f, v); err != nil {
		return nil, err
	}
	return v, nil
}

func featureVector(f *backend.Features, v []float64) error {
	for i, ft := range features {
		x := ft.get(f)
		switch {
		case math.IsNaN(x):
			return fmt.Errorf("model: feature %s is NaN (not measured): the prediction model needs every basic-operation metric", ft.name)
		case math.IsInf(x, 0) || x < 0:
			return fmt.Errorf("model: feature %s = %v, want a finite number ≥ 0", ft.name, x)
		case ft.name == "threads" && x < 1:
			return fmt.Errorf("model: feature threads = %v, want at least 1", x)
		}
		v[i] = math.Log10(x + ft.floor)
	}
	return nil
}

// inputVector is the full network input before standardisation: the feature
// vector, log2 of the memory size, log2 of memory over the profiled peak
// memory (how close the size is to the working set, where memory pressure and
// out-of-memory happen; clamped to [−4, 10]), and the CPU allocation at mb
// (see the package doc): log2 of the vCPU share c, of the serial share
// min(c, 1), of the visible cores V and of the CPUs the profiled threads can
// use, min(c, threads, V).
func inputVector(fv []float64, f *backend.Features, cpu *CPU, mb int, out []float64) []float64 {
	out = append(out[:0], fv...)
	ratio := float64(mb) * (1 << 20) / math.Max(f.PeakMemoryBytes, 1)
	share, cores, par := cpu.alloc(mb, f.Threads)
	out = append(out, math.Log2(float64(mb)), math.Min(10, math.Max(-4, math.Log2(ratio))),
		math.Log2(share), math.Log2(math.Min(share, 1)), math.Log2(cores), math.Log2(par))
	return out
}

// lnWallMs is the natural logarithm of the profiling run's wall time in ms:
// the networks predict times relative to it (see the package doc).
func lnWallMs(f *backend.Features) float64 { return math.Log(f.WallSeconds * 1000) }

// checkWall requires the wall time the targets are relative to.
func checkWall(f *backend.Features) error {
	if !(f.WallSeconds > 0) {
		return fmt.Errorf("model: feature wall_seconds = %v: the profiling run's wall time must be positive (predicted times are relative to it)", f.WallSeconds)
	}
	return nil
}
