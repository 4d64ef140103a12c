package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/confignav/confignav/backend"
)

// Report is one Lambda REPORT line: what the Lambda runtime writes to
// CloudWatch Logs at the end of every invocation.
type Report struct {
	AWSRequestID    string  // "RequestId"
	DurationMs      float64 // "Duration": handler time, init excluded
	BilledMs        int64   // "Billed Duration"
	MemoryMB        int32   // "Memory Size"
	MaxMemoryMB     int32   // "Max Memory Used"
	InitMs          float64 // "Init Duration"; 0 when warm
	RestoreMs       float64 // "Restore Duration" (SnapStart); 0 when absent
	BilledRestoreMs int64   // "Billed Restore Duration"
	Status          string  // "Status" (newer runtimes: success, error, timeout); "" when absent
	ErrorType       string  // "Error Type", e.g. Runtime.OutOfMemory
}

// ErrNotReport is returned by ParseReport for a line that is not a REPORT line.
var ErrNotReport = errors.New("live: not a REPORT line")

// FormatReport writes a REPORT line the way the Lambda runtime does: fields
// separated by tabs, the stray space after "Billed Duration", Init Duration
// only on a cold start, Status and Error Type only on a failure, and a
// trailing tab.
func FormatReport(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms \tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.AWSRequestID, r.DurationMs, r.BilledMs, r.MemoryMB, r.MaxMemoryMB)
	if r.InitMs > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", r.InitMs)
	}
	if r.RestoreMs > 0 {
		fmt.Fprintf(&b, "Restore Duration: %.2f ms\tBilled Restore Duration: %d ms\t", r.RestoreMs, r.BilledRestoreMs)
	}
	if r.Status != "" && r.Status != "success" {
		fmt.Fprintf(&b, "Status: %s\t", r.Status)
		if r.ErrorType != "" {
			fmt.Fprintf(&b, "Error Type: %s\t", r.ErrorType)
		}
	}
	return b.String()
}

// ParseReport reads a REPORT line. It takes the text format (tab-separated
// "Key: value unit" fields, tolerating the stray space after "Billed
// Duration", runs of spaces instead of tabs, fields in any order, unknown
// fields, and an XRAY line or other text after a newline in the same
// message) and the JSON format of Lambda's advanced logging controls
// ({"type":"platform.report","record":{...}}). It returns ErrNotReport for
// any other line, and a descriptive error for a REPORT line with a missing or
// malformed required field (RequestId, Duration, Billed Duration, Memory Size).
func ParseReport(line string) (Report, error) {
	s := strings.TrimLeft(line, " \t\r\n")
	if strings.HasPrefix(s, "{") {
		return parseJSONReport(s)
	}
	if !strings.HasPrefix(s, "REPORT ") && !strings.HasPrefix(s, "REPORT\t") {
		return Report{}, ErrNotReport
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] // XRAY TraceId ... follows on its own line
	}
	s = s[len("REPORT "):]
	var r Report
	seen := map[string]bool{}
	for _, field := range splitFields(s) {
		k, v, ok := strings.Cut(field, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		seen[k] = true
		var err error
		switch k {
		case "RequestId":
			r.AWSRequestID = v
			if v == "" {
				err = errors.New("empty")
			}
		case "Duration":
			r.DurationMs, err = msValue(v)
		case "Billed Duration":
			var f float64
			f, err = msValue(v)
			r.BilledMs = int64(math.Round(f))
		case "Memory Size":
			var n int64
			n, err = mbValue(v)
			r.MemoryMB = int32(n)
		case "Max Memory Used":
			var n int64
			n, err = mbValue(v)
			r.MaxMemoryMB = int32(n)
		case "Init Duration":
			r.InitMs, err = msValue(v)
		case "Restore Duration":
			r.RestoreMs, err = msValue(v)
		case "Billed Restore Duration":
			var f float64
			f, err = msValue(v)
			r.BilledRestoreMs = int64(math.Round(f))
		case "Status":
			r.Status = v
		case "Error Type":
			r.ErrorType = v
		}
		if err != nil {
			return Report{}, fmt.Errorf("live: REPORT field %q = %q: %v", k, v, err)
		}
	}
	for _, k := range []string{"RequestId", "Duration", "Billed Duration", "Memory Size"} {
		if !seen[k] {
			return Report{}, fmt.Errorf("live: REPORT line without %q", k)
		}
	}
	return r, nil
}

// splitFields splits the body of a REPORT line at tabs, or where a tab has
// become two or more spaces; a single space belongs to a field ("Billed
// Duration: 13 ms").
func splitFields(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "\t") {
		for {
			i := strings.Index(part, "  ")
			if i < 0 {
				break
			}
			out = append(out, part[:i])
			part = strings.TrimLeft(part[i:], " ")
		}
		if strings.TrimSpace(part) != "" {
			out = append(out, part)
		}
	}
	return out
}

func msValue(v string) (float64, error) {
	num, ok := strings.CutSuffix(v, "ms")
	if !ok {
		return 0, errors.New("want a number of ms")
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, errors.New("want a non-negative number of ms")
	}
	return f, nil
}

func mbValue(v string) (int64, error) {
	num, ok := strings.CutSuffix(v, "MB")
	if !ok {
		return 0, errors.New("want a number of MB")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 32)
	if err != nil || n < 0 {
		return 0, errors.New("want a non-negative whole number of MB")
	}
	return n, nil
}

// parseJSONReport reads the platform.report record of Lambda's JSON log format.
func parseJSONReport(s string) (Report, error) {
	var doc struct {
		Type   string `json:"type"`
		Record struct {
			RequestID string `json:"requestId"`
			Status    string `json:"status"`
			ErrorType string `json:"errorType"`
			Metrics   struct {
				DurationMs       *float64 `json:"durationMs"`
				BilledDurationMs *float64 `json:"billedDurationMs"`
				MemorySizeMB     *int64   `json:"memorySizeMB"`
				MaxMemoryUsedMB  int64    `json:"maxMemoryUsedMB"`
				InitDurationMs   float64  `json:"initDurationMs"`
				RestoreDuration  float64  `json:"restoreDurationMs"`
				BilledRestoreMs  float64  `json:"billedRestoreDurationMs"`
			} `json:"metrics"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(s), &doc); err != nil || doc.Type != "platform.report" {
		return Report{}, ErrNotReport
	}
	m := doc.Record.Metrics
	if doc.Record.RequestID == "" || m.DurationMs == nil || m.BilledDurationMs == nil || m.MemorySizeMB == nil {
		return Report{}, errors.New("live: JSON platform.report without requestId, durationMs, billedDurationMs or memorySizeMB")
	}
	if *m.DurationMs < 0 || *m.BilledDurationMs < 0 || *m.MemorySizeMB < 0 || *m.MemorySizeMB > math.MaxInt32 ||
		m.MaxMemoryUsedMB < 0 || m.MaxMemoryUsedMB > math.MaxInt32 || m.InitDurationMs < 0 || m.RestoreDuration < 0 {
		return Report{}, errors.New("live: JSON platform.report with a negative or out-of-range metric")
	}
	r := Report{
		AWSRequestID: doc.Record.RequestID, DurationMs: *m.DurationMs, BilledMs: int64(math.Round(*m.BilledDurationMs)),
		MemoryMB: int32(*m.MemorySizeMB), MaxMemoryMB: int32(m.MaxMemoryUsedMB), InitMs: m.InitDurationMs,
		RestoreMs: m.RestoreDuration, BilledRestoreMs: int64(math.Round(m.BilledRestoreMs)),
		Status: doc.Record.Status, ErrorType: doc.Record.ErrorType,
	}
	return r, nil
}

// Outcome is the invocation status the report shows: Status and Error Type
// when the runtime wrote them, else OK.
func (r *Report) Outcome() backend.Status {
	switch {
	case r.Status == "timeout" || strings.Contains(r.ErrorType, "Timeout"):
		return backend.Timeout
	case strings.Contains(r.ErrorType, "OutOfMemory"):
		return backend.OOM
	case r.Status == "error" || r.Status == "failure" || r.ErrorType != "":
		// An error with all configured memory used is an out-of-memory kill
		// on runtimes that do not name it.
		if r.MemoryMB > 0 && r.MaxMemoryMB >= r.MemoryMB {
			return backend.OOM
		}
		return backend.Error
	}
	return backend.OK
}

// Line kinds of the log-line contract (see the package documentation).
const (
	requestTag = "CNAV-REQUEST"
	failTag    = "CNAV-FAIL"
	// ContractVersion is the version of the log-line and payload contract.
	ContractVersion = 1
)

// RequestLine is the line every function logs once per invocation, before
// its work: it ties Lambda's RequestId (the REPORT line's) to the pipeline
// request, node and fan-out instance, and gives the handler's start time.
type RequestLine struct {
	Request      string // pipeline request id, "<run token>/<sequence>"
	Node         string // pipeline node name
	Instance     int32  // fan-out instance (0 for plain nodes)
	AWSRequestID string // the invocation's Lambda RequestId
	StartUnixUs  int64  // handler start, Unix microseconds; 0 if unknown
}

// FailLine is logged by whoever sees an invocation fail in a way its own
// REPORT line may not show: the function itself (a handled error) or the
// caller of a throttled or failed successor.
type FailLine struct {
	Request      string
	Node         string
	Instance     int32
	Status       backend.Status // error, oom, timeout or throttled
	AWSRequestID string         // optional
	Reason       string         // free text, the rest of the line
}

// FormatRequestLine formats the contract's request line.
func FormatRequestLine(l RequestLine) string {
	return fmt.Sprintf("%s v=%d request=%s node=%s instance=%d aws_request_id=%s start_us=%d",
		requestTag, ContractVersion, l.Request, l.Node, l.Instance, l.AWSRequestID, l.StartUnixUs)
}

// FormatFailLine formats the contract's failure line.
func FormatFailLine(l FailLine) string {
	s := fmt.Sprintf("%s v=%d request=%s node=%s instance=%d status=%s", failTag, ContractVersion, l.Request, l.Node, l.Instance, l.Status)
	if l.AWSRequestID != "" {
		s += " aws_request_id=" + l.AWSRequestID
	}
	if l.Reason != "" {
		s += " reason=" + strings.Join(strings.Fields(l.Reason), " ")
	}
	return s
}

// ParseRequestLine finds a request line in a log message (anything may come
// before the tag, such as a runtime's timestamp and request id; a JSON log
// message is read from its "message" field). ok is false when the message
// holds none; err reports a malformed one.
func ParseRequestLine(msg string) (l RequestLine, ok bool, err error) {
	kv, ok, err := contractFields(msg, requestTag)
	if !ok || err != nil {
		return l, ok, err
	}
	l.Request, l.Node, l.AWSRequestID = kv["request"], kv["node"], kv["aws_request_id"]
	if l.Request == "" || l.AWSRequestID == "" {
		return l, true, fmt.Errorf("live: %s without request or aws_request_id: %q", requestTag, clip(msg))
	}
	if v := kv["instance"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return l, true, fmt.Errorf("live: %s instance=%q: want a non-negative integer", requestTag, v)
		}
		l.Instance = int32(n)
	}
	if v := kv["start_us"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return l, true, fmt.Errorf("live: %s start_us=%q: want Unix microseconds", requestTag, v)
		}
		l.StartUnixUs = n
	}
	return l, true, nil
}

// ParseFailLine finds a failure line in a log message.
func ParseFailLine(msg string) (l FailLine, ok bool, err error) {
	kv, ok, err := contractFields(msg, failTag)
	if !ok || err != nil {
		return l, ok, err
	}
	l.Request, l.Node, l.AWSRequestID, l.Reason = kv["request"], kv["node"], kv["aws_request_id"], kv["reason"]
	if l.Request == "" || l.Node == "" {
		return l, true, fmt.Errorf("live: %s without request or node: %q", failTag, clip(msg))
	}
	if v := kv["instance"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return l, true, fmt.Errorf("live: %s instance=%q: want a non-negative integer", failTag, v)
		}
		l.Instance = int32(n)
	}
	switch kv["status"] {
	case "oom":
		l.Status = backend.OOM
	case "timeout":
		l.Status = backend.Timeout
	case "throttled":
		l.Status = backend.Throttled
	default:
		l.Status = backend.Error
	}
	return l, true, nil
}

// contractFields reads the key=value fields after tag; "reason" takes the
// rest of the line.
func contractFields(msg, tag string) (map[string]string, bool, error) {
	if strings.HasPrefix(strings.TrimSpace(msg), "{") {
		var j struct {
			Message string `json:"message"`
		}
		if json.Unmarshal([]byte(msg), &j) == nil && j.Message != "" {
			msg = j.Message
		}
	}
	i := strings.Index(msg, tag+" ")
	if i < 0 {
		return nil, false, nil
	}
	rest := msg[i+len(tag)+1:]
	if j := strings.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	kv := map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(rest, "reason=") {
			kv["reason"] = strings.TrimSpace(rest[len("reason="):])
			break
		}
		tok := rest
		if j := strings.IndexAny(rest, " \t"); j >= 0 {
			tok, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		if tok == "" {
			continue
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, true, fmt.Errorf("live: %s field %q is not key=value", tag, tok)
		}
		kv[k] = v
	}
	if v := kv["v"]; v != "" && v != strconv.Itoa(ContractVersion) {
		return nil, true, fmt.Errorf("live: %s contract version %s, this build reads %d", tag, v, ContractVersion)
	}
	return kv, true, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
