package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/platform"
)

// Errors of the package.
var (
	// ErrUntrained: a model without trained networks (a zero Model, or a file
	// that holds none).
	ErrUntrained = errors.New("model: untrained model")
	// ErrFormat: a model file that is not one, or is corrupt or truncated.
	ErrFormat = errors.New("model: corrupt model file")
	// ErrVersion: a model file of another format version.
	ErrVersion = errors.New("model: unsupported model file version")
	// ErrPlatform: a model trained on another platform profile.
	ErrPlatform = errors.New("model: model was trained for another platform profile")
	// ErrOutOfMemory: the memory size is below the function's profiled peak
	// memory, where the function runs out of memory and has no execution time.
	ErrOutOfMemory = errors.New("model: function runs out of memory")
	// ErrNonFinite: a prediction or distribution parameter that is NaN or
	// infinite; it is reported, never passed on.
	ErrNonFinite = errors.New("model: non-finite value")
	// ErrDataset: the model's training set cannot be regenerated.
	ErrDataset = errors.New("model: unknown training dataset")
)

// FileFormat and FileVersion identify the model file.
const (
	FileFormat  = "confignav-prediction-model"
	FileVersion = 1
)

// Model is a trained prediction model: two networks and the scaling of their
// inputs and outputs, tied to one platform profile. It is safe for concurrent
// use.
type Model struct {
	p    payload
	cpu  CPU       // the platform's CPU allocation rule (inputs)
	pool sync.Pool // *scratch
}

// payload is everything a model file holds; the file's checksum covers it.
type payload struct {
	Platform    string    `json:"platform"`
	Fingerprint string    `json:"platform_fingerprint"`
	MinMB       int       `json:"min_memory_mb"` // the memory range trained on
	MaxMB       int       `json:"max_memory_mb"`
	Inputs      []string  `json:"inputs"`
	Activation  string    `json:"activation"`
	InputMean   []float64 `json:"input_mean"`
	InputStd    []float64 `json:"input_std"`
	Time        netFile   `json:"time_net"`
	Var         netFile   `json:"variance_net"`
	Training    Info      `json:"training"`
}

// netFile is one network with the scaling of its targets.
type netFile struct {
	Outputs    []string  `json:"outputs"`
	TargetMean []float64 `json:"target_mean"`
	TargetStd  []float64 `json:"target_std"`
	Net        mlp       `json:"net"`
}

// Info describes how a model was trained.
type Info struct {
	Functions           int          `json:"functions"`      // in the dataset
	Samples             int          `json:"samples"`        // warm invocations per (function, memory)
	DataSeed            uint64       `json:"data_seed"`      // the dataset's measurement seed
	DatasetHash         string       `json:"dataset_sha256"` // Dataset.Hash of the dataset trained on
	Options             TrainOptions `json:"options"`
	TrainFunctions      int          `json:"train_functions"`
	StopFunctions       int          `json:"stop_functions"`
	ValidationFunctions []string     `json:"validation_functions"`
	TrainRows           int          `json:"train_rows"`
	StopRows            int          `json:"stop_rows"`
	TimeNet             NetInfo      `json:"time_net"`
	VarNet              NetInfo      `json:"variance_net"`
}

type scratch struct {
	fv, x, out, buf []float64
}

func (m *Model) init() {
	m.pool.New = func() any { return &scratch{} }
}

// Info returns how the model was trained.
func (m *Model) Info() Info { return m.p.Training }

// Platform returns the name and fingerprint of the platform profile the
// model was trained for.
func (m *Model) Platform() (name, fingerprint string) { return m.p.Platform, m.p.Fingerprint }

// MemoryRange is the range of memory sizes the model was trained on; Predict
// does not extrapolate beyond it.
func (m *Model) MemoryRange() (minMB, maxMB int) { return m.p.MinMB, m.p.MaxMB }

func (m *Model) trained() bool {
	return m != nil && len(m.p.Time.Net.Layers) > 0 && len(m.p.Var.Net.Layers) > 0
}

// Predict returns the predicted execution-time distribution of a function
// with profiled features f at mb of memory. Errors: ErrUntrained;
// a feature that is NaN, infinite or negative (named), or a wall time of zero
// (predictions are relative to it); mb outside the
// trained memory range; ErrOutOfMemory when mb is below the profiled peak
// memory; ErrNonFinite if the networks produce a non-finite value.
func (m *Model) Predict(f backend.Features, mb int) (Dist, error) {
	mean, p95, v, err := m.predict(&f, mb, true)
	if err != nil {
		return Dist{}, err
	}
	d, err := NewDist(mean, p95, v)
	if err != nil {
		return Dist{}, fmt.Errorf("model: prediction at %d MB: %w", mb, err)
	}
	return d, nil
}

// predict evaluates both networks. checkOOM false skips the out-of-memory
// test (Evaluate compares with measurements where the function did fit).
func (m *Model) predict(f *backend.Features, mb int, checkOOM bool) (mean, p95, variance float64, err error) {
	if !m.trained() {
		return 0, 0, 0, ErrUntrained
	}
	if mb < m.p.MinMB || mb > m.p.MaxMB {
		return 0, 0, 0, fmt.Errorf("model: memory %d MB is outside the range the model was trained on (%d–%d MB)", mb, m.p.MinMB, m.p.MaxMB)
	}
	s := m.pool.Get().(*scratch)
	defer m.pool.Put(s)
	if cap(s.fv) < len(features) {
		s.fv = make([]float64, len(features))
	}
	s.fv = s.fv[:len(features)]
	if err := featureVector(f, s.fv); err != nil {
		return 0, 0, 0, err
	}
	if err := checkWall(f); err != nil {
		return 0, 0, 0, err
	}
	if checkOOM && f.PeakMemoryBytes > float64(mb)*(1<<20) {
		return 0, 0, 0, fmt.Errorf("%w at %d MB: profiled peak memory is %.0f MB", ErrOutOfMemory, mb, f.PeakMemoryBytes/(1<<20))
	}
	s.x = inputVector(s.fv, f, &m.cpu, mb, s.x)
	for i := range s.x {
		s.x[i] = (s.x[i] - m.p.InputMean[i]) / m.p.InputStd[i]
	}
	s.out = m.p.Time.Net.forward1(s.x, s.out, s.buf)
	lw := lnWallMs(f)
	lnMean := s.out[0]*m.p.Time.TargetStd[0] + m.p.Time.TargetMean[0] + lw
	lnP95 := s.out[1]*m.p.Time.TargetStd[1] + m.p.Time.TargetMean[1] + lw
	s.out = m.p.Var.Net.forward1(s.x, s.out, s.buf)
	lnVar := s.out[0]*m.p.Var.TargetStd[0] + m.p.Var.TargetMean[0] + 2*lw
	mean, p95, variance = math.Exp(lnMean), math.Exp(lnP95), math.Exp(lnVar)
	for _, v := range []float64{mean, p95, variance} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return 0, 0, 0, fmt.Errorf("%w: prediction at %d MB is mean %v, p95 %v, variance %v", ErrNonFinite, mb, mean, p95, variance)
		}
	}
	return mean, p95, variance, nil
}

// envelope is the model file: format, version and checksum in the clear,
// then the payload the checksum covers (its exact bytes).
type envelope struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	SHA256  string          `json:"sha256"`
	Model   json.RawMessage `json:"model"`
}

// Save writes the model as JSON: format name, version, the SHA-256 of the
// payload, and the payload (platform fingerprint, memory range, input names
// and scaling, both networks, training information). The same model gives the
// same bytes.
func (m *Model) Save(w io.Writer) error {
	if !m.trained() {
		return ErrUntrained
	}
	body, err := json.MarshalIndent(m.p, "  ", "  ")
	if err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	sum := sha256.Sum256(body)
	_, err = fmt.Fprintf(w, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"sha256\": %q,\n  \"model\": %s\n}\n",
		FileFormat, FileVersion, hex.EncodeToString(sum[:]), body)
	if err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	return nil
}

// Load reads a model written by Save and checks it against the platform
// profile it will predict for. Errors: ErrFormat (not a model file, corrupt or
// truncated: the checksum or the structure is wrong), ErrVersion, ErrUntrained
// (a file without networks), ErrPlatform (trained for another profile: the
// fingerprints differ).
func Load(r io.Reader, plat *platform.Profile) (*Model, error) {
	if plat == nil {
		return nil, errors.New("model: load: no platform profile to check the model against")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("model: load: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrFormat)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if env.Format != FileFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrFormat, env.Format, FileFormat)
	}
	if env.Version != FileVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d (retrain with cnav model train)", ErrVersion, env.Version, FileVersion)
	}
	if len(env.Model) == 0 || string(env.Model) == "null" {
		return nil, fmt.Errorf("%w: the file holds no model", ErrUntrained)
	}
	sum := sha256.Sum256(env.Model)
	if hex.EncodeToString(sum[:]) != env.SHA256 {
		return nil, fmt.Errorf("%w: checksum mismatch (the file was modified or damaged)", ErrFormat)
	}
	m := &Model{}
	dec := json.NewDecoder(bytes.NewReader(env.Model))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m.p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if err := m.p.validate(); err != nil {
		return nil, err
	}
	if fp := Fingerprint(plat); fp != m.p.Fingerprint {
		return nil, fmt.Errorf("%w: trained on %q (%s), given %q (%s)", ErrPlatform, m.p.Platform, short(m.p.Fingerprint), plat.Name, short(fp))
	}
	m.cpu = CPUOf(plat)
	m.init()
	return m, nil
}

func short(fp string) string {
	if len(fp) > 19 {
		return fp[:19]
	}
	return fp
}

// validate checks a decoded payload's structure.
func (p *payload) validate() error {
	if len(p.Time.Net.Layers) == 0 || len(p.Var.Net.Layers) == 0 {
		return fmt.Errorf("%w: the file holds no trained networks", ErrUntrained)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
	}
	if want := inputNames(); !slices.Equal(p.Inputs, want) {
		return bad("inputs %v, this build computes %v (retrain the model)", p.Inputs, want)
	}
	if p.Activation != "elu" {
		return bad("activation %q, this build implements elu", p.Activation)
	}
	if p.MinMB < 1 || p.MaxMB < p.MinMB {
		return bad("memory range %d–%d MB", p.MinMB, p.MaxMB)
	}
	nin := len(p.Inputs)
	if len(p.InputMean) != nin || len(p.InputStd) != nin {
		return bad("input scaling has %d and %d values, want %d", len(p.InputMean), len(p.InputStd), nin)
	}
	if err := finite("input scaling", p.InputMean, p.InputStd); err != nil {
		return err
	}
	for _, s := range p.InputStd {
		if !(s > 0) {
			return bad("input scale %v is not positive", s)
		}
	}
	for _, n := range []struct {
		name string
		f    *netFile
		out  int
	}{{"time_net", &p.Time, 2}, {"variance_net", &p.Var, 1}} {
		f := n.f
		if len(f.Outputs) != n.out || len(f.TargetMean) != n.out || len(f.TargetStd) != n.out {
			return bad("%s: want %d outputs with their scaling", n.name, n.out)
		}
		if err := finite(n.name+" target scaling", f.TargetMean, f.TargetStd); err != nil {
			return err
		}
		in := nin
		for k, l := range f.Net.Layers {
			if l.In != in || l.Out < 1 || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
				return bad("%s layer %d: shape %d×%d with %d weights and %d biases does not chain", n.name, k, l.Out, l.In, len(l.W), len(l.B))
			}
			if err := finite(fmt.Sprintf("%s layer %d", n.name, k), l.W, l.B); err != nil {
				return err
			}
			in = l.Out
		}
		if in != n.out {
			return bad("%s ends with %d outputs, want %d", n.name, in, n.out)
		}
	}
	return nil
}

func finite(what string, xs ...[]float64) error {
	for _, s := range xs {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s holds %v", ErrFormat, what, v)
			}
		}
	}
	return nil
}
