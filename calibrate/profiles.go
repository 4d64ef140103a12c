package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/confignav/confignav/fnmodel"
)

// File is the calibrated-profiles document cnav calibrate writes and
// fnmodel embeds (fnmodel/calibrated.json): every function's fitted profile
// with its fit and where the measurements came from.
type File struct {
	Version    int               `json:"version"`
	From       string            `json:"from"`        // the measurements' directory or file
	Method     string            `json:"method"`      // how the fit was made
	BaselineMB float64           `json:"baseline_mb"` // runtime footprint that does not grow with the input
	Functions  map[string]Result `json:"functions"`
}

// FileVersion is the format version of File.
const FileVersion = 1

// Method describes the fit for the file's readers.
const Method = "robust (Huber, δ = 0.1) least squares on log warm-median time over every measured size and clip; " +
	"parameters: CPU work, parallel fraction, fixed overhead, small-quota slowdown, pixels and frames exponents; " +
	"the CPU law is fnmodel's (CFS share over the function's threads, one per visible core); " +
	"memory: peak RSS = baseline + working set · pixels^γ · frames^δ fitted over the clips"

// Profiles returns the fitted profiles by function name.
func (f *File) Profiles() map[string]fnmodel.Profile {
	out := make(map[string]fnmodel.Profile, len(f.Functions))
	for n, r := range f.Functions {
		out[n] = r.Profile
	}
	return out
}

// FitAll fits every measurement and returns the document.
func FitAll(ms []Measurement, o Options, from string) (*File, error) {
	if o.BaselineMB == 0 {
		o.BaselineMB = Baseline(ms)
	}
	f := &File{Version: FileVersion, From: from, Method: Method, BaselineMB: o.BaselineMB, Functions: map[string]Result{}}
	var errs []error
	for _, m := range ms {
		r, err := Fit(m, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.Profile.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("calibrate: %s: fitted profile: %w", m.Function, err))
			continue
		}
		f.Functions[m.Function] = r
	}
	return f, errors.Join(errs...)
}

// JSON is the document, indented, in a stable order.
func (f *File) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Names lists the functions in name order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Functions))
	for n := range f.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
