// Package tuners is the registry of every tuner by name, shared by the
// command line and the experiments: ConfigNavigator, the baselines, random
// search and the exhaustive oracle.
package tuners
