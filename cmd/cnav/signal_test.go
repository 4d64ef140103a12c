package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess runs cnav's main with CNAV_HELPER_ARGS (tab-separated)
// when re-executed by a test; otherwise it is skipped.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("CNAV_HELPER_ARGS")
	if args == "" {
		t.Skip("helper process")
	}
	os.Args = append([]string{"cnav"}, strings.Split(args, "\t")...)
	main()
}

func startCnav(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "CNAV_HELPER_ARGS="+strings.Join(args, "\t"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

func waitFor(cmd *exec.Cmd, d time.Duration) (error, bool) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

// TestSIGTERMStopsLongRun: a long simulation stops within seconds of
// SIGTERM, with an error saying it was cancelled.
func TestSIGTERMStopsLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	cmd, stderr := startCnav(t, "simulate", "--pipeline", "face-detection", "--memory-all", "2048", "--rate", "5000", "--duration", "1h")
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err, exited := waitFor(cmd, 10*time.Second)
	if !exited {
		cmd.Process.Kill()
		t.Fatal("still running 10 s after SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "cancelled") {
		t.Errorf("exit %v, stderr %q", err, stderr.String())
	}
}

// TestSIGTERMStopsTraceGeneration: generating a large synthetic trace does
// not look at the context (it once ignored SIGTERM for 53 s); the command
// still ends within seconds.
func TestSIGTERMStopsTraceGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	cmd, stderr := startCnav(t, "simulate", "--pipeline", "face-detection", "--memory-all", "2048", "--duration", "10m",
		"--workload", "synthetic:functions=300000,minutes=1440")
	time.Sleep(1 * time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	if _, exited := waitFor(cmd, 5*time.Second); !exited {
		cmd.Process.Kill()
		t.Fatalf("still running 5 s after SIGTERM; stderr %q", stderr.String())
	}
	if !strings.Contains(stderr.String(), "cancelled") {
		t.Errorf("stderr %q", stderr.String())
	}
}
