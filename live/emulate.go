package live

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// EmulatorLogs is what the emulator needs of CloudWatch Logs.
type EmulatorLogs interface {
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// Emulator is an emulated platform for AWS-compatible servers that do not
// run function code (moto): it wraps the Lambda client so that each Invoke
// goes to the server as usual and then the simulator executes the
// invocation and writes what real functions and the Lambda runtime would
// have logged (contract lines, START, END, REPORT and XRAY lines) into the
// server's CloudWatch Logs, and a log tail into the Invoke response. The live
// backend then reads them through the real API, exactly as on AWS.
//
// Memory sizes are read from the server (GetFunctionConfiguration) before
// the first invocation and again after every update that goes through the
// wrapped client, so the emulated functions run at the configuration the
// server really holds. Requests are simulated one at a time: the
// simulator's clock is advanced to the wall-clock time of each request (so
// keep-alive and cold starts follow real time), but requests that would
// overlap on Lambda run back to back in the simulator.
type Emulator struct {
	mu     sync.Mutex
	sim    *sim.Sim
	dag    *pipeline.DAG
	bind   *Binding
	next   LambdaAPI
	logs   EmulatorLogs
	nodes  map[string]string // function name → node
	origin time.Time
	stream map[string]string // log group → stream
	seq    uint64
	memory backend.Config // read from the server; nil after an update
}

// NewEmulator makes an emulator of a pipeline bound to functions on an
// AWS-compatible server. next is the server's Lambda client, logs its
// CloudWatch Logs client.
func NewEmulator(plat *platform.Profile, dag *pipeline.DAG, bind *Binding, seed uint64, next LambdaAPI, logs EmulatorLogs) (*Emulator, error) {
	if err := bind.Check(dag); err != nil {
		return nil, err
	}
	s, err := sim.New(plat, dag, seed)
	if err != nil {
		return nil, err
	}
	e := &Emulator{sim: s, dag: dag, bind: bind, next: next, logs: logs, nodes: map[string]string{},
		origin: time.Now(), stream: map[string]string{}}
	for node, fn := range bind.Functions {
		e.nodes[FunctionName(fn)] = node
	}
	return e, nil
}

// Lambda is the wrapped Lambda client to give the live backend.
func (e *Emulator) Lambda() LambdaAPI { return emulated{e} }

type emulated struct{ e *Emulator }

func (w emulated) GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return w.e.next.GetFunctionConfiguration(ctx, in, opts...)
}

func (w emulated) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	out, err := w.e.next.UpdateFunctionConfiguration(ctx, in, opts...)
	w.e.mu.Lock()
	w.e.memory = nil // read the sizes from the server again before the next invocation
	w.e.mu.Unlock()
	return out, err
}

func (w emulated) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return w.e.invoke(ctx, in, opts...)
}

// logLine is one log event to write.
type logLine struct {
	ts  time.Time
	msg string
}

func (e *Emulator) invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	out, err := e.next.Invoke(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	var p Payload
	if json.Unmarshal(in.Payload, &p) != nil || p.CNav.Request == "" {
		return out, nil // not a pipeline request: nothing to emulate
	}
	node, ok := e.nodes[FunctionName(aws.ToString(in.FunctionName))]
	if !ok {
		return out, nil
	}
	awsID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if awsID == "" {
		awsID = fakeRequestID(p.CNav.Request, node, p.CNav.Instance, "invoke")
	}
	called := time.Now()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.memory == nil {
		cfg := backend.Config{}
		for _, n := range e.dag.Names() {
			c, err := e.next.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(e.bind.Functions[n])})
			if err != nil {
				return nil, fmt.Errorf("live: emulator: read the memory of %s: %w", n, err)
			}
			cfg[n] = int(aws.ToInt32(c.MemorySize))
		}
		e.memory = cfg
	}
	if err := e.sim.Apply(ctx, e.memory); err != nil {
		return nil, fmt.Errorf("live: emulator: %w", err)
	}
	var recs []backend.Record
	sink := backend.SinkFunc(func(r *backend.Record) { recs = append(recs, *r) })
	var vArrival int64
	if p.CNav.Alone {
		vArrival = e.sim.Now()
		if _, err := e.sim.Invoke(ctx, node, 1, p.Input, sink); err != nil {
			return nil, fmt.Errorf("live: emulator: %w", err)
		}
	} else {
		if node != e.dag.Nodes[e.dag.Entries()[0]].Name {
			return out, nil // the pipeline was emulated with its first entry
		}
		at := max(0, time.Since(e.origin).Microseconds()-e.sim.Now())
		vArrival = e.sim.Now() + at
		if _, err := e.sim.Run(ctx, backend.Workload{Source: &single{at: at, in: p.Input}}, sink); err != nil {
			return nil, fmt.Errorf("live: emulator: %w", err)
		}
	}
	wall := func(v int64) time.Time { return called.Add(time.Duration(v-vArrival) * time.Microsecond) }

	lines := map[string][]logLine{}
	var tail []string
	var tailFailed bool
	for i := range recs {
		r := &recs[i]
		group := e.bind.LogGroup(r.Function)
		inst := r.Instance
		id := fakeRequestID(p.CNav.Request, r.Function, inst, "")
		mine := r.Function == node && (p.CNav.Alone || inst == 0)
		if p.CNav.Alone {
			inst = p.CNav.Instance
		}
		if mine {
			id = awsID
		}
		if r.Status == backend.Throttled {
			// The caller saw the 429s and logs the failure.
			lines[group] = append(lines[group], logLine{wall(r.Start), FormatFailLine(FailLine{Request: p.CNav.Request, Node: r.Function,
				Instance: inst, Status: backend.Throttled, Reason: "rate exceeded after all retries"})})
			continue
		}
		start, end := wall(r.Start), wall(r.Start+r.Duration)
		rep := Report{AWSRequestID: id, DurationMs: float64(r.Duration) / 1000, BilledMs: r.BilledMs, MemoryMB: r.MemoryMB,
			MaxMemoryMB: r.MaxMemoryMB, InitMs: float64(r.InitDuration) / 1000}
		switch r.Status {
		case backend.OOM:
			rep.Status, rep.ErrorType = "error", "Runtime.OutOfMemory"
		case backend.Timeout:
			rep.Status = "timeout"
		case backend.Error:
			rep.Status, rep.ErrorType = "error", "Runtime.ExitError"
		}
		e.seq++
		ev := []logLine{
			{start, "START RequestId: " + id + " Version: $LATEST"},
			{start, FormatRequestLine(RequestLine{Request: p.CNav.Request, Node: r.Function, Instance: inst, AWSRequestID: id, StartUnixUs: start.UnixMicro()})},
			{end, "END RequestId: " + id},
			{end, FormatReport(rep) + fmt.Sprintf("\nXRAY TraceId: 1-%08x-%024x\tSegmentId: %016x\tSampled: true", called.Unix(), e.seq, invocationID(id))},
		}
		lines[group] = append(lines[group], ev...)
		if mine {
			for _, l := range ev {
				tail = append(tail, l.msg)
			}
			tailFailed = r.Status != backend.OK
		}
	}
	for _, group := range sortedKeys(lines) {
		if err := e.put(ctx, group, lines[group]); err != nil {
			return nil, err
		}
	}
	if len(tail) > 0 && in.LogType == lambdatypes.LogTypeTail && in.InvocationType != lambdatypes.InvocationTypeEvent {
		t := strings.Join(tail, "\n") + "\n"
		if len(t) > 4096 { // Lambda returns the last 4 KB
			t = t[len(t)-4096:]
		}
		out.LogResult = aws.String(base64.StdEncoding.EncodeToString([]byte(t)))
	}
	if tailFailed && in.InvocationType != lambdatypes.InvocationTypeEvent {
		out.FunctionError = aws.String("Unhandled")
	}
	return out, nil
}

// put writes log events to a group, creating the group and a stream first.
func (e *Emulator) put(ctx context.Context, group string, lines []logLine) error {
	stream, ok := e.stream[group]
	if !ok {
		_, err := e.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
		var exists *cwtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) && errorCode(err) != "ResourceAlreadyExistsException" {
			return fmt.Errorf("live: emulator: create log group %s: %w", group, err)
		}
		stream = e.origin.UTC().Format("2006/01/02") + "/[$LATEST]" + fmt.Sprintf("%016x", invocationID(group+e.origin.String()))
		_, err = e.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
		if err != nil && !errors.As(err, &exists) && errorCode(err) != "ResourceAlreadyExistsException" {
			return fmt.Errorf("live: emulator: create log stream in %s: %w", group, err)
		}
		e.stream[group] = stream
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ts.Before(lines[j].ts) })
	evs := make([]cwtypes.InputLogEvent, len(lines))
	for i, l := range lines {
		evs[i] = cwtypes.InputLogEvent{Timestamp: aws.Int64(l.ts.UnixMilli()), Message: aws.String(l.msg)}
	}
	if _, err := e.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs}); err != nil {
		return fmt.Errorf("live: emulator: put log events to %s: %w", group, err)
	}
	return nil
}

// single is a source of one request.
type single struct {
	at   int64
	in   video.Input
	done bool
}

func (s *single) Next(r *backend.Request) bool {
	if s.done {
		return false
	}
	s.done = true
	r.At, r.Input = s.at, s.in
	return true
}

// fakeRequestID makes a UUID-shaped Lambda RequestId for an emulated
// invocation the backend did not invoke itself.
func fakeRequestID(request, node string, instance int32, salt string) string {
	h1, h2 := fnv.New64a(), fnv.New64a()
	fmt.Fprintf(h1, "%s|%s|%d|%s", request, node, instance, salt)
	fmt.Fprintf(h2, "%s|%d|%s|%s", node, instance, request, salt)
	a, b := h1.Sum64(), h2.Sum64()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, b>>52, b&0xffffffffffff)
}

// SimProfiler answers Profile from a simulator of the pipeline spec, for
// live sessions without a local profiler of the real functions. The
// features say where they came from.
type SimProfiler struct{ Sim *sim.Sim }

// Profile implements Profiler.
func (p SimProfiler) Profile(ctx context.Context, function string, in video.Input) (backend.Features, error) {
	f, err := p.Sim.Profile(ctx, function, in)
	if err != nil {
		return f, err
	}
	f.Source = map[string]string{"*": "simulated from the pipeline spec (live mode has no local profiler of the real function)"}
	return f, nil
}
