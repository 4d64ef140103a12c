// Package fnmodel is the ground truth of what a function costs to run: its
// basic operations (the paper's Table 2: CPU work with a parallel fraction and
// a thread count, memory working set, local I/O, network bytes and packets,
// fixed overhead), how they scale with the input clip, and how long they take
// at a memory size on a platform profile. A function can instead be
// table-driven: measured time samples per memory size replace the model.
//
// Time at memory m (c = the CPU share in vCPUs, DESIGN.md §3):
//
//	serial   = W·(1−p) / min(c, 1)
//	parallel = W·p / c                    if c < 1 (all threads time-sliced)
//	         = (W·p/k) · ⌈k/c⌉            if c ≥ 1 (k threads in ⌈k/c⌉ waves)
//	cpu      = (serial + parallel) · pressure(m / working set)
//	t        = overhead + cpu + local I/O / io(m) + bytes / bw(m)
//	           + S3 requests · latency + packets · per-packet CPU / min(c, 1)
//
// The wave term is the source of the stairs of the paper's Figure 3: a
// barrier-synchronised parallel section split into k equal slices cannot use a
// fraction of a core for a fraction of a slice, so latency stays flat between
// the shares where ⌈k/c⌉ changes and drops where it does. Above c = k the
// parallel part no longer improves, and above c = 1 the serial part does not:
// the curve flattens, as measured Lambda functions do. Memory pressure (GC and
// page reclaim near the limit) and out-of-memory below the working set are
// effects that ConfigNavigator's prediction model does not assume (the honesty
// rule of DESIGN.md §3).
//
// The built-in models are the functions of the paper's three pipelines,
// calibrated on a 1080p, 30 fps, 5 s clip (video.Reference); their numbers are
// plausible magnitudes for the operations named, not measurements. The
// measured platform (issue: real functions) replaces them with tables.
package fnmodel
