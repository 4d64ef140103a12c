package sim

import (
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/video"
)

// poisson is a minimal Poisson request source for the engine's own tests; the
// workload package (traces) provides the real ones.
type poisson struct {
	rng    *rand.Rand
	rate   float64 // per µs
	t      float64
	in     video.Input
	n, max int
}

func newPoisson(perSecond float64, seed uint64, in video.Input, max int) *poisson {
	return &poisson{rng: rand.New(rand.NewPCG(seed, 99)), rate: perSecond / 1e6, in: in, max: max}
}

func (p *poisson) Next(r *backend.Request) bool {
	if p.max > 0 && p.n >= p.max {
		return false
	}
	p.n++
	p.t += p.rng.ExpFloat64() / p.rate
	r.At = int64(p.t)
	r.Input = p.in
	return true
}

// fixed yields requests at given times.
type fixed struct {
	at []int64
	in video.Input
}

func (f *fixed) Next(r *backend.Request) bool {
	if len(f.at) == 0 {
		return false
	}
	r.At, r.Input = f.at[0], f.in
	f.at = f.at[1:]
	return true
}
