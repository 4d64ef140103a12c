// Package model is ConfigNavigator's performance model (the paper's §3.1,
// "Performance Modeling"): a prediction, from the basic-operation features of
// one profiling run, of a function's execution-time distribution at any memory
// size, learned offline from a synthetic function set measured on the
// platform. The search (§3.2) samples the predicted distributions instead of
// measuring.
//
// # Mapping to §3.1
//
//	"function set synthesized from basic operations"   Synthesize: 1,000 functions (paper: 400; see DefaultFunctions) of compute, local cache,
//	                                                    remote storage and network modules (after Sizeless)
//	"profile the basic operations listed in Table 2"   Measure: one sim.Profile run per function, on the
//	                                                    reference clip, gives backend.Features
//	"32 memory configurations … every five minutes …   Measure: per grid size (128–4,096 MB), DefaultSamples
//	 two weeks", warm                                   = 4,032 warm invocations (sim.WarmUs), spread over a
//	                                                    two-week campaign and its traffic tide
//	"two independent three-layer neural networks …     Train: a network for mean and p95, one for the
//	 64, 32, and 16 neurons"                            variance, each 64-32-16 fully connected
//	"a normal … a Pareto … a smoothing function"       Dist, NewDist
//	test set "split in an 8:2 ratio" (§4.3)             Train's function-level split; Evaluate
//
// Pipeline functions (fnmodel's built-ins) are never in the training set:
// the synthetic functions are drawn from continuous distributions
// (TestSyntheticExcludesBuiltins), and Evaluate measures the built-ins the same
// way to report the paper's Table 5.
//
// # Choices the paper leaves open
//
// Measurement. Each function is deployed alone (a one-function pipeline) and
// reads the reference clip, as a pipeline's entry stage does; the profiling
// run (sim.Profile) reads a clip-sized input too. Inside a pipeline a function
// reads its predecessors' output instead, which the features do not see: the
// model predicts the time of the function on a clip-sized input. 4,032 samples
// per size, as the paper, because the variance is dominated by rare
// interference slowdowns: with 200 samples two campaigns on the same function
// differ by ~150 % in variance, with 4,032 by ~23 % (the noise floor of the
// variance error below). A size where the working set does not fit (out of
// memory) or the function exceeds the platform's timeout has no measurement
// and no training row.
//
// Inputs. The 16 features of FeatureVector as log10(v + floor), then log2 of
// the memory size and log2(memory / profiled peak memory) (clamped to
// [−4, 10]), which lets a small network see memory pressure near the working
// set. Each input is standardised with the training rows' mean and standard
// deviation (stored in the model file). A NaN, infinite or negative feature is
// an error naming it; the model does not impute.
//
// Inputs beyond the paper's Table 2: the CPU allocation at the size, from the
// platform profile the model is measured on or loaded for (CPU, CPUOf: MB per
// vCPU, the vCPU cap, the visible-core steps and the arm64 speed; never
// constants here) and the profiled thread count k: log2 of the vCPU share
// c = memory / mb_per_vcpu, of the serial share min(c, 1), of the visible
// cores V, and of the CPUs the parallel section can use, min(c, k, V). Why:
// with only log2 memory a network of this size predicts a smooth curve where
// a function's time follows how its threads meet the CFS quota and the cores
// (flat above min(k, V) vCPUs, steps where V changes), and the search then
// picks sizes whose cost it under-predicts. The inputs leave the shape to the
// networks (no Amdahl law is built in, and the parallel fraction is not an
// input: the profile does not measure it). On the default platform at
// 42b17fb (old ground truth with ⌈k/c⌉ waves) they took the validation error
// of the mean at ≥ 512 MB from 4.5 to 4.2 %, at 128 MB from 8.3 to 5.4 %, and
// the ML pipeline functions from 13.2 to 11.9 % (non-ML 5.3 → 5.9 %).
//
// Targets. The first network predicts ln(mean) and ln(p95), the second
// ln(variance), each relative to the profiling run's wall time (ln(mean /
// wall), ln(p95 / wall), ln(variance / wall²)) and standardised. Logarithms
// because times span four orders of magnitude and the error that matters is
// relative; relative to the wall time because the local run already measures
// most of what does not depend on memory, so the networks learn how the
// platform's memory size changes a time instead of the time itself (on a
// 400-function set this cut the validation error of the mean by about a
// quarter). p95 is
// predicted directly, not as a ratio to the mean: p95/mean varies little
// between functions and its sampling noise swamped the ratio output's loss.
//
// Networks. Hidden widths 64, 32, 16 (§3.1), ELU activations (smooth, and no
// dead units in the 16-wide layer), a linear output, He-uniform
// initialisation, mean squared error on the standardised targets. About 3,850
// parameters each.
//
// Optimiser. Adam (β1 0.9, β2 0.999, ε 1e-8), learning rate 2e-3, minibatches
// of 64 rows reshuffled every epoch, the learning rate halved after 12 epochs
// without improvement, at most 400 epochs, early stopping after 40 epochs
// without improvement, and an exponential moving average of the weights
// (decay 0.999 per step, Polyak averaging) as the network that is evaluated and
// kept. No weight decay (AdamW's did not clearly help). See TrainOptions.
//
// Split. By function, never by row (rows of one function share its features):
// 20 % of the functions (seeded) are the validation set of the paper's 8:2
// split, used by nothing but Evaluate; of the remaining 80 %, one eighth (10 %
// of all) is the stopping set that decides early stopping, and 70 % train. The
// paper stops nowhere, so its split need not carve a stopping set; stopping on
// the validation set would make the reported error optimistic. The
// hyperparameters above were set by hand on a few trial runs (seeds 1–3)
// looking at the stopping loss and, we note, the validation error, so the
// latter is mildly optimistic; the pipeline functions played no part.
//
// Distribution. Dist fuses:
//
//	normal  N(μ, σ²) with μ = predicted mean, σ² = predicted variance;
//	Pareto  type I, P(T > x) = (xm/x)^α, fitted to the mean and the p95:
//	        α solves 20^(1/α)·(α−1)/α = p95/mean on the light-tailed branch
//	        α > α* = ln 20/(ln 20 − 1) ≈ 1.50, xm = μ(α−1)/α;
//	density f(x) ∝ (1 − w(x))·φ(x) + w(x)·π(x), w(x) = 1/(1 + e^(−(x−c)/s)),
//	        a logistic ramp centred at the normal's 95th percentile c = μ + 1.645σ
//	        with width s = σ/2: the normal's tail hands over to the Pareto's body;
//
// tabulated on x ≥ 0 at ~320 points (uniform over μ − 7σ … μ + 8σ, geometric
// out to the Pareto's 1 − 10⁻⁷ quantile), integrated by the trapezoid rule and
// normalised, so the CDF is exactly monotone from 0 to 1 (piecewise linear
// between the points; Quantile inverts it, Sample is inverse transform).
// Finally an affine map x → μ + b(x − m) makes the table's mean exactly μ and
// its 95th percentile exactly the predicted p95. The normal, the Pareto and
// the p95 do not always agree, and something has to give: we keep the mean
// and the p95, the two numbers the search uses. Where the variance comes from
// rare large slowdowns (this platform's interference: the normal is wider than
// the p95 allows), the map narrows the body and the fused variance falls short
// of the predicted one (mean 1,000, p95 1,100, sd 260 fuses to sd 63); Dist.Var
// reports it. Degenerate inputs: a variance below (1e-4·mean)² is raised to it;
// a p95 at or below the mean (or needing α > 10⁵) gives the normal alone with
// its mean kept; a p95 above 2.456 × mean, beyond any Pareto of that mean,
// takes α* and matches the p95; a stretch that would move the support below 0
// is limited and the p95 only approached.
//
// Predictions. Predict refuses a size outside the trained range (no
// extrapolation), reports ErrOutOfMemory below the profiled peak memory (which
// has the profiler's 3 % noise, so the boundary is fuzzy by as much), and
// reports ErrNonFinite if the networks produce NaN, infinity or zero; such a
// value is never returned. A Model is safe for concurrent use.
//
// # Model file
//
// JSON: format name, version (FileVersion), the SHA-256 of the payload, and
// the payload: the platform profile's name and fingerprint (SHA-256 of
// platform.Profile.JSON), the memory range, the input names, the input and
// target scaling, both networks' weights and the training information
// (dataset size, samples, seeds, dataset hash, validation functions, epochs,
// losses). Load checks format, version, checksum (a flipped digit or a
// truncated file is ErrFormat), structure and finiteness, input names, and
// the platform fingerprint (ErrPlatform). Floats are written in Go's shortest
// round-trip form, so a loaded model predicts bit for bit what the saved one
// did. results/reference/model.json is the model trained with the defaults
// (cnav model train; go test -run TestReferenceModel -update rewrites it);
// results/reference/model-measured.json the same on the measured platform
// (cnav model train --platform measured:results/reference/measured), whose
// profile grants at most the measuring machine's 2 CPUs (measure.Platform):
// the CPU inputs only describe a platform the networks were trained on, so
// each platform gets its own model, as the paper trains on the platform it
// tunes for.
//
// # Why no neural-network library
//
// The networks are two 64-32-16 perceptrons of ~3,850 parameters: forward,
// backward and Adam are ~250 lines on gonum's BLAS (blas64.Gemm for the
// minibatch products), which the project already depends on. The Go
// libraries that exist bring large dependency trees and cgo with XLA (GoMLX)
// or little maintenance (Gorgonia), and none promises bit-identical results
// from one seed; here the same dataset and seed give the same model file byte
// for byte (TestTrainDeterministic), which the reference model and CI need.
//
// # Results (defaults: 1,000 functions, 4,032 samples, seed 1, default platform)
//
// cnav model train (measurement and training) takes about 30 s on two cores;
// the minibatch products are too small for gonum to parallelise
// (BenchmarkTrain); a prediction about 20 µs, most of it the tabulation of the
// distribution. Mean absolute percentage error of the mean, from cnav model
// eval on the calibrated ground truth (results/reference/model.json,
// 2026-12-04):
//
//	memory (MB)                       128   256   512  1024  2048  4096  all ≥512
//	validation (200 synthetic)       46.1  40.2  21.6  12.4   5.1   2.5   6.2
//	pipeline functions (13)          76.0  16.6  11.0   6.8   4.5   3.3   5.4
//
// At ≥ 512 MB the model meets the paper's Table 5 (under 10 % for non-ML
// functions; per function 3–7 %, signal-fuse 13 %, a 2 ms function). It did
// not before the synthetic set learnt the calibrated functions' shape: with a
// fixed thread count, no start-up CPU work and no small-quota slowdown it was
// 18.6 % on the pipeline functions (3.3 % on its own validation set). Below
// 512 MB the error is large on both sets and honest: the small-quota slowdown
// (fnmodel.QuotaSlowdown, 1.0–10× at 128 MB among the built-ins) leaves no
// trace in a profile taken on 4 vCPUs, so the model can only learn its
// spread. The calibrated functions are all Go handlers with little
// initialisation, so cnav model eval's ML split (init work ≥ MLInitMs) finds
// none: face-detect, object-detect and hd are classical vision code here.
// p95 errors follow the mean's; variance errors are ~21 % at ≥ 512 MB against
// a measurement noise floor of ~23 % (two campaigns of 4,032 samples on the
// same function).
package model
