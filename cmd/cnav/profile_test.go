package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func TestProfileCommand(t *testing.T) {
	var out, errb bytes.Buffer
	err := runProfile(context.Background(), []string{"--json", "--instructions", "none", "--", "/bin/sh", "-c", "head -c 1000000 /dev/zero > /dev/null"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var doc struct {
		ExitCode int                 `json:"exit_code"`
		Features map[string]*float64 `json:"features"`
		Source   map[string]string   `json:"source"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(doc.Features) != len(featureOrder) {
		t.Fatalf("%d features, want %d", len(doc.Features), len(featureOrder))
	}
	if doc.Features["instructions"] != nil || !strings.HasPrefix(doc.Source["instructions"], "missing") {
		t.Fatalf("instructions without counting: %v (%s)", doc.Features["instructions"], doc.Source["instructions"])
	}
	if io := doc.Features["io_bytes"]; io == nil || *io < 2e6 {
		t.Fatalf("io_bytes %v: head read and wrote 1 MB each", io)
	}
	out.Reset()
	if err := runProfile(context.Background(), []string{"--instructions", "none", "/bin/true"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "context_switches") || !strings.Contains(out.String(), "wall_seconds") {
		t.Fatalf("text output:\n%s", out.String())
	}
	for _, args := range [][]string{{}, {"--json"}, {"--instructions", "lots", "--", "/bin/true"}} {
		err := runProfile(context.Background(), args, &out, &errb)
		if err == nil {
			t.Errorf("profile %v accepted", args)
		}
	}
}
