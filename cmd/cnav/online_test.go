package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func onlineJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, _, err := cnav(t, append([]string{"online", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

// TestOnlineJSON checks the contract of cnav online --json (issue: windows,
// summary, after_change), determinism, and that the controller only acts
// when it is on.
func TestOnlineJSON(t *testing.T) {
	args := []string{"--pipeline", "face-beautification", "--duration", "8m", "--seed", "4", "--change", "2m:resolution=360p",
		"--config", "decode=1024,judge-resolution=1024,roi=1024,beautify=1024,restore=1024,hd=2048,encode=1024"}
	on := onlineJSON(t, args...)
	again := onlineJSON(t, args...)
	a, _ := json.Marshal(on)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Fatal("same seed, different output")
	}
	ws, ok := on["windows"].([]any)
	if !ok || len(ws) < 8 {
		t.Fatalf("windows %v", on["windows"])
	}
	for _, k := range []string{"start_s", "requests", "mean_ms", "p95_ms", "cost_per_request_usd", "config_version"} {
		if _, ok := ws[0].(map[string]any)[k]; !ok {
			t.Errorf("window field %s missing", k)
		}
	}
	for _, part := range []string{"summary", "after_change"} {
		s, ok := on[part].(map[string]any)
		if !ok {
			t.Fatalf("%s missing", part)
		}
		for _, k := range []string{"mean_ms", "p95_ms", "cost_per_request_usd", "bound_usd", "reconfigurations", "structure_changes"} {
			if _, ok := s[k]; !ok {
				t.Errorf("%s.%s missing", part, k)
			}
		}
	}
	// Far under the bound at 1,024 MB: the controller relaxes the critical path.
	if n := on["summary"].(map[string]any)["reconfigurations"].(float64); n < 1 {
		t.Errorf("controller on: %v reconfigurations", n)
	}
	off := onlineJSON(t, append(args, "--controller", "off")...)
	if n := off["summary"].(map[string]any)["reconfigurations"].(float64); n != 0 {
		t.Errorf("controller off: %v reconfigurations", n)
	}
	// The stationary 0–4 faces of the catalogue are not structure changes.
	if n := off["summary"].(map[string]any)["structure_changes"].(float64); n != 0 {
		t.Errorf("%v structure changes on a stationary face distribution", n)
	}
	for _, bad := range [][]string{
		{"--pipeline", "face-detection", "--controller", "maybe"},
		{"--pipeline", "face-detection", "--config", "decode=64"},
		{"--pipeline", "face-detection", "--bound", "-1"},
		{"--duration", "1m"},
	} {
		if _, _, err := cnav(t, append([]string{"online"}, bad...)...); err == nil || strings.Contains(err.Error(), "panic") {
			t.Errorf("%v: got %v", bad, err)
		}
	}
}

// TestOnlineTuneInputs: --tune-inputs catalogue states the bound against the
// catalogue's minimum cost (lower than the 1080p reference clip's), and a
// missing manifest is an error naming it.
func TestOnlineTuneInputs(t *testing.T) {
	args := []string{"--pipeline", "face-detection", "--duration", "3m", "--seed", "2", "--controller", "off",
		"--config", "decode=2048,face-detect=2048,hd=2048,encode=2048"}
	ref := onlineJSON(t, args...)["summary"].(map[string]any)["bound_usd"].(float64)
	cat := onlineJSON(t, append(args, "--tune-inputs", "catalogue")...)["summary"].(map[string]any)["bound_usd"].(float64)
	if !(cat < ref) {
		t.Errorf("bound tuned on the catalogue $%.3g, on the reference clip $%.3g: want the catalogue's lower", cat, ref)
	}
	_, _, err := cnav(t, append([]string{"online"}, append(args, "--tune-inputs", "/nonexistent/clips.csv")...)...)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/clips.csv") {
		t.Errorf("missing manifest: %v", err)
	}
}
