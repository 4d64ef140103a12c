package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/live/livetest"
)

// closedEndpoint is a loopback URL where nothing listens.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func writeJournal(t *testing.T, dir string, mb int, endpoint string) string {
	t.Helper()
	j := live.Journal{Version: live.JournalVersion, Pipeline: "face-detection", Region: livetest.Region, EndpointURL: endpoint,
		Functions: []live.JournalFunction{{Node: "decode", Function: "x-decode", MemoryMB: mb}},
		Document:  live.JournalDocument{Bucket: "b", Key: "k"}}
	b, _ := json.Marshal(j)
	p := filepath.Join(dir, "journal.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLiveRangeChecks: live paths refuse memory and timeouts Lambda does
// not accept, naming the value and the range.
func TestLiveRangeChecks(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "--dry-run", "--pipeline", "face-detection", "--memory", "0"}, "memory 0 MB is out of range: valid sizes are 128–10240 MB"},
		{[]string{"deploy", "--dry-run", "--pipeline", "face-detection", "--memory", "99999"}, "memory 99999 MB is out of range"},
		{[]string{"deploy", "--dry-run", "--pipeline", "face-detection", "--timeout", "99999"}, "--timeout 99999 s is out of range: Lambda accepts 1–900 s"},
		{[]string{"deploy", "--dry-run", "--pipeline", "face-detection", "--timeout", "0"}, "--timeout 0 s is out of range"},
	} {
		out, _, err := cnavLive(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error containing %q", c.args, err, exitCode(err), c.want)
		}
		if strings.Contains(out, "--memory-size") {
			t.Errorf("%v printed a plan", c.args)
		}
	}
	livetest.SetEnv(t)
	journal := writeJournal(t, t.TempDir(), 99999, closedEndpoint(t))
	_, _, err := cnavLive(t, "restore", "--journal", journal)
	if err == nil || !strings.Contains(err.Error(), "memory 99999 MB is out of range: valid sizes are 128–10240 MB") {
		t.Errorf("restore of a 99,999 MB journal: %v", err)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Error("a refused journal must be kept")
	}
}

// TestLiveRestoreClosedEndpointFailsFast: a refused connection is not
// retried for a minute (it took 57 s with 10 attempts and 20 s backoff).
func TestLiveRestoreClosedEndpointFailsFast(t *testing.T) {
	livetest.SetEnv(t)
	journal := writeJournal(t, t.TempDir(), 1024, closedEndpoint(t))
	start := time.Now()
	_, _, err := cnavLive(t, "restore", "--journal", journal, "--max-attempts", "10", "--max-backoff", "20s")
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
	if took > 5*time.Second {
		t.Errorf("restore against a closed endpoint took %v, want a few seconds at most", took)
	}
}

// TestLiveNoCredentials: an empty AWS chain is one line saying so and what
// to set, not the SDK's IMDS chatter.
func TestLiveNoCredentials(t *testing.T) {
	livetest.SetEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	journal := writeJournal(t, t.TempDir(), 1024, closedEndpoint(t))
	_, stderr, err := cnavLive(t, "restore", "--journal", journal)
	if err == nil {
		t.Fatal("no error without credentials")
	}
	msg := err.Error()
	for _, want := range []string{"no AWS credentials", "AWS_PROFILE", "AWS_ACCESS_KEY_ID"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "IMDS") || strings.Contains(stderr, "IMDS") {
		t.Errorf("not one clear line:\n%s\nstderr: %s", msg, stderr)
	}
}

// TestLiveTuneNoLogsFails: against a server that runs no code and without
// --emulate no log line ever arrives; live tune must fail (it once spent $0,
// measured nothing and exited 0) and restore the originals.
func TestLiveTuneNoLogsFails(t *testing.T) {
	srv, dep, journal := deployCLI(t, "cli-nologs")
	args := []string{"tune", "--binding", dep.BindingPath, "--pipeline", "face-detection", "--tuner", "random",
		"--window", "150ms", "--rate", "20", "--c-min", "0.001",
		"--endpoint-url", srv.URL, "--region", livetest.Region, "--journal", journal,
		"--poll", "20ms", "--settle", "500ms", "--wait-poll", "10ms", "--max-backoff", "40ms"}
	_, errOut, err := cnavLive(t, args...)
	if err == nil || !strings.Contains(err.Error(), "received no log events") || !strings.Contains(err.Error(), "--emulate") {
		t.Fatalf("got %v\n%s", err, errOut)
	}
	if !strings.Contains(err.Error(), "the original configuration was restored") {
		t.Errorf("no restore: %v", err)
	}
	if m := memoryOf(t, srv.URL, dep); !allAt(1024, m) {
		t.Fatalf("after the failure: %v, want every function back at 1024 MB", m)
	}
}
