package oracle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// ErrInfeasible is returned when no configuration meets a bound.
var ErrInfeasible = errors.New("oracle: no configuration meets the cost bound")

// Oracle holds the tabulated ground truth of one pipeline.
type Oracle struct {
	dag   *pipeline.DAG
	plat  *platform.Profile
	grid  []int
	n     int           // samples
	inst  []int         // per node: the most instances any sample has
	count [][]int       // [node][sample] instances
	dur   [][][]float32 // [node][grid][sample*inst+k] µs, NaN when out of memory
	cost  [][]float64   // [node][grid] expected USD per request, +Inf when out of memory
	hopUs float64
}

// New tabulates the ground truth of the simulator's pipeline on grid for n
// samples, cycling through clips; n is rounded up to a multiple of the clip
// count, so that every clip weighs the same in the means.
func New(s *sim.Sim, grid []int, clips []video.Input, n int, seed uint64) (*Oracle, error) {
	if n < 1 || len(clips) == 0 || len(grid) == 0 {
		return nil, fmt.Errorf("oracle: need samples (%d), clips (%d) and a grid (%d)", n, len(clips), len(grid))
	}
	n = (n + len(clips) - 1) / len(clips) * len(clips)
	dag, plat := s.Pipeline(), s.Platform()
	o := &Oracle{dag: dag, plat: plat, grid: append([]int(nil), grid...), n: n, hopUs: plat.Hop.MeanMs * 1000}
	nodes := len(dag.Nodes)
	o.inst = make([]int, nodes)
	o.count = make([][]int, nodes)
	for i := range dag.Nodes {
		o.count[i] = make([]int, n)
		for j := 0; j < n; j++ {
			k := dag.Nodes[i].Instances(clips[j%len(clips)])
			o.count[i][j] = k
			o.inst[i] = max(o.inst[i], k)
		}
	}
	o.dur = make([][][]float32, nodes)
	o.cost = make([][]float64, nodes)
	for i := range dag.Nodes {
		// One stream per node: its draws do not depend on other nodes.
		rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
		w := max(o.inst[i], 1)
		draws := make([]sim.Draw, n*w)
		for k := range draws {
			draws[k] = s.NewDraw(rng)
		}
		o.dur[i] = make([][]float32, len(grid))
		o.cost[i] = make([]float64, len(grid))
		for g, mb := range grid {
			row := make([]float32, n*w)
			var usd float64
			for j := 0; j < n; j++ {
				for k := 0; k < o.count[i][j]; k++ {
					us, fits, err := s.WarmUs(i, mb, clips[j%len(clips)], draws[j*w+k])
					if err != nil {
						return nil, err
					}
					if !fits {
						row[j*w+k] = float32(math.NaN())
						usd = math.Inf(1)
						continue
					}
					row[j*w+k] = float32(us)
					usd += plat.Cost(plat.BilledMs(int64(math.Ceil(us))), mb)
				}
			}
			o.dur[i][g] = row
			o.cost[i][g] = usd / float64(n)
		}
	}
	return o, nil
}

// Grid is the memory grid the oracle tabulated.
func (o *Oracle) Grid() []int { return o.grid }

// CMin is the cheapest expected cost per request and a configuration that
// achieves it.
func (o *Oracle) CMin() (float64, backend.Config, error) {
	cfg := backend.Config{}
	total := 0.0
	for i, nd := range o.dag.Nodes {
		best := math.Inf(1)
		for g, c := range o.cost[i] {
			if c < best {
				best = c
				cfg[nd.Name] = o.grid[g]
			}
		}
		if math.IsInf(best, 1) {
			return 0, nil, fmt.Errorf("oracle: function %q runs out of memory at every size up to %d MB", nd.Name, o.grid[len(o.grid)-1])
		}
		total += best
	}
	return total, cfg, nil
}

// Truth is the ground truth of one configuration.
type Truth struct {
	LatencyMs float64 // mean end-to-end latency
	P95Ms     float64
	CostUSD   float64 // expected cost per request
	Fits      bool    // no function runs out of memory
}

// Evaluate returns the ground truth of a configuration; memory sizes must be
// on the oracle's grid.
func (o *Oracle) Evaluate(cfg backend.Config) (Truth, error) {
	idx, err := o.indices(cfg)
	if err != nil {
		return Truth{}, err
	}
	t := Truth{Fits: true}
	for i, g := range idx {
		t.CostUSD += o.cost[i][g]
	}
	if math.IsInf(t.CostUSD, 1) {
		t.Fits = false
		t.LatencyMs, t.P95Ms = math.NaN(), math.NaN()
		return t, nil
	}
	lat := make([]float64, o.n)
	fin := make([]float64, len(o.dag.Nodes))
	var sum float64
	for j := 0; j < o.n; j++ {
		lat[j] = o.e2e(idx, j, fin)
		sum += lat[j]
	}
	t.LatencyMs = sum / float64(o.n) / 1000
	t.P95Ms = quantile(lat, 0.95) / 1000
	return t, nil
}

func (o *Oracle) indices(cfg backend.Config) ([]int, error) {
	idx := make([]int, len(o.dag.Nodes))
	for i, nd := range o.dag.Nodes {
		mb, ok := cfg[nd.Name]
		if !ok {
			return nil, fmt.Errorf("oracle: configuration has no memory for %q", nd.Name)
		}
		g := -1
		for k, m := range o.grid {
			if m == mb {
				g = k
			}
		}
		if g < 0 {
			return nil, fmt.Errorf("oracle: %s=%d MB is not on the grid", nd.Name, mb)
		}
		idx[i] = g
	}
	if len(cfg) != len(o.dag.Nodes) {
		return nil, fmt.Errorf("oracle: configuration names %d functions, the pipeline has %d", len(cfg), len(o.dag.Nodes))
	}
	return idx, nil
}

// e2e is sample j's end-to-end latency (µs) under grid indices idx; fin is
// scratch of one entry per node.
func (o *Oracle) e2e(idx []int, j int, fin []float64) float64 {
	var end float64
	for i := range o.dag.Nodes {
		nd := &o.dag.Nodes[i]
		start := 0.0
		for _, p := range nd.Preds {
			start = math.Max(start, fin[p])
		}
		k := o.count[i][j]
		if k == 0 {
			fin[i] = start
			continue
		}
		w := max(o.inst[i], 1)
		row := o.dur[i][idx[i]][j*w : j*w+k]
		var d float32
		for _, x := range row {
			d = max(d, x)
		}
		fin[i] = start + o.hopUs + float64(d)
		end = math.Max(end, fin[i])
	}
	return end
}

// Optimum is the best configuration under a bound.
type Optimum struct {
	Config backend.Config
	Truth
	Visited int // configurations whose latency was computed
}

// Exhaustive finds the configuration with the lowest mean latency whose
// expected cost is at most cbound. It returns ErrInfeasible when none is.
// It refuses pipelines whose grid product exceeds limit configurations
// (0 means 2^22, enough for 32^4).
func (o *Oracle) Exhaustive(ctx context.Context, cbound float64, limit float64) (Optimum, error) {
	if limit == 0 {
		limit = 1 << 22
	}
	nodes := len(o.dag.Nodes)
	if math.Pow(float64(len(o.grid)), float64(nodes)) > limit {
		return Optimum{}, fmt.Errorf("oracle: %d functions × %d sizes is %.3g configurations, more than the exhaustive limit %.3g", nodes, len(o.grid), math.Pow(float64(len(o.grid)), float64(nodes)), limit)
	}
	// cheapest[i] = cheapest completion cost of nodes i..end.
	cheapest := make([]float64, nodes+1)
	for i := nodes - 1; i >= 0; i-- {
		m := math.Inf(1)
		for _, c := range o.cost[i] {
			m = math.Min(m, c)
		}
		cheapest[i] = cheapest[i+1] + m
	}
	// meanW[i][g] is node i's mean contribution to a path at size g (hop
	// and slowest instance, 0 when it has no instance); minW[i] its least.
	// The longest path of mean contributions bounds the mean end-to-end
	// latency from below (E[max] ≥ max E), so a configuration, or a prefix
	// completed by each remaining node's least, whose bound already exceeds
	// the incumbent cannot win and is not evaluated sample by sample. The
	// answer is the same; only the work shrinks.
	meanW := make([][]float64, nodes)
	minW := make([]float64, nodes)
	for i := range o.dag.Nodes {
		meanW[i] = make([]float64, len(o.grid))
		minW[i] = math.Inf(1)
		w := max(o.inst[i], 1)
		for g := range o.grid {
			var sum float64
			for j := 0; j < o.n; j++ {
				k := o.count[i][j]
				if k == 0 {
					continue
				}
				var d float32
				for _, x := range o.dur[i][g][j*w : j*w+k] {
					d = max(d, x)
				}
				sum += o.hopUs + float64(d)
			}
			meanW[i][g] = sum / float64(o.n)
			if math.IsNaN(meanW[i][g]) {
				// The function does not fit at this size (NaN durations):
				// no finite bound, and no say in the least.
				meanW[i][g] = math.Inf(1)
				continue
			}
			minW[i] = math.Min(minW[i], meanW[i][g])
		}
	}
	lbFin := make([]float64, nodes)
	// lowerBound is the bound with nodes < assigned at idx, the rest at
	// their least, in µs.
	lowerBound := func(idx []int, assigned int) float64 {
		var end float64
		for i := range o.dag.Nodes {
			start := 0.0
			for _, p := range o.dag.Nodes[i].Preds {
				start = math.Max(start, lbFin[p])
			}
			w := minW[i]
			if i < assigned {
				w = meanW[i][idx[i]]
			}
			lbFin[i] = start + w
			end = math.Max(end, lbFin[i])
		}
		return end
	}
	idx := make([]int, nodes)
	fin := make([]float64, nodes)
	best := Optimum{Truth: Truth{LatencyMs: math.Inf(1)}}
	var bestIdx []int
	var visit func(i int, cost float64) error
	visit = func(i int, cost float64) error {
		if i > 0 && lowerBound(idx, i) > best.LatencyMs*1000*(1+1e-9) {
			return nil
		}
		if i == nodes {
			best.Visited++
			if best.Visited&(1<<14-1) == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var sum float64
			limitSum := best.LatencyMs * 1000 * float64(o.n)
			for j := 0; j < o.n; j++ {
				sum += o.e2e(idx, j, fin)
				if sum > limitSum { // already worse than the best: stop early
					return nil
				}
			}
			lat := sum / float64(o.n) / 1000
			if lat < best.LatencyMs || (lat == best.LatencyMs && cost < best.CostUSD) {
				best.LatencyMs, best.CostUSD = lat, cost
				bestIdx = append(bestIdx[:0], idx...)
			}
			return nil
		}
		for g := range o.grid {
			c := cost + o.cost[i][g]
			if c+cheapest[i+1] > cbound {
				continue
			}
			idx[i] = g
			if err := visit(i+1, c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(0, 0); err != nil {
		return Optimum{}, fmt.Errorf("oracle: exhaustive search: %w", err)
	}
	if bestIdx == nil {
		return Optimum{}, ErrInfeasible
	}
	best.Config = backend.Config{}
	for i, nd := range o.dag.Nodes {
		best.Config[nd.Name] = o.grid[bestIdx[i]]
	}
	truth, err := o.Evaluate(best.Config)
	if err != nil {
		return Optimum{}, err
	}
	best.Truth = truth
	return best, nil
}

func quantile(xs []float64, q float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(math.Ceil(q*float64(len(s))))-1]
}

// NodeTimes is node i's ground truth at grid index g: its time in each sample
// (ms, the slowest of its fan-out instances; NaN when out of memory) and its
// expected cost per request (+Inf when out of memory). It lets a search be
// tested, or ablated, with a perfect model.
func (o *Oracle) NodeTimes(i, g int) ([]float64, float64) {
	w := max(o.inst[i], 1)
	out := make([]float64, o.n)
	for j := 0; j < o.n; j++ {
		var d float64
		for k := 0; k < o.count[i][j]; k++ {
			x := float64(o.dur[i][g][j*w+k])
			if math.IsNaN(x) {
				d = math.NaN()
				break
			}
			d = math.Max(d, x)
		}
		out[j] = d / 1000
	}
	return out, o.cost[i][g]
}
