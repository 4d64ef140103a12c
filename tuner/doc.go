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
// The objective is the same for all: minimise end-to-end latency subject to
// cost per request ≤ C_bound. The Env keeps every configuration evaluated with
// what was observed, so results publish the whole trace, not only the pick.
package tuner
