package model

import (
	"errors"
	"fmt"
	"os"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/platform"
)

// Predictor adapts a Model to navigator.Predictor, the seam through which
// ConfigNavigator's search reads predictions. A predicted out-of-memory
// failure is reported as navigator.ErrOutOfMemory so that the search treats
// the size as infeasible instead of failing.
func (m *Model) Predictor() navigator.Predictor { return predictor{m} }

type predictor struct{ m *Model }

func (p predictor) Predict(f backend.Features, mb int) (navigator.Prediction, error) {
	d, err := p.m.Predict(f, mb)
	if errors.Is(err, ErrOutOfMemory) {
		return nil, fmt.Errorf("%w: %w", navigator.ErrOutOfMemory, err)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// LoadFile reads a model file written by Save and checks it against plat; the
// error names the file.
func LoadFile(path string, plat *platform.Profile) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	m, err := Load(f, plat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
