// Package oracle computes the ground truth of a simulated pipeline: the true
// mean end-to-end latency and cost per request of any configuration, the
// minimum cost C_min that cost bounds are relative to, and the exact optimum
// under a bound by exhaustive search. It is the yardstick for regret, not a
// competitor: it reads the simulator's ground truth (sim.WarmUs), which no
// tuner may see.
//
// Method. For each sample j = 1..N the oracle fixes a clip (cycling through
// the workload's clips) and one random draw per invocation (sim.Draw: noise
// quantile, log-normal normal deviate, interference), shared by every memory
// size: common random numbers, so differences between configurations are not
// swamped by sampling noise. It tabulates the warm duration of every
// (function, memory, sample, fan-out instance). The end-to-end latency of
// sample j under a configuration is the longest path through the DAG with
// each node's time (the slowest of its instances) plus the mean orchestration
// hop per stage; cost is the billed duration (rounded up to the billing
// granularity) times memory times price plus the request fee, summed over
// invocations. Means over samples estimate the expectations. Cold starts,
// queueing and drift are left out: the oracle describes the steady state a
// configuration settles into.
//
// C_min is the sum over functions of each one's cheapest expected cost among
// the grid sizes where it never runs out of memory, since a function's cost
// depends only on its own memory. The exhaustive search enumerates the grid
// product depth-first, pruning a partial configuration as soon as its cost
// plus the cheapest completion exceeds the bound.
package oracle
