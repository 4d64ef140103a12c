package main

import (
	"context"
	"encoding/json"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/functions"
)

func TestHandler(t *testing.T) {
	if _, err := handler("nope"); err == nil || !strings.Contains(err.Error(), "unknown function") {
		t.Fatalf("unknown function: %v", err)
	}
	h, err := handler("judge-resolution")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jp, err := functions.EncodeJPEG(image.NewYCbCr(image.Rect(0, 0, 64, 36), image.YCbCrSubsampleRatio420))
	if err != nil {
		t.Fatal(err)
	}
	frames := filepath.Join(dir, "f.tar")
	if err := functions.WriteFrames(frames, 64, 36, 30, [][]byte{jp, jp}); err != nil {
		t.Fatal(err)
	}
	// The event as Lambda delivers it: JSON.
	var ev event
	raw := `{"function": "judge-resolution", "inputs": ["` + frames + `"], "output": "` + filepath.Join(dir, "j.json") + `", "args": {"target": "72"}}`
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	res, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != functions.KindResolution || res.Notes["factor"] != 2 {
		t.Fatalf("result %+v, want a resolution judgement with factor 2 (36 → 72)", res)
	}
	ev.Function = "hd"
	if _, err := h(context.Background(), ev); err == nil {
		t.Fatal("an event for another function was accepted")
	}
}
