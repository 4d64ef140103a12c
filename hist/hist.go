package hist

import (
	"math"
)

const (
	alpha   = 0.005
	buckets = 6000 // covers 1 µs to ~10^26 µs at γ ≈ 1.01
)

var (
	gamma    = (1 + alpha) / (1 - alpha)
	logGamma = math.Log(gamma)
)

// Histogram counts values (µs). The zero value is empty and ready to use.
type Histogram struct {
	counts []uint64
	n      uint64
	sum    float64
	min    float64
	max    float64
}

// Add records one value; NaN and negative values are ignored.
func (h *Histogram) Add(v float64) {
	if !(v >= 0) {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, buckets)
		h.min = math.Inf(1)
	}
	h.counts[index(v)]++
	h.n++
	h.sum += v
	h.min = math.Min(h.min, v)
	h.max = math.Max(h.max, v)
}

func index(v float64) int {
	if v <= 1 {
		return 0
	}
	i := int(math.Ceil(math.Log(v) / logGamma))
	if i >= buckets {
		i = buckets - 1
	}
	return i
}

// Merge adds the counts of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, buckets)
		h.min = math.Inf(1)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = math.Min(h.min, o.min)
	h.max = math.Max(h.max, o.max)
}

// Count is the number of values added.
func (h *Histogram) Count() uint64 { return h.n }

// Mean is the exact mean (NaN when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return math.NaN()
	}
	return h.sum / float64(h.n)
}

// Max is the exact maximum (NaN when empty).
func (h *Histogram) Max() float64 {
	if h.n == 0 {
		return math.NaN()
	}
	return h.max
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) within 0.5 % relative error,
// clamped to the exact minimum and maximum (NaN when empty).
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := 2 * math.Pow(gamma, float64(i)) / (gamma + 1) // bucket midpoint (relative)
			if i == 0 {
				v = h.min
			}
			return math.Min(math.Max(v, h.min), h.max)
		}
	}
	return h.max
}
