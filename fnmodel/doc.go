// Package fnmodel is the ground truth of what a function costs to run: its
// basic operations (the paper's Table 2: CPU work with a parallel fraction and
// a thread count, memory working set, local I/O, network bytes and packets,
// fixed overhead), how they scale with the input clip, and how long they take
// at a memory size on a platform profile. A function can instead be
// table-driven: measured time samples per memory size replace the model.
//
// Time at memory m, with c = the CPU share in vCPUs (memory / 1,769 MB on
// Lambda), V = the visible cores at m (platform.Profile.VisibleCores) and k
// the function's threads (V when AutoThreads: Go's GOMAXPROCS and ffmpeg's
// -threads auto follow the cores a process sees):
//
//	cpu  = W·(1−p)/min(c, 1) + W·p/min(c, k, V)     a fractional CFS share over the threads
//	     · (1 + a·(1/c − 1)^b  if c < 1)             the measured small-quota slowdown
//	     · pressure(m / working set)
//	t    = overhead + cpu·work(input) + local I/O / io(m) + S3 bytes / bw(m)
//	       + S3 objects · request latency + packets · per-packet CPU / min(c, 1)
//
// This is the law the measurements show (results/reference/measured, cgroup
// CPU quotas on the real functions): time falls smoothly with the share up to
// the cores in use, with no stairs between 1,769 and 3,538 MB (face-detect
// 670 → 505 → 404 → 382 → 315 ms from 1,536 to 3,584 MB). The visible cores
// step with memory on Lambda (2 cores to 3,008 MB, then 3, 4, 5, 6; cited in
// the platform profile), but the share never exceeds them, so a function
// whose threads follow the cores sees no step; one with fewer threads than
// the share flattens at k vCPUs. No public measurement shows a runtime step
// at the core boundaries, so none is modelled.
//
// The built-in functions (fnmodel/calibrated.json, Builtin) are the real
// functions of functions/ as fitted by cnav calibrate (package calibrate) to
// their measured tables: warm medians at ten sizes (128–4,096 MB) on a 360p,
// 1 s clip, at three sizes on 720p 1 s and 360p 3 s, and at two sizes on the
// paper's 1080p 5 s clip. W, p, the overhead, the small-quota term (a, b)
// and how work grows with pixels and frames are fitted per function by
// robust least squares on log time; the working set is the measured peak
// resident memory above the Go runtime's own (the smallest peak of any
// function), growing with pixels and frames as fitted over the clips; output
// bytes likewise. cnav calibrate --check prints the fit per function and
// size. Structure the functions' code fixes is not fitted: hd upscales clips
// below 720 lines ×⌈720/height⌉ and passes others through, restore works on
// hd's frames (Scale.UpscaleTo, Scale.Passes).
//
// Memory pressure near the working set and out-of-memory below it are
// effects ConfigNavigator's prediction model does not assume (the honesty
// rule of DESIGN.md §3). ConfigNavigator profiles a function through its
// basic-operation form (CPU work, threads, working set, data), which is why
// the calibrated functions keep it rather than becoming tables.
package fnmodel
