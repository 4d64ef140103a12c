package fnmodel

import (
	"fmt"
	"sort"
)

// builtins are the functions of the paper's three pipelines (Table 3) on the
// reference clip. ffmpeg-based stages (decode, scale, encode) run Python with
// an ffmpeg layer; ML stages (face and object detection, super-resolution)
// load a model at init; small glue stages run Go.
var builtins = map[string]Profile{
	"decode": {Runtime: "python", PackageMB: 60, CPUMs: 3000, ParallelFraction: 0.75, Threads: 4,
		WorkingSetMB: 350, BaseMemoryMB: 60, LocalIOMB: 200, OutputMB: 45, OverheadMs: 20, BranchFraction: 0.12,
		Scale: Scale{Pixels: 1, Frames: 1, Motion: 0.2, WorkingSetPixels: 0.8}},
	"face-detect": {Runtime: "python", PackageMB: 250, InitCPUMs: 1800, CPUMs: 7000, ParallelFraction: 0.9, Threads: 2,
		WorkingSetMB: 700, BaseMemoryMB: 90, OutputMB: 0.2, OverheadMs: 15, BranchFraction: 0.08,
		Scale: Scale{Pixels: 0.9, Frames: 1, WorkingSetPixels: 0.5}},
	"hd": {Runtime: "python", PackageMB: 280, InitCPUMs: 2000, CPUMs: 12000, ParallelFraction: 0.95, Threads: 6,
		WorkingSetMB: 1200, BaseMemoryMB: 90, OutputMB: 80, OverheadMs: 15, BranchFraction: 0.06,
		Scale: Scale{Pixels: 1, Frames: 1, WorkingSetPixels: 0.7}},
	"encode": {Runtime: "python", PackageMB: 60, CPUMs: 5000, ParallelFraction: 0.8, Threads: 4,
		WorkingSetMB: 400, BaseMemoryMB: 60, LocalIOMB: 150, OutputMB: 4, OverheadMs: 20, BranchFraction: 0.14,
		Scale: Scale{Pixels: 1, Frames: 1, Motion: 0.6, WorkingSetPixels: 0.8}},
	"roi": {Runtime: "python", PackageMB: 40, CPUMs: 900, ParallelFraction: 0.3, Threads: 2,
		WorkingSetMB: 300, BaseMemoryMB: 60, OutputMB: 6, OverheadMs: 10, BranchFraction: 0.15,
		Scale: Scale{Pixels: 0.8, Frames: 1, Faces: 0.8, WorkingSetPixels: 0.6}},
	"beautify": {Runtime: "python", PackageMB: 120, InitCPUMs: 600, CPUMs: 3000, ParallelFraction: 0.85, Threads: 4,
		WorkingSetMB: 450, BaseMemoryMB: 70, OutputMB: 8, OverheadMs: 10, BranchFraction: 0.1,
		Scale: Scale{Pixels: 0.5, Frames: 1, WorkingSetPixels: 0.4}},
	"judge-resolution": {Runtime: "go", PackageMB: 8, CPUMs: 120, ParallelFraction: 0, Threads: 1,
		WorkingSetMB: 50, BaseMemoryMB: 30, OutputMB: 0.01, OverheadMs: 30, BranchFraction: 0.2,
		Scale: Scale{Frames: 0.2}},
	"restore": {Runtime: "python", PackageMB: 50, CPUMs: 2200, ParallelFraction: 0.6, Threads: 2,
		WorkingSetMB: 600, BaseMemoryMB: 60, OutputMB: 45, OverheadMs: 10, BranchFraction: 0.13,
		Scale: Scale{Pixels: 1, Frames: 1, Faces: 0.3, WorkingSetPixels: 0.8}},
	"scale": {Runtime: "python", PackageMB: 60, CPUMs: 1500, ParallelFraction: 0.8, Threads: 4,
		WorkingSetMB: 300, BaseMemoryMB: 60, OutputMB: 12, OverheadMs: 15, BranchFraction: 0.1,
		Scale: Scale{Pixels: 1, Frames: 1, WorkingSetPixels: 0.8}},
	"border-detect": {Runtime: "python", PackageMB: 70, CPUMs: 2500, ParallelFraction: 0.5, Threads: 2,
		WorkingSetMB: 350, BaseMemoryMB: 60, OutputMB: 0.05, OverheadMs: 10, BranchFraction: 0.16,
		Scale: Scale{Pixels: 1, Frames: 1, WorkingSetPixels: 0.7}},
	"object-detect": {Runtime: "python", PackageMB: 300, InitCPUMs: 2500, CPUMs: 9000, ParallelFraction: 0.9, Threads: 4,
		WorkingSetMB: 900, BaseMemoryMB: 90, OutputMB: 0.3, OverheadMs: 15, BranchFraction: 0.07,
		Scale: Scale{Pixels: 0.3, Frames: 1, WorkingSetPixels: 0.3}},
	"signal-fuse": {Runtime: "go", PackageMB: 8, CPUMs: 200, ParallelFraction: 0, Threads: 1,
		WorkingSetMB: 70, BaseMemoryMB: 30, OutputMB: 0.05, OverheadMs: 10, BranchFraction: 0.2,
		Scale: Scale{Frames: 1}},
	"scene-crop": {Runtime: "python", PackageMB: 60, CPUMs: 2600, ParallelFraction: 0.7, Threads: 4,
		WorkingSetMB: 400, BaseMemoryMB: 60, OutputMB: 0.1, OverheadMs: 10, BranchFraction: 0.12,
		Scale: Scale{Pixels: 0.6, Frames: 1, Motion: 0.5, WorkingSetPixels: 0.6}},
}

// Builtin returns a copy of the named built-in model.
func Builtin(name string) (Profile, error) {
	p, ok := builtins[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown function model %q (built-in models: %v)", name, BuiltinNames())
	}
	return p, nil
}

// BuiltinNames lists the built-in models in name order.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
