package live

import (
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/backend"
)

// maxInitMs is the longest init phase Lambda allows (10 s), the conservative
// init estimate before any cold start was seen.
const maxInitMs = 10000

// estimator keeps, per function and memory size, the longest duration and
// init seen, for conservative cost estimates before a measurement.
type estimator struct {
	dur     map[string]map[int]float64 // ms
	initMax map[string]float64         // ms, any memory
}

func (e *estimator) init() { e.dur = map[string]map[int]float64{} }

func (e *estimator) observe(r *backend.Record) {
	if r.MemoryMB <= 0 {
		return
	}
	if e.dur == nil {
		e.dur = map[string]map[int]float64{}
	}
	m := e.dur[r.Function]
	if m == nil {
		m = map[int]float64{}
		e.dur[r.Function] = m
	}
	ms := float64(r.Duration) / 1000
	m[int(r.MemoryMB)] = math.Max(m[int(r.MemoryMB)], ms)
	if r.InitDuration > 0 {
		if e.initMax == nil {
			e.initMax = map[string]float64{}
		}
		e.initMax[r.Function] = math.Max(e.initMax[r.Function], float64(r.InitDuration)/1000)
	}
}

// durationMs bounds one invocation of function at mb: the longest duration
// seen at that size; else scaled from the nearest size seen below it (more
// memory is not slower) or above it (at worst, time grows as memory
// shrinks: a CPU-bound function); times safety; never above the function's
// timeout, which is where Lambda stops billing. With nothing seen: the
// timeout.
func (e *estimator) durationMs(function string, mb int, timeoutMs, safety float64) float64 {
	seen := e.dur[function]
	if len(seen) == 0 {
		return timeoutMs
	}
	var d float64
	if v, ok := seen[mb]; ok {
		d = v
	} else {
		sizes := make([]int, 0, len(seen))
		for m := range seen {
			sizes = append(sizes, m)
		}
		sort.Ints(sizes)
		i := sort.SearchInts(sizes, mb)
		if i > 0 {
			d = seen[sizes[i-1]]
		} else {
			d = seen[sizes[0]] * float64(sizes[0]) / float64(mb)
		}
	}
	return math.Min(d*safety, timeoutMs)
}

func (e *estimator) initMs(function string, safety float64) float64 {
	if v, ok := e.initMax[function]; ok {
		return math.Min(v*safety, maxInitMs)
	}
	return maxInitMs
}

// invocationUSD bounds the cost of one invocation of node at mb.
func (b *Backend) invocationUSD(node string, mb int) float64 {
	d := b.est.durationMs(node, mb, b.timeoutMs[node], b.set.Safety)
	if b.plat.Price.BilledInit {
		d += b.est.initMs(node, b.set.Safety)
	}
	billed := b.plat.BilledMs(int64(math.Ceil(d * 1000)))
	return b.plat.Cost(billed, mb)
}

// RequestUSD is the conservative estimate of one pipeline request at the
// configuration in force: every node's invocations (fan-out counted on the
// backend's clip) at their bound.
func (b *Backend) RequestUSD() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sum float64
	for i := range b.dag.Nodes {
		nd := &b.dag.Nodes[i]
		sum += float64(nd.Instances(b.set.Input)) * b.invocationUSD(nd.Name, b.config[nd.Name])
	}
	return sum
}

// InvokeUSD is the conservative estimate of n direct invocations of node at
// the configuration in force.
func (b *Backend) InvokeUSD(node string, n int) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return float64(n) * b.invocationUSD(node, b.config[node])
}

// charge refuses a measurement whose estimate would take the spending over
// the cap.
func (b *Backend) charge(what string, estimate float64) error {
	b.mu.Lock()
	spent := b.spent
	b.mu.Unlock()
	if spent+estimate > b.set.MaxUSD {
		return fmt.Errorf("%w: %s may cost up to $%.6f (conservative estimate); with $%.6f spent that would exceed the cap of $%.6f (--max-usd)",
			ErrBudget, what, estimate, spent, b.set.MaxUSD)
	}
	return nil
}
