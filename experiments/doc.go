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
// report.md opens with a summary (every number of the paper the run
// reproduces, ours with its interval, whether they agree by cnav check's
// rule, and a one-line reason computed from the run where they do not:
// why.go) and a table of contents. Then a section per experiment: what was
// run, a table of headline numbers (the paper's, ours as the mean over seeds
// with a 95 % Student-t interval, the ratio where both share a sign, the
// truth-feasible column), the reasons for every number that differs from the
// paper, the experiment's own tables, and its figures with captions (legends
// in a column of their own: Figures.SaveGrid).
//
// # Comparisons (compare.go)
//
// The headline experiments (fig7, fig9, fig10, table4, regret, and their
// measured-platform copies) run ConfigNavigator, CharmSeeker and Aquatope in
// both variants: aquatope-fixed (corrected) and aquatope (the literal public
// code), each labelled wherever it appears. "The better baseline" is, per
// (pipeline, bound, seed), the faster truth-feasible answer of charmseeker
// and aquatope-fixed; the literal aquatope is compared on its own beside
// it. Gains and regret count only answers within the bound in truth, and
// every tuner's truth-feasible rate is its own column and its own gated
// headline (with a 95 % Wilson interval over all answers). Comparisons are
// paired by seed: per seed the mean of the paired relative differences, with
// a 95 % Student-t interval over seeds.
//
// The measured-platform copies and the measured experiment run on
// Options.MeasuredProfile, the platform the tables were measured on
// (measure.Platform: the measuring machine's CPU cap), with the prediction
// model trained for it; the other cells on Options.Platform.
//
// What the tuners tune on (workload.go): every tuning experiment gives all
// tuners of a seed the same problem, one request a second of a workload,
// and judges the answers by the ground truth on that workload. Figures 9
// and 10, regret, Figure 11 and baselines-home tune on the tuning clip
// (1080p, 5 s, two faces), as the paper's §4.3 evaluates its search "with
// fixed input". Figure 7 and Table 4 tune on the catalogue they serve, with
// C_min, the bound and truth over its 50 clips: the paper's §4.2 baselines
// "perform online searches" while "video streams are continuously sent".
// Tuned on the clip and judged serving the catalogue (Options.TuneOn, cnav
// reproduce --tune-on clip), every answer was judged on inputs no tuner
// had seen: ConfigNavigator's exact answer for the clip leaves hd (which
// upscales the 56 % of the catalogue below 1080p) at its floor and 19 % of
// face-detection's requests failed. Work outside the pipeline
// (ConfigNavigator's profiling, the function-level invocations of
// CharmSeeker, Power Tuning and Parrotfish) runs on the tuning clip, or on
// the catalogue's ten representative clips (tuner.Env.Payloads): the same
// for every tuner.
//
// baselines-home (home.go) shows each baseline on its own protocol:
// CharmSeeker's six tight budgets (0.3–6 % above the minimum, 20
// repetitions in full mode) and Aquatope's latency-QoS setting through the
// symmetric swap, beside the paper's bounds.
// summary.json holds the headline numbers; cnav check compares it with
// results/reference/summary.json within each headline's stated tolerance.
package experiments
