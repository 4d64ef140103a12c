package fnmodel

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/video"
)

// Table is a table-driven function: execution time samples measured at
// several memory sizes on one input, so that a measured platform can replace
// the basic-operation model. Samples include the measurement's own noise, so
// the simulator draws from them instead of adding its log-normal noise.
type Table struct {
	Runtime      string      `json:"runtime"`
	PackageMB    float64     `json:"package_mb,omitempty"`
	WorkingSetMB float64     `json:"working_set_mb"`      // max memory used on the measured input
	OutputMB     float64     `json:"output_mb,omitempty"` // data written for successors
	InputMB      float64     `json:"input_mb,omitempty"`  // data read (all input objects together)
	InputObjects int         `json:"input_objects,omitempty"`
	Input        video.Input `json:"input"`            // the clip the samples were measured on
	Scale        Scale       `json:"scale"`            // how to scale to other clips
	Rows         []Row       `json:"rows"`             // ascending memory
	Source       string      `json:"source,omitempty"` // where the measurement came from
}

// Row is the samples at one memory size.
type Row struct {
	MemoryMB  int       `json:"memory_mb"`
	SamplesMs []float64 `json:"samples_ms"`
}

// Validate checks rows ascend, samples are positive numbers, and rows are
// sorted for quantile lookup (it sorts each row's samples in place).
func (t *Table) Validate() error {
	var errs []error
	if t.Runtime == "" {
		errs = append(errs, errors.New("runtime is empty"))
	}
	if len(t.Rows) == 0 {
		errs = append(errs, errors.New("table has no rows"))
	}
	if err := t.Input.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("input: %w", err))
	}
	for i, r := range t.Rows {
		if i > 0 && r.MemoryMB <= t.Rows[i-1].MemoryMB {
			errs = append(errs, fmt.Errorf("rows[%d]: memory %d MB does not ascend", i, r.MemoryMB))
		}
		if len(r.SamplesMs) == 0 {
			errs = append(errs, fmt.Errorf("rows[%d] (%d MB): no samples", i, r.MemoryMB))
		}
		for j, s := range r.SamplesMs {
			if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
				errs = append(errs, fmt.Errorf("rows[%d] (%d MB): sample %d = %v is not a positive number", i, r.MemoryMB, j, s))
				break
			}
		}
		sort.Float64s(r.SamplesMs)
	}
	if math.IsNaN(t.WorkingSetMB) || t.WorkingSetMB < 0 {
		errs = append(errs, fmt.Errorf("working_set_mb = %v, want a non-negative number", t.WorkingSetMB))
	}
	return errors.Join(errs...)
}

// Covers reports an error when mb lies outside the measured range: tables are
// not extrapolated.
func (t *Table) Covers(mb int) error {
	lo, hi := t.Rows[0].MemoryMB, t.Rows[len(t.Rows)-1].MemoryMB
	if mb < lo || mb > hi {
		return fmt.Errorf("memory %d MB is outside the measured range %d–%d MB", mb, lo, hi)
	}
	return nil
}

// Quantile returns the u-quantile (0 ≤ u < 1) of the time at mb in µs,
// interpolating linearly in memory between the two nearest rows at the same
// quantile (common random numbers across memory sizes).
func (t *Table) Quantile(mb int, u float64) float64 {
	i := sort.Search(len(t.Rows), func(i int) bool { return t.Rows[i].MemoryMB >= mb })
	if i < len(t.Rows) && t.Rows[i].MemoryMB == mb || i == 0 {
		return rowQuantile(t.Rows[min(i, len(t.Rows)-1)].SamplesMs, u) * 1000
	}
	if i == len(t.Rows) {
		return rowQuantile(t.Rows[i-1].SamplesMs, u) * 1000
	}
	a, b := t.Rows[i-1], t.Rows[i]
	w := float64(mb-a.MemoryMB) / float64(b.MemoryMB-a.MemoryMB)
	return ((1-w)*rowQuantile(a.SamplesMs, u) + w*rowQuantile(b.SamplesMs, u)) * 1000
}

// MeanUs is the mean time at mb in µs (interpolated like Quantile).
func (t *Table) MeanUs(mb int) float64 {
	const n = 64
	var s float64
	for i := 0; i < n; i++ {
		s += t.Quantile(mb, (float64(i)+0.5)/n)
	}
	return s / n
}

// rowQuantile is the empirical quantile of sorted samples with linear
// interpolation between order statistics.
func rowQuantile(xs []float64, u float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	pos := u * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := pos - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}
