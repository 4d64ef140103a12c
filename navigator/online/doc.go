// Package online is ConfigNavigator's online phase (the paper's §3.3): it
// watches a running pipeline through its invocation records only (what
// CloudWatch Logs would show), rebuilds each request's executed DAG, finds
// the critical path, and adjusts memory around the offline optimum, writing
// configurations to a versioned configuration store.
//
// # Log inspection (inspect.go)
//
// Records are grouped by pipeline request. A request is closed when every
// invocation of its exit nodes has reported, or one of its invocations
// failed; a record arriving for a closed request reopens it and counts as
// late. From a closed request the inspector takes which functions ran and how
// many times, each function's duration and cost, the end-to-end latency (from
// the earliest start, init included, to the latest end) and the cost per
// request. Records naming a function outside the known DAG, records out of
// time order, duplicates (same invocation id) and records missing REPORT
// fields (zero memory or negative duration) are counted, reported and
// skipped, except that an unknown function is also evidence of a structure
// change.
//
// Structure changes: each closed request has a signature (the set of
// functions that ran; a fan-out node's instance count is summarised
// separately). A change is declared when StructureRun consecutive requests
// (default 5) differ from the current structure in the same way (a function
// appeared or disappeared), or when the distribution of a fan-out node's
// count over the last 2·StructureRun requests departs from that of the
// requests before them (a G-test at p < 1e-5), since counts legitimately
// vary with the input (0–4 faces per clip). Input shifts: a Page–Hinkley test
// on the end-to-end latency of closed requests relative to the running mean
// (δ = 2 %, λ = 50 % of the mean), reset after each detection and each
// reconfiguration.
//
// # Controller (controller.go)
//
// Every window (default 1 minute) with at least MinRequests closed requests
// (default 10; fewer and nothing is changed), the controller compares the
// window's mean cost per request C_real with the bound:
//
//   - over budget (C_real > C_bound·(1+h)): every non-critical function
//     (on the critical path in fewer than half of the window's requests)
//     shrinks together by Δr = α·(C_real − C_bound)/C_real of its memory,
//     at least one grid step (the paper's batch constriction; α = 1);
//   - under budget (C_real < C_bound·(1−h)): the function most often on the
//     critical path grows by one grid step if its worst-case extra cost (no
//     speed-up at all) still fits under the bound (the paper's small steps on
//     the critical path, one function at a time);
//   - hysteresis: a dead band h = 3 %, a cool-down of one window after a
//     change (the next window must see the new configuration), and a function
//     is not moved back within two windows of its last move;
//   - neighbourhood: memory stays within Radius grid steps (default 8) of the
//     offline optimum and on the grid, and above any size where the function
//     was seen to run out of memory.
//
// # Configuration store (store.go)
//
// Configurations are versioned documents; the controller writes a new version
// and the store applies it to the backend so that it takes effect for new
// invocations only (in the simulator, Apply during a run; live, the S3
// document each function reads, §3.3.3).
package online
