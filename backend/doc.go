// Package backend is the single seam between tuners and the platform they
// measure (DESIGN.md §2): a Backend applies a memory configuration, runs a
// workload and streams back one Record per function invocation, and profiles a
// function's basic operations. The simulator (package sim) implements it in
// virtual time; package live implements it against AWS Lambda. A tuner never
// knows which one it talks to.
//
// Records carry the fields of a Lambda REPORT line (request id, duration,
// billed duration, memory size, max memory used, init duration) plus the
// pipeline request and node they belong to, so that everything a tuner or the
// online controller learns, it could also learn from CloudWatch Logs.
package backend
