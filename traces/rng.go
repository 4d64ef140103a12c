package traces

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Random streams. Every consumer of randomness in this package draws from its
// own PCG stream, rand.New(rand.NewPCG(seed, streamID)), where streamID is
// derived from a name (and an index for per-function streams), so that streams
// are independent of each other and of other packages' streams under the same
// seed, and adding a consumer never shifts another's numbers.
const (
	streamArrivals = "arrivals"  // arrival times within minutes, Poisson gaps
	streamScale    = "scale"     // Bernoulli rounding of scaled counts
	streamInputs   = "inputs"    // video inputs drawn from the catalogue
	streamSelect   = "select"    // sample:N selection
	streamSynth    = "synth"     // synthetic per-function parameters
	streamSynthFn  = "synth/fn"  // synthetic per-function minute counts
	streamCatalog  = "catalogue" // default catalogue
)

func streamID(name string, i uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte("confignav/traces/"))
	h.Write([]byte(name))
	return h.Sum64() + i*0x9e3779b97f4a7c15
}

func newRand(seed uint64, name string, i uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, streamID(name, i)))
}

// poisson draws a Poisson variate with mean lambda: multiplication of uniforms
// below 10 and Hörmann's transformed rejection (PTRS, Insurance: Mathematics
// and Economics 12(1), 1993) above, as gonum's distuv.Poisson does, but on a
// caller-owned *rand.Rand without allocating.
func poisson(r *rand.Rand, lambda float64) float64 {
	if !(lambda > 0) {
		return 0
	}
	if lambda < 10 {
		l := math.Exp(-lambda)
		k := 0.0
		p := r.Float64()
		for p > l {
			k++
			p *= r.Float64()
		}
		return k
	}
	b := 0.931 + 2.53*math.Sqrt(lambda)
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return k
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v*invalpha/(a/(us*us)+b)) <= k*math.Log(lambda)-lambda-lg {
			return k
		}
	}
}

// gamma draws a Gamma(shape, 1) variate (Marsaglia and Tsang, ACM TOMS 26(3),
// 2000), boosting shapes below 1.
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		return gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// scaleCount multiplies a count by s, rounding stochastically so that the
// expectation is exactly c·s.
func scaleCount(r *rand.Rand, c uint32, s float64) uint32 {
	if s == 1 || c == 0 {
		return c
	}
	x := float64(c) * s
	n := math.Floor(x)
	if r.Float64() < x-n {
		n++
	}
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}
