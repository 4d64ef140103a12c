// Package hist is a streaming histogram of positive durations with bounded
// relative error, so that a run of any length reports latency percentiles in
// constant memory (the simulator's records are never accumulated).
//
// Buckets are logarithmic with ratio γ = (1+α)/(1−α), α = 0.5 %: a quantile
// is reported as the midpoint of its bucket, within 0.5 % of the true order
// statistic (the DDSketch construction, Masson et al., VLDB 2019). Values
// below 1 µs share the first bucket. It is written here rather than imported
// because it is ~100 lines, must be exactly deterministic, and needs no
// merging protocol beyond adding counts.
package hist
