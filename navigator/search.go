package navigator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// ErrInfeasible means no configuration is predicted to meet the bound.
var ErrInfeasible = errors.New("navigator: no configuration is predicted to meet the cost bound")

// NodeModel is what the search knows of one function: for each grid size,
// Monte-Carlo samples of its time (the slowest of its fan-out instances,
// drawn with common random numbers across sizes) and its expected cost per
// request (+Inf where the size is not allowed, e.g. below the profiled peak
// memory).
type NodeModel struct {
	Samples [][]float64 // [grid][sample] ms
	Cost    []float64   // [grid] USD per request
	// CostSD is the predicted standard deviation of one request's cost at
	// each size (nil: unknown); the confirmation uses it for the sampling
	// error of a measured window, the search does not.
	CostSD []float64
	// Mean is the predicted mean time of one instance at each size (ms; nil:
	// unknown); the confirmation compares it with measured function times.
	Mean []float64
	// Invocations is the expected number of invocations per request, at
	// least one per clip (the request fees the confirmation's correction
	// of times leaves alone).
	Invocations float64
}

// Options tune the search. The zero value uses the defaults.
type Options struct {
	// Rounds of cost allocation (§3.2.2 "multi-round iterative process");
	// default 8.
	Rounds int
	// ExhaustiveDims is the largest number of free functions in a group
	// searched exhaustively; larger groups use Bayesian optimisation.
	// Default 3 (32^3 = 32,768 configurations).
	ExhaustiveDims int
	// BOEvaluations is the model evaluations BO spends on a large group;
	// default 60.
	BOEvaluations int
	// Seed drives the cost allocations of rounds after the first.
	Seed uint64
	// Large searches a group with more than ExhaustiveDims free functions; nil
	// uses local search (set by the tuner to Bayesian optimisation).
	Large func(ctx context.Context, p *GroupProblem) ([]int, error)
	// Radius, when positive, limits the exhaustive search of a group with a
	// stored configuration to this many grid steps around it (re-search
	// after a small change); the whole grid is searched when nothing in the
	// neighbourhood fits. 0 searches the whole grid.
	Radius int
}

func (o Options) withDefaults() Options {
	if o.Rounds <= 0 {
		o.Rounds = 8
	}
	if o.ExhaustiveDims <= 0 {
		o.ExhaustiveDims = 3
	}
	if o.BOEvaluations <= 0 {
		o.BOEvaluations = 60
	}
	return o
}

// Plan is the search's answer: configurations as grid indices per node.
type Plan struct {
	Config     []int
	LatencyMs  float64 // predicted mean end-to-end latency
	CostUSD    float64 // predicted cost per request
	Candidates []Candidate
	// Work counts the configurations whose predicted latency was computed.
	Work int
}

// Candidate is one distinct configuration a round produced.
type Candidate struct {
	Config    []int
	LatencyMs float64
	CostUSD   float64
	Round     int
}

// Store keeps searched group configurations by cost for warm starts
// (§3.2.2 "Using previous configurations as initial values"). It survives
// between searches, so a re-search after a structure change starts warm.
type Store struct {
	byGroup map[string][]stored
}

type stored struct {
	cost   float64
	config map[string]int // function name → grid index (names survive a change of pipeline)
}

// NewStore makes an empty store.
func NewStore() *Store { return &Store{byGroup: map[string][]stored{}} }

func (s *Store) put(key string, cost float64, cfg map[string]int) {
	if s == nil {
		return
	}
	s.byGroup[key] = append(s.byGroup[key], stored{cost, cfg})
}

// clone is an independent copy (stored configurations are never changed in
// place, so they are shared).
func (s *Store) clone() *Store {
	if s == nil {
		return nil
	}
	c := NewStore()
	for k, v := range s.byGroup {
		c.byGroup[k] = slices.Clone(v)
	}
	return c
}

// closest returns the stored configuration of the nearest cost.
func (s *Store) closest(key string, cost float64) map[string]int {
	if s == nil {
		return nil
	}
	var best map[string]int
	gap := math.Inf(1)
	for _, st := range s.byGroup[key] {
		if d := math.Abs(st.cost - cost); d < gap {
			gap, best = d, st.config
		}
	}
	return best
}

// unit is a node of the reduced pipeline: a function, or an equivalent node
// standing for a searched group (§3.2.2 "Equivalence Transformation").
type unit struct {
	node    int // function index, -1 for an equivalent
	group   int // group index for an equivalent
	order   int // smallest node index it stands for: a topological key
	preds   []int
	samples []float64 // equivalent only
	cost    float64   // equivalent only
}

// GroupProblem is one group's (or the top level's) search: choose a grid
// index for each free function so that the cost stays within Budget and the
// mean time is lowest.
type GroupProblem struct {
	Free   []int // function indices to configure
	Budget float64
	Start  []int // a warm start (grid indices per Free entry), or nil
	Grid   int   // number of grid sizes
	// Eval returns the mean time (ms) and cost of an assignment; +Inf time
	// when over budget or not allowed.
	Eval func(idx []int) (ms, cost float64)
	// Costs is each free function's cost per grid size (+Inf: not allowed).
	Costs [][]float64
}

// searcher holds one search.
type searcher struct {
	nodes []NodeModel
	part  *Partition
	cb    float64
	opt   Options
	store *Store
	n     int // samples
	grid  int
	work  int
}

// Search finds a configuration under cbound from the node models, group by
// group bottom-up, over several rounds of cost allocation.
func Search(ctx context.Context, part *Partition, nodes []NodeModel, cbound float64, opt Options, store *Store) (*Plan, error) {
	opt = opt.withDefaults()
	if len(nodes) != len(part.DAG.Nodes) {
		return nil, fmt.Errorf("navigator: %d node models for %d functions", len(nodes), len(part.DAG.Nodes))
	}
	s := &searcher{nodes: nodes, part: part, cb: cbound, opt: opt, store: store,
		n: len(nodes[0].Samples[0]), grid: len(nodes[0].Cost)}
	for i, nm := range nodes {
		if len(nm.Cost) != s.grid || len(nm.Samples) != s.grid {
			return nil, fmt.Errorf("navigator: node %d has %d sizes, want %d", i, len(nm.Cost), s.grid)
		}
		for g := range nm.Samples {
			if len(nm.Samples[g]) != s.n {
				return nil, fmt.Errorf("navigator: node %d size %d has %d samples, want %d", i, g, len(nm.Samples[g]), s.n)
			}
			if j := slices.IndexFunc(nm.Samples[g], math.IsNaN); j >= 0 {
				return nil, fmt.Errorf("navigator: node %d (%s) size %d sample %d is NaN", i, part.DAG.Nodes[i].Name, g, j)
			}
		}
	}
	minCost := 0.0
	for i := range nodes {
		c := s.minCost(i)
		if math.IsInf(c, 1) {
			return nil, fmt.Errorf("navigator: function %q is not allowed at any size (predicted out of memory): %w", part.DAG.Nodes[i].Name, ErrInfeasible)
		}
		minCost += c
	}
	if minCost > cbound {
		return nil, ErrInfeasible
	}
	slack := cbound - minCost
	parts := len(part.Groups) + 1
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6e6176))
	plan := &Plan{LatencyMs: math.Inf(1)}
	seen := map[string]bool{}
	for r := 0; r < opt.Rounds; r++ {
		var w []float64
		if r == 0 {
			w = s.gainWeights()
		} else {
			w = dirichlet(rng, parts)
		}
		cfg, err := s.round(ctx, w, slack)
		if err != nil {
			return nil, err
		}
		lat, cost := s.evaluateAll(cfg)
		key := fmt.Sprint(cfg)
		if !seen[key] && cost <= cbound*(1+1e-12) {
			seen[key] = true
			plan.Candidates = append(plan.Candidates, Candidate{Config: cfg, LatencyMs: lat, CostUSD: cost, Round: r})
		}
		if cost <= cbound*(1+1e-12) && lat < plan.LatencyMs {
			plan.Config, plan.LatencyMs, plan.CostUSD = cfg, lat, cost
		}
	}
	plan.Work = s.work
	if plan.Config == nil {
		return nil, ErrInfeasible
	}
	sort.SliceStable(plan.Candidates, func(a, b int) bool { return plan.Candidates[a].LatencyMs < plan.Candidates[b].LatencyMs })
	return plan, nil
}

func (s *searcher) minCost(i int) float64 {
	m := math.Inf(1)
	for _, c := range s.nodes[i].Cost {
		m = math.Min(m, c)
	}
	return m
}

// gainWeights is the first round's allocation: each part's share of the slack
// is proportional to how much latency its free functions can gain, from their
// cheapest size to their fastest allowed one, per dollar.
func (s *searcher) gainWeights() []float64 {
	w := make([]float64, len(s.part.Groups)+1)
	for pi := range w {
		for _, v := range s.freeNodes(pi) {
			slow, fast := math.Inf(1), math.Inf(1)
			cheapest := math.Inf(1)
			for g, c := range s.nodes[v].Cost {
				if math.IsInf(c, 1) {
					continue
				}
				m := mean(s.nodes[v].Samples[g])
				fast = math.Min(fast, m)
				if c < cheapest {
					cheapest, slow = c, m
				}
			}
			if !math.IsInf(slow, 1) {
				w[pi] += slow - fast
			}
		}
	}
	total := 0.0
	for _, x := range w {
		total += x
	}
	for i := range w {
		if total > 0 {
			w[i] /= total
		} else {
			w[i] = 1 / float64(len(w))
		}
	}
	return w
}

// freeNodes are the functions a part configures: a group's own nodes not in
// a child group, or (part = len(Groups)) the nodes in no group.
func (s *searcher) freeNodes(pi int) []int {
	inChild := map[int]bool{}
	var own []int
	if pi < len(s.part.Groups) {
		g := s.part.Groups[pi]
		for _, c := range g.Children {
			for _, v := range s.part.Groups[c].Nodes {
				inChild[v] = true
			}
		}
		own = g.Nodes
	} else {
		for _, g := range s.part.Groups {
			if g.Parent < 0 {
				for _, v := range g.Nodes {
					inChild[v] = true
				}
			}
		}
		for v := range s.part.DAG.Nodes {
			own = append(own, v)
		}
	}
	var out []int
	for _, v := range own {
		if !inChild[v] {
			out = append(out, v)
		}
	}
	return out
}

// round runs one bottom-up pass with allocation weights w of the slack.
func (s *searcher) round(ctx context.Context, w []float64, slack float64) ([]int, error) {
	cfg := make([]int, len(s.nodes))
	equiv := map[int]*unit{} // searched groups by index
	spentBelowTop := 0.0
	for gi, g := range s.part.Groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		free := s.freeNodes(gi)
		budget := w[gi] * slack
		for _, v := range free {
			budget += s.minCost(v)
		}
		for _, c := range g.Children {
			budget += equiv[c].cost
		}
		units := s.units(g.Nodes, equiv)
		idx, samples, cost, err := s.searchPart(ctx, groupKey(s.part, gi), free, units, budget)
		if err != nil {
			return nil, fmt.Errorf("navigator: group %s: %w", s.part.Name(g), err)
		}
		for k, v := range free {
			cfg[v] = idx[k]
		}
		// The equivalent node carries the cost actually spent (children
		// included), not the allocation, so unspent budget flows upward.
		equiv[gi] = &unit{node: -1, group: gi, samples: samples, cost: cost}
		if g.Parent < 0 {
			spentBelowTop += cost
		}
	}
	top := len(s.part.Groups)
	free := s.freeNodes(top)
	all := make([]int, len(s.nodes))
	for v := range all {
		all[v] = v
	}
	units := s.units(all, equiv)
	idx, _, _, err := s.searchPart(ctx, "top", free, units, s.cb)
	if err != nil {
		return nil, fmt.Errorf("navigator: top level: %w", err)
	}
	for k, v := range free {
		cfg[v] = idx[k]
	}
	return cfg, nil
}

func groupKey(p *Partition, gi int) string {
	g := p.Groups[gi]
	names := make([]string, len(g.Nodes))
	for i, v := range g.Nodes {
		names[i] = p.DAG.Nodes[v].Name
	}
	return strings.Join(names, ",")
}

// units builds the reduced graph of a node set: the outermost searched group
// containing a node stands for it.
func (s *searcher) units(members []int, equiv map[int]*unit) []unit {
	rep := map[int]int{} // node → unit index
	var out []unit
	// Outermost searched groups inside the member set.
	in := map[int]bool{}
	for _, v := range members {
		in[v] = true
	}
	for gi := len(s.part.Groups) - 1; gi >= 0; gi-- {
		e, ok := equiv[gi]
		if !ok {
			continue
		}
		g := s.part.Groups[gi]
		if !in[g.Nodes[0]] || !subset(g.Nodes, members) {
			continue
		}
		if _, taken := rep[g.Nodes[0]]; taken {
			continue // inside a larger searched group already
		}
		u := *e
		u.order = g.Nodes[0]
		out = append(out, u)
		for _, v := range g.Nodes {
			rep[v] = len(out) - 1
		}
	}
	for _, v := range members {
		if _, ok := rep[v]; !ok {
			out = append(out, unit{node: v, order: v})
			rep[v] = len(out) - 1
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].order < out[b].order })
	for i := range out {
		if out[i].node >= 0 {
			rep[out[i].node] = i
		} else {
			for _, v := range s.part.Groups[out[i].group].Nodes {
				rep[v] = i
			}
		}
	}
	for i := range out {
		var nodes []int
		if out[i].node >= 0 {
			nodes = []int{out[i].node}
		} else {
			nodes = s.part.Groups[out[i].group].Nodes
		}
		seen := map[int]bool{}
		for _, v := range nodes {
			for _, p := range s.part.DAG.Nodes[v].Preds {
				if r, ok := rep[p]; ok && r != i && !seen[r] {
					seen[r] = true
					out[i].preds = append(out[i].preds, r)
				}
			}
		}
		sort.Ints(out[i].preds)
	}
	return out
}

// searchPart chooses sizes for free functions among units to minimise the
// mean of the part's time (the latest finish among its units) within budget.
// It returns the choice, the part's time samples and its cost.
func (s *searcher) searchPart(ctx context.Context, key string, free []int, units []unit, budget float64) ([]int, []float64, float64, error) {
	// The candidate loop below runs millions of times per tuning run (the
	// confirmation searches again at every bound scale), so it works on
	// plain slices: each unit's position in idx and, per candidate, each
	// unit's sample row.
	at := make([]int, len(units)) // unit → position of its node in idx, -1 for an equivalent
	for ui, u := range units {
		at[ui] = -1
		if u.node >= 0 {
			at[ui] = slices.Index(free, u.node)
		}
	}
	fixedCost := 0.0
	for _, u := range units {
		if u.node < 0 {
			fixedCost += u.cost
		}
	}
	fin := make([]float64, len(units))
	rows := make([][]float64, len(units))
	// useConfig points rows at idx's sample rows.
	useConfig := func(idx []int) {
		for ui, u := range units {
			if u.node >= 0 {
				rows[ui] = s.nodes[u.node].Samples[idx[at[ui]]]
			} else {
				rows[ui] = u.samples
			}
		}
	}
	// timeOf computes sample j's part time under the rows in use (maxTime,
	// not math.Max: an assembly call that dominated the search's profile).
	timeOf := func(j int) float64 {
		var end float64
		for ui := range units {
			start := 0.0
			for _, p := range units[ui].preds {
				start = maxTime(start, fin[p])
			}
			fin[ui] = start + rows[ui][j]
			end = maxTime(end, fin[ui])
		}
		return end
	}
	cost := func(idx []int) float64 {
		c := fixedCost
		for k, v := range free {
			c += s.nodes[v].Cost[idx[k]]
		}
		return c
	}
	best := math.Inf(1)
	eval := func(idx []int) (float64, float64) {
		c := cost(idx)
		if c > budget*(1+1e-12) {
			return math.Inf(1), c
		}
		s.work++
		var sum float64
		limit := best * float64(s.n)
		useConfig(idx)
		for j := 0; j < s.n; j++ {
			sum += timeOf(j)
			if sum > limit {
				return math.Inf(1), c // worse than the incumbent: no need to finish
			}
		}
		m := sum / float64(s.n)
		best = math.Min(best, m)
		return m, c
	}
	minCost := make([]float64, len(free))
	for k, v := range free {
		minCost[k] = s.minCost(v)
	}
	var idx []int
	if len(free) == 0 {
		idx = []int{}
	} else if len(free) <= s.opt.ExhaustiveDims {
		lo, hi := make([]int, len(free)), make([]int, len(free))
		for k := range free {
			lo[k], hi[k] = 0, s.grid-1
		}
		if start := s.stored(key, budget, free); start != nil && s.opt.Radius > 0 {
			// Widen the box around the stored configuration until something
			// fits (a changed fan-out moves the budget's reach): radius r,
			// 2r, 4r, … before the whole grid.
			for r := s.opt.Radius; idx == nil && r < s.grid; r *= 2 {
				for k := range free {
					lo[k], hi[k] = max(0, start[k]-r), min(s.grid-1, start[k]+r)
				}
				idx = s.exhaustive(free, minCost, budget-fixedCost, lo, hi, eval)
			}
			for k := range free {
				lo[k], hi[k] = 0, s.grid-1
			}
		}
		if idx == nil {
			idx = s.exhaustive(free, minCost, budget-fixedCost, lo, hi, eval)
		}
	} else {
		costs := make([][]float64, len(free))
		for k, v := range free {
			costs[k] = s.nodes[v].Cost
		}
		gp := &GroupProblem{Free: free, Budget: budget, Grid: s.grid, Costs: costs,
			Eval: func(idx []int) (float64, float64) { best = math.Inf(1); return eval(idx) }}
		gp.Start = s.stored(key, budget, free)
		large := s.opt.Large
		if large == nil {
			large = LocalSearch
		}
		var err error
		if idx, err = large(ctx, gp); err != nil {
			return nil, nil, 0, err
		}
	}
	if idx == nil {
		return nil, nil, 0, fmt.Errorf("no configuration of %d functions fits its budget $%.3g", len(free), budget)
	}
	samples := make([]float64, s.n)
	useConfig(idx)
	for j := range samples {
		samples[j] = timeOf(j)
	}
	c := cost(idx)
	cfg := map[string]int{}
	for k, v := range free {
		cfg[s.part.DAG.Nodes[v].Name] = idx[k]
	}
	s.store.put(key, budget, cfg)
	return idx, samples, c, nil
}

// maxTime is math.Max(a, b) for times that are never NaN (Search rejects
// NaN samples) and an a that is never -0 (every use starts from +0).
func maxTime(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// stored is the stored configuration of the group nearest in cost, as grid
// indices of free, or nil when there is none or it lacks one of the free
// functions (the pipeline changed): a partial warm start would pin the new
// function to an arbitrary size.
func (s *searcher) stored(key string, budget float64, free []int) []int {
	st := s.store.closest(key, budget)
	if st == nil {
		return nil
	}
	start := make([]int, len(free))
	for k, v := range free {
		g, ok := st[s.part.DAG.Nodes[v].Name]
		if !ok || g < 0 || g >= s.grid {
			return nil
		}
		start[k] = g
	}
	return start
}

// exhaustive enumerates the grid product depth-first, pruning partial
// assignments whose cost plus the cheapest completion exceeds the budget.
// Node k takes grid indices lo[k]..hi[k].
func (s *searcher) exhaustive(free []int, minCost []float64, budget float64, lo, hi []int, eval func([]int) (float64, float64)) []int {
	d := len(free)
	rest := make([]float64, d+1)
	for k := d - 1; k >= 0; k-- {
		rest[k] = rest[k+1] + minCost[k]
	}
	idx := make([]int, d)
	var bestIdx []int
	bestMs := math.Inf(1)
	bestCost := math.Inf(1)
	var visit func(k int, c float64)
	visit = func(k int, c float64) {
		if k == d {
			ms, cost := eval(idx)
			if ms < bestMs || (ms == bestMs && cost < bestCost) {
				bestMs, bestCost = ms, cost
				bestIdx = append(bestIdx[:0], idx...)
			}
			return
		}
		for g := lo[k]; g <= hi[k]; g++ {
			cg := c + s.nodes[free[k]].Cost[g]
			if cg+rest[k+1] > budget*(1+1e-12) {
				continue
			}
			idx[k] = g
			visit(k+1, cg)
		}
	}
	visit(0, 0)
	return bestIdx
}

// evaluateAll predicts the whole pipeline's mean latency and cost.
func (s *searcher) evaluateAll(cfg []int) (float64, float64) {
	var cost float64
	for v := range s.nodes {
		cost += s.nodes[v].Cost[cfg[v]]
	}
	return predictLatency(s.part.DAG, s.nodes, cfg), cost
}

// LocalSearch is the search for large groups when no Bayesian optimiser is
// configured: from the warm start (or the cheapest sizes), repeatedly take
// the single-function size change that lowers the mean time most within the
// budget. It is deterministic.
func LocalSearch(ctx context.Context, p *GroupProblem) ([]int, error) {
	d := len(p.Free)
	cur := make([]int, d)
	if p.Start != nil {
		copy(cur, p.Start)
	}
	curMs, _ := p.Eval(cur)
	if math.IsInf(curMs, 1) { // start from the cheapest sizes
		for k := range cur {
			cur[k] = cheapestIndex(p, k)
		}
		curMs, _ = p.Eval(cur)
	}
	for step := 0; step < 64*d; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bestMs, bestK, bestG := curMs, -1, -1
		for k := 0; k < d; k++ {
			old := cur[k]
			for g := 0; g < p.Grid; g++ {
				if g == old {
					continue
				}
				cur[k] = g
				if ms, _ := p.Eval(cur); ms < bestMs {
					bestMs, bestK, bestG = ms, k, g
				}
			}
			cur[k] = old
		}
		if bestK < 0 {
			break
		}
		cur[bestK] = bestG
		curMs = bestMs
	}
	if math.IsInf(curMs, 1) {
		return nil, nil
	}
	return cur, nil
}

func cheapestIndex(p *GroupProblem, k int) int {
	best := 0
	for g, c := range p.Costs[k] {
		if c < p.Costs[k][best] {
			best = g
		}
	}
	return best
}

// dirichlet draws a point uniformly from the simplex (Dirichlet(1,…,1)).
func dirichlet(rng *rand.Rand, k int) []float64 {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		w[i] = rng.ExpFloat64()
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
