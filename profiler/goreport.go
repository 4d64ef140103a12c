package profiler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// EnvDir names the directory where Go processes of a profiled tree write
// their reports (GoReport). The profiler sets it; StartGoReport reads it.
const EnvDir = "CNAV_PROFILE_DIR"

// GoReport is what a Go process in a profiled tree reports about itself from
// runtime/metrics: what /proc cannot see inside the Go heap.
type GoReport struct {
	PID            int     `json:"pid"`
	AllocBytes     float64 `json:"alloc_bytes"`      // /gc/heap/allocs:bytes
	AllocObjects   float64 `json:"alloc_objects"`    // /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects
	PeakHeapBytes  float64 `json:"peak_heap_bytes"`  // peak of /memory/classes/heap/objects:bytes
	PeakStackBytes float64 `json:"peak_stack_bytes"` // peak of /memory/classes/heap/stacks:bytes (goroutine stacks)
	PeakGoroutines float64 `json:"peak_goroutines"`
	MinorFaults    float64 `json:"minor_faults"` // the process's own (getrusage RUSAGE_SELF)
	// Wrapper is the pipeline data the process moved, when it is a function
	// run through the functions wrapper.
	Wrapper *Wrapper `json:"wrapper,omitempty"`
}

// Wrapper is the functions wrapper's count of pipeline data.
type Wrapper struct {
	BytesIn    int64 `json:"bytes_in"`
	BytesOut   int64 `json:"bytes_out"`
	ObjectsIn  int   `json:"objects_in"`
	ObjectsOut int   `json:"objects_out"`
	Remote     bool  `json:"remote"` // the data moved through S3 (a real network)
}

// goSampleEvery is how often a Go process samples its heap for the peak.
const goSampleEvery = 5 * time.Millisecond

// StartGoReport starts a Go process's self-report when the profiler asked
// for one ($CNAV_PROFILE_DIR set): it samples the live heap and goroutine
// stacks every 5 ms for their peaks. The returned finish writes the report
// with the wrapper's counts (nil when there are none); it is a no-op when no
// report was asked for.
func StartGoReport() (finish func(w *Wrapper) error) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return func(*Wrapper) error { return nil }
	}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/sched/goroutines:goroutines"},
	}
	var mu sync.Mutex
	var peak [3]float64
	sample := func() {
		metrics.Read(samples)
		mu.Lock()
		for i, s := range samples {
			peak[i] = max(peak[i], value(s.Value))
		}
		mu.Unlock()
	}
	sample()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(goSampleEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func(w *Wrapper) error {
		close(stop)
		<-done
		sample()
		totals := []metrics.Sample{
			{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/tiny/allocs:objects"},
		}
		metrics.Read(totals)
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		r := GoReport{
			PID: os.Getpid(), AllocBytes: value(totals[0].Value), AllocObjects: value(totals[1].Value) + value(totals[2].Value),
			PeakHeapBytes: peak[0], PeakStackBytes: peak[1], PeakGoroutines: peak[2], MinorFaults: float64(ru.Minflt), Wrapper: w,
		}
		b, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, fmt.Sprintf("go-%d.json", r.PID))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("profiler: go report: %w", err)
		}
		return nil
	}
}

func value(v metrics.Value) float64 {
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64())
	case metrics.KindFloat64:
		return v.Float64()
	}
	return 0
}

// readGoReports reads every report in dir.
func readGoReports(dir string) ([]GoReport, error) {
	names, err := filepath.Glob(filepath.Join(dir, "go-*.json"))
	if err != nil {
		return nil, err
	}
	var out []GoReport
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var r GoReport
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("profiler: %s: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}
