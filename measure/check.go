package measure

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
)

// CheckPoint compares, at one memory size of one measured function, the
// measured warm samples with the simulator's modelled ground truth and with
// the navigator's prediction model. Errors are |predicted − measured| /
// measured of the mean, in percent; KS is the two-sample
// Kolmogorov–Smirnov distance between the measured samples and CheckDraws
// draws of the other side. NaN where a side has nothing to say (the model is
// absent, or the function does not fit).
type CheckPoint struct {
	Function   string  `json:"function"`
	MemoryMB   int     `json:"memory_mb"`
	N          int     `json:"measured_samples"`
	MeasuredMs float64 `json:"measured_mean_ms"`
	SimMs      float64 `json:"sim_mean_ms"`
	SimErrPct  float64 `json:"sim_err_pct"`
	SimKS      float64 `json:"sim_ks"`
	ModelMs    float64 `json:"model_mean_ms"`
	ModelErr   float64 `json:"model_err_pct"`
	ModelKS    float64 `json:"model_ks"`
}

// CheckDraws is how many samples of the simulator and of the model each
// point draws.
const CheckDraws = 400

// Check compares measured tables with the simulator's model of the same
// built-in functions on the clip each table was measured on (its Input), and,
// when m is not nil, with the prediction model fed the simulated profile of
// that clip (the features ConfigNavigator would profile). Functions without
// a built-in twin are skipped and named in the returned list.
func Check(ctx context.Context, plat *platform.Profile, tables map[string]*fnmodel.Table, m *model.Model, seed uint64) ([]CheckPoint, []string, error) {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []CheckPoint
	var skipped []string
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		t := tables[name]
		prof, err := fnmodel.Builtin(name)
		if err != nil {
			skipped = append(skipped, name)
			continue
		}
		dag, err := pipeline.Compile(&pipeline.Spec{Name: name, Functions: []pipeline.Function{{Name: name, Profile: &prof}}})
		if err != nil {
			return nil, nil, fmt.Errorf("measure: check %s: %w", name, err)
		}
		s, err := sim.New(plat, dag, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("measure: check %s: %w", name, err)
		}
		feats, err := s.Profile(ctx, name, t.Input)
		if err != nil {
			return nil, nil, fmt.Errorf("measure: check %s: %w", name, err)
		}
		for _, row := range t.Rows {
			p := CheckPoint{Function: name, MemoryMB: row.MemoryMB, N: len(row.SamplesMs), SimMs: math.NaN(), SimErrPct: math.NaN(),
				SimKS: math.NaN(), ModelMs: math.NaN(), ModelErr: math.NaN(), ModelKS: math.NaN()}
			measured := append([]float64(nil), row.SamplesMs...)
			sort.Float64s(measured)
			p.MeasuredMs = stat.Mean(measured, nil)
			rng := rand.New(rand.NewPCG(seed, uint64(row.MemoryMB)))
			simMs := make([]float64, 0, CheckDraws)
			for range CheckDraws {
				us, fits, err := s.WarmUs(0, row.MemoryMB, t.Input, s.NewDraw(rng))
				if err != nil {
					return nil, nil, fmt.Errorf("measure: check %s at %d MB: %w", name, row.MemoryMB, err)
				}
				if !fits {
					simMs = simMs[:0]
					break
				}
				simMs = append(simMs, us/1000)
			}
			if len(simMs) > 0 {
				sort.Float64s(simMs)
				p.SimMs = stat.Mean(simMs, nil)
				p.SimErrPct = 100 * math.Abs(p.SimMs-p.MeasuredMs) / p.MeasuredMs
				p.SimKS = stat.KolmogorovSmirnov(measured, nil, simMs, nil)
			}
			if m != nil {
				if d, err := m.Predict(feats, row.MemoryMB); err == nil {
					draws := make([]float64, CheckDraws)
					for i := range draws {
						draws[i] = d.Sample(rng)
					}
					sort.Float64s(draws)
					p.ModelMs = d.Mean()
					p.ModelErr = 100 * math.Abs(p.ModelMs-p.MeasuredMs) / p.MeasuredMs
					p.ModelKS = stat.KolmogorovSmirnov(measured, nil, draws, nil)
				}
			}
			out = append(out, p)
		}
	}
	return out, skipped, nil
}
