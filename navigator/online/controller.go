package online

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"gonum.org/v1/gonum/stat/distuv"
)

// Controller adjusts memory around the offline optimum (§3.3.1).
type Controller struct {
	Grid        []int
	Bound       float64 // C_bound, USD per request
	Offline     backend.Config
	Alpha       float64 // adjustment factor of Δr = α(C_real − C_bound), both directions (default 1)
	Band        float64 // hysteresis dead band (default 0.03)
	MinRequests int     // fewer closed requests under a configuration: wait (default 3)
	MaxRequests int     // decide on the mean once this many requests are in (default 400)
	Z           float64 // a move needs C_real ± Z·SE clear of the band (default 1.645)
	Radius      int     // grid steps allowed around the offline optimum (0, the default: no limit)
	// OOMGrowth: a function that ran out of memory at m MB moves to at least
	// OOMGrowth·m at once (default 2; 1: one grid step). See the package doc.
	OOMGrowth float64
	// Model predicts a function's mean time (ms) and cost per request (USD)
	// at each memory size mb (navigator.Navigator.Curve): over budget, the
	// controller cuts where the model says a cut saves. nil: cost is taken
	// to fall in proportion to memory, and a critical function moves one
	// grid step at a time.
	Model func(fn string) (mb []int, ms, usd []float64, ok bool)

	current  backend.Config
	oomFloor map[string]int // smallest index known to fit
	oomRaise map[string]int // a one-time raise after an out-of-memory failure
	lastMove map[string]move
	window   int // decisions taken
}

type move struct {
	window int
	dir    int
}

// NewController starts at the offline optimum.
func NewController(grid []int, bound float64, offline backend.Config) *Controller {
	return &Controller{Grid: grid, Bound: bound, Offline: offline.Clone(), Alpha: 1, Band: 0.03, MinRequests: 3, MaxRequests: 400, Z: 1.645, OOMGrowth: 2,
		current: offline.Clone(), oomFloor: map[string]int{}, oomRaise: map[string]int{}, lastMove: map[string]move{}}
}

// Current is the configuration in force.
func (c *Controller) Current() backend.Config { return c.current.Clone() }

// Reset restarts from a new offline optimum (after a structure update).
func (c *Controller) Reset(offline backend.Config) {
	c.Offline, c.current = offline.Clone(), offline.Clone()
	c.lastMove = map[string]move{}
}

func (c *Controller) index(mb int) int {
	i := sort.SearchInts(c.Grid, mb)
	if i == len(c.Grid) {
		return len(c.Grid) - 1
	}
	return i
}

// Decision is what a window led to.
type Decision struct {
	Changed bool
	// Waiting: too few requests to decide; the caller keeps them and
	// passes them again with the next window's.
	Waiting bool
	Config  backend.Config
	Reason  string
}

// Step looks at the closed requests that started under the configuration in
// force since the last decision. With fewer than MinRequests successful ones
// it waits (Decision.Waiting: the caller keeps them and adds the next
// window's); otherwise it decides on them.
func (c *Controller) Step(dag *pipeline.DAG, reqs []*Request) Decision {
	for _, q := range reqs {
		for _, recs := range q.Invocations {
			for i := range recs {
				c.observe(&recs[i])
			}
		}
	}
	var ok []*Request
	for _, q := range reqs {
		if !q.Failed {
			ok = append(ok, q)
		}
	}
	if c.fixFloors() {
		return Decision{Changed: true, Config: c.Current(), Reason: "raised functions that ran out of memory"}
	}
	if len(ok) < c.MinRequests {
		return Decision{Waiting: true, Reason: fmt.Sprintf("%d requests under this configuration, fewer than the minimum %d: waiting", len(ok), c.MinRequests)}
	}
	var cost, cost2 float64
	critical := map[string]int{}
	critMs := map[string]float64{} // time on the critical path by function
	perFn := map[string]float64{}  // cost per request by function
	for _, q := range ok {
		cost += q.CostUSD
		cost2 += q.CostUSD * q.CostUSD
		for _, f := range CriticalPath(dag, q) {
			critical[f]++
			var d int64
			for _, r := range q.Invocations[f] {
				d = max(d, r.Duration)
			}
			critMs[f] += float64(d) / 1000
		}
		for f, recs := range q.Invocations {
			for _, r := range recs {
				perFn[f] += r.CostUSD / float64(len(ok))
			}
		}
	}
	n := float64(len(ok))
	creal := cost / n
	se := math.Sqrt(math.Max(0, cost2/n-creal*creal) / math.Max(1, n-1))
	z := c.margin(len(ok))
	over, under := creal-z*se > c.Bound*(1+c.Band), creal+z*se < c.Bound*(1-c.Band)
	if !over && !under && len(ok) < c.MaxRequests &&
		(creal > c.Bound*(1+c.Band) || creal < c.Bound*(1-c.Band)) {
		return Decision{Waiting: true, Reason: fmt.Sprintf("$%.3g ± %.3g per request over %d requests: not yet clear of the band around $%.3g, waiting",
			creal, z*se, len(ok), c.Bound)}
	}
	c.window++
	names := dag.Names()
	switch {
	case over || (len(ok) >= c.MaxRequests && creal > c.Bound*(1+c.Band)):
		// Batch constriction of the non-critical functions: Δr =
		// α(C_real − C_bound) dollars per request, shared in proportion to
		// their cost, each function cut to the largest size that saves its
		// share (cutTo).
		cut := c.Alpha * (creal - c.Bound)
		var nc []string
		var ncCost float64
		for _, f := range names {
			if critical[f]*2 < len(ok) && perFn[f] > 0 {
				nc = append(nc, f)
				ncCost += perFn[f]
			}
		}
		var moved []string
		if ncCost > 0 {
			for _, f := range nc {
				if j, ok := c.cutTo(f, perFn[f], cut*perFn[f]/ncCost); ok && c.shift(f, j-c.index(c.current[f])) {
					moved = append(moved, f)
				}
			}
		}
		if len(moved) == 0 {
			// Everything is critical (or at its floor): a cut now costs
			// latency (criticalCut).
			if f, j, ok := c.criticalCut(names, perFn, critMs, n, cut); ok && c.shift(f, j-c.index(c.current[f])) {
				moved = append(moved, f)
			}
		}
		if len(moved) > 0 {
			parts := make([]string, len(moved))
			for k, f := range moved {
				parts[k] = fmt.Sprintf("%s→%d", f, c.current[f])
			}
			return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("over budget ($%.3g > $%.3g): constricted %s", creal, c.Bound, strings.Join(parts, " "))}
		}
		return Decision{Reason: "over budget, but no function can shrink at a saving"}
	case under || (len(ok) >= c.MaxRequests && creal < c.Bound*(1-c.Band)):
		// Critical-path relaxation: one critical function grows by as much
		// as Δr = α(C_bound − C_real) pays for if it did not speed up at all
		// (relax).
		if f, j, ok := c.relax(names, critical, perFn, critMs, n, c.Alpha*(c.Bound-creal)); ok && c.shift(f, j-c.index(c.current[f])) {
			return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("under budget ($%.3g < $%.3g): relaxed critical %s to %d MB", creal, c.Bound, f, c.current[f])}
		}
		return Decision{Reason: "under budget, but no critical function can grow within the bound at a predicted speed-up"}
	}
	return Decision{Reason: fmt.Sprintf("within the band ($%.3g vs $%.3g)", creal, c.Bound)}
}

// relax chooses the critical function to grow under budget and its size:
// at most the size whose extra cost, were the function not to speed up at
// all (cost ∝ memory), fits in slack. With a Model it is the function and
// size with the largest predicted saving of time on the critical path,
// critMs[f]/n · (1 − ms[j]/ms[i]), the smallest size within 1 % of that
// saving, and none where no growth is predicted to save at least 1 % of the
// function's time (the measured platform's tables are flat from 3,584 MB:
// growing there spent the budget for nothing, and the cuts that followed
// cost latency). Without a model of any candidate it is the function with
// the most time on the critical path that can grow, to the largest such
// size.
func (c *Controller) relax(names []string, critical map[string]int, perFn, critMs map[string]float64, n, slack float64) (string, int, bool) {
	byTime := slices.Clone(names)
	sort.SliceStable(byTime, func(a, b int) bool { return critMs[byTime[a]] > critMs[byTime[b]] })
	bestF, bestJ, bestGain, modelled := "", 0, 0.0, false
	blindF, blindJ := "", 0 // the first that can grow, for want of a model
	for _, f := range byTime {
		if critical[f] == 0 || c.blocked(f, 1) {
			continue
		}
		i := c.index(c.current[f])
		_, top := c.limits(f)
		hi := i
		for hi+1 <= top && perFn[f]*(float64(c.Grid[hi+1])/float64(c.Grid[i])-1) <= slack {
			hi++
		}
		if hi <= i {
			continue
		}
		_, ms, ok := c.curves(f)
		if !ok {
			if blindF == "" {
				blindF, blindJ = f, hi
			}
			continue
		}
		modelled = true
		t := critMs[f] / n
		gain, best := 0.0, i
		for j := i + 1; j <= hi; j++ {
			if g := t * (1 - ms[j]/ms[i]); g > gain*(1+tieTolerance) {
				gain, best = g, j
			}
		}
		if gain > tieTolerance*t && gain > bestGain {
			bestF, bestJ, bestGain = f, best, gain
		}
	}
	if !modelled {
		return blindF, blindJ, blindF != ""
	}
	return bestF, bestJ, bestF != ""
}

// margin is how many standard errors C_real must be clear of the band by:
// Student's t with n−1 degrees of freedom at the one-sided probability of
// the normal quantile Z (1.645: 95 %), since the standard error of a few
// requests' costs is itself uncertain (3 requests: 2.92, 10: 1.83).
func (c *Controller) margin(n int) float64 {
	if n < 2 {
		return c.Z
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(distuv.UnitNormal.CDF(c.Z))
}

// cutTo is the grid index function f (perFn dollars per request now) is cut
// to so as to save save dollars per request: the largest size predicted to
// save that much, or, if none does, the largest of the sizes that save the
// most; ok is false if no size within f's limits is predicted to save
// anything. With a Model the saving at size j is perFn·(1 − usd[j]/usd[i]),
// the model's cost ratio to the current size i, a ratio so that the model's
// level errors cancel. Without one, cost is taken to fall in proportion to
// memory (as if the function's duration did not change): the size cut by
// the fraction save/perFn, at least one step.
func (c *Controller) cutTo(f string, perFn, save float64) (int, bool) {
	i := c.index(c.current[f])
	lo, _ := c.limits(f)
	if lo >= i {
		return 0, false
	}
	usd, _, ok := c.curves(f)
	if !ok {
		target := float64(c.current[f]) * (1 - math.Min(1, save/perFn))
		j := sort.SearchInts(c.Grid, int(math.Floor(target))+1) - 1
		return max(lo, min(i-1, j)), true
	}
	best, bestSave := -1, 0.0
	for j := i - 1; j >= lo; j-- {
		s := perFn * (1 - usd[j]/usd[i])
		if s >= save {
			return j, true
		}
		if s > bestSave*(1+tieTolerance) {
			best, bestSave = j, s
		}
	}
	return best, best >= 0
}

// tieTolerance: savings within 1 % of each other count as equal, and the
// larger size (the faster one) is kept; below a CPU-bound function's full
// vCPU its predicted cost is flat to within Monte-Carlo noise.
const tieTolerance = 0.01

// criticalCut chooses the over-budget cut when no non-critical function can
// shrink: every candidate now lengthens requests. With a Model it is the cut
// (function and size, cutTo's limits) with the smallest predicted latency
// cost, critMs[f]/n · (ms[j]/ms[i] − 1), among those predicted to save the
// whole cut, or, if none does, the one that saves the most. Without a Model
// nothing tells what a cut saves: the least critical function moves one grid
// step (the paper's small, incremental changes on the critical path). Cutting
// the whole gap from one critical function assuming cost ∝ memory took a
// CPU-bound face-detect from 3,840 to 256 MB without saving anything
// (catalogue, +30 %, seed 2: mean latency ×2.8; the package doc).
func (c *Controller) criticalCut(names []string, perFn, critMs map[string]float64, n, cut float64) (string, int, bool) {
	type option struct {
		f          string
		j          int
		save, cost float64
	}
	var best *option
	modelled := false // some candidate has a model: no blind step
	better := func(o *option) bool {
		if best == nil {
			return true
		}
		if full, bestFull := o.save >= cut, best.save >= cut; full != bestFull {
			return full
		} else if !full && math.Abs(o.save-best.save) > tieTolerance*best.save {
			return o.save > best.save
		}
		return o.cost < best.cost
	}
	for _, f := range names {
		if perFn[f] <= 0 || c.blocked(f, -1) {
			continue
		}
		i := c.index(c.current[f])
		usd, ms, ok := c.curves(f)
		if !ok {
			continue
		}
		modelled = true
		lo, _ := c.limits(f)
		for j := i - 1; j >= lo; j-- {
			o := &option{f: f, j: j, save: perFn[f] * (1 - usd[j]/usd[i]), cost: critMs[f] / n * (ms[j]/ms[i] - 1)}
			if o.save > 0 && better(o) {
				best = o
			}
		}
	}
	if best != nil {
		return best.f, best.j, true
	}
	if modelled {
		return "", 0, false
	}
	sort.SliceStable(names, func(a, b int) bool { return critMs[names[a]] < critMs[names[b]] })
	for _, f := range names {
		lo, _ := c.limits(f)
		if i := c.index(c.current[f]); perFn[f] > 0 && !c.blocked(f, -1) && i > lo {
			return f, i - 1, true
		}
	}
	return "", 0, false
}

// curves is the Model's cost and time of f at each size of the controller's
// grid; ok is false without a Model, for a function it does not know, or
// where it has no finite positive prediction at the current size.
func (c *Controller) curves(f string) (usd, ms []float64, ok bool) {
	if c.Model == nil {
		return nil, nil, false
	}
	mb, m, u, ok := c.Model(f)
	if !ok || len(mb) != len(m) || len(mb) != len(u) {
		return nil, nil, false
	}
	usd, ms = make([]float64, len(c.Grid)), make([]float64, len(c.Grid))
	for g, size := range c.Grid {
		k := slices.Index(mb, size)
		usd[g], ms[g] = math.Inf(1), math.Inf(1)
		if k >= 0 && u[k] > 0 && m[k] > 0 && !math.IsNaN(u[k]) && !math.IsNaN(m[k]) {
			usd[g], ms[g] = u[k], m[k]
		}
	}
	i := c.index(c.current[f])
	return usd, ms, !math.IsInf(usd[i], 0) && !math.IsInf(ms[i], 0)
}

// limits are the grid indices f may move between: from its memory floor to
// the top of the grid, within Radius of the offline optimum if one is set.
func (c *Controller) limits(f string) (lo, hi int) {
	lo, hi = c.oomFloor[f], len(c.Grid)-1
	if c.Radius > 0 {
		off := c.index(c.Offline[f])
		lo, hi = max(lo, off-c.Radius), min(hi, off+c.Radius)
	}
	return lo, hi
}

// blocked: a move of f in direction dir would undo one made in the last two
// decisions.
func (c *Controller) blocked(f string, dir int) bool {
	m, ok := c.lastMove[f]
	return ok && m.dir == -dir && c.window-m.window <= 2
}

// shift moves f by steps grid positions within its limits; it refuses to undo
// a move made in the last two decisions.
func (c *Controller) shift(f string, steps int) bool {
	i := c.index(c.current[f])
	lo, hi := c.limits(f)
	j := min(hi, max(lo, i+steps))
	if j == i {
		return false
	}
	dir := 1
	if j < i {
		dir = -1
	}
	if c.blocked(f, dir) {
		return false
	}
	c.current[f] = c.Grid[j]
	c.lastMove[f] = move{c.window, dir}
	return true
}

// observe takes the memory evidence of one REPORT line: an out-of-memory
// failure sets the function's floor above the size that failed and, unless
// it has moved up since, a one-time raise to OOMGrowth times that size; a
// success sets the floor at 1.1 × its Max Memory Used (the navigator's
// memory margin, navigator.Navigator.MemoryMargin).
func (c *Controller) observe(r *backend.Record) {
	f := r.Function
	if r.Status == backend.OOM {
		c.oomFloor[f] = max(c.oomFloor[f], c.index(int(r.MemoryMB))+1)
		if int(r.MemoryMB) >= c.current[f] {
			c.oomRaise[f] = max(c.oomRaise[f], c.index(int(math.Ceil(math.Max(c.OOMGrowth, 1)*float64(r.MemoryMB)))))
		}
	}
	if r.MaxMemoryMB > 0 {
		c.oomFloor[f] = max(c.oomFloor[f], min(len(c.Grid)-1, sort.SearchInts(c.Grid, int(math.Ceil(1.1*float64(r.MaxMemoryMB))))))
	}
}

// OutOfMemory acts on an out-of-memory failure as soon as its REPORT line
// arrives, without waiting for the window's decision: a failure is not noise
// to average, and in a burst every minute of waiting fails the heavy clips
// again. It reports the raised configuration, if anything moved.
func (c *Controller) OutOfMemory(r *backend.Record) (backend.Config, bool) {
	if _, known := c.current[r.Function]; !known || r.Status != backend.OOM || r.MemoryMB <= 0 {
		return nil, false // the inspector reports malformed records
	}
	c.observe(r)
	if !c.fixFloors() {
		return nil, false
	}
	return c.Current(), true
}

// fixFloors raises any function below its out-of-memory floor, and a
// function that just ran out of memory to its one-time raise.
func (c *Controller) fixFloors() bool {
	changed := false
	for f, floor := range c.oomFloor {
		to := min(max(floor, c.oomRaise[f]), len(c.Grid)-1)
		if c.index(c.current[f]) < to {
			c.current[f] = c.Grid[to]
			c.lastMove[f] = move{c.window, 1}
			changed = true
		}
	}
	clear(c.oomRaise)
	return changed
}
