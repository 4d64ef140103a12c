package live_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/pipeline"
)

func TestParseReport(t *testing.T) {
	const id = "3604209a-e9a3-11e6-939a-754dd98c7be3"
	cases := []struct {
		name string
		line string
		want live.Report
		st   backend.Status
	}{
		{"warm, stray space after Billed Duration", "REPORT RequestId: " + id + "\tDuration: 12.34 ms\tBilled Duration: 13 ms \tMemory Size: 128 MB\tMax Memory Used: 18 MB\t",
			live.Report{AWSRequestID: id, DurationMs: 12.34, BilledMs: 13, MemoryMB: 128, MaxMemoryMB: 18}, backend.OK},
		{"cold with XRAY line", "REPORT RequestId: " + id + "\tDuration: 170.19 ms\tBilled Duration: 171 ms\tMemory Size: 1024 MB\tMax Memory Used: 73 MB\tInit Duration: 173.65 ms\t\nXRAY TraceId: 1-5e34a66a-474xmpl7c2534a87870b4370\tSegmentId: 073cxmpl3e442861\tSampled: true",
			live.Report{AWSRequestID: id, DurationMs: 170.19, BilledMs: 171, MemoryMB: 1024, MaxMemoryMB: 73, InitMs: 173.65}, backend.OK},
		{"SnapStart restore", "REPORT RequestId: " + id + "\tDuration: 5.00 ms\tBilled Duration: 6 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 310.45 ms\tBilled Restore Duration: 145 ms\t",
			live.Report{AWSRequestID: id, DurationMs: 5, BilledMs: 6, MemoryMB: 512, MaxMemoryMB: 90, RestoreMs: 310.45, BilledRestoreMs: 145}, backend.OK},
		{"spaces instead of tabs", "REPORT RequestId: " + id + "  Duration: 1.50 ms  Billed Duration: 2 ms  Memory Size: 128 MB  Max Memory Used: 30 MB",
			live.Report{AWSRequestID: id, DurationMs: 1.5, BilledMs: 2, MemoryMB: 128, MaxMemoryMB: 30}, backend.OK},
		{"timeout", "REPORT RequestId: " + id + "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout",
			live.Report{AWSRequestID: id, DurationMs: 3000, BilledMs: 3000, MemoryMB: 128, MaxMemoryMB: 40, Status: "timeout"}, backend.Timeout},
		{"out of memory", "REPORT RequestId: " + id + "\tDuration: 812.00 ms\tBilled Duration: 813 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory",
			live.Report{AWSRequestID: id, DurationMs: 812, BilledMs: 813, MemoryMB: 128, MaxMemoryMB: 128, Status: "error", ErrorType: "Runtime.OutOfMemory"}, backend.OOM},
		{"error at the memory limit is OOM", "REPORT RequestId: " + id + "\tDuration: 8.00 ms\tBilled Duration: 8 ms\tMemory Size: 256 MB\tMax Memory Used: 256 MB\tStatus: error",
			live.Report{AWSRequestID: id, DurationMs: 8, BilledMs: 8, MemoryMB: 256, MaxMemoryMB: 256, Status: "error"}, backend.OOM},
		{"JSON log format", `{"time":"2024-01-01T00:00:00.000Z","type":"platform.report","record":{"requestId":"` + id + `","metrics":{"durationMs":20.5,"billedDurationMs":21,"memorySizeMB":256,"maxMemoryUsedMB":64,"initDurationMs":150.25},"status":"success"}}`,
			live.Report{AWSRequestID: id, DurationMs: 20.5, BilledMs: 21, MemoryMB: 256, MaxMemoryMB: 64, InitMs: 150.25, Status: "success"}, backend.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := live.ParseReport(c.line)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if s := got.Outcome(); s != c.st {
				t.Fatalf("outcome %v, want %v", s, c.st)
			}
		})
	}
}

func TestParseReportRejects(t *testing.T) {
	for _, line := range []string{"START RequestId: x Version: $LATEST", "END RequestId: x", "XRAY TraceId: 1-2-3", "hello", "", `{"type":"platform.start"}`} {
		if _, err := live.ParseReport(line); !errors.Is(err, live.ErrNotReport) {
			t.Errorf("%q: got %v, want ErrNotReport", line, err)
		}
	}
	for _, line := range []string{
		"REPORT RequestId: x\tBilled Duration: 1 ms\tMemory Size: 128 MB",                        // no Duration
		"REPORT RequestId: x\tDuration: fast\tBilled Duration: 1 ms\tMemory Size: 128 MB",        // not a number
		"REPORT RequestId: x\tDuration: -1.0 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB",     // negative
		"REPORT RequestId: x\tDuration: 1.0 ms\tBilled Duration: 1 ms\tMemory Size: 1.5 MB",      // fractional MB
		`{"type":"platform.report","record":{"requestId":"x","metrics":{"billedDurationMs":1}}}`, // missing metrics
	} {
		if _, err := live.ParseReport(line); err == nil || errors.Is(err, live.ErrNotReport) {
			t.Errorf("%q: got %v, want a field error", line, err)
		}
	}
}

func TestFormatReportRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		r := live.Report{AWSRequestID: fmt.Sprintf("id-%d", i), DurationMs: float64(rng.IntN(1e7)) / 100,
			BilledMs: rng.Int64N(1e6), MemoryMB: int32(128 + rng.IntN(10112)), MaxMemoryMB: int32(rng.IntN(10240))}
		if rng.IntN(3) == 0 {
			r.InitMs = float64(1+rng.IntN(1e6)) / 100
		}
		if rng.IntN(5) == 0 {
			r.Status, r.ErrorType = "error", "Runtime.OutOfMemory"
		}
		got, err := live.ParseReport(live.FormatReport(r))
		if err != nil || got != r {
			t.Fatalf("round trip of %+v: got %+v, %v", r, got, err)
		}
	}
}

func TestContractLines(t *testing.T) {
	l := live.RequestLine{Request: "k3x9/17", Node: "face-detect", Instance: 2, AWSRequestID: "abc-123", StartUnixUs: 1700000000123456}
	for _, msg := range []string{
		live.FormatRequestLine(l),
		"2024-01-01T00:00:00.000Z\tabc-123\tINFO\t" + live.FormatRequestLine(l), // Node/Python runtime prefix
		`{"timestamp":"2024-01-01T00:00:00Z","level":"INFO","message":"` + live.FormatRequestLine(l) + `"}`,
	} {
		got, ok, err := live.ParseRequestLine(msg)
		if !ok || err != nil || got != l {
			t.Fatalf("%q: got %+v %v %v", msg, got, ok, err)
		}
	}
	f := live.FailLine{Request: "k3x9/17", Node: "hd", Instance: 0, Status: backend.Throttled, Reason: "rate exceeded\tafter 5 retries"}
	got, ok, err := live.ParseFailLine(live.FormatFailLine(f))
	if !ok || err != nil || got.Status != backend.Throttled || got.Reason != "rate exceeded after 5 retries" || got.Node != "hd" {
		t.Fatalf("fail line: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := live.ParseRequestLine("START RequestId: x"); ok {
		t.Fatal("a START line is not a request line")
	}
	if _, ok, err := live.ParseRequestLine("CNAV-REQUEST v=1 request=a/1 node=x instance=-3 aws_request_id=q"); !ok || err == nil {
		t.Fatal("negative instance must be an error")
	}
	if _, ok, err := live.ParseRequestLine("CNAV-REQUEST v=9 request=a/1 node=x aws_request_id=q"); !ok || err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("unknown contract version must be an error, got %v", err)
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add("REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms \tMemory Size: 128 MB\tMax Memory Used: 1 MB\t")
	f.Add("REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tInit Duration: 2.00 ms\t\nXRAY TraceId: x")
	f.Add(`{"type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":1,"billedDurationMs":1,"memorySizeMB":128}}}`)
	f.Add("CNAV-REQUEST v=1 request=a/1 node=x instance=0 aws_request_id=q start_us=5")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := live.ParseReport(line)
		if err == nil {
			if r.AWSRequestID == "" || r.DurationMs < 0 || r.MemoryMB < 0 || r.BilledMs < 0 {
				t.Fatalf("accepted an invalid report %+v from %q", r, line)
			}
			r.Outcome()
		}
		live.ParseRequestLine(line)
		live.ParseFailLine(line)
	})
}

func ExampleFormatReport() {
	fmt.Printf("%q\n", live.FormatReport(live.Report{AWSRequestID: "c793869b-ee49-115b-a5b6-4fd21e8dedac", DurationMs: 170.19, BilledMs: 171,
		MemoryMB: 128, MaxMemoryMB: 73, InitMs: 173.65}))
	fmt.Println(live.FormatRequestLine(live.RequestLine{Request: "k3x9/17", Node: "decode", AWSRequestID: "c793869b-ee49-115b-a5b6-4fd21e8dedac", StartUnixUs: 1700000000123456}))
	// Output:
	// "REPORT RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac\tDuration: 170.19 ms\tBilled Duration: 171 ms \tMemory Size: 128 MB\tMax Memory Used: 73 MB\tInit Duration: 173.65 ms\t"
	// CNAV-REQUEST v=1 request=k3x9/17 node=decode instance=0 aws_request_id=c793869b-ee49-115b-a5b6-4fd21e8dedac start_us=1700000000123456
}

func TestKSDistanceAgainstNaive(t *testing.T) {
	naive := func(a, b []float64) float64 {
		var d float64
		for _, v := range append(append([]float64(nil), a...), b...) {
			fa, fb := 0.0, 0.0
			for _, x := range a {
				if x <= v {
					fa++
				}
			}
			for _, x := range b {
				if x <= v {
					fb++
				}
			}
			d = math.Max(d, math.Abs(fa/float64(len(a))-fb/float64(len(b))))
		}
		return d
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		a := make([]float64, 1+rng.IntN(20))
		b := make([]float64, 1+rng.IntN(20))
		for k := range a {
			a[k] = float64(rng.IntN(10)) // ties on purpose
		}
		for k := range b {
			b[k] = float64(rng.IntN(10)) + rng.Float64()*float64(i%2)
		}
		if got, want := live.KSDistance(a, b), naive(a, b); math.Abs(got-want) > 1e-12 {
			sort.Float64s(a)
			sort.Float64s(b)
			t.Fatalf("KS(%v, %v) = %v, naive %v", a, b, got, want)
		}
	}
	if !math.IsNaN(live.KSDistance(nil, []float64{1})) {
		t.Fatal("KS of an empty sample must be NaN")
	}
}

func TestBinding(t *testing.T) {
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	good := "pipeline: face-detection\nconfig_document: s3://b/k/config.json\nfunctions:\n  decode: d\n  face-detect: arn:aws:lambda:us-east-1:123456789012:function:fd\n  hd: h\n  encode: 123456789012:function:enc\n"
	b, err := live.ParseBinding([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(dag); err != nil {
		t.Fatal(err)
	}
	if b.Bucket != "b" || b.Key != "k/config.json" || b.InvocationType != "RequestResponse" {
		t.Fatalf("parsed %+v", b)
	}
	if g := b.LogGroup("face-detect"); g != "/aws/lambda/fd" {
		t.Fatalf("log group of an ARN: %s", g)
	}
	if g := b.LogGroup("encode"); g != "/aws/lambda/enc" {
		t.Fatalf("log group of a partial ARN: %s", g)
	}
	for _, c := range []struct{ doc, want string }{
		{"config_document: s3://b/k\nfunctions: {decode: d}\nfunction_timeout: 3\n", "unknown field"},
		{"config_document: http://b/k\nfunctions: {decode: d}\n", "want s3://BUCKET/KEY"},
		{"config_document: s3://b/k\nfunctions: {decode: 'arn:aws:s3:::x'}\n", "not a Lambda function ARN"},
		{"config_document: s3://b/k\nfunctions: {decode: d}\ninvocation_type: DryRun\n", "RequestResponse or Event"},
		{"config_document: s3://b/k\n", "functions is empty"},
	} {
		if _, err := live.ParseBinding([]byte(c.doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.doc, err, c.want)
		}
	}
	partial, _ := live.ParseBinding([]byte("pipeline: autoclip\nconfig_document: s3://b/k\nfunctions: {decode: d, hd: d, bogus: x}\n"))
	err = partial.Check(dag)
	for _, want := range []string{`binds pipeline "autoclip"`, `node "encode" has no function`, "bogus", "share function d"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check: %v, want it to mention %q", err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	in := "GET /x?X-Amz-Credential=AKIAABCDEFGHIJKLMNOP%2F20240101&X-Amz-Signature=deadbeef01 Authorization: AWS4-HMAC-SHA256 Credential=x, Signature=abc123\nX-Amz-Security-Token: FQoGZXIvYXdzEJr aws_secret_access_key = s3cr3t"
	out := live.RedactString(in)
	for _, secret := range []string{"AKIAABCDEFGHIJKLMNOP", "deadbeef01", "abc123", "FQoGZXIvYXdzEJr", "s3cr3t", "AWS4-HMAC-SHA256 Credential"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q survived redaction: %s", secret, out)
		}
	}
	err := live.Redact(fmt.Errorf("wrapped: %w", errors.New("token X-Amz-Security-Token=abc")))
	if strings.Contains(err.Error(), "abc") || errors.Unwrap(err) == nil {
		t.Fatalf("Redact: %v", err)
	}
}
