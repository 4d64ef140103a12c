package experiments

import (
	"sync"

	"github.com/confignav/confignav/calibrate"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
)

// Env is what cells share: the platform, the mode, and caches of things that
// are expensive to build and identical across cells.
type Env struct {
	Platform *platform.Profile
	Mode     Mode
	// Model loads ConfigNavigator's prediction model for a platform; nil
	// leaves ConfigNavigator out.
	Model func(p *platform.Profile) (*model.Model, error)
	// Measured are the measured tables of the measured platform, by function
	// (nil: the measured experiment's cells fail and say so).
	Measured map[string]*fnmodel.Table
	// Calibration are the same measurements with their extra clips, as cnav
	// calibrate reads them (nil: the calibration section is left out).
	Calibration []calibrate.Measurement

	// onMeasured makes every pipeline of this environment table-driven
	// where Measured has a table (the measured copies of cells).
	onMeasured bool
	// tuneOn is Options.TuneOn.
	tuneOn string

	mu    sync.Mutex
	dags  map[string]*pipeline.DAG
	cache map[string]any
}

// NewEnv makes an environment (nil platform: the default profile).
func NewEnv(p *platform.Profile, mode Mode) *Env {
	if p == nil {
		p = platform.Default()
	}
	if mode == "" {
		mode = Quick
	}
	return &Env{Platform: p, Mode: mode, dags: map[string]*pipeline.DAG{}, cache: map[string]any{}}
}

// Pipeline loads a pipeline once.
func (e *Env) Pipeline(name string) (*pipeline.DAG, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.dags[name]; ok {
		return d, nil
	}
	d, err := pipeline.Load(name)
	if err != nil {
		return nil, err
	}
	d = e.adapt(d)
	e.dags[name] = d
	return d, nil
}

// Once computes a value once per key and shares it between cells. make runs
// without the lock held for other keys' sake only at the first call.
func (e *Env) Once(key string, make func() (any, error)) (any, error) {
	e.mu.Lock()
	if v, ok := e.cache[key]; ok {
		e.mu.Unlock()
		return v, nil
	}
	e.mu.Unlock()
	v, err := make()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.cache[key]; ok {
		return old, nil
	}
	e.cache[key] = v
	return v, nil
}

// adapt puts a pipeline on this environment's platform: on the measured one,
// every function with a measured table is timed from it.
func (e *Env) adapt(d *pipeline.DAG) *pipeline.DAG {
	if !e.onMeasured {
		return d
	}
	m, _ := d.WithTables(d.Name, e.Measured)
	return m
}
