// Package measure is the measured platform (DESIGN.md §3, the honesty rule):
// it runs a real function (package functions) under the CPU share and memory
// limit AWS Lambda gives a memory size, and records its execution time per
// size as a table the simulator can load as a table-driven function
// (fnmodel.Table; LoadDir for --platform measured:DIR).
//
// An execution environment is a worker process (functions.Serve: the Lambda
// handler binary's "serve" mode, or cnav fn serve) started inside a cgroup:
//
//   - CPU: a CFS bandwidth quota of memory/1,769 vCPU per period (cgroup v1
//     cpu.cfs_quota_us over cpu.cfs_period_us, 100 ms by default; cgroup v2
//     cpu.max). Where a size's share exceeds the machine's CPUs the quota is
//     capped at all of them, and the row says so (Capped). Go 1.25+ sizes
//     GOMAXPROCS from the quota, as it would on Lambda; ffmpeg sizes its
//     threads from the machine's CPUs.
//   - memory: memory.limit_in_bytes (v1) or memory.max (v2) = the memory
//     size, no swap. Exceeding it is an out-of-memory kill, recorded as the
//     size's status (oom) and left out of the table's rows.
//   - priority: the group's cpu.shares is raised (v1) so that other processes
//     on a shared machine do not take the CPU the quota grants; the quota
//     still caps it.
//
// Per size, a cold start (process start and static initialisation, then the
// first invocation) and Repeat warm invocations in the same environment are
// timed; the table's samples are the warm handler durations (Lambda's
// "Duration", measured inside the worker), and cold starts are kept in the
// details. Each table records the machine, date, method, per-size limits,
// CFS throttling, peak memory and load average.
//
// Without writable cgroups, Run stops with ErrNoCgroups. The labelled
// fallback (Fallback "taskset") measures only what can be measured honestly:
// sizes of at least one vCPU, pinned with taskset to ⌈vCPU⌉ cores (which
// over-provisions CPU by up to one core), without a memory limit; each row
// names its method.
//
// Platform is the platform a directory of tables was measured on: the
// default profile with the CPU the measurement granted (at most the
// machine's CPUs, which every size sees as cores), so that what reads the
// profile (ConfigNavigator's model inputs, the scaling of a table to other
// clips) assumes the CPU the tables were measured with.
//
// Reference re-measures the committed tables (results/reference/measured):
// it generates the reference clip, makes every function's inputs by running
// the pipelines' functions, and measures each function.
package measure
