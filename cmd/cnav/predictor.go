package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/tuners"

	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

// defaultModelPath is the committed model trained on the default platform.
var defaultModelPath = filepath.Join("results", "reference", "model.json")

// measuredModelPath is the committed model trained on the platform of the
// committed measured tables (--platform measured:results/reference/measured:
// the default profile with the measuring machine's 2 CPUs, measure.Platform).
var measuredModelPath = filepath.Join("results", "reference", "model-measured.json")

// modelHelp describes a --model flag whose default is the reference model.
const modelHelp = "ConfigNavigator's prediction model (cnav model train; default: the committed model trained for --platform, results/reference/model.json or model-measured.json)"

// loadModel reads the prediction model at path, or, for "", the committed
// model trained for plat: a model is valid only on the profile it was
// trained on (model.ErrPlatform), so the default follows --platform. It
// returns the file it read.
func loadModel(path string, plat *platform.Profile) (*model.Model, string, error) {
	if path != "" {
		m, err := model.LoadFile(path, plat)
		return m, path, err
	}
	var other, missing []string
	for _, p := range []string{defaultModelPath, measuredModelPath} {
		m, err := model.LoadFile(p, plat)
		switch {
		case err == nil:
			return m, p, nil
		case errors.Is(err, model.ErrPlatform):
			other = append(other, p)
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, p)
		default:
			return nil, p, err
		}
	}
	if len(other) == 0 {
		return nil, "", fmt.Errorf("no committed prediction model here (%v missing): run from the repository's root or pass --model FILE", missing)
	}
	return nil, "", fmt.Errorf("%w: none of the committed models (%v) was trained for platform %q; train one with cnav model train --platform (the same --platform) --out FILE and pass --model FILE",
		model.ErrPlatform, other, plat.Name)
}

// defaultMeasuredDir holds the committed measured tables.
var defaultMeasuredDir = filepath.Join("results", "reference", "measured")

// loadPredictor reads ConfigNavigator's prediction model (loadModel),
// checked against the platform it will predict for.
func loadPredictor(path string, plat *platform.Profile) (navigator.Predictor, error) {
	m, _, err := loadModel(path, plat)
	if err != nil {
		return nil, err
	}
	return m.Predictor(), nil
}

// newTuner makes the named tuner with what it needs: the ground truth (nil
// live) and, for ConfigNavigator only, its prediction model from modelFile.
func newTuner(name string, orc *oracle.Oracle, modelFile string, plat *platform.Profile) (tuner.Tuner, error) {
	deps := tuners.Deps{Oracle: orc}
	if name == "navigator" {
		var err error
		if deps.Predictor, err = loadPredictor(modelFile, plat); err != nil {
			return nil, err
		}
	}
	return tuners.New(name, deps)
}
