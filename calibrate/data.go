package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/confignav/confignav/video"
)

// Row is one function at one memory size under one clip: its warm samples
// and the conditions they were measured under.
type Row struct {
	MemoryMB  int
	CPUs      float64 // vCPUs the measurement granted (a local quota capped by the machine, or memory/MB-per-vCPU on Lambda)
	Cores     int     // cores the function saw
	Capped    bool    // the machine gave less CPU than the memory size earns on Lambda
	SamplesMs []float64
	Lambda    bool // measured on Lambda: durations include the function's S3 transfers
}

// Median is the row's median sample.
func (r Row) Median() float64 { return median(r.SamplesMs) }

// Spread is the standard deviation of the log samples estimated from their
// median absolute deviation (1.4826·MAD, robust to a stray slow sample).
func (r Row) Spread() float64 {
	if len(r.SamplesMs) < 2 {
		return 0
	}
	logs := make([]float64, len(r.SamplesMs))
	for i, s := range r.SamplesMs {
		logs[i] = math.Log(s)
	}
	m := median(logs)
	dev := make([]float64, len(logs))
	for i, l := range logs {
		dev[i] = math.Abs(l - m)
	}
	return 1.4826 * median(dev)
}

// Clip is everything measured for one function on one input clip.
type Clip struct {
	Name         string // "" for the base clip
	Input        video.Input
	Rows         []Row
	PeakRSSMB    float64 // largest resident set over the sizes (worker plus its largest child)
	InputMB      float64
	InputObjects int
	OutputMB     float64
}

// Measurement is one function's measurements over every clip; Clips[0] is
// the base clip.
type Measurement struct {
	Function  string
	Runtime   string
	PackageMB float64
	InitMs    float64 // median cold-start initialisation at ≥ 1 vCPU (process start and static init)
	Clips     []Clip
	Source    string
}

// tableDoc is the subset of a cnav measure table (measure.Table's JSON) that
// calibration reads.
type tableDoc struct {
	Function     string      `json:"function"`
	Runtime      string      `json:"runtime"`
	PackageMB    float64     `json:"package_mb"`
	WorkingSetMB float64     `json:"working_set_mb"`
	OutputMB     float64     `json:"output_mb"`
	InputMB      float64     `json:"input_mb"`
	InputObjects int         `json:"input_objects"`
	InputFiles   []string    `json:"input_files"`
	Input        video.Input `json:"input"`
	Source       string      `json:"source"`
	Machine      struct {
		CPUs int `json:"cpus"`
	} `json:"machine"`
	Details []struct {
		MemoryMB int       `json:"memory_mb"`
		CPUs     float64   `json:"cpus"`
		Capped   bool      `json:"capped"`
		Status   string    `json:"status"`
		WarmMs   []float64 `json:"warm_ms"`
		Cold     []struct {
			InitMs float64 `json:"init_ms"`
		} `json:"cold"`
	} `json:"details"`
}

// LoadDir reads the measured tables of a reference directory: DIR/NAME.json
// for the base clip and DIR/clips/CLIP/NAME.json for the others (cnav measure
// --reference). Functions are returned in name order.
func LoadDir(dir string) ([]Measurement, error) {
	base, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(base) == 0 {
		return nil, fmt.Errorf("calibrate: no measured tables (*.json) in %s", dir)
	}
	byName := map[string]*Measurement{}
	var names []string
	for _, path := range base {
		m, c, err := readTable(path, "")
		if err != nil {
			return nil, err
		}
		if _, dup := byName[m.Function]; dup {
			return nil, fmt.Errorf("calibrate: %s: a second table for function %q", path, m.Function)
		}
		m.Clips = []Clip{c}
		byName[m.Function] = &m
		names = append(names, m.Function)
	}
	clipDirs, err := filepath.Glob(filepath.Join(dir, "clips", "*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(clipDirs)
	for _, cd := range clipDirs {
		files, err := filepath.Glob(filepath.Join(cd, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			m, c, err := readTable(path, filepath.Base(cd))
			if err != nil {
				return nil, err
			}
			b, ok := byName[m.Function]
			if !ok {
				return nil, fmt.Errorf("calibrate: %s: function %q has no base-clip table in %s", path, m.Function, dir)
			}
			b.Clips = append(b.Clips, c)
		}
	}
	sort.Strings(names)
	out := make([]Measurement, len(names))
	for i, n := range names {
		out[i] = *byName[n]
	}
	return out, nil
}

func readTable(path, clip string) (Measurement, Clip, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Measurement{}, Clip{}, fmt.Errorf("calibrate: %w", err)
	}
	var d tableDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: %w", path, err)
	}
	if d.Function == "" {
		d.Function = strings.TrimSuffix(filepath.Base(path), ".json")
	}
	if err := d.Input.Validate(); err != nil {
		return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: input: %w", path, err)
	}
	cores := d.Machine.CPUs
	if cores < 1 {
		return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: machine.cpus = %d, want the measuring machine's core count", path, cores)
	}
	c := Clip{Name: clip, Input: d.Input, PeakRSSMB: d.WorkingSetMB, InputMB: d.InputMB, InputObjects: d.InputObjects, OutputMB: d.OutputMB}
	if c.InputObjects == 0 {
		c.InputObjects = len(d.InputFiles)
	}
	var inits []float64
	for _, r := range d.Details {
		if r.Status != "ok" || len(r.WarmMs) == 0 {
			continue
		}
		for _, s := range r.WarmMs {
			if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
				return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: %d MB: sample %v is not a positive duration", path, r.MemoryMB, s)
			}
		}
		if !(r.CPUs > 0) {
			return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: %d MB: cpus = %v, want the granted CPU share", path, r.MemoryMB, r.CPUs)
		}
		c.Rows = append(c.Rows, Row{MemoryMB: r.MemoryMB, CPUs: r.CPUs, Cores: cores, Capped: r.Capped,
			SamplesMs: append([]float64(nil), r.WarmMs...)})
		if r.CPUs >= 1 {
			for _, cs := range r.Cold {
				inits = append(inits, cs.InitMs)
			}
		}
	}
	if len(c.Rows) == 0 {
		return Measurement{}, Clip{}, fmt.Errorf("calibrate: %s: no successful memory size", path)
	}
	sort.Slice(c.Rows, func(i, j int) bool { return c.Rows[i].MemoryMB < c.Rows[j].MemoryMB })
	m := Measurement{Function: d.Function, Runtime: d.Runtime, PackageMB: d.PackageMB, Source: d.Source}
	if len(inits) > 0 {
		m.InitMs = median(inits)
	}
	return m, c, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// errNoData is returned when a measurement has nothing to fit.
var errNoData = errors.New("calibrate: nothing to fit")
