package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/live/livetest"
	"github.com/confignav/confignav/pipeline"
)

var moto livetest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func cnavLive(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runLive(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// fast are flags that suit a local server answering in milliseconds.
func fast(endpoint, journal string) []string {
	return []string{"--endpoint-url", endpoint, "--region", livetest.Region, "--journal", journal, "--emulate",
		"--poll", "20ms", "--settle", "3s", "--wait-poll", "10ms", "--max-backoff", "40ms"}
}

func deployCLI(t *testing.T, prefix string) (*livetest.Server, *livetest.Deployment, string) {
	t.Helper()
	srv := moto.Need(t)
	livetest.SetEnv(t)
	dag, err := pipeline.Load("face-detection")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dep, err := livetest.Deploy(context.Background(), srv.URL, dag, prefix, 1024, 60, dir)
	if err != nil {
		t.Fatal(err)
	}
	return srv, dep, filepath.Join(dir, "journal.json")
}

func TestLiveTuneRandomEndToEnd(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-tune")
	t0 := time.Now()
	args := append([]string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "random",
		"--bound", "0.3", "--window", "150ms", "--rate", "20", "--c-min-sizes", "512,2048", "--c-min-invocations", "1",
		"--confirm", "200ms", "--json"}, fast(srv.URL, journal)...)
	out, errOut, err := cnavLive(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	t.Logf("live tune took %v", time.Since(t0))
	noSecrets(t, out, errOut)
	var o liveTuneOutput
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if o.Evaluations != 40 || o.Config == nil || !o.Kept || o.CMinSweep == nil || o.Confirm == nil || o.Confirm.Requests == 0 {
		t.Fatalf("output:\n%s", out)
	}
	if !(o.CMin > 0) || o.CBound != 1.3*o.CMin || o.SpentUSD <= o.SearchUSD || o.SpentUSD > o.MaxUSD {
		t.Fatalf("accounting: C_min %v, C_bound %v, search $%v, spent $%v", o.CMin, o.CBound, o.SearchUSD, o.SpentUSD)
	}
	// The tuned configuration is what the server holds, and what the
	// configuration document in S3 says.
	if m := memoryOf(t, srv.URL, dep); !maps.Equal(m, map[string]int(o.Config)) {
		t.Fatalf("server holds %v, tuner chose %v", m, o.Config)
	}
	doc := readDocument(t, srv.URL, dep)
	if doc.Version != o.DocumentVersion || !maps.Equal(doc.Config, o.Config) || doc.Version < 40 {
		t.Fatalf("document %+v, output version %d", doc, o.DocumentVersion)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Fatal("a kept result removes the journal")
	}
}

func readDocument(t *testing.T, endpoint string, dep *livetest.Deployment) live.Document {
	t.Helper()
	cfg, err := live.LoadAWSConfig(context.Background(), live.AWSOptions{Region: livetest.Region, EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	r, err := live.NewClients(cfg).S3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(dep.Binding.Bucket), Key: aws.String(dep.Binding.Key)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var d live.Document
	if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// noSecrets fails when an output shows the fake credentials.
func noSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, s := range []string{livetest.SecretAccessKey, livetest.AccessKeyID, "Signature=", "X-Amz-Security-Token"} {
			if strings.Contains(o, s) {
				t.Fatalf("output shows %q:\n%s", s, o)
			}
		}
	}
}

func memoryOf(t *testing.T, endpoint string, dep *livetest.Deployment) map[string]int {
	t.Helper()
	cfg, err := live.LoadAWSConfig(context.Background(), live.AWSOptions{Region: livetest.Region, EndpointURL: endpoint, MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := live.NewClients(cfg)
	out := map[string]int{}
	for node, fn := range dep.Binding.Functions {
		r, err := c.Lambda.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		out[node] = int(aws.ToInt32(r.MemorySize))
	}
	return out
}

func allAt(mb int, m map[string]int) bool {
	for _, v := range m {
		if v != mb {
			return false
		}
	}
	return len(m) > 0
}

func TestLiveTuneCancelledRestores(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-cancel")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	args := append([]string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "random",
		"--window", "150ms", "--rate", "20", "--c-min", "0.001"}, fast(srv.URL, journal)...)
	err := runLive(ctx, args, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") || !strings.Contains(err.Error(), "the original configuration was restored") {
		t.Fatalf("got %v\n%s", err, errb.String())
	}
	if m := memoryOf(t, srv.URL, dep); !allAt(1024, m) {
		t.Fatalf("after the abort: %v, want every function back at 1024 MB", m)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Fatal("the journal must be gone after a complete restore")
	}
	noSecrets(t, out.String(), errb.String(), err.Error())
}

func TestLiveDeadEndpointThenRestoreCommand(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-dead")
	proxy := livetest.NewFaultProxy(srv.URL)
	time.AfterFunc(1200*time.Millisecond, proxy.Close)
	args := append([]string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "random",
		"--window", "150ms", "--rate", "20", "--c-min", "0.001"}, fast(proxy.URL, journal)...)
	_, errOut, err := cnavLive(t, args...)
	if err == nil || !strings.Contains(err.Error(), "cannot reach "+proxy.URL) || !strings.Contains(err.Error(), "cnav live restore --journal "+journal) {
		t.Fatalf("got %v", err)
	}
	noSecrets(t, errOut, err.Error())
	j, err := os.ReadFile(journal)
	if err != nil {
		t.Fatalf("the journal must be left for cnav live restore: %v", err)
	}
	noSecrets(t, string(j))
	out, _, err := cnavLive(t, "restore", "--journal", journal, "--endpoint-url", srv.URL, "--max-backoff", "40ms")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "restored pipeline face-detection") {
		t.Fatalf("restore output:\n%s", out)
	}
	if m := memoryOf(t, srv.URL, dep); !allAt(1024, m) {
		t.Fatalf("after restore: %v", m)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Fatal("restore removes the journal")
	}
	if _, _, err := cnavLive(t, "restore", "--journal", journal, "--endpoint-url", srv.URL); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("second restore: %v", err)
	}
}

func TestLiveValidateJSON(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-validate")
	args := append([]string{"validate", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--memory", "1024,3008",
		"--n", "4", "--samples", "40", "--functions", "decode,encode", "--json"}, fast(srv.URL, journal)...)
	out, errOut, err := cnavLive(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var o struct {
		Rows []struct {
			Function  string   `json:"function"`
			MemoryMB  int      `json:"memory_mb"`
			N         int      `json:"n"`
			MeanError *float64 `json:"mean_error"`
			KS        *float64 `json:"ks"`
		} `json:"rows"`
		Restored bool `json:"restored"`
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(o.Rows) != 4 || !o.Restored {
		t.Fatalf("%s", out)
	}
	for _, r := range o.Rows {
		// Emulated platform = simulator with another seed: noise only (see
		// the live package's validate test for the tolerance).
		if r.N != 4 || r.MeanError == nil || *r.MeanError > 0.25 || *r.MeanError < -0.25 || r.KS == nil {
			t.Errorf("row %+v", r)
		}
	}
	if m := memoryOf(t, srv.URL, dep); !allAt(1024, m) {
		t.Fatalf("validate must restore the originals: %v", m)
	}
	noSecrets(t, out, errOut)
}

func TestLiveTuneDryRunChangesNothing(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-dry")
	args := append([]string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "random", "--dry-run"}, fast(srv.URL, journal)...)
	out, _, err := cnavLive(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DRY RUN", "cli-dry-decode", "/aws/lambda/cli-dry-encode", "s3://cli-dry-config/face-detection/config.json", "would be measured", "--max-usd"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Fatal("a dry run writes no journal")
	}
}

func TestLiveRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tune", "--binding", "b.yaml", "--pipeline", "face-detection", "--tuner", "exhaustive"}, "cannot run live"},
		{[]string{"tune", "--binding", "b.yaml", "--pipeline", "face-detection", "--tuner", "nope"}, "unknown tuner"},
		{[]string{"tune", "--binding", "b.yaml", "--pipeline", "face-detection", "--tuner", "random", "--bound", "0"}, "--bound"},
		{[]string{"tune", "--pipeline", "face-detection", "--tuner", "random"}, "--binding and --pipeline are required"},
		{[]string{"restore"}, "--journal is required"},
		{[]string{"deploy", "--pipeline", "face-detection"}, "only --dry-run"},
		{[]string{"frobnicate"}, "unknown subcommand"},
	} {
		_, _, err := cnavLive(t, c.args...)
		var u usageError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &u) {
			t.Errorf("%v: got %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
}

func TestLiveDeployDryRun(t *testing.T) {
	out, _, err := cnavLive(t, "deploy", "--dry-run", "--pipeline", "face-detection")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IAM role cnav-face-detection-lambda", "bucket cnav-face-detection-config", "versioning",
		"cnav-face-detection-hd", "aws lambda create-function --function-name cnav-face-detection-encode", "config_document: s3://cnav-face-detection-config/face-detection/config.json",
		"go build -tags lambda.norpc -o bootstrap ./functions/cmd/lambda", "CNAV_FUNCTION=face-detect,"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no real function") {
		t.Errorf("a built-in pipeline's function has no real function:\n%s", out)
	}
}

// ConfigNavigator through the live code path: profiles (SimProfiler), its
// model, and one to three confirmation runs through moto.
func TestLiveTuneNavigatorEndToEnd(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-nav")
	args := append([]string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "navigator",
		"--model", filepath.Join("..", "..", "results", "reference", "model.json"),
		"--bound", "0.3", "--window", "150ms", "--rate", "20", "--c-min", "0.001", "--json"}, fast(srv.URL, journal)...)
	out, errOut, err := cnavLive(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var o liveTuneOutput
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if o.Config == nil || len(o.Config) != 4 {
		t.Fatalf("output:\n%s", out)
	}
	// 4 profiling runs and 1–3 confirmation pipeline runs.
	if o.Evaluations < 5 || o.Evaluations > 7 {
		t.Errorf("%d evaluations, want 5–7:\n%s", o.Evaluations, out)
	}
}
