// Package experiments reproduces every figure and table of the paper's
// evaluation (§2.2 and §4) on the simulator, writes one Parquet table, PNG and
// SVG figures and a report section per experiment, and puts the paper's
// numbers beside ours.
//
// # Runner
//
// An experiment is a list of cells (parameters × seed). Execute computes the
// cells of a run directory that are not already there, each written
// atomically to cells/<experiment>/<hash>.json as soon as it finishes, keyed
// by its parameters, seed and the code version (CodeVersion: the VCS revision
// of the binary). A re-run resumes where an interrupted one stopped and
// loses at most the cells in flight. Sharding (--shard i/n, or
// JOB_COMPLETION_INDEX with --shards n) takes every n-th cell of the sorted
// plan; Assemble (cnav merge) reads cells from several run directories.
//
// # Arrow schema of every experiment table (<experiment>.parquet)
//
//	experiment  utf8              the experiment id (fig1, table4, …)
//	platform    utf8              "model" (the simulator's modelled ground truth) or "measured"
//	pipeline    utf8, nullable    pipeline name
//	tuner       utf8, nullable    tuner name (navigator, charmseeker, aquatope, …)
//	bound       float64, nullable cost bound as a fraction above C_min (0.3 = 30 %)
//	seed        int64             the cell's seed
//	series      utf8, nullable    a free label within the experiment (steady/unsteady, branch/sequence…)
//	x           float64, nullable the x coordinate where the metric is a curve (memory MB, search seconds…)
//	metric      utf8              what value measures (latency_ms, cost_usd, regret, …)
//	value       float64, nullable the observation
//
// The long ("tidy") layout is the same for every experiment, so one reader
// (pandas, polars, DuckDB, Arrow) pivots any of them.
//
// # Report
//
// report.md has a section per experiment: what was run, a table of headline
// numbers (the paper's, ours as the mean over seeds with a 95 % Student-t
// interval, the ratio), the experiment's own table, and its figures.
// summary.json holds the headline numbers; cnav check compares it with
// results/reference/summary.json within each headline's stated tolerance.
package experiments
