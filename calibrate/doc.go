// Package calibrate fits the simulator's functions (fnmodel.Profile) to
// measurements of the real functions, so that the default platform's ground
// truth is measured rather than invented (DESIGN.md §3, "Calibration"), and
// shows how well they fit (cnav calibrate, cnav calibrate --check).
//
// Input: the tables of cnav measure --reference (LoadDir): per function, warm
// samples at each memory size under a CPU quota of memory/1,769 MB vCPU on a
// base clip (360p, 1 s, ten sizes) and on extra clips (720p 1 s, 360p 3 s,
// 1080p 5 s, two or three sizes), with the CPU each size was granted (capped
// by the measuring machine's cores), the peak resident memory and the bytes
// read and written. Or the output of cnav live validate, REPORT durations
// from a real account, whose rows include the function's S3 transfers.
//
// Model: fnmodel's own formula (Profile.AtShare), evaluated under each row's
// conditions, so a fitted profile and the simulator compute the same thing:
//
//	t = overhead + fixed CPU/min(c,1) · q(c) + W·work(clip) · [(1−p)/min(c,1) + p/min(c, cores)] · q(c)
//	q(c) = 1 + a·(1/c − 1)^b below one vCPU,  work(clip) = pixels^α · frames^β
//
// Fit: per function, robust least squares (Huber loss, δ = 0.1 in log time)
// on the log of each row's warm median over every size and clip, by
// Nelder–Mead (gonum/optimize) from six starting points; the parameters are
// transformed so that every value is in range (p and the exponents through a
// sigmoid, a bounded by 100, exponents in [0, 3]). The Huber loss keeps a
// stray row (object-detect's 512 MB, measured while the machine was loaded)
// from pulling the fit. Exponents a clip set cannot identify (no clip varies
// the pixels the function sees) stay at 1 and the result says so.
// Memory and output: peak RSS − baseline and output bytes are fitted as
// pixels^γ · frames^δ by linear least squares in logs over the clips; the
// baseline is the smallest peak of any function (the Go runtime doing
// nothing, signal-fuse).
//
// Structure is not fitted: which functions work on hd's upscaled frames and
// when hd passes frames through follows judge-resolution's rule in the real
// code (Structure).
//
// Written by hand because it is a small, model-specific fit over gonum's
// optimiser: no library fits this formula, and the formula must be
// fnmodel's own.
package calibrate
