package model

import (
	"fmt"
	"math"

	"github.com/confignav/confignav/backend"
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
// its ratio to the profiled peak memory (see inputVector).
var memoryInputs = []string{"log2_memory_mb", "log2_memory_over_peak"}

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
// vector, log2 of the memory size, and log2 of memory over the profiled peak
// memory (how close the size is to the working set, where memory pressure and
// out-of-memory happen; clamped to [−4, 10]).
func inputVector(fv []float64, peakBytes float64, mb int, out []float64) []float64 {
	out = append(out[:0], fv...)
	ratio := float64(mb) * (1 << 20) / math.Max(peakBytes, 1)
	out = append(out, math.Log2(float64(mb)), math.Min(10, math.Max(-4, math.Log2(ratio))))
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
