// Package sim is a deterministic discrete-event simulator of multi-stage
// pipelines on AWS Lambda (DESIGN.md §3–4). It implements backend.Backend in
// virtual time, so every tuner measures the simulator exactly as it would
// measure Lambda.
//
// Engine. The clock is an integer count of microseconds. Events sit in a
// typed binary heap ordered by (time, sequence number); requests come from a
// time-sorted backend.Source that is merged with the heap rather than pushed
// into it (on a tie the arrival goes first). Per-request state lives in a slab
// of reusable slots, and records stream to a backend.Sink, so memory is
// O(requests in flight), not O(run). One seed gives named random streams
// (rand.NewPCG(seed⊕run, stream)); each Run of the same Sim draws fresh
// streams, so repeated measurements differ, and the same seed and calls give
// the same bytes. KeyNext keys the next run instead (common random numbers:
// package tuner keys each measurement by seed, configuration and window
// index): its streams come from (seed, key), its traffic tide starts at the
// seed's phase, and, when fresh, it starts with no warm environment, so what
// it measures does not depend on the runs before it.
//
// Lambda model. Each function keeps a pool of idle execution environments.
// An invocation takes the most recently used idle environment (warm) or
// creates one (cold: sandbox set-up, then runtime init by runtime family,
// package size and static init work); the pool's idle list is ordered by the
// time each environment went idle, so keep-alive expiry is one cursor per
// function that skips environments idle longer than the keep-alive, with no
// event per idle period. Account concurrency and per-function scale-up limits
// throttle invocations; throttled invocations are retried with exponential
// backoff, and fail the request when retries run out. Changing a function's
// memory retires its environments (in-flight ones finish, then are dropped).
// Execution time is the function model's deterministic time (package fnmodel)
// times per-environment speed, log-normal per-invocation noise, Pareto
// interference with a small probability, a slow sinusoidal "traffic tide" and a
// first-invocation slowdown in a new environment. An invocation whose working
// set exceeds its memory dies out of memory part-way; one that runs past its
// timeout is cut off; both fail their request and retire their environment.
//
// Pipelines. A request starts every entry node after an orchestration hop; a
// node starts when all its predecessors have finished (join), after a hop;
// a fan-out node starts one invocation per unit of its input feature and
// finishes when all have. Functions move data through S3 themselves, inside
// their billed duration, at the bandwidth of their memory size. A request
// completes when its last node finishes; its end-to-end latency runs from
// arrival to then.
package sim
