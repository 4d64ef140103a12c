package live

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/hist"
	"github.com/confignav/confignav/video"
)

// Payload is the event every pipeline function receives (the contract's
// payload half): the envelope that ties its logs to the pipeline request,
// the clip's features and, optionally, where the clip is.
type Payload struct {
	CNav  Envelope    `json:"cnav"`
	Input video.Input `json:"input"`
	Clip  string      `json:"clip,omitempty"`
}

// Envelope is the part of the payload a function copies into its
// successors' payloads (changing Node and Instance).
type Envelope struct {
	V             int    `json:"v"`
	Request       string `json:"request"` // "<run token>/<sequence>"
	Node          string `json:"node"`
	Instance      int32  `json:"instance"`
	Alone         bool   `json:"alone,omitempty"` // invoked on its own: do not invoke successors
	Config        string `json:"config"`          // s3:// URI of the configuration document
	ConfigVersion int    `json:"config_version"`  // the version in force when the request started
}

// RunDiagnostics describe what the last Run or Invoke read from the logs.
type RunDiagnostics struct {
	LogEvents    int64    `json:"log_events"`
	Reports      int64    `json:"reports"`
	TailReports  int64    `json:"tail_reports"` // REPORT lines taken from LogType=Tail
	Unattributed int64    `json:"unattributed"` // REPORT lines of this window without a request line
	Foreign      int64    `json:"foreign"`      // contract lines of other sessions
	Stale        int64    `json:"stale"`        // this session's lines of earlier runs
	Malformed    int64    `json:"malformed"`    // lines that looked like REPORT or contract lines but did not parse
	Missing      int64    `json:"missing"`      // requests without complete logs by the settle timeout
	Examples     []string `json:"examples,omitempty"`
}

// Diagnostics are those of the last Run or Invoke.
func (b *Backend) Diagnostics() RunDiagnostics {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// maxUnboundedRequests bounds a workload without a duration.
const maxUnboundedRequests = 100000

// Run invokes the pipeline's entry function(s) once per request at the
// workload's arrival times (wall clock), reads the REPORT and contract lines
// of every pipeline function from CloudWatch Logs while it runs (and from the
// Invoke response's log tail), and streams one record per invocation to sink
// in end-time order. It refuses to start when the conservative cost estimate
// would exceed the cap. Start times are microseconds since Open.
func (b *Backend) Run(ctx context.Context, w backend.Workload, sink backend.Sink) (backend.RunStats, error) {
	if w.Source == nil {
		return backend.RunStats{}, errors.New("live: workload has no request source")
	}
	var arrivals []int64
	var r backend.Request
	for w.Source.Next(&r) {
		if w.Duration > 0 && r.At >= w.Duration {
			break
		}
		if n := len(arrivals); n > 0 && r.At < arrivals[n-1] {
			return backend.RunStats{}, fmt.Errorf("live: request source is not time-sorted: %d µs after %d µs", r.At, arrivals[n-1])
		}
		if len(arrivals) == maxUnboundedRequests {
			return backend.RunStats{}, fmt.Errorf("live: workload of more than %d requests: give it a duration", maxUnboundedRequests)
		}
		arrivals = append(arrivals, max(r.At, 0))
	}
	est := float64(len(arrivals)) * b.RequestUSD()
	if err := b.charge(fmt.Sprintf("a run of %d requests", len(arrivals)), est); err != nil {
		return backend.RunStats{}, err
	}
	s := b.newSession(sink)
	entries := b.dag.Entries()
	for _, at := range arrivals {
		q := s.newRequest(at)
		for _, e := range entries {
			q.calls = append(q.calls, call{node: b.dag.Nodes[e].Name})
		}
	}
	return s.run(ctx)
}

// Invoke invokes one function n times in parallel, on its own (the payload
// says alone: it must not invoke its successors), and streams the n records.
// It implements backend.Invoker.
func (b *Backend) Invoke(ctx context.Context, function string, n int, in video.Input, sink backend.Sink) (backend.RunStats, error) {
	if _, ok := b.dag.Lookup(function); !ok {
		return backend.RunStats{}, fmt.Errorf("live: unknown function %q (pipeline %s has %v)", function, b.dag.Name, b.dag.Names())
	}
	if n < 1 {
		return backend.RunStats{}, fmt.Errorf("live: invoke %q: %d invocations, want at least 1", function, n)
	}
	if err := in.Validate(); err != nil {
		return backend.RunStats{}, fmt.Errorf("live: invoke %q: %w", function, err)
	}
	if err := b.charge(fmt.Sprintf("%d invocations of %s", n, function), b.InvokeUSD(function, n)); err != nil {
		return backend.RunStats{}, err
	}
	s := b.newSession(sink)
	s.input = in
	q := s.newRequest(0)
	q.alone, q.aloneN = function, n
	for k := 0; k < n; k++ {
		q.calls = append(q.calls, call{node: function, instance: int32(k)})
	}
	return s.run(ctx)
}

// call is one Invoke of a request.
type call struct {
	node     string
	instance int32
}

// request is one pipeline request of a session.
type request struct {
	seq      uint64
	id       string
	at       int64        // planned arrival, µs since the session start
	invoked  atomic.Int64 // µs since Open of the first Invoke; 0 before
	calls    []call
	pending  int // calls not yet returned
	callErrs int // calls that returned an error: no invocation to wait for
	skipped  bool
	alone    string
	aloneN   int
	failed   bool
	open     int // request lines without their REPORT
	ok       map[string]int
	failures int
	end      int64
	settled  bool
}

// half is one invocation seen in the logs, joined on (node, RequestId).
type half struct {
	node     string
	req      *RequestLine
	rep      *Report
	repEndUs int64 // Unix µs of the REPORT (event time, or the Invoke's return for a tail)
	done     bool
	other    bool // its request line belongs to another session or run
}

type callResult struct {
	q        *request
	call     call
	awsID    string
	tail     string
	funcErr  string
	err      error
	returned time.Time
}

// session is the state of one Run or Invoke.
type session struct {
	b        *Backend
	sink     backend.Sink
	input    video.Input
	invType  string
	start    time.Time
	reqs     []*request
	byID     map[string]*request
	halves   map[string]*half
	seen     map[string]bool
	buf      []backend.Record
	stats    backend.RunStats
	e2e      hist.Histogram
	diag     RunDiagnostics
	stopping atomic.Bool
}

func (b *Backend) newSession(sink backend.Sink) *session {
	if sink == nil {
		sink = backend.Discard
	}
	return &session{b: b, sink: sink, input: b.set.Input, invType: b.set.InvocationType,
		byID: map[string]*request{}, halves: map[string]*half{}, seen: map[string]bool{}}
}

func (s *session) newRequest(at int64) *request {
	s.b.mu.Lock()
	s.b.seq++
	seq := s.b.seq
	s.b.mu.Unlock()
	q := &request{seq: seq, id: s.b.token + "/" + strconv.FormatUint(seq, 10), at: at, ok: map[string]int{}}
	s.reqs = append(s.reqs, q)
	s.byID[q.id] = q
	return q
}

// run dispatches the requests and collects their logs until every request
// settled or the settle timeout passed.
func (s *session) run(ctx context.Context) (backend.RunStats, error) {
	b := s.b
	s.start = time.Now()
	calls := 0
	for _, q := range s.reqs {
		q.pending = len(q.calls)
		calls += len(q.calls)
	}
	results := make(chan callResult, calls)
	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go s.dispatch(dctx, &wg, results)
	defer func() {
		cancel()
		wg.Wait()
	}()
	ticker := time.NewTicker(b.set.PollInterval)
	defer ticker.Stop()
	returned := 0
	var lastReturn time.Time
	var runErr error
	poll := func() error {
		if err := s.poll(ctx); err != nil {
			return err
		}
		s.settle()
		s.emit(false)
		if b.SpentUSD() > b.set.MaxUSD && !s.stopping.Swap(true) {
			runErr = fmt.Errorf("%w: $%.6f spent, the cap is $%.6f (--max-usd); no further requests were sent", ErrBudget, b.SpentUSD(), b.set.MaxUSD)
		}
		return nil
	}
loop:
	for {
		select {
		case <-ctx.Done():
			return s.finish(), fmt.Errorf("live: run cancelled after %.1f s: %w", time.Since(s.start).Seconds(), ctx.Err())
		case r := <-results:
			returned++
			if err := s.handle(r); err != nil {
				s.stopping.Store(true)
				return s.finish(), err
			}
			if returned == calls {
				lastReturn = time.Now()
				if err := poll(); err != nil {
					return s.finish(), err
				}
				if s.allSettled() {
					break loop
				}
			}
		case <-ticker.C:
			if err := poll(); err != nil {
				return s.finish(), err
			}
			if returned == calls {
				if s.allSettled() {
					break loop
				}
				if time.Since(lastReturn) > b.set.SettleTimeout {
					s.giveUp()
					break loop
				}
			}
		}
	}
	st := s.finish()
	if runErr == nil && s.diag.Missing > 0 && s.diag.LogEvents == 0 && s.diag.TailReports == 0 {
		// Nothing was measured: without this the run would look like one
		// whose requests all failed, and a tuner would go on spending.
		runErr = fmt.Errorf("%w: %d requests were sent, and no log event arrived from %s within the settle timeout of %v; "+
			"the functions must print the REPORT and contract lines (live/README.md), and a server that runs no code needs --emulate",
			ErrNoLogs, s.diag.Missing, strings.Join(s.logGroups(), ", "), b.set.SettleTimeout)
	}
	return st, runErr
}

// ErrNoLogs is returned by a Run or Invoke whose measurement window received
// no log events at all.
var ErrNoLogs = errors.New("live: the measurement window received no log events")

// logGroups lists the log groups a session reads.
func (s *session) logGroups() []string {
	var out []string
	for _, n := range s.b.dag.Names() {
		out = append(out, s.b.bind.LogGroup(n))
	}
	return out
}

// dispatch sends each request's Invoke calls at its arrival time.
func (s *session) dispatch(ctx context.Context, wg *sync.WaitGroup, results chan<- callResult) {
	defer wg.Done()
	sem := make(chan struct{}, s.b.set.MaxInFlight)
	var inner sync.WaitGroup
	defer inner.Wait()
	for _, q := range s.reqs {
		if err := sleep(ctx, time.Until(s.start.Add(time.Duration(q.at)*time.Microsecond))); err != nil || s.stopping.Load() {
			// Never sent: the run was cancelled or reached the cap.
			err := err
			if err == nil {
				err = ErrBudget
			}
			for _, c := range q.calls {
				results <- callResult{q: q, call: c, err: errSkipped{err}, returned: time.Now()}
			}
			continue
		}
		q.invoked.Store(s.b.Now())
		for _, c := range q.calls {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results <- callResult{q: q, call: c, err: errSkipped{ctx.Err()}, returned: time.Now()}
				continue
			}
			inner.Add(1)
			go func(q *request, c call) {
				defer inner.Done()
				defer func() { <-sem }()
				results <- s.invoke(ctx, q, c)
			}(q, c)
		}
	}
}

// errSkipped marks a call that was never sent.
type errSkipped struct{ err error }

func (e errSkipped) Error() string { return "not sent: " + e.err.Error() }
func (e errSkipped) Unwrap() error { return e.err }

// invoke sends one Invoke.
func (s *session) invoke(ctx context.Context, q *request, c call) callResult {
	b := s.b
	b.mu.Lock()
	ver := b.docVer
	b.mu.Unlock()
	p := Payload{CNav: Envelope{V: ContractVersion, Request: q.id, Node: c.node, Instance: c.instance, Alone: q.alone != "",
		Config: "s3://" + b.bind.Bucket + "/" + b.bind.Key, ConfigVersion: ver}, Input: s.input, Clip: b.set.ClipURI}
	payload, _ := json.Marshal(p)
	in := &lambda.InvokeInput{FunctionName: aws.String(b.bind.Functions[c.node]), Payload: payload,
		InvocationType: lambdatypes.InvocationType(s.invType)}
	if s.invType == string(lambdatypes.InvocationTypeRequestResponse) {
		in.LogType = lambdatypes.LogTypeTail
	}
	out, err := b.c.Lambda.Invoke(ctx, in)
	r := callResult{q: q, call: c, err: err, returned: time.Now()}
	if err != nil {
		return r
	}
	r.awsID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	r.funcErr = aws.ToString(out.FunctionError)
	if out.LogResult != nil {
		if t, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
			r.tail = string(t)
		}
	}
	return r
}

// handle takes one call's result. Network failures end the run; API errors
// (throttling after all retries, a function error) fail the request.
func (s *session) handle(r callResult) error {
	q := r.q
	q.pending--
	if r.err != nil {
		q.callErrs++
		var skip errSkipped
		if errors.As(r.err, &skip) {
			if q.invoked.Load() == 0 {
				q.skipped = true
			}
			q.failed = true
			return nil
		}
		var ne net.Error
		var oe *net.OpError
		if errors.As(r.err, &oe) || (errors.As(r.err, &ne) && ne.Timeout()) {
			return explain(r.err, s.b.c.Endpoint, "invoke "+r.call.node)
		}
		if errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded) {
			q.failed = true
			return nil
		}
		code := errorCode(r.err)
		if code == "TooManyRequestsException" || code == "ThrottlingException" {
			s.stats.Throttled++
		}
		s.note(fmt.Sprintf("invoke %s for %s: %v", r.call.node, q.id, Redact(r.err)))
		q.failed = true
		return nil
	}
	if r.funcErr != "" {
		q.failed = true
	}
	if r.tail != "" {
		endUs := r.returned.UnixMicro()
		for _, line := range strings.Split(r.tail, "\n") {
			if s.line(r.call.node, line, endUs, true) {
				s.diag.TailReports++
			}
		}
	}
	return nil
}

// poll reads every function's log group from the oldest unsettled request on.
func (s *session) poll(ctx context.Context) error {
	b := s.b
	from := s.start
	for _, q := range s.reqs {
		if !q.settled {
			if t := q.invoked.Load(); t > 0 {
				from = b.origin.Add(time.Duration(t) * time.Microsecond)
			} else {
				from = s.start.Add(time.Duration(q.at) * time.Microsecond)
			}
			break
		}
	}
	startMs := from.Add(-b.set.ClockSkew).UnixMilli()
	for _, node := range b.dag.Names() {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(b.bind.LogGroup(node)), StartTime: aws.Int64(startMs)}
		if b.set.LogPageSize > 0 {
			in.Limit = aws.Int32(b.set.LogPageSize)
		}
		pages := cloudwatchlogs.NewFilterLogEventsPaginator(b.c.Logs, in)
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				var nf *cwtypes.ResourceNotFoundException
				if errors.As(err, &nf) || errorCode(err) == "ResourceNotFoundException" {
					break // the function has not logged yet
				}
				if ctx.Err() != nil {
					return fmt.Errorf("live: run cancelled: %w", ctx.Err())
				}
				return explain(err, b.c.Endpoint, "read the logs of "+node)
			}
			for _, ev := range out.Events {
				id := aws.ToString(ev.EventId)
				if id == "" {
					id = fmt.Sprintf("%s/%s/%d/%s", node, aws.ToString(ev.LogStreamName), aws.ToInt64(ev.Timestamp), aws.ToString(ev.Message))
				} else {
					id = node + "/" + id
				}
				if s.seen[id] {
					continue
				}
				s.seen[id] = true
				s.diag.LogEvents++
				s.stats.Events++
				s.line(node, aws.ToString(ev.Message), aws.ToInt64(ev.Timestamp)*1000, false)
			}
		}
	}
	return nil
}

// line takes one log line of node's group written at Unix µs tsUs. It reports
// whether the line was a new REPORT.
func (s *session) line(node, msg string, tsUs int64, tail bool) bool {
	if strings.Contains(msg, "REPORT") || strings.Contains(msg, "platform.report") {
		rep, err := ParseReport(msg)
		switch {
		case err == nil:
			h := s.half(node, rep.AWSRequestID)
			if h.rep != nil {
				return false // seen in the tail and again in CloudWatch
			}
			h.rep, h.repEndUs = &rep, tsUs
			s.diag.Reports++
			s.attach(h)
			return true
		case !errors.Is(err, ErrNotReport):
			s.diag.Malformed++
			s.note(err.Error())
			return false
		}
	}
	if l, ok, err := ParseRequestLine(msg); ok {
		if err != nil {
			s.diag.Malformed++
			s.note(err.Error())
			return false
		}
		h := s.half(node, l.AWSRequestID)
		if !s.ours(l.Request) {
			h.other = true
			return false
		}
		if h.req == nil {
			h.req = &l
			if h.rep == nil {
				if q := s.byID[l.Request]; q != nil {
					q.open++
				}
			}
			s.attach(h)
		}
		return false
	}
	if l, ok, err := ParseFailLine(msg); ok {
		if err != nil {
			s.diag.Malformed++
			s.note(err.Error())
			return false
		}
		if !s.ours(l.Request) || tail {
			return false
		}
		if q := s.byID[l.Request]; q != nil {
			q.failed = true
			if l.Status == backend.Throttled {
				s.stats.Throttled++
			}
			if q.alone != "" {
				q.failures++
			}
		}
	}
	return false
}

// ours reports whether a contract line belongs to this session, counting
// those of other sessions and of this backend's earlier runs.
func (s *session) ours(id string) bool {
	if s.byID[id] != nil {
		return true
	}
	if strings.HasPrefix(id, s.b.token+"/") {
		s.diag.Stale++
	} else {
		s.diag.Foreign++
	}
	return false
}

func (s *session) half(node, awsID string) *half {
	k := node + "\x00" + awsID
	h := s.halves[k]
	if h == nil {
		h = &half{node: node}
		s.halves[k] = h
	}
	return h
}

// attach turns a complete half into a record of its request.
func (s *session) attach(h *half) {
	if h.done || h.req == nil || h.rep == nil {
		return
	}
	h.done = true
	q := s.byID[h.req.Request]
	if q == nil {
		return
	}
	if q.open > 0 {
		q.open--
	}
	b := s.b
	rep := h.rep
	dur := int64(math.Round(rep.DurationMs * 1000))
	var startUs int64
	switch {
	case h.req.StartUnixUs > 0:
		startUs = h.req.StartUnixUs
	default:
		startUs = h.repEndUs - dur
	}
	rec := backend.Record{
		InvocationID: invocationID(rep.AWSRequestID), RequestID: q.seq, Function: h.node, Node: b.nodeIndex(h.node),
		Instance: h.req.Instance, Start: startUs - b.origin.UnixMicro(), Duration: dur, BilledMs: rep.BilledMs + rep.BilledRestoreMs,
		MemoryMB: rep.MemoryMB, MaxMemoryMB: rep.MaxMemoryMB, InitDuration: int64(math.Round((rep.InitMs + rep.RestoreMs) * 1000)),
		Status: rep.Outcome(),
	}
	rec.CostUSD = b.plat.Cost(rec.BilledMs, int(rec.MemoryMB))
	s.stats.Invocations++
	if rec.Cold() {
		s.stats.ColdStarts++
	}
	s.stats.CostUSD += rec.CostUSD
	s.stats.MBms += float64(rec.BilledMs) * float64(rec.MemoryMB)
	b.mu.Lock()
	b.spent += rec.CostUSD
	b.est.observe(&rec)
	b.mu.Unlock()
	if rec.Status == backend.OK {
		q.ok[h.node]++
	} else {
		q.failed = true
		q.failures++
	}
	q.end = max(q.end, rec.Start+rec.Duration)
	s.buf = append(s.buf, rec)
}

// settle closes the requests whose logs are complete: every exit node (the
// named function, n times, for a direct invocation) reported, or the request
// failed, and no invocation that logged its request line is still missing
// its REPORT.
func (s *session) settle() {
	for _, q := range s.reqs {
		if q.settled || q.pending > 0 || q.open > 0 {
			continue
		}
		done := false
		switch {
		case q.alone != "":
			done = q.ok[q.alone]+q.failures+q.callErrs >= q.aloneN
		case q.failed:
			done = true
		default:
			done = true
			for _, x := range s.b.dag.Exits() {
				if q.ok[s.b.dag.Nodes[x].Name] == 0 {
					done = false
					break
				}
			}
		}
		if done {
			s.close(q)
		}
	}
}

func (s *session) close(q *request) {
	q.settled = true
	if q.skipped {
		return
	}
	s.stats.Requests++
	if q.failed {
		s.stats.Failed++
		return
	}
	s.stats.Completed++
	if t := q.invoked.Load(); t > 0 && q.end > 0 {
		s.e2e.Add(float64(max(q.end-t, 0)))
	}
}

// giveUp fails the requests still incomplete at the settle timeout.
func (s *session) giveUp() {
	for _, q := range s.reqs {
		if !q.settled {
			s.diag.Missing++
			q.failed = true
			s.close(q)
		}
	}
	s.note(fmt.Sprintf("%d requests had incomplete logs after the settle timeout of %v", s.diag.Missing, s.b.set.SettleTimeout))
}

func (s *session) allSettled() bool {
	for _, q := range s.reqs {
		if !q.settled {
			return false
		}
	}
	return true
}

// emit streams the buffered records that can no longer be preceded by an
// unseen one (end before the invocation time of every unsettled request and
// before now), in end-time order; final flushes everything.
func (s *session) emit(final bool) {
	if len(s.buf) == 0 {
		return
	}
	mark := int64(math.MaxInt64)
	if !final {
		mark = s.b.Now()
		for _, q := range s.reqs {
			if q.settled {
				continue
			}
			t := q.invoked.Load()
			if t == 0 {
				t = s.start.Sub(s.b.origin).Microseconds() + q.at
			}
			mark = min(mark, t)
		}
	}
	sort.SliceStable(s.buf, func(i, j int) bool {
		ei, ej := s.buf[i].Start+s.buf[i].Duration, s.buf[j].Start+s.buf[j].Duration
		if ei != ej {
			return ei < ej
		}
		return s.buf[i].InvocationID < s.buf[j].InvocationID
	})
	n := 0
	for n < len(s.buf) && s.buf[n].Start+s.buf[n].Duration <= mark {
		rec := s.buf[n]
		s.sink.Record(&rec)
		n++
	}
	s.buf = append(s.buf[:0], s.buf[n:]...)
}

// finish flushes the records and completes the statistics.
func (s *session) finish() backend.RunStats {
	for _, h := range s.halves {
		if h.rep != nil && h.req == nil && !h.other {
			s.diag.Unattributed++
		}
	}
	for _, q := range s.reqs {
		if !q.settled && q.invoked.Load() > 0 {
			s.stats.Requests++
			s.stats.Failed++
			q.settled = true
		}
	}
	s.emit(true)
	s.stats.Elapsed = time.Since(s.start).Microseconds()
	s.stats.E2E = backend.Latency{Mean: s.e2e.Mean() / 1000, P50: s.e2e.Quantile(0.5) / 1000, P95: s.e2e.Quantile(0.95) / 1000,
		P99: s.e2e.Quantile(0.99) / 1000, Max: s.e2e.Max() / 1000}
	s.b.mu.Lock()
	s.b.last = s.diag
	s.b.mu.Unlock()
	return s.stats
}

func (s *session) note(msg string) {
	if len(s.diag.Examples) < 5 {
		s.diag.Examples = append(s.diag.Examples, RedactString(msg))
	}
}

// invocationID maps Lambda's RequestId to the record's numeric id.
func invocationID(awsID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(awsID))
	return h.Sum64()
}
