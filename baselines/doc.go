// Package baselines holds the systems ConfigNavigator is compared with, each a
// tuner.Tuner ported from its public code (BASELINES.md), plus random search
// and the exhaustive oracle:
//
//   - random: uniform random configurations from the grid, the best feasible
//     measured one wins; a sanity floor for every other tuner.
//   - exhaustive: the exact optimum under the bound from the simulator's
//     ground truth (package oracle); the yardstick for regret, not a
//     competitor. It costs no measurements because it cannot exist outside a
//     simulator.
//
// Each baseline's file cites the source file or paper section of each rule it
// follows and lists every deviation.
package baselines
