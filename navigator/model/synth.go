package model

import (
	"math"
	"math/rand/v2"

	"github.com/confignav/confignav/fnmodel"
)

// streamSynth is the random stream of Synthesize.
const streamSynth = 0x73796e7468 // "synth"

// Synthesize returns n synthetic functions composed of the four module kinds
// of the paper's §3.1 (after Sizeless): floating-point compute, local cache
// read/write, remote storage read/write and network communication, mixed at
// random. The same n and seed give the same functions.
//
// Distributions (log-uniform, "logU", where a quantity spans orders of
// magnitude; chosen to cover the built-in pipeline functions' range with room
// on both sides, see fnmodel/builtin.go):
//
//	runtime            python 60 %, go 20 %, nodejs 20 %; base memory U[50,100] / U[20,40] / U[40,70] MB
//	compute (always)   CPU logU[10, 150000] ms at 1 vCPU (built-ins: 11–57,000);
//	                   30 % single-threaded (parallel fraction 0, 1 thread), else
//	                   parallel fraction U[0.2, 0.98] over 1, 2, 3, 4, 6, 8, 12 or 16 threads
//	                   (built-ins: 0.28–1 over 2); half of the multi-threaded run one thread
//	                   per visible core instead (auto threads, as every calibrated built-in);
//	                   branch fraction U[0.04, 0.24];
//	                   50 % input-independent CPU work logU[5, 400] ms (built-ins: 0–197);
//	                   80 % a small-quota slowdown 1 + a·(1/c − 1)^b below one vCPU: b
//	                   U[0.2, 2.4], a such that the slowdown at 128 MB (c = 128/1,769)
//	                   is logU[1.05, 12] (built-ins: b 0.19–2.3, 1.0–10.3 at 128 MB);
//	                   20 % load a model at init (init CPU logU[200, 4000] ms: cold start only)
//	memory (always)    working set logU[16, 1800] MB (built-ins: 50–1,200)
//	local cache  40 %  /tmp bytes written and read logU[1, 800] MB (built-ins: 0–200)
//	remote read  40 %  S3 reads logU[0.1, 200] MB in 1–20 requests (built-ins: none besides their input)
//	remote write 50 %  S3 writes logU[0.1, 150] MB (built-in outputs: 0.01–80 MB); without it a
//	                   small result logU[0.001, 0.1] MB
//	network      30 %  1–50 API calls moving logU[0.01, 10] MB
//	overhead (always)  U[2, 40] ms (built-ins: 10–30)
//
// Every function reads its input clip (the profiling and measurement input,
// video.Reference) like a pipeline's entry stage. The draws are continuous, so
// a built-in function is never reproduced (TestSyntheticExcludesBuiltins).
func Synthesize(n int, seed uint64) []fnmodel.Profile {
	rng := rand.New(rand.NewPCG(seed, streamSynth))
	logU := func(lo, hi float64) float64 {
		return math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo)))
	}
	unif := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }
	threads := []int{1, 2, 3, 4, 6, 8, 12, 16}
	out := make([]fnmodel.Profile, n)
	for i := range out {
		p := fnmodel.Profile{Scale: fnmodel.Scale{Pixels: 1, Frames: 1, WorkingSetPixels: 0.5}}
		switch u := rng.Float64(); {
		case u < 0.6:
			p.Runtime, p.BaseMemoryMB, p.PackageMB = "python", unif(50, 100), logU(10, 300)
		case u < 0.8:
			p.Runtime, p.BaseMemoryMB, p.PackageMB = "go", unif(20, 40), unif(5, 20)
		default:
			p.Runtime, p.BaseMemoryMB, p.PackageMB = "nodejs", unif(40, 70), unif(10, 60)
		}
		// Floating-point compute.
		p.CPUMs = logU(10, 150000)
		if rng.Float64() < 0.3 {
			p.ParallelFraction, p.Threads = 0, 1
		} else {
			p.ParallelFraction = unif(0.2, 0.98)
			p.Threads = threads[rng.IntN(len(threads))]
		}
		if p.Threads > 1 && rng.Float64() < 0.5 {
			p.AutoThreads = true
		}
		p.BranchFraction = unif(0.04, 0.24)
		// The calibrated built-ins' shape (fnmodel/calibrated.json): process
		// start and model load at every invocation, and a slowdown beyond
		// the CPU share under small quotas; the model cannot learn what its
		// training set never shows.
		if rng.Float64() < 0.5 {
			p.FixedCPUMs = logU(5, 400)
		}
		if rng.Float64() < 0.8 {
			at128, b := logU(1.05, 12), unif(0.2, 2.4)
			p.SmallQuota = fnmodel.QuotaSlowdown{Coef: (at128 - 1) / math.Pow(1769.0/128-1, b), Exp: b}
		}
		if rng.Float64() < 0.2 {
			p.InitCPUMs = logU(200, 4000)
		}
		p.WorkingSetMB = logU(16, 1800)
		// Local cache read/write.
		if rng.Float64() < 0.4 {
			p.LocalIOMB = logU(1, 800)
		}
		// Remote storage read and write (independent modules).
		if rng.Float64() < 0.4 {
			p.NetMB = logU(0.1, 200)
			p.Requests = float64(1 + rng.IntN(20))
		}
		if rng.Float64() < 0.5 {
			p.OutputMB = logU(0.1, 150)
		} else {
			p.OutputMB = logU(0.001, 0.1)
		}
		// Network communication.
		if rng.Float64() < 0.3 {
			p.Requests += float64(1 + rng.IntN(50))
			p.NetMB += logU(0.01, 10)
		}
		p.OverheadMs = unif(2, 40)
		out[i] = p
	}
	return out
}
