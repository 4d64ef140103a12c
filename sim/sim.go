package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Named random streams: each draws from its own PCG so that adding draws to
// one part of the model does not shift the others.
const (
	streamNoise uint64 = iota + 1
	streamCold
	streamHop
	streamThrottle
	streamMemory
	streamProfile
	streamDrift
)

// Sim is a simulated Lambda account running one pipeline. It implements
// backend.Backend. It is not safe for concurrent use.
type Sim struct {
	plat *platform.Profile
	dag  *pipeline.DAG
	seed uint64
	runs uint64 // Runs so far: each draws fresh streams
	// next holds a key set by KeyNext for the next Run or Invoke.
	next struct {
		key          uint64
		keyed, fresh bool
	}
	clock int64 // virtual time at the end of the last Run
	nodes []nodeState
	// accountBusy counts busy environments across the account.
	accountBusy int
	driftPhase  float64
	keepAliveUs int64
	// Progress, when set, is called every 65,536 events with the virtual
	// time elapsed in the current Run (for progress bars; it must not block).
	Progress func(elapsedUs int64)
	// RequestDone, when set, is called as each request of a Run completes or
	// fails, with its id (1, 2, … in arrival order within the Run), its
	// end-to-end latency and whether it failed: experiments pair the same
	// request across configurations, so that a configuration that fails the
	// heaviest requests does not look faster for it.
	RequestDone func(id uint64, e2eUs int64, failed bool)
}

type nodeState struct {
	prep         // the cost model at the configured memory
	table        *fnmodel.Table
	timeoutUs    int64
	runtime      platform.LogNormal
	pool         envPool
	scale        fnmodel.Scale
	tableBase    float64 // work factor of the clip a table was measured on
	tableBaseWS  float64 // its working-set factor
	tableBaseOut float64 // its output factor
	// scale-up window
	windowStart int64
	windowNew   int
}

// env is an idle execution environment.
type env struct {
	idleSince int64
	speed     float32
	uses      int32
}

// envPool holds a function's idle environments ordered by idleSince; head is
// the keep-alive cursor: environments before it have been reclaimed.
type envPool struct {
	idle []env
	head int
	busy int
	gen  uint32
}

// New creates a simulator for a pipeline on a platform. Every function starts
// at the platform's smallest grid size until Apply is called.
func New(p *platform.Profile, dag *pipeline.DAG, seed uint64) (*Sim, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{plat: p, dag: dag, seed: seed, nodes: make([]nodeState, len(dag.Nodes)),
		keepAliveUs: int64(p.KeepAliveS * 1e6)}
	for i := range dag.Nodes {
		nd := &dag.Nodes[i]
		rt, err := p.Runtime(nd.Runtime())
		if err != nil {
			return nil, fmt.Errorf("sim: function %q: %w", nd.Name, err)
		}
		ns := &s.nodes[i]
		ns.runtime = rt
		ns.table = nd.Table
		ns.timeoutUs = int64(p.TimeoutS * 1e6)
		if nd.TimeoutS > 0 {
			ns.timeoutUs = int64(nd.TimeoutS * 1e6)
		}
		if nd.Table != nil {
			ns.scale = nd.Table.Scale
			base := nd.Table.Scale.Factors(nd.Table.Input)
			ns.tableBase, ns.tableBaseWS, ns.tableBaseOut = base.Work, base.WorkingSet, base.Output
		} else {
			ns.scale = nd.Profile.Scale
		}
	}
	drift := rand.New(rand.NewPCG(seed, streamDrift))
	s.driftPhase = drift.Float64() * 2 * math.Pi
	cfg := backend.Config{}
	for _, nd := range dag.Nodes {
		cfg[nd.Name] = p.Memory.GridMinMB
		if nd.Table != nil {
			cfg[nd.Name] = max(p.Memory.GridMinMB, nd.Table.Rows[0].MemoryMB)
		}
	}
	if err := s.Apply(context.Background(), cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Platform returns the platform profile.
func (s *Sim) Platform() *platform.Profile { return s.plat }

// Pipeline returns the pipeline.
func (s *Sim) Pipeline() *pipeline.DAG { return s.dag }

// Now is the virtual time at the end of the last Run.
func (s *Sim) Now() int64 { return s.clock }

// Apply sets memory sizes. It checks every name and size before changing
// anything, so a bad configuration changes nothing.
func (s *Sim) Apply(_ context.Context, c backend.Config) error {
	var errs []error
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		mb := c[name]
		i, ok := s.dag.Lookup(name)
		if !ok {
			errs = append(errs, fmt.Errorf("sim: unknown function %q in configuration (pipeline %s has %v)", name, s.dag.Name, s.dag.Names()))
			continue
		}
		if err := s.plat.CheckMemory(mb); err != nil {
			errs = append(errs, fmt.Errorf("sim: function %q: %w", name, err))
			continue
		}
		if t := s.dag.Nodes[i].Table; t != nil {
			if err := t.Covers(mb); err != nil {
				errs = append(errs, fmt.Errorf("sim: function %q (table-driven): %w", name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, name := range names {
		i, _ := s.dag.Lookup(name)
		s.setMemory(i, c[name])
	}
	return nil
}

// prep is a function's cost model prepared for one memory size.
type prep struct {
	mem       int
	vcpu      float64
	point     fnmodel.Point
	initUs    float64 // package load + static init (mean part of a cold start)
	perByteUs float64 // S3 transfer time per byte
	perObjUs  float64 // per S3 object
	// tableModelUs is, for a table-driven function with a modelled twin, the
	// twin's compute time on the table's clip at this size: the table scales
	// to other clips by the twin's ratio (see warm).
	tableModelUs float64
}

func (s *Sim) prepare(i, mb int) prep {
	nd := &s.dag.Nodes[i]
	p := prep{mem: mb, vcpu: s.plat.VCPU(mb)}
	p.perByteUs, p.perObjUs = fnmodel.Transfer(s.plat, mb)
	perMB := s.plat.ColdStart.PackageMsPerMB * 1000
	if nd.Table != nil {
		p.initUs = nd.Table.PackageMB * perMB
		if nd.Profile != nil {
			p.point = nd.Profile.At(s.plat, mb)
			p.tableModelUs, _ = p.point.Mean(nd.Profile.Scale.Factors(nd.Table.Input), 0, 0)
		}
	} else {
		p.point = nd.Profile.At(s.plat, mb)
		p.initUs = nd.Profile.PackageMB*perMB + nd.Profile.InitCPUMs*1000/math.Min(p.vcpu, 1)
	}
	return p
}

func (s *Sim) setMemory(i, mb int) {
	ns := &s.nodes[i]
	if ns.mem == mb {
		return
	}
	ns.prep = s.prepare(i, mb)
	// A memory change retires the environments: idle ones now, busy ones when
	// they finish (their generation no longer matches).
	ns.pool.idle = ns.pool.idle[:0]
	ns.pool.head = 0
	ns.pool.gen++
}

// Config returns the configuration in force.
func (s *Sim) Config() backend.Config {
	c := make(backend.Config, len(s.nodes))
	for i := range s.nodes {
		c[s.dag.Nodes[i].Name] = s.nodes[i].mem
	}
	return c
}

// MeanDurationUs is the deterministic execution time of one invocation of a
// function at its configured memory for a clip (no noise, warm, no data
// transfer), and whether it fits in memory. Tests and oracles use it.
func (s *Sim) MeanDurationUs(function string, in video.Input) (float64, bool, error) {
	i, ok := s.dag.Lookup(function)
	if !ok {
		return 0, false, fmt.Errorf("sim: unknown function %q", function)
	}
	ns := &s.nodes[i]
	f := ns.scale.Factors(in)
	if ns.table != nil {
		return ns.table.MeanUs(ns.mem) * f.Work / ns.tableBase, ns.table.WorkingSetMB*f.WorkingSet <= float64(ns.mem), nil
	}
	us, fits := ns.point.Mean(f, 0, 0)
	return us, fits, nil
}
