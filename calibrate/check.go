package calibrate

import (
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/platform"
)

// CheckRow compares one function at one memory size on one clip: the
// measured median against the simulator's.
type CheckRow struct {
	Function    string  `json:"function"`
	Clip        string  `json:"clip"` // "base" or the extra clip's name
	MemoryMB    int     `json:"memory_mb"`
	MeasuredMs  float64 `json:"measured_ms"`
	SimulatedMs float64 `json:"simulated_ms"`
	// RelError is (simulated − measured) / measured.
	RelError float64 `json:"rel_error"`
	// Capped: the measuring machine granted less CPU than Lambda gives at this
	// size (its cores ran out), so part of the error is the measurement's.
	Capped bool `json:"capped,omitempty"`
}

// CheckReport is cnav calibrate --check's document.
type CheckReport struct {
	Rows []CheckRow `json:"rows"`
	// MedianAbsError is the median |rel_error| over every row.
	MedianAbsError *float64 `json:"median_abs_error"`
	// MedianAbsErrorGE512 is over rows at 512 MB and above (null: none).
	MedianAbsErrorGE512 *float64 `json:"median_abs_error_ge_512"`
	// MedianAbsErrorLE256 is over rows at 128–256 MB, the small quotas (null: none).
	MedianAbsErrorLE256 *float64 `json:"median_abs_error_le_256"`
	Platform            string   `json:"platform"`
	// Simulated is what simulated_ms means.
	Simulated string `json:"simulated"`
}

// Check compares profiles with the measurements they were fitted to, under
// the platform's own conditions (its CPU share and visible cores at each
// size, not the measuring machine's): the median of the simulator's
// execution time (its multiplicative noise has median one, so this is the
// profile's deterministic time) against the measured warm median. Rows
// measured on Lambda include the modelled S3 transfers of their data.
func Check(profiles map[string]fnmodel.Profile, ms []Measurement, plat *platform.Profile) (CheckReport, error) {
	rep := CheckReport{Platform: plat.Name,
		Simulated: "the simulator's deterministic execution time at the platform's CPU share and visible cores (its noise has median 1); local measurements exclude S3"}
	for _, m := range ms {
		p, ok := profiles[m.Function]
		if !ok {
			return CheckReport{}, fmt.Errorf("calibrate: no calibrated profile for measured function %q", m.Function)
		}
		for ci := range m.Clips {
			c := &m.Clips[ci]
			name := c.Name
			if name == "" {
				name = "base"
			}
			for _, r := range c.Rows {
				lambda := r
				lambda.CPUs = plat.VCPU(r.MemoryMB)
				lambda.Cores = plat.VisibleCores(r.MemoryMB)
				sim := predictMs(&p, plat, lambda, c.Input, c)
				meas := r.Median()
				rep.Rows = append(rep.Rows, CheckRow{Function: m.Function, Clip: name, MemoryMB: r.MemoryMB,
					MeasuredMs: round(meas, 3), SimulatedMs: round(sim, 3), RelError: round((sim-meas)/meas, 4),
					Capped: r.Capped || r.CPUs < lambda.CPUs-1e-3})
			}
		}
	}
	var all, hi, lo []float64
	for _, r := range rep.Rows {
		a := math.Abs(r.RelError)
		all = append(all, a)
		if r.MemoryMB >= 512 {
			hi = append(hi, a)
		} else {
			lo = append(lo, a)
		}
	}
	rep.MedianAbsError, rep.MedianAbsErrorGE512, rep.MedianAbsErrorLE256 = medianOrNil(all), medianOrNil(hi), medianOrNil(lo)
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		if a.Clip != b.Clip {
			return a.Clip == "base" || (b.Clip != "base" && a.Clip < b.Clip)
		}
		return a.MemoryMB < b.MemoryMB
	})
	return rep, nil
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) {
		return v
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func medianOrNil(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	v := round(median(xs), 4)
	return &v
}
