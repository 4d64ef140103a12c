package main

import (
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

// defaultMeasuredDir holds the committed measured tables.
var defaultMeasuredDir = filepath.Join("results", "reference", "measured")

// loadPredictor reads ConfigNavigator's prediction model, checked against the
// platform it will predict for.
func loadPredictor(path string, plat *platform.Profile) (navigator.Predictor, error) {
	m, err := model.LoadFile(path, plat)
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
