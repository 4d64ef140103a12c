// Package traces turns workloads into request streams for the simulator and
// the live backend: Microsoft Azure Functions production traces (2019 and
// 2021), an embedded synthetic Azure-like generator that needs no download, a
// catalogue of video clips that sets what each request costs, and a Parquet
// cache of all of them.
//
// The paper (§2 and §4.1) drives its pipelines with "input streaming patterns
// simulated using production traces from Microsoft Azure" and 50 five-second
// clips of 360p to 1080p. It says no more about the mapping; we read it as one
// trace function's invocations driving one pipeline's entrance. That is Open
// with a one-function selection (Options.Select "rank:K" or "top:1"); a wider
// selection merges several functions onto the same pipeline, and Streams gives
// one stream per function for one pipeline each.
//
// # Request streams
//
// Open(spec, Options) loads or generates a trace and returns a
// backend.Source: the selected functions' arrivals merged in time order, each
// request carrying a video.Input drawn (seeded) from the catalogue with the
// scheduled changes applied. Specs:
//
//	synthetic[:functions=N,minutes=M,start=S]   the generator below
//	azure2019:PATH[,PATH...]                    Azure 2019 files or directories
//	azure2021:PATH                              the Azure 2021 trace
//	FILE.parquet (or parquet:PATH)              a cache written by this package
//	PATH                                        sniffed: a directory of 2019 files,
//	                                            a Parquet file, or a CSV by header
//
// Poisson(rate, ...) is the plain Poisson stream behind cnav simulate --rate.
// Merge combines any sources in time order (ties to the first listed).
//
// A per-minute trace is streamed minute by minute: the generator keeps one
// cursor per selected function and one minute of state, so memory is
// O(functions) whatever the trace length, and no timestamp list is ever built.
// Within a minute, Options.Within places the minute's c invocations:
//
//	uniform      c independent uniform times (the count is kept exactly)
//	poisson      a Poisson process at rate c per minute (the count varies,
//	             its mean is kept; gaps are exponential across minutes)
//	equidistant  c evenly spaced times at a seeded phase per function
//	             (timers look periodic)
//
// For uniform and poisson the merged stream needs only the minute's total over
// the selected functions (a union of uniform points is uniform, a
// superposition of Poisson processes is Poisson); equidistant merges the
// functions' lattices with a heap. An Azure 2021 trace is streamed in start
// order from its sorted calls.
//
// Options.Scale s multiplies rates. A per-minute count c becomes ⌊cs⌋ plus one
// with probability cs − ⌊cs⌋ (seeded), so the expectation is exactly cs. An
// Azure 2021 call is emitted ⌊s⌋ or ⌈s⌉ times with the same expectation
// (dropped with probability 1 − s when s < 1): once at its start, the copies
// at uniform offsets in the following minute. Options.Duration cuts the stream
// at a time from the trace's start.
//
// # Selection grammar
//
// Options.Select is a comma-separated list of steps applied left to right to
// the set of functions (initially all); the result is kept in trace order:
//
//	all             keep everything (also the meaning of "")
//	top:N           the N busiest (most invocations; ties by trace order)
//	rank:K          the K-th busiest (1 = busiest)
//	rank:A-B        the A-th to B-th busiest
//	trigger:T[|U]   functions with trigger T or U (2019 and synthetic only)
//	sample:N        N functions drawn without replacement (seeded)
//	func:PREFIX     functions whose hash starts with PREFIX
//	app:PREFIX      functions of apps whose hash starts with PREFIX
//
// For example "trigger:http,top:10" is the ten busiest HTTP functions and
// "trigger:timer|queue,sample:5" five random timer or queue functions. top
// and sample keep all functions when fewer are left; a selection that leaves
// none is an error.
//
// # Azure Functions 2019 (Shahrad et al., ATC'20)
//
// Three kinds of CSV file, plain or gzip (a name ending in .gz must be gzip;
// gzip is also recognised by its magic number), told apart by their headers:
//
//	invocations_per_function_md.anon.dNN.csv
//	    HashOwner,HashApp,HashFunction,Trigger,1,...,1440 — invocations per
//	    minute. Any run of consecutive minute columns is accepted (sliced
//	    layouts such as 480,...,959).
//	function_durations_percentiles.anon.dNN.csv
//	    HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,
//	    percentile_Average_{0,1,25,50,75,99,100} — milliseconds.
//	app_memory_percentiles.anon.dNN.csv
//	    HashOwner,HashApp,SampleCount,AverageAllocatedMb,
//	    AverageAllocatedMb_pct{1,5,25,50,75,95,99,100} — per app (raw), or the
//	    same with HashFunction (pre-processed per function; either column
//	    order).
//
// Several files load as one trace. Invocation files named with a day number
// (".dNN.csv") are placed on that day's minute axis and must join without gap
// or overlap; other invocation files are appended in the order given. A
// function absent from a file has no invocations in its minutes. Durations
// and memory rows attach to the functions they describe (per-function memory
// before per-app) and merge over days, count- or sample-weighted. A directory
// stands for the files in it with the dataset's standard names.
//
// # Azure Functions 2021 (Zhang et al., SOSP'21)
//
// app,func,end_timestamp,duration — both in seconds (the dataset's README
// says milliseconds; the data is seconds), rows in any order. A call starts at
// end_timestamp − duration; times are rounded to microseconds and the calls
// sorted by start (ties in file order) on load. The trace has no triggers.
//
// # Bad input
//
// A wrong header, a missing or extra column, a non-numeric, negative or too
// large value, a truncated last line, an empty file, a .gz file that is not
// gzip (or a corrupt gzip stream), and a duration larger than its end
// timestamp are each a *ParseError naming the file, line and column (the
// 1-based field) and wrapping ErrHeader, ErrFields, ErrValue, ErrEmpty or
// ErrCompression. Loading is all or nothing: on any error no trace is
// returned. Blank lines are skipped, CRLF line ends and a UTF-8 byte-order mark
// are accepted, and fields may be wrapped in double quotes (without commas
// inside). Every parser has a fuzz target (go test -fuzz=Fuzz...); the seed
// corpora run with the ordinary tests.
//
// # Synthetic Azure-like generator
//
// Synthesize(SynthParams, seed) writes a per-minute trace with the statistics
// of the 2019 trace, and is what the spec "synthetic" loads (500 functions,
// one day from midnight, unless told otherwise). Each function draws its
// parameters and counts from its own random stream. The defaults and the
// statistic each was fitted to, all measured on the 500-function, 480-minute
// slice of day 1 in ../shared/data/azure2019 unless said otherwise:
//
//	Triggers.Share       trigger mix of the slice: timer 247, http 139, queue
//	                     69, orchestration 25, event 14, storage 5, others 1
//	                     (of 500).
//	Triggers.MedianRate  per trigger, the median over functions of the mean
//	                     rate (invocations/minute): http 0.0667, queue 0.0479,
//	                     orchestration 0.177, event 1.20, storage and others
//	                     0.0365 (pooled, 6 functions).
//	Triggers.Sigma       per trigger, the spread of log-rates from the
//	                     25th–90th percentile span, σ = ln(p90/p25)/1.956:
//	                     http 2.60, queue 4.42, orchestration 2.65, event 3.50,
//	                     storage and others 3.26 (pooled). Rates are
//	                     log-normal, as heavy-tailed as the 2019 paper's
//	                     rates spanning some eight orders of magnitude.
//	TimerPeriods         the modal gap between busy minutes of the slice's
//	                     timers (1 min 28, 5 min 55, 60 min 32, ...; 36 timers
//	                     fired at most once in 8 h: daily) and, for the 18
//	                     timers firing every minute several times, sub-minute
//	                     periods from their per-minute count (2 = 30 s, 6 =
//	                     10 s, 60 = 1 s, ...).
//	TimerIrregular 0.6, TimerSlip 0.2
//	                     the slice's timer inter-arrival CV (75th percentile
//	                     0.16, 90th 0.39) and the overall share of periodic
//	                     functions (CV below 0.1: 0.42; the generator gives
//	                     0.44); 71 of the 211 timers that fired twice or more
//	                     have uneven gaps.
//	RegularShare 0.19    non-timer functions with inter-arrival CV below 0.1
//	                     (40 of 208): outside schedulers calling HTTP or queue
//	                     functions.
//	BurstyShare 0.5, BurstTime 0.005, BurstMinutes 1.5, BurstFactor 1000
//	                     the non-timer inter-arrival CV distribution (25th,
//	                     50th, 75th, 90th percentiles 0.21, 0.95, 1.90, 4.30;
//	                     a grid search over 8 seeds gives 0.34, 0.92, 2.02,
//	                     3.42): rare, short, intense bursts.
//	Dispersion 0         per-minute Gamma noise: the slice's busy functions
//	                     are steady (variance/mean of minute counts mostly
//	                     0.1–5), leaving no room for noise beyond the bursts.
//	DiurnalShare 0.2, DiurnalAmplitude 0.1–0.4, DiurnalPeak 14:00 ± 2 h
//	                     the 10-function full day in ../shared/data: 2 of 10
//	                     functions vary over the day (hourly peak/mean 1.25 and
//	                     a daytime-only queue), the others are flat; the
//	                     8-hour slice cannot show a day's cycle.
//	MaxRate 5000/min     a cap just above the busiest function of the slice
//	                     (3991/min on average) and of the 10-function day.
//
// Every function is invoked at least once (as every function listed in an
// Azure trace was). TestSyntheticMatchesAzure2019 checks rate percentiles,
// trigger mix and inter-arrival CV against the slice.
//
// Stats reports the statistics these were fitted to: functions, invocations,
// minutes covered, trigger mix, percentiles of per-function mean rates, and
// percentiles of per-function inter-arrival CV. For a per-minute trace a
// minute's c arrivals are taken as evenly spread in it, so the CV sees the
// minute-to-minute shape and needs no seed; for Azure 2021 the real start
// times are used.
//
// # Video inputs
//
// A Catalogue lists the clips requests draw from, uniformly or by weight.
// DefaultCatalogue(seed) mimics the paper's 50 clips from Bilibili music
// videos: 5 s each; 360p ×5, 480p ×8, 720p ×15, 1080p ×22 (16:9); 24 fps ×6,
// 25 ×8, 30 ×26, 60 ×10; faces 0 ×8, 1 ×22, 2 ×10, 3 ×6, 4 ×4; motion
// Beta(2.5, 2). The paper gives only the count, length and resolution range;
// the rest is our assumption, stated so it can be changed. The counts are
// exact for every seed; the seed pairs them and draws motion.
//
// LoadCatalogue reads a manifest instead. CSV: a header naming columns in any
// order — resolution (720p or 1280x720) or width and height, fps, seconds,
// motion (0–1), faces, and optionally id, name and weight. JSON: an array of
// objects with the same keys, or {"clips": [...]}. Clip IDs must be unique.
//
// ParseChange("10m:resolution=360p") schedules a change of the input stream
// for the dynamic experiments: from that offset on, requests carry the given
// features (resolution, fps, seconds, motion, faces; "*" returns a feature to
// each clip's own value). Changes apply in time order and accumulate. A
// changed clip gets the ID id + k·span, where k is the number of changes in
// force and span exceeds every catalogue ID, so work cached per clip ID is
// never reused across a change.
//
// # Parquet cache
//
// WriteParquet and ReadParquet (cnav traces import) keep a trace in one
// Parquet file, written with Apache Arrow for Go (pqarrow). Key-value
// metadata: confignav.traces.version ("1"), .kind ("per-minute" or
// "per-invocation"), .source ("azure2019", "azure2021", "synthetic"),
// .first_minute, .minutes, .origin (JSON list of source files), and for
// per-minute files .counts_crc32c (hex CRC-32C of the counts column). Arrow
// schema of a per-minute file, one row per function:
//
//	owner        utf8     not null   HashOwner (synthetic: a random hash)
//	app          utf8     not null   HashApp
//	function     utf8     not null   HashFunction
//	trigger      utf8     not null
//	invocations  int64    not null   total over the trace
//	counts       binary   not null   per-minute counts, run-length encoded:
//	                                 unsigned LEB128 varints, 2c for a minute
//	                                 with c ≥ 1 invocations, 2z+1 for z ≥ 1
//	                                 minutes without; trailing idle minutes
//	                                 implicit
//	duration_count, duration_avg_ms, duration_min_ms, duration_max_ms,
//	duration_p{0,1,25,50,75,99,100}_ms
//	             int64 / float64, nullable; present when some function has
//	             durations
//	memory_samples, memory_avg_mb, memory_p{1,5,25,50,75,95,99,100}_mb,
//	memory_per_app
//	             int64 / float64 / bool, nullable; present when some function
//	             has memory
//
// The counts are a run-length binary column rather than list<uint32>:
// reading a list column of a full day (2,000 functions × 1,440 minutes)
// measured 24 ns a value, slower than parsing the CSV, while the encoded form
// is read at several GB/s and keeps a full 14-day trace small in memory.
//
// A per-invocation file has one row per call, sorted by start_us:
//
//	function_id  int32    not null   index of the function
//	app          utf8     not null   (dictionary encoded)
//	function     utf8     not null   (dictionary encoded)
//	start_us     int64    not null   µs since the trace's origin (delta encoded)
//	duration_us  int64    not null
//
// Both kinds are written uncompressed (the counts are already compact, the
// hashes do not compress, and start times are delta encoded; the files stay
// several times smaller than the CSV) and read with Parquet's column readers
// straight into the trace, without building Arrow arrays: that is what makes
// the cache an order of magnitude faster to load than the CSV it came from.
// The CRC of a per-minute file stands in for decoding every series on load
// (files without one are decoded and checked); a per-invocation file takes a
// function's names from its first call.
//
// Files are written atomically (a temporary file in the same directory,
// synced, then renamed) by WriteParquetFile and WriteFileAtomic.
//
// # Randomness
//
// Every random choice draws from its own stream,
// rand.New(rand.NewPCG(seed, id)), with id derived from a name ("arrivals",
// "scale", "inputs", "select", "synth/fn", ...) and, for per-function streams,
// the function's index. Nothing uses global randomness or the clock: the same
// seed gives the same requests, the same synthetic trace, and byte-identical
// cache files.
package traces
