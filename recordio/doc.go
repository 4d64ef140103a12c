// Package recordio writes invocation records (backend.Record) as they stream
// out of a run, to CSV or to Parquet (Apache Arrow), atomically: the file
// appears complete on Close or not at all.
//
// # Arrow schema of the records table
//
//	invocation_id     uint64   REPORT RequestId (unique within a run)
//	request_id        uint64   pipeline request
//	function          utf8     pipeline node / function name
//	node              int32    node index in topological order
//	instance          int32    fan-out instance (0 for plain nodes)
//	start_us          int64    execution start, µs of virtual time
//	duration_us       int64    REPORT Duration, µs
//	billed_ms         int64    REPORT Billed Duration
//	memory_mb         int32    REPORT Memory Size
//	max_memory_mb     int32    REPORT Max Memory Used
//	init_duration_us  int64    REPORT Init Duration, null when warm (nullable)
//	status            utf8     ok, oom, timeout, throttled, error
//	cost_usd          float64  billed duration × memory × price + request fee
//
// The CSV form has the same columns in the same order, with an empty
// init_duration_us when warm.
package recordio
