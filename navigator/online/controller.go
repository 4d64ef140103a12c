package online

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
)

// Controller adjusts memory around the offline optimum (§3.3.1).
type Controller struct {
	Grid        []int
	Bound       float64 // C_bound, USD per request
	Offline     backend.Config
	Alpha       float64 // adjustment factor of Δr = α(C_real − C_bound), both directions (default 1)
	Band        float64 // hysteresis dead band (default 0.03)
	MinRequests int     // fewer closed requests under a configuration: wait (default 3)
	MaxRequests int     // decide on the mean once this many requests are in (default 40)
	Z           float64 // a move needs C_real ± Z·SE clear of the band (default 1.645)
	Radius      int     // grid steps allowed around the offline optimum (0, the default: no limit)
	// OOMGrowth: a function that ran out of memory at m MB moves to at least
	// OOMGrowth·m at once (default 2; 1: one grid step). See the package doc.
	OOMGrowth float64

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
	return &Controller{Grid: grid, Bound: bound, Offline: offline.Clone(), Alpha: 1, Band: 0.03, MinRequests: 3, MaxRequests: 40, Z: 1.645, OOMGrowth: 2,
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
	over, under := creal-c.Z*se > c.Bound*(1+c.Band), creal+c.Z*se < c.Bound*(1-c.Band)
	if !over && !under && len(ok) < c.MaxRequests &&
		(creal > c.Bound*(1+c.Band) || creal < c.Bound*(1-c.Band)) {
		return Decision{Waiting: true, Reason: fmt.Sprintf("$%.3g ± %.3g per request over %d requests: not yet clear of the band around $%.3g, waiting",
			creal, c.Z*se, len(ok), c.Bound)}
	}
	c.window++
	names := dag.Names()
	switch {
	case over || (len(ok) >= c.MaxRequests && creal > c.Bound*(1+c.Band)):
		// Batch constriction of the non-critical functions: Δr =
		// α(C_real − C_bound) dollars per request, shared in proportion to
		// their cost, each function's memory cut by the share of its cost it
		// must save (cost ∝ memory at a fixed duration: a CPU-bound function
		// saves less and the next decision cuts again).
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
			frac := math.Min(1, cut/ncCost)
			for _, f := range nc {
				if c.shrink(f, frac) {
					moved = append(moved, f)
				}
			}
		}
		if len(moved) == 0 {
			// Everything is critical (or at its floor): the least critical
			// function that can shrink takes the whole cut.
			sort.SliceStable(names, func(a, b int) bool { return critical[names[a]] < critical[names[b]] })
			for _, f := range names {
				if perFn[f] > 0 && c.shrink(f, math.Min(1, cut/perFn[f])) {
					moved = append(moved, f)
					break
				}
			}
		}
		if len(moved) > 0 {
			parts := make([]string, len(moved))
			for k, f := range moved {
				parts[k] = fmt.Sprintf("%s→%d", f, c.current[f])
			}
			return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("over budget ($%.3g > $%.3g): constricted %s", creal, c.Bound, strings.Join(parts, " "))}
		}
		return Decision{Reason: "over budget, but every function is at its floor"}
	case under || (len(ok) >= c.MaxRequests && creal < c.Bound*(1-c.Band)):
		// Critical-path relaxation: the function with the most time on the
		// critical path grows by as much as Δr = α(C_bound − C_real) pays for if it
		// did not speed up at all (its cost grows with its memory).
		slack := c.Alpha * (c.Bound - creal)
		sort.SliceStable(names, func(a, b int) bool { return critMs[names[a]] > critMs[names[b]] })
		for _, f := range names {
			if critical[f] == 0 {
				break
			}
			i := c.index(c.current[f])
			j := i
			for j+1 < len(c.Grid) && perFn[f]*(float64(c.Grid[j+1])/float64(c.Grid[i])-1) <= slack {
				j++
			}
			if j > i && c.shift(f, j-i) {
				return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("under budget ($%.3g < $%.3g): relaxed critical %s to %d MB", creal, c.Bound, f, c.current[f])}
			}
		}
		return Decision{Reason: "under budget, but no critical function can grow within the bound"}
	}
	return Decision{Reason: fmt.Sprintf("within the band ($%.3g vs $%.3g)", creal, c.Bound)}
}

// shrink cuts f's memory by the fraction frac, to the grid size at or below
// the target, at least one step.
func (c *Controller) shrink(f string, frac float64) bool {
	target := float64(c.current[f]) * (1 - frac)
	j := sort.SearchInts(c.Grid, int(math.Floor(target))+1) - 1
	return c.shift(f, min(-1, j-c.index(c.current[f])))
}

// shift moves f by steps grid positions within its limits; it refuses to undo
// a move made in the last two decisions.
func (c *Controller) shift(f string, steps int) bool {
	i := c.index(c.current[f])
	lo, hi := c.oomFloor[f], len(c.Grid)-1
	if c.Radius > 0 {
		off := c.index(c.Offline[f])
		lo, hi = max(lo, off-c.Radius), min(hi, off+c.Radius)
	}
	j := min(hi, max(lo, i+steps))
	if j == i {
		return false
	}
	dir := 1
	if j < i {
		dir = -1
	}
	if m, ok := c.lastMove[f]; ok && m.dir == -dir && c.window-m.window <= 2 {
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
