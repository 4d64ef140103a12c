package main

import (
	"math/rand/v2"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/video"
)

// poissonSource is a Poisson stream of reference clips.
type poissonSource struct {
	rng   *rand.Rand
	perUs float64
	t     float64
}

func newPoissonSource(perSecond float64, seed uint64) *poissonSource {
	return &poissonSource{rng: rand.New(rand.NewPCG(seed, 0x6172_7269)), perUs: perSecond / 1e6}
}

func (p *poissonSource) Next(r *backend.Request) bool {
	p.t += p.rng.ExpFloat64() / p.perUs
	r.At = int64(p.t)
	r.Input = video.Reference
	return true
}
