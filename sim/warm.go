package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Draw is the randomness of one warm invocation. Oracles hold it fixed across
// memory sizes (common random numbers): U is the quantile of a table-driven
// function's samples, Z the standard normal of the log-normal noise, and
// Interference the slowdown factor (1 without a noisy neighbour).
type Draw struct {
	U, Z         float64
	Interference float64
}

// NewDraw draws one invocation's randomness, including an environment speed
// folded into the interference factor (an oracle sees each invocation in its
// own environment).
func (s *Sim) NewDraw(rng *rand.Rand) Draw {
	nz := &s.plat.Noise
	d := Draw{U: rng.Float64(), Z: rng.NormFloat64(), Interference: math.Exp(nz.EnvSpeedSigma * rng.NormFloat64())}
	if u := rng.Float64(); u < nz.InterferenceProb {
		d.Interference *= interference(nz, rng.Float64())
	}
	return d
}

// interference is a Pareto(1, α) slowdown capped at the profile's maximum,
// from a uniform u.
func interference(nz *platform.Noise, u float64) float64 {
	return math.Min(nz.InterferenceMax, math.Pow(1-u, -1/nz.InterferenceAlpha))
}

// warm is the execution time of one warm invocation (µs, before environment
// speed, drift and first-invocation effects), the memory it needs, and
// whether that fits. The engine and the oracles both call it, so the ground
// truth an oracle sees is the engine's.
func (s *Sim) warm(i int, p *prep, f fnmodel.Factors, inBytes, objects float64, d Draw) (us, needMB float64, fits bool) {
	ns := &s.nodes[i]
	data := inBytes + s.outBytesOf(i, f)
	if ns.table != nil {
		// Measured samples carry their own noise; only data transfer is added.
		// The samples are of the table's clip: for another clip they scale by
		// the calibrated twin's compute ratio at this size (which keeps the
		// input-independent part of the time fixed), else by the work factor.
		scale := f.Work / ns.tableBase
		if p.tableModelUs > 0 {
			m, _ := p.point.Mean(f, 0, 0)
			scale = m / p.tableModelUs
		}
		us = ns.table.Quantile(p.mem, d.U)*scale + data*p.perByteUs + objects*p.perObjUs
		needMB = ns.table.WorkingSetMB * f.WorkingSet / ns.tableBaseWS
		fits = needMB <= float64(p.mem)
	} else {
		us, fits = p.point.Mean(f, data, objects)
		needMB = p.point.MemoryNeedMB(f)
		us *= math.Exp(s.plat.Noise.Sigma * d.Z)
	}
	return us * d.Interference, needMB, fits
}

// outBytesOf is what one invocation of node i writes to S3 for a clip.
func (s *Sim) outBytesOf(i int, f fnmodel.Factors) float64 {
	ns := &s.nodes[i]
	if ns.table != nil {
		return ns.table.OutputMB * (1 << 20) * f.Output / ns.tableBaseOut
	}
	return s.dag.Nodes[i].Profile.OutputMB * (1 << 20) * f.Output
}

// WarmUs is the ground-truth execution time (µs) of one warm invocation of
// node i at mb memory for a clip under draw d, with the data its predecessors
// write for that clip, and whether it fits in memory. It is the engine's
// formula without cold starts, drift or queueing: what an oracle needs to
// compute the true optimum. Memory outside a table's range is an error.
func (s *Sim) WarmUs(i, mb int, in video.Input, d Draw) (us float64, fits bool, err error) {
	if i < 0 || i >= len(s.nodes) {
		return 0, false, fmt.Errorf("sim: node %d out of range", i)
	}
	if err := s.plat.CheckMemory(mb); err != nil {
		return 0, false, err
	}
	ns := &s.nodes[i]
	if ns.table != nil {
		if err := ns.table.Covers(mb); err != nil {
			return 0, false, fmt.Errorf("sim: function %q: %w", s.dag.Nodes[i].Name, err)
		}
	}
	p := s.prepare(i, mb)
	inBytes, objects := s.flowInput(i, in)
	us, _, fits = s.warm(i, &p, ns.scale.Factors(in), inBytes, objects, d)
	return us, fits, nil
}

// flowInput is the data node i reads for a clip when every predecessor ran
// (the same rule as the engine's inputData).
func (s *Sim) flowInput(i int, in video.Input) (bytes, objects float64) {
	nd := &s.dag.Nodes[i]
	if len(nd.Preds) == 0 {
		return in.EncodedBytes(), 2
	}
	for k, p := range nd.Preds {
		if d := nd.InDataMB[k]; !math.IsNaN(d) {
			bytes += d * (1 << 20)
		} else {
			n := s.dag.Nodes[p].Instances(in)
			bytes += float64(n) * s.outBytesOf(p, s.nodes[p].scale.Factors(in))
		}
		objects++
	}
	return bytes, objects + 1
}
