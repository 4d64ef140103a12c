// Package navigator is ConfigNavigator (the paper's §3): a tuner that
// profiles each function once, predicts its latency distribution at every
// memory size with a model trained on synthetic functions (package
// navigator/model, §3.1), partitions the pipeline into nested parallel groups
// (§3.2.1, partition.go) and searches configurations group by group under a
// recursively allocated cost budget, replacing each searched group by one
// equivalent node (§3.2.2, search.go).
//
// Every choice the paper leaves open is written beside the code that makes it
// and collected here:
//
//   - Partition: see NewPartition (branches diverging at the source; closed
//     groups only; overlaps; pruning once per parent).
//   - Search: see Search and Options (Monte-Carlo samples, rounds, cost
//     allocation, the exhaustive/BO threshold, warm start, equivalent cost,
//     memory floor from the profiled peak memory, confirmation measurements).
package navigator
