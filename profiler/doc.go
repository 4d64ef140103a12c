// Package profiler measures the basic-operation features of one run of a
// real process (the paper's Table 2, §3.1): the vector the navigator's
// prediction model takes (backend.Features), each feature with its source.
// The simulator derives the same features from a function's ground-truth
// profile (sim/profile.go); the definitions below are chosen so that a real
// function and its simulated twin are comparable.
//
// The command starts behind a gate (/bin/sh waits on a pipe before it execs
// the command) so that perf counters are attached before the first
// instruction, and it is waited for without being reaped (waitid WNOWAIT) so
// /proc/PID/io can still be read. Features and their sources:
//
//   - instructions, branches: perf hardware counters (user space, inherited by
//     threads and children) where the machine has them. The project's machines
//     are virtual machines without a virtual PMU (perf_event_open returns
//     ENOENT), so by default the command runs a second time under valgrind's
//     cachegrind (--cache-sim=no --branch-sim=yes --trace-children=yes):
//     instructions are Ir, branches Bc + Bi, summed over every process. That
//     run is 10–50× slower. With neither, the features are NaN and the source
//     says "missing" and why. (Callgrind aborts on Go's signal-based
//     preemption; cachegrind does not.)
//   - context_switches: the perf software event context-switches (inherited);
//     getrusage of the reaped tree where perf events are unavailable.
//   - peak_memory_bytes: the peak of VmRSS summed over the process tree, from
//     /proc sampled every 10 ms, or getrusage's max RSS (the largest single
//     process) if larger. The samples are kept as memory snapshots (time,
//     RSS, anonymous memory, processes, threads).
//   - heap_bytes: the peak of RssAnon summed over the tree (anonymous memory:
//     malloc heaps and the Go heap).
//   - stack_bytes: VmStk summed over the tree, plus goroutine stacks from the
//     Go runtime of Go processes that report (below).
//   - alloc_count, alloc_bytes: Go processes in the tree report their
//     runtime/metrics (/gc/heap/allocs:objects and :bytes) when
//     $CNAV_PROFILE_DIR is set (StartGoReport; cnav fn run does); other
//     processes (ffmpeg) contribute their minor page faults — first touches of
//     fresh pages — as a page-granular proxy, and the source says so.
//   - io_bytes, io_bytes_per_second: /proc/PID/io rchar + wchar of the tree
//     (the root's counters include its reaped children), less the pipeline
//     data the functions wrapper counts as network; the rate is over the wall
//     time.
//   - bytes_sent, bytes_received: the functions wrapper's count of pipeline
//     data (what moves through S3 on Lambda), when the command is a function
//     run through it; otherwise the counters of the command's private network
//     namespace (loopback only; exact for the tree) or, where no namespace can
//     be made or --net host is asked for, the host namespace's counters, which
//     include other processes' traffic.
//   - packets_sent, packets_received: namespace counters; for a function run
//     on local files no packet exists, and they are estimated as S3 would
//     carry the wrapper's bytes (1,448-byte TCP segments plus one per object),
//     labelled as an estimate.
//   - wall_seconds: exec to exit. threads: the peak of Threads summed over the
//     tree.
//
// Extra measurements (user and system CPU time, page faults, storage-level
// read_bytes and write_bytes, raw namespace counters) are in Report.Extra.
package profiler
