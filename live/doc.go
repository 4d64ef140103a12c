// Package live is the Backend on AWS (DESIGN.md §2, §8): the same seam the
// simulator implements in virtual time, built on aws-sdk-go-v2 against
// Lambda, CloudWatch Logs and S3, so that every tuner and the online
// controller run unchanged against a real account or any AWS-compatible
// endpoint (moto in the tests).
//
// # The backend
//
// Open reads every bound function's configuration (GetFunctionConfiguration)
// and the configuration document; it changes nothing. Apply checks every name
// and size first, writes the journal before the first change, then per
// function calls UpdateFunctionConfiguration (memory), waits with the SDK's
// function-updated waiter, reads the size back, and finally writes the next
// version of the configuration document to S3. The document
// ({version, contract, pipeline, config, functions, reason, written}) is what
// each function reads to learn its sub-functions' settings (paper §3.3.3);
// Store adapts it to the online controller's versioned store.
//
// Run invokes the pipeline's entry function(s) once per request at the
// workload's arrival times (wall clock, RequestResponse or Event), reads the
// log groups /aws/lambda/<function> of every pipeline function with
// FilterLogEvents (paginated) while the run goes on, and also reads the log
// tail of RequestResponse invocations (LogType=Tail). It streams one
// backend.Record per invocation in end-time order: a record is released once
// no unseen record can end before it (its end precedes now and the invocation
// time of every unsettled request), so the online controller, which drops
// out-of-order records, can act during a run. A request is settled when every
// exit node reported (a direct invocation: n reports), or it failed, and no
// invocation that logged its request line still lacks its REPORT; requests
// unsettled SettleTimeout after the last Invoke returned count as failed
// (RunDiagnostics.Missing). Record times are microseconds since Open; Start
// is the handler start from the request line (else REPORT time − Duration);
// E2E latency runs from the Invoke call (this machine's clock) to the last
// record's end (AWS's clock): it assumes synchronised clocks. RunStats.Elapsed
// is wall time, which tuners charge to search time. Invoke (backend.Invoker)
// invokes one function n times in parallel with "alone" in the payload.
//
// Cost of a record: the REPORT's Billed Duration (plus Billed Restore
// Duration) × Memory Size × the platform profile's price, plus the request
// fee. Init Duration and Restore Duration both go to Record.InitDuration.
//
// # The log-line contract (version 1)
//
// Functions in functions/ must follow it; the emulator writes exactly this.
//
// Payload. Every invocation's event is a Payload:
//
//	{"cnav": {"v": 1, "request": "<run token>/<seq>", "node": "<node>", "instance": 0,
//	          "alone": false, "config": "s3://bucket/key", "config_version": 3},
//	 "input": {"width": 1920, "height": 1080, "fps": 30, "seconds": 5, "motion": 0.5, "faces": 1, "id": -1},
//	 "clip": "s3://... (optional)"}
//
// A function copies "cnav" into each successor's payload with "node" and
// "instance" set to the successor's (fan-out instances 0..k−1), and invokes
// no successor when "alone" is true.
//
// Request line. Once per invocation, before its work, a function logs one
// line (FormatRequestLine; any prefix such as a runtime's timestamp may come
// before the tag; in the JSON log format it is the "message" field):
//
//	CNAV-REQUEST v=1 request=<run token>/<seq> node=<node> instance=<k> aws_request_id=<Lambda RequestId> start_us=<Unix µs>
//
// The backend joins it with the Lambda runtime's REPORT line of the same log
// group on the RequestId; a REPORT without a request line cannot be
// attributed and is counted, not used (RunDiagnostics.Unattributed).
//
// Failure line. Whoever sees a failure the REPORT may not show logs
// (FormatFailLine): the function for a handled error, or the caller of a
// successor that stayed throttled after its retries (in the caller's group):
//
//	CNAV-FAIL v=1 request=<id> node=<node> instance=<k> status=<error|oom|timeout|throttled> [aws_request_id=<id>] reason=<free text to end of line>
//
// REPORT lines are written by Lambda; ParseReport reads the text format
// (tab-separated "Key: value unit" fields, the stray space after "Billed
// Duration", optional Init Duration, Restore Duration and Billed Restore
// Duration, Status and Error Type on failures, an XRAY line after a newline)
// and the JSON format's platform.report record. Status timeout is a
// timeout; Error Type Runtime.OutOfMemory, or an error with Max Memory Used
// at Memory Size, is out of memory; other errors are errors.
//
// Lines whose request id has another run token belong to other sessions and
// are ignored (Foreign); this backend's lines of earlier runs are Stale.
//
// # Guard rails
//
// Dollar cap: before every Run and Invoke the cost is estimated and the
// measurement is refused (ErrBudget) when spent + estimate would exceed
// Settings.MaxUSD (--max-usd). The estimate per invocation is conservative:
// the longest duration seen at that size (else scaled from the nearest size
// seen: below it as is, since more memory is not slower; above it times the
// memory ratio, the CPU-bound worst case), times Safety (1.5), capped at the
// function's timeout (where Lambda stops billing); before any measurement
// the timeout itself; plus, when init is billed, the longest init seen or
// Lambda's 10 s init limit; fan-out counted on the clip. During a run, no
// further request is sent once the spending passes the cap.
//
// Journal: before the first change a JSON journal (atomic write) records
// every function's original memory and the original document (or its
// absence). Restore puts them back (deleting a document that did not exist)
// and removes the journal; when it cannot, the journal stays and the error
// names `cnav live restore --journal FILE`, which finishes the job from the
// file alone (region and endpoint are in it; flags override). Open refuses
// to start while a journal is at its path. Commit keeps the configuration in
// force on purpose and removes the journal. cnav live tune restores on any
// error or interruption (SIGINT cancels the context; the restore runs on a
// context without cancellation, five minutes at most).
//
// Retries: the SDK's standard retryer (exponential backoff with full jitter,
// MaxAttempts 10, MaxBackoff 20 s, no client-side retry quota so that a
// burst of 429s does not turn into failures) retries throttling (HTTP 429,
// TooManyRequestsException, ThrottlingException), 5xx, connection errors and
// ResourceConflictException. Updater adds its own loop around
// UpdateFunctionConfiguration: on ResourceConflictException it waits for the
// update in progress (function-updated waiter), backs off with full jitter
// and tries again (8 times). A network failure during a run ends it with an
// error naming the endpoint; an Invoke still throttled after all retries
// fails its request (RunStats.Throttled).
//
// Secrets: the SDK's client logging stays off; nothing this package prints
// carries credentials; errors pass through Redact, which removes
// signatures, credentials, session tokens and access key ids.
//
// # Decisions
//
//   - C_min live: there is no ground truth, so cnav live tune takes it from
//     --c-min or measures it: cost is additive over functions, so each
//     function is swept alone over a few sizes (default 128, 256, 512, 1024,
//     1536, 3072 MB; one warm-up then n invocations) and C_min is the sum of
//     fan-out × the lowest mean warm cost among sizes with no failure
//     (MeasureCMin). It is an upper bound of the true minimum when the sweep
//     misses the cheapest size. The exhaustive tuner refuses to run live.
//   - Profile: live mode has no local profiler of the real functions yet;
//     Profile asks Backend.Profiler and fails with ErrNoProfiler without
//     one. cnav live uses SimProfiler (the simulator's profile of the
//     pipeline spec), and the features say so in their Source.
//   - Validation (cnav live validate): per function and size, one warm-up
//     then n invocations one after another, against the simulator's
//     prediction made the same way; warm successful durations only: mean
//     error (measured − predicted)/predicted and the two-sample
//     Kolmogorov–Smirnov distance; cold starts and failures are counted.
//   - Emulated platform (Emulator, --emulate): moto stores functions but
//     runs no code. The emulator wraps the Lambda client: each Invoke goes to
//     the server, then the simulator executes the request at the memory the
//     server holds and the emulator writes the contract, START, END, REPORT
//     and XRAY lines into the server's CloudWatch Logs (timestamps: the
//     Invoke time plus the simulated offsets) and a log tail into the
//     response. Requests are simulated one at a time (no overlap on the
//     simulated platform). With several entry nodes the first one's Invoke
//     emulates the whole request.
package live
