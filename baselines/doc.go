// Package baselines holds the systems ConfigNavigator is compared with, each a
// tuner.Tuner ported from its public code (BASELINES.md), plus random search
// and the exhaustive oracle:
//
//   - charmseeker (CharmSeeker): per-stage sequential Bayesian optimisation,
//     a cost step that sets each stage's minimum budget from its
//     second-cheapest observation, then a time step under Latin-hypercube
//     budget splits with constrained EI, and a final pick over the Cartesian
//     product of the evaluated sub-configurations (critical path over the
//     DAG). One evaluation is one invocation of a stage on its own (its
//     fan-out at once), as the original's stage scripts do; E = 20 per stage
//     (12 for 5 or more stages), every stage gets its E whatever the others
//     do, CharmSeeker.Iterations overrides it (the paper: 40 in §4.1, 80 in
//     §4.4). The stages run in parallel, charged as such.
//   - aquatope and aquatope-fixed (Aquatope): constrained batch BO, 10 random
//     points and 20 batches of 3 chosen jointly by qNEI, with a leave-one-out
//     outlier filter; minimise latency subject to cost ≤ C_bound (the swap of
//     Aquatope's objective and constraint), the joint batch optimised by
//     multi-start L-BFGS from raw samples as BoTorch does. "aquatope" keeps
//     the public code's defects (infeasible_cost 0, which zeroes qNEI
//     everywhere, so that after its 10 random points it is quasi-random
//     search; an unfitted leave-one-out GP; the variance used as the
//     interval's scale; a penalised objective compared with an unpenalised
//     interval);
//     "aquatope-fixed" corrects all four.
//   - powertuning, powertuning-cost and powertuning-speed (AWS Lambda Power
//     Tuning, strategies balanced, cost and speed): each function swept over
//     the grid, 5 invocations per size, trimmed mean of the REPORT durations;
//     the picks are composed and the pipeline budget is ignored.
//   - parrotfish (Parrotfish): per function a parametric fit t(m) = a0 +
//     a1·exp(−m/a2) to warm samples taken where cost × knowledge is lowest,
//     then its workflow mode adapted to a cost bound and calibrated by
//     measurement: raise critical-path functions while the predicted
//     pipeline cost stays within a budget that starts at C_bound and is
//     scaled by predicted/measured cost when one pipeline window of the
//     pick measures over the bound (at most 3 windows, charged).
//   - random: uniform random configurations from the grid, the best feasible
//     measured one wins; a sanity floor for every other tuner.
//   - exhaustive: the exact optimum under the bound from the simulator's
//     ground truth (package oracle); the yardstick for regret, not a
//     competitor. It costs no measurements because it cannot exist outside a
//     simulator.
//
// Each baseline's file cites the source file or paper section of each rule it
// follows and lists every deviation. All measure through tuner.Env; those
// that read per-invocation REPORT fields (durations, init durations, request
// ids) wrap the environment's backend for the length of their search to see
// the records the environment summarises, and put it back when they return.
package baselines
