package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/video"
)

// Instruction rate used to turn CPU work into counts: ~2.5 GHz at an IPC of
// 1.2, the order of a Lambda x86 core.
const instructionsPerUs = 3000

// profileVCPU is the CPU of the local machine a profiling run uses (the paper
// profiles in a local Docker environment, §3.1).
const profileVCPU = 4

// Profile reports the basic-operation features of one local run of a
// function on a clip (the paper's Table 2), derived from its ground-truth
// profile with multiplicative measurement noise. A table-driven function has
// no basic-operation profile: Profile returns an error naming it, since only a
// real profiler run (cnav profile) can measure it.
func (s *Sim) Profile(_ context.Context, function string, in video.Input) (backend.Features, error) {
	i, ok := s.dag.Lookup(function)
	if !ok {
		return backend.Features{}, fmt.Errorf("sim: unknown function %q (pipeline %s has %v)", function, s.dag.Name, s.dag.Names())
	}
	if err := in.Validate(); err != nil {
		return backend.Features{}, fmt.Errorf("sim: profile %q: %w", function, err)
	}
	nd := &s.dag.Nodes[i]
	if nd.Profile == nil {
		return backend.Features{}, fmt.Errorf("sim: function %q is table-driven and has no basic-operation profile to measure", function)
	}
	s.runs++
	rng := rand.New(rand.NewPCG(s.seed^(s.runs*0x9e3779b97f4a7c15), streamProfile))
	sigma := s.plat.Noise.MeasureSigma
	noisy := func(v float64) float64 { return v * math.Exp(sigma*rng.NormFloat64()) }

	p := nd.Profile
	f := p.Scale.Factors(in)
	// Every instruction the run executes, the input-independent start-up
	// work included.
	cpuUs := (p.CPUMs*f.Work + p.FixedCPUMs) * 1000
	instr := cpuUs * instructionsPerUs
	branch := p.BranchFraction
	if branch == 0 {
		branch = 0.15
	}
	ws := (p.BaseMemoryMB + p.WorkingSetMB*f.WorkingSet) * (1 << 20)
	netBytes := p.NetMB * (1 << 20) * f.Work
	outBytes := p.OutputMB * (1 << 20) * f.Output
	inBytes := in.EncodedBytes() // a local profiling run reads one clip-sized input
	ioBytes := p.LocalIOMB * (1 << 20) * f.Work
	mtu := s.plat.Network.MTUBytes
	// Wall time of the local run: the model at the local machine's CPU.
	localMB := int(profileVCPU * s.plat.CPU.MBPerVCPU)
	local := p.At(s.plat, localMB)
	threads := p.Threads
	if p.AutoThreads {
		threads = s.plat.VisibleCores(localMB) // one per core of the local machine
	}
	wallUs, _ := local.Mean(f, inBytes+outBytes, float64(len(nd.Preds))+1)
	wall := wallUs / 1e6
	ctx := float64(threads)*wall*250 + (inBytes+outBytes+netBytes)/65536 // scheduler ticks at 4 ms plus blocking I/O
	feat := backend.Features{
		Instructions:    noisy(instr),
		Branches:        noisy(instr * branch),
		ContextSwitches: noisy(ctx),
		HeapBytes:       noisy(ws * 0.85),
		StackBytes:      noisy(float64(threads) * 256 * 1024),
		AllocCount:      noisy(ws / 65536 * (1 + f.Work)),
		AllocBytes:      noisy(ws * (1 + 0.5*f.Work)),
		PeakMemoryBytes: noisy(ws),
		BytesSent:       noisy(outBytes + netBytes*0.05),
		BytesReceived:   noisy(inBytes + netBytes),
		PacketsSent:     noisy((outBytes + netBytes*0.05) / mtu),
		PacketsReceived: noisy((inBytes + netBytes) / mtu),
		IOBytes:         noisy(ioBytes),
		IOThroughput:    noisy(ioBytes / math.Max(wall, 1e-6)),
		WallSeconds:     wall,
		Threads:         float64(threads),
		Source:          map[string]string{"*": "simulated: ground-truth profile with measurement noise"},
	}
	return feat, nil
}
