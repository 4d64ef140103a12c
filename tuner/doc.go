// Package tuner is the seam every memory tuner sits behind, ConfigNavigator
// and the baselines alike (BASELINES.md, "Accounting for every tuner").
//
// A Tuner receives a Problem: the pipeline, the platform's memory grid, the
// cost bound C_bound = (1 + x)·C_min, and an Env, the measurement environment
// wrapped around a backend.Backend. Every measurement goes through the Env,
// which charges it: virtual (or wall) seconds of the workload streamed for a
// window (30 s by default, as in the paper §4.4) plus its drain, preceded by
// a warm-up (15 s by default: a memory change retires every environment, and
// a window that starts cold measures the burst of cold starts, about 15 %
// above the steady cost, rather than the configuration), the dollars
// the invocations cost, and the seconds of local profiling runs. The tuner's
// own compute is the wall time spent outside the Env's calls. Search time is
// the sum, the quantity of the paper's Figure 9.
//
// Common random numbers (BASELINES.md, "Accounting for every tuner"): the
// Env numbers its measurements from Start (the window index) and keys each
// one's randomness by (its seed, the configuration, the window index): the
// request stream's seed by (seed, index), and, on a backend that implements
// Keyed (the simulator), every invocation's noise, the tide and a fresh set
// of environments by MeasurementKey. No tuner name and no global run
// counter enter a key, so two tuners that measure the same configuration at
// the same window index of the same seed see the same noise and measure the
// same latency, and paired comparisons between tuners are not drowned in
// independent noise. A different index or configuration gives independent
// noise.
//
// Payloads: a pipeline that serves many clips (a catalogue) is measured
// on its request stream, and what runs outside the pipeline (profiling,
// single-function invocations) runs on Env.Payloads, a few clips that stand
// for the workload in equal shares (Representatives: a systematic sample of
// the clips sorted by resolution, frames and faces, balanced so that the
// means of pixels × frames, faces × frames and the resolutions' shares
// follow the workload's). Every tuner of a problem gets
// the same payloads; an invocation covers all of them at once (one request
// each), as AWS Lambda Power Tuning's weighted payloads do.
//
// Parallel charges branches of measurements that the original tool runs at
// the same time (Power Tuning's memory values, CharmSeeker's stages) by the
// longest branch, and every branch's dollars.
//
// The objective is the same for all: minimise end-to-end latency subject to
// cost per request ≤ C_bound. The Env keeps every configuration evaluated with
// what was observed, so results publish the whole trace, not only the pick.
package tuner
