package main

import (
	"errors"
	"path/filepath"

	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/platform"
)

// defaultModelPath is the committed model trained on the default platform.
var defaultModelPath = filepath.Join("results", "reference", "model.json")

// loadPredictor reads ConfigNavigator's prediction model.
func loadPredictor(path string, plat *platform.Profile) (navigator.Predictor, error) {
	return nil, errors.New("navigator: the prediction model is not available yet")
}
