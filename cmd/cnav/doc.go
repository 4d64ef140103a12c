// Command cnav is confignav's command line: simulate pipelines on a model of
// AWS Lambda, tune their memory with ConfigNavigator and its baselines, and
// reproduce the paper's evaluation. main is a thin wrapper over run, which
// takes its arguments and output streams so that tests can call it.
package main
