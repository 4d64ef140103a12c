package backend

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/confignav/confignav/video"
)

// Micros is a time or duration in microseconds. In the simulator it is virtual
// time since the start of a run.
type Micros = int64

// Config maps each function (pipeline node name) to its memory size in MB.
type Config map[string]int

// String formats the configuration as "fn=MB,fn=MB" in name order.
func (c Config) String() string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%d", n, c[n])
	}
	return b.String()
}

// Clone returns an independent copy.
func (c Config) Clone() Config {
	out := make(Config, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

// Request is one pipeline request: when it arrives and the clip it processes.
type Request struct {
	At    Micros
	Input video.Input
}

// Source yields requests in non-decreasing arrival time. Next fills r and
// reports whether there was one. A Source is consumed by one run.
type Source interface {
	Next(r *Request) bool
}

// Workload is what a Backend runs: a request stream, cut off at Duration
// (arrivals at or after it are not admitted; 0 means until the source ends).
// Requests admitted before the cut-off run to completion.
type Workload struct {
	Source   Source
	Duration Micros
}

// Status is the outcome of one invocation.
type Status uint8

const (
	OK        Status = iota
	OOM              // the working set exceeded the configured memory
	Timeout          // the function ran past its timeout
	Throttled        // rejected by a concurrency limit after all retries
	Error            // any other failure (live mode: a function error)
)

var statusNames = [...]string{"ok", "oom", "timeout", "throttled", "error"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", s)
}

// Record is one invocation, with the fields of a Lambda REPORT line plus the
// pipeline request and node it belongs to.
type Record struct {
	InvocationID uint64 // unique within a run; REPORT's RequestId
	RequestID    uint64 // the pipeline request this invocation serves
	Function     string // pipeline node (function) name
	Node         int32  // node index in the pipeline
	Instance     int32  // fan-out instance (0 for plain nodes)
	Start        Micros // when the invocation started (after init, if cold)
	Duration     Micros // execution time, init excluded (REPORT "Duration")
	BilledMs     int64  // REPORT "Billed Duration"
	MemoryMB     int32  // REPORT "Memory Size"
	MaxMemoryMB  int32  // REPORT "Max Memory Used"
	InitDuration Micros // REPORT "Init Duration"; 0 when warm
	Status       Status
	CostUSD      float64 // billed duration × memory × price + request fee
}

// Cold reports whether the invocation started a new execution environment.
func (r *Record) Cold() bool { return r.InitDuration > 0 }

// Sink receives records as they are produced. The record is only valid during
// the call: a sink that keeps it must copy it.
type Sink interface {
	Record(r *Record)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(r *Record)

func (f SinkFunc) Record(r *Record) { f(r) }

// Discard is a Sink that drops every record.
var Discard Sink = SinkFunc(func(*Record) {})

// Features are the basic-operation metrics of one run of a function (the
// paper's Table 2). A metric that could not be measured is NaN, and Source
// says where each one came from.
type Features struct {
	Instructions    float64           `json:"instructions"`
	Branches        float64           `json:"branches"`
	ContextSwitches float64           `json:"context_switches"`
	HeapBytes       float64           `json:"heap_bytes"`
	StackBytes      float64           `json:"stack_bytes"`
	AllocCount      float64           `json:"alloc_count"`
	AllocBytes      float64           `json:"alloc_bytes"`
	PeakMemoryBytes float64           `json:"peak_memory_bytes"`
	BytesSent       float64           `json:"bytes_sent"`
	BytesReceived   float64           `json:"bytes_received"`
	PacketsSent     float64           `json:"packets_sent"`
	PacketsReceived float64           `json:"packets_received"`
	IOBytes         float64           `json:"io_bytes"`
	IOThroughput    float64           `json:"io_bytes_per_second"`
	WallSeconds     float64           `json:"wall_seconds"` // the profiling run's own time, charged to search
	Threads         float64           `json:"threads"`
	Source          map[string]string `json:"source,omitempty"`
}

// Invoker is a Backend that can also invoke one function on its own, n times
// in parallel, with the input its predecessors would produce for a clip (the
// way AWS Lambda Power Tuning measures a function). The function runs at its
// configured memory.
type Invoker interface {
	Invoke(ctx context.Context, function string, n int, in video.Input, sink Sink) (RunStats, error)
}

// PayloadInvoker is an Invoker that can invoke one function on several
// clips at once: one request per clip, each of n invocations, all in
// parallel and in one run, so that records of different clips carry
// different request ids, ascending in the order of the clips (AWS Lambda
// Power Tuning's weighted payloads, with equal weights).
type PayloadInvoker interface {
	InvokeEach(ctx context.Context, function string, n int, ins []video.Input, sink Sink) (RunStats, error)
}

// RunStats summarises one Run.
type RunStats struct {
	Requests    int64
	Completed   int64
	Failed      int64
	Invocations int64
	ColdStarts  int64
	Throttled   int64 // invocation attempts rejected by a concurrency limit
	CostUSD     float64
	MBms        float64
	Events      int64
	E2E         Latency // end-to-end latency of completed requests
	// Elapsed is how long the run took on the backend's clock: virtual time in
	// the simulator, wall time live. Tuners charge it to search time.
	Elapsed Micros
}

// Latency summarises end-to-end latencies in milliseconds (NaN when there
// were none).
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Backend is a platform that runs pipelines.
type Backend interface {
	// Apply sets the memory of the named functions. Functions not named keep
	// their memory. New invocations see the change; as on Lambda, a memory
	// change retires the function's warm environments.
	Apply(ctx context.Context, c Config) error
	// Config returns the configuration in force.
	Config() Config
	// Run drives the workload through the pipeline and streams every
	// invocation's record to sink.
	Run(ctx context.Context, w Workload, sink Sink) (RunStats, error)
	// Profile runs the function once on the given input and reports its
	// basic-operation features.
	Profile(ctx context.Context, function string, in video.Input) (Features, error)
}
