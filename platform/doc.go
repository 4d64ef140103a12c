// Package platform holds the model of AWS Lambda as data: one Profile with every
// number the simulator uses (memory range, CPU share, prices, cold starts,
// keep-alive, concurrency limits, bandwidth, noise), its defaults from
// DESIGN.md §3 with the source of each, validation, and the formulas that are
// pure functions of the profile (CPU share, billing, bandwidth at a memory size).
//
// A profile is versioned and read from JSON or YAML (cnav --platform FILE), so
// a user can model another provider, another year's prices, or a measured
// platform without touching code. Cold-start parameters are fitted to the
// lambda-perf dataset by Calibrate (cnav platform calibrate).
//
// Sources of the defaults:
//   - memory 128–10,240 MB, CPU = memory/1,769 MB vCPU capped at 6, 1 ms
//     billing, prices: AWS Lambda documentation and pricing page (us-east-1);
//   - init billed for on-demand functions since 1 August 2025: AWS, a switch
//     here (BilledInit), off by default so that results compare with the paper;
//   - cold starts: maxday/lambda-perf, 2026-08-22 (Calibrate);
//   - keep-alive ~10 min: measurements 2019–2022 (Wang et al. ATC'18 and later);
//   - 1,000 concurrent executions per account and scale-up of 1,000
//     environments per function every 10 s: AWS documentation (2023 scaling);
//   - S3 download bandwidth ~157 MiB/s at 128 MB to ~448 MiB/s at 1 GB:
//     third-party measurements, flat above;
//   - noise, interference and drift: the paper §2.2 (cold-start spikes up to
//     213 %, "traffic tide" fluctuations), magnitudes chosen, not measured.
package platform
