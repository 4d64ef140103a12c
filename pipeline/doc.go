// Package pipeline is the pipeline DAG: the spec format, its validation, the
// paper's three built-in pipelines and a generator of random nested-parallel
// pipelines.
//
// # Spec format
//
// A spec is YAML or JSON (the reader takes both; `cnav pipelines show --json`
// prints a valid spec):
//
//	name: face-detection              # required
//	description: ...                  # optional
//	parallel_depth: 1                 # optional, documentation only
//	functions:                        # required, at least one
//	  - name: decode                  # unique
//	    model: decode                 # a built-in model (fnmodel.BuiltinNames) ...
//	  - name: custom
//	    profile: {runtime: go, cpu_ms: 500, parallel_fraction: 0.5, threads: 2, working_set_mb: 200}
//	                                  # ... or an inline basic-operation profile
//	  - name: measured
//	    table: {runtime: python, working_set_mb: 300, input: {...}, rows: [{memory_mb: 128, samples_ms: [...]}]}
//	                                  # ... or measured samples per memory size
//	  - name: beautify
//	    model: beautify
//	    fanout: faces                 # optional: one invocation per unit of an input feature
//	    fanout_max: 8                 # optional cap on the fan-out
//	    timeout_s: 300                # optional; default from the platform profile
//	edges:                            # [from, to] pairs, or objects with a data size
//	  - [decode, custom]
//	  - {from: custom, to: beautify, data_mb: 2.5}
//
// Each function reads its predecessors' outputs from S3 and writes its own:
// an edge moves data_mb when given, otherwise the producer's output_mb scaled
// by the clip. Entry functions (no predecessors) download the clip itself.
// A node starts when all its predecessors have finished (join); a fan-out node
// with a count of zero is skipped.
//
// Validation rejects, with the name of the culprit: a duplicate function name,
// an edge naming an unknown function, a self-loop or duplicate edge, a cycle
// (printed as a path), a node not connected to the rest, an unknown model,
// a function with none or several of model/profile/table, an unknown fan-out
// feature, and any number out of range.
//
// # Built-in pipelines
//
// face-detection, face-beautification and autoclip (the paper's Table 3; each
// spec file in builtin/ explains how its structure reads the paper's
// "parallel depth"), and random:n=N,seed=S, a series-parallel DAG of N
// functions drawn from the built-in models.
package pipeline
