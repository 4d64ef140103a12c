package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

// Without --model the committed model trained for --platform is used: the
// default profile's for the default, the measured platform's for
// measured:results/reference/measured, and for any other profile an error
// that says how to train one.
func TestLoadModelFollowsPlatform(t *testing.T) {
	ref := filepath.Join("..", "..", "results", "reference")
	defer func(d, m string) { defaultModelPath, measuredModelPath = d, m }(defaultModelPath, measuredModelPath)
	defaultModelPath, measuredModelPath = filepath.Join(ref, "model.json"), filepath.Join(ref, "model-measured.json")
	measured, err := loadPlatform("measured:" + filepath.Join(ref, "measured"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*platform.Profile{platform.Default(), measured} {
		m, _, err := loadModel("", p)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if name, fp := m.Platform(); name != p.Name || fp != model.Fingerprint(p) {
			t.Errorf("%s: got the model of %s", p.Name, name)
		}
	}
	other, _ := platform.Named("paper-2025")
	_, _, err = loadModel("", other)
	if !errors.Is(err, model.ErrPlatform) || !strings.Contains(err.Error(), "cnav model train --platform") {
		t.Errorf("a profile without a committed model: %v", err)
	}
	if _, _, err := loadModel(defaultModelPath, measured); !errors.Is(err, model.ErrPlatform) {
		t.Errorf("--model of another platform: %v", err)
	}
	defaultModelPath, measuredModelPath = filepath.Join(t.TempDir(), "none.json"), filepath.Join(t.TempDir(), "none.json")
	if _, _, err := loadModel("", platform.Default()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("no committed model files: %v, want an error saying they are missing", err)
	}
	defaultModelPath, measuredModelPath = filepath.Join(ref, "model.json"), filepath.Join(ref, "model-measured.json")
	// model eval --measured compares the tables on the platform they were
	// measured on, whatever --platform says.
	dir := filepath.Join(ref, "measured")
	plain, _, err := cnav(t, "model", "eval", "--measured", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	onMeasured, _, err := cnav(t, "model", "eval", "--measured", dir, "--json", "--platform", "measured:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if plain != onMeasured {
		t.Error("model eval --measured differs between --platform default and measured:DIR")
	}
}
