package functions

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reply is one line a worker writes (Serve).
type Reply struct {
	// Ready is set on the first line, after the function's static
	// initialisation; InitMs is how long that took inside the process.
	Ready  bool    `json:"ready,omitempty"`
	InitMs float64 `json:"init_ms,omitempty"`
	Result *Result `json:"result,omitempty"`
	Error  string  `json:"error,omitempty"`
	// PeakRSSKB is the worker's own peak RSS during the request (VmHWM, reset
	// before each request; KiB).
	PeakRSSKB int64 `json:"peak_rss_kb,omitempty"`
}

// Serve is a warm execution environment, as on Lambda: it initialises the
// function once, writes a ready Reply, then reads one JSON Request per line
// from r and answers each with one JSON Reply line on w until r ends. The
// measured platform (package measure) runs one worker per environment.
func Serve(ctx context.Context, name string, r io.Reader, w io.Writer) error {
	enc := json.NewEncoder(w)
	f, err := Lookup(name)
	if err != nil {
		enc.Encode(Reply{Error: err.Error()})
		return err
	}
	start := time.Now()
	if err := f.Init(); err != nil {
		enc.Encode(Reply{Error: err.Error()})
		return fmt.Errorf("functions: %s: init: %w", name, err)
	}
	if err := enc.Encode(Reply{Ready: true, InitMs: ms(time.Since(start))}); err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var req Request
		var rep Reply
		if err := json.Unmarshal([]byte(line), &req); err != nil {
			rep.Error = fmt.Sprintf("functions: bad request line: %v", err)
		} else {
			resetPeakRSS()
			res, err := f.invoke(ctx, req)
			rep.Result, rep.PeakRSSKB = res, PeakRSSKB()
			if err != nil {
				rep.Error = err.Error()
			}
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return sc.Err()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// resetPeakRSS resets the process's VmHWM (Linux: "5" to clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// PeakRSSKB is the process's VmHWM in KiB (0 where /proc is missing).
func PeakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
