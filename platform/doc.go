// Package platform holds the model of AWS Lambda as data: one Profile with every
// number the simulator uses (memory range, CPU share and visible cores, prices,
// cold starts, keep-alive, concurrency limits, S3 latency and bandwidth,
// orchestration hops, noise), its defaults from DESIGN.md §3, validation, and
// the formulas that are pure functions of the profile (CPU share, visible
// cores, billing, bandwidth at a memory size).
//
// A profile is versioned and read from JSON or YAML (cnav --platform FILE), so
// a user can model another provider, another year's prices, or a measured
// platform without touching code. Named profiles: "aws-lambda" (Default:
// us-east-1 as billed today, INIT billed since 1 August 2025) and
// "paper-2025" (the rule the paper ran under, INIT not billed). Cold-start
// parameters are fitted to the lambda-perf dataset by Calibrate (cnav
// platform calibrate); the functions themselves are fitted by package
// calibrate.
//
// Sources: every default carries its citation in Profile.Sources (printed by
// cnav platform show), knob by knob, with "assumption" where no public
// measurement was found (per-stream S3 bandwidth by memory size, per-packet
// CPU, sandbox set-up, memory pressure, noise magnitudes). Those are the
// numbers a user with an account should replace first.
package platform
