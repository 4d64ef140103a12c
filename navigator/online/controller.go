package online

import (
	"fmt"
	"math"
	"sort"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
)

// Controller adjusts memory around the offline optimum (§3.3.1).
type Controller struct {
	Grid        []int
	Bound       float64 // C_bound, USD per request
	Offline     backend.Config
	Alpha       float64 // batch constriction factor (default 1)
	Band        float64 // hysteresis dead band (default 0.03)
	MinRequests int     // fewer closed requests in a window: no change (default 10)
	Radius      int     // grid steps allowed around the offline optimum (default 8)

	current  backend.Config
	oomFloor map[string]int // smallest index known to fit
	lastMove map[string]move
	window   int
	changed  int // window of the last change
}

type move struct {
	window int
	dir    int
}

// NewController starts at the offline optimum.
func NewController(grid []int, bound float64, offline backend.Config) *Controller {
	return &Controller{Grid: grid, Bound: bound, Offline: offline.Clone(), Alpha: 1, Band: 0.03, MinRequests: 10, Radius: 8,
		current: offline.Clone(), oomFloor: map[string]int{}, lastMove: map[string]move{}, changed: -10}
}

// Current is the configuration in force.
func (c *Controller) Current() backend.Config { return c.current.Clone() }

// Reset restarts from a new offline optimum (after a structure update).
func (c *Controller) Reset(offline backend.Config) {
	c.Offline, c.current = offline.Clone(), offline.Clone()
	c.lastMove = map[string]move{}
	c.changed = c.window
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
	Config  backend.Config
	Reason  string
}

// Step looks at the requests closed in one window and decides.
func (c *Controller) Step(dag *pipeline.DAG, reqs []*Request) Decision {
	c.window++
	// Out-of-memory failures raise that function's floor at once.
	for _, q := range reqs {
		for f, recs := range q.Invocations {
			for _, r := range recs {
				if r.Status == backend.OOM {
					c.oomFloor[f] = max(c.oomFloor[f], c.index(int(r.MemoryMB))+1)
				}
			}
		}
	}
	var ok []*Request
	for _, q := range reqs {
		if !q.Failed {
			ok = append(ok, q)
		}
	}
	if len(ok) < c.MinRequests {
		if c.fixFloors() {
			return Decision{Changed: true, Config: c.Current(), Reason: "raised functions that ran out of memory"}
		}
		return Decision{Reason: fmt.Sprintf("%d requests closed, fewer than the minimum %d: no change", len(ok), c.MinRequests)}
	}
	if c.window-c.changed < 2 {
		if c.fixFloors() {
			return Decision{Changed: true, Config: c.Current(), Reason: "raised functions that ran out of memory"}
		}
		return Decision{Reason: "cool-down after the last change"}
	}
	var cost float64
	critical := map[string]int{}
	for _, q := range ok {
		cost += q.CostUSD
		for _, f := range CriticalPath(dag, q) {
			critical[f]++
		}
	}
	creal := cost / float64(len(ok))
	names := dag.Names()
	switch {
	case creal > c.Bound*(1+c.Band):
		// Batch constriction of non-critical functions.
		frac := c.Alpha * (creal - c.Bound) / creal
		var moved []string
		for _, f := range names {
			if critical[f]*2 >= len(ok) {
				continue
			}
			// Δr = α(C_real − C_bound) as a share of the function's memory.
			target := float64(c.current[f]) * (1 - frac)
			j := sort.SearchInts(c.Grid, int(math.Floor(target))+1) - 1
			if c.shift(f, min(-1, j-c.index(c.current[f])), true) {
				moved = append(moved, f)
			}
		}
		if len(moved) == 0 {
			// Everything is critical: shrink the least critical one step.
			sort.SliceStable(names, func(a, b int) bool { return critical[names[a]] < critical[names[b]] })
			for _, f := range names {
				if c.shift(f, -1, true) {
					moved = append(moved, f)
					break
				}
			}
		}
		if len(moved) > 0 {
			c.changed = c.window
			return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("over budget ($%.3g > $%.3g): constricted %v", creal, c.Bound, moved)}
		}
		return Decision{Reason: "over budget, but every function is at its floor"}
	case creal < c.Bound*(1-c.Band):
		// Relax the function most often on the critical path, if its worst-
		// case extra cost fits.
		sort.SliceStable(names, func(a, b int) bool { return critical[names[a]] > critical[names[b]] })
		perFn := map[string]float64{}
		for _, q := range ok {
			for f, recs := range q.Invocations {
				for _, r := range recs {
					perFn[f] += r.CostUSD
				}
			}
		}
		for _, f := range names {
			if critical[f] == 0 {
				break
			}
			i := c.index(c.current[f])
			if i+1 >= len(c.Grid) {
				continue
			}
			extra := perFn[f] / float64(len(ok)) * (float64(c.Grid[i+1])/float64(c.Grid[i]) - 1)
			if creal+extra > c.Bound {
				continue
			}
			if c.shift(f, +1, false) {
				c.changed = c.window
				return Decision{Changed: true, Config: c.Current(), Reason: fmt.Sprintf("under budget ($%.3g < $%.3g): relaxed critical %s to %d MB", creal, c.Bound, f, c.current[f])}
			}
		}
		return Decision{Reason: "under budget, but no critical function can grow within the bound"}
	}
	return Decision{Reason: fmt.Sprintf("within the band ($%.3g vs $%.3g)", creal, c.Bound)}
}

// shift moves f by steps grid positions within its limits; it refuses to undo
// a move made in the last two windows.
func (c *Controller) shift(f string, steps int, shrinking bool) bool {
	off := c.index(c.Offline[f])
	i := c.index(c.current[f])
	lo := max(0, off-c.Radius, c.oomFloor[f])
	hi := min(len(c.Grid)-1, off+c.Radius)
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

// fixFloors raises any function below its out-of-memory floor.
func (c *Controller) fixFloors() bool {
	changed := false
	for f, floor := range c.oomFloor {
		if floor < len(c.Grid) && c.index(c.current[f]) < floor {
			c.current[f] = c.Grid[floor]
			changed = true
		}
	}
	if changed {
		c.changed = c.window
	}
	return changed
}
