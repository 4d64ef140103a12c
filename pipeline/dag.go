package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/video"
)

// DAG is a validated pipeline, nodes in a deterministic topological order.
type DAG struct {
	Name  string
	Spec  *Spec
	Nodes []Node
	index map[string]int
}

// Node is one function of a validated pipeline.
type Node struct {
	Name      string
	Index     int
	Preds     []int
	Succs     []int
	InDataMB  []float64 // per predecessor (same order as Preds): edge data override, NaN for the producer's output
	Profile   *fnmodel.Profile
	Table     *fnmodel.Table
	FanOut    string // input feature giving the number of invocations; "" for one
	FanOutMax int    // 0 for no cap
	TimeoutS  float64
	Model     string // built-in model name, if any
}

// Runtime is the node's runtime family.
func (n *Node) Runtime() string {
	if n.Table != nil {
		return n.Table.Runtime
	}
	return n.Profile.Runtime
}

// Instances is the number of invocations of the node for a clip.
func (n *Node) Instances(in video.Input) int {
	if n.FanOut == "" {
		return 1
	}
	v, _ := in.Feature(n.FanOut) // validated at compile time
	k := int(math.Max(0, math.Floor(v)))
	if n.FanOutMax > 0 && k > n.FanOutMax {
		k = n.FanOutMax
	}
	return k
}

// Lookup returns the index of the named node.
func (d *DAG) Lookup(name string) (int, bool) {
	i, ok := d.index[name]
	return i, ok
}

// Names lists node names in topological order.
func (d *DAG) Names() []string {
	out := make([]string, len(d.Nodes))
	for i := range d.Nodes {
		out[i] = d.Nodes[i].Name
	}
	return out
}

// Entries are the nodes without predecessors; Exits those without successors.
func (d *DAG) Entries() []int { return d.filter(func(n *Node) bool { return len(n.Preds) == 0 }) }

// Exits are the nodes without successors.
func (d *DAG) Exits() []int { return d.filter(func(n *Node) bool { return len(n.Succs) == 0 }) }

func (d *DAG) filter(keep func(*Node) bool) []int {
	var out []int
	for i := range d.Nodes {
		if keep(&d.Nodes[i]) {
			out = append(out, i)
		}
	}
	return out
}

// MaxFunctions is the most functions a pipeline may have: the largest random
// pipeline (random:n=1000), far beyond the paper's eight-stage pipelines.
const MaxFunctions = 1000

// Compile validates a spec and builds its DAG. The error lists every problem
// found, each naming the pipeline and the function or edge at fault.
func Compile(s *Spec) (*DAG, error) {
	var errs []error
	where := fmt.Sprintf("pipeline %q", s.Name)
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("pipeline: %s: "+format, append([]any{where}, args...)...))
	}
	if s.Name == "" {
		where = "pipeline (no name)"
		fail("name is empty")
	}
	if len(s.Functions) == 0 {
		fail("no functions")
		return nil, errors.Join(errs...)
	}
	if len(s.Functions) > MaxFunctions {
		// Checked first: tuning cost grows with the node count (a 10,000-node
		// spec once failed after 36 s inside Sobol sampling).
		fail("%d functions, above the limit of %d", len(s.Functions), MaxFunctions)
		return nil, errors.Join(errs...)
	}
	if s.ParallelDepth < 0 || s.ParallelDepth > len(s.Functions) {
		fail("parallel_depth %d: want 0 (not stated) to %d, the number of functions", s.ParallelDepth, len(s.Functions))
	}
	index := make(map[string]int, len(s.Functions))
	for i, f := range s.Functions {
		if f.Name == "" {
			fail("functions[%d] has no name", i)
			continue
		}
		if strings.ContainsAny(f.Name, ",= \t") {
			fail("function name %q may not contain commas, '=' or spaces", f.Name)
		}
		if _, dup := index[f.Name]; dup {
			fail("duplicate function name %q", f.Name)
			continue
		}
		index[f.Name] = i
	}
	n := len(s.Functions)
	preds := make([][]int, n)
	succs := make([][]int, n)
	inData := make([][]float64, n)
	seen := map[[2]int]bool{}
	for i, e := range s.Edges {
		from, ok1 := index[e.From]
		to, ok2 := index[e.To]
		if !ok1 {
			fail("edges[%d] [%s, %s]: unknown function %q", i, e.From, e.To, e.From)
		}
		if !ok2 {
			fail("edges[%d] [%s, %s]: unknown function %q", i, e.From, e.To, e.To)
		}
		if !ok1 || !ok2 {
			continue
		}
		if from == to {
			fail("edges[%d]: self-loop on %q", i, e.From)
			continue
		}
		if seen[[2]int{from, to}] {
			fail("edges[%d]: duplicate edge [%s, %s]", i, e.From, e.To)
			continue
		}
		seen[[2]int{from, to}] = true
		d := math.NaN()
		if e.DataMB != nil {
			d = *e.DataMB
			if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
				fail("edges[%d] [%s, %s]: data_mb = %v, want a non-negative number", i, e.From, e.To, d)
			}
		}
		succs[from] = append(succs[from], to)
		preds[to] = append(preds[to], from)
		inData[to] = append(inData[to], d)
	}
	nodes := make([]Node, n)
	for i, f := range s.Functions {
		nodes[i] = Node{Name: f.Name, Preds: preds[i], Succs: succs[i], InDataMB: inData[i],
			FanOut: f.FanOut, FanOutMax: f.FanOutMax, TimeoutS: f.TimeoutS, Model: f.Model}
		if err := resolve(&nodes[i], f); err != nil {
			fail("function %q: %v", f.Name, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	order, cycle := topoOrder(n, succs, preds)
	if cycle != nil {
		names := make([]string, len(cycle))
		for i, c := range cycle {
			names[i] = s.Functions[c].Name
		}
		fail("cycle: %s", strings.Join(names, " → "))
		return nil, errors.Join(errs...)
	}
	if lost := disconnected(n, succs, preds); len(lost) > 0 {
		names := make([]string, len(lost))
		for i, c := range lost {
			names[i] = s.Functions[c].Name
		}
		fail("not connected to %q: %s", s.Functions[0].Name, strings.Join(names, ", "))
		return nil, errors.Join(errs...)
	}
	// Renumber nodes in topological order.
	pos := make([]int, n)
	for p, i := range order {
		pos[i] = p
	}
	dag := &DAG{Name: s.Name, Spec: s, Nodes: make([]Node, n), index: make(map[string]int, n)}
	for p, i := range order {
		nd := nodes[i]
		nd.Index = p
		nd.Preds = remap(nd.Preds, pos)
		nd.Succs = remap(nd.Succs, pos)
		dag.Nodes[p] = nd
		dag.index[nd.Name] = p
	}
	return dag, nil
}

func remap(xs []int, pos []int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = pos[x]
	}
	return out
}

// resolve fills a node's model from exactly one of model, profile or table.
func resolve(nd *Node, f Function) error {
	given := 0
	for _, set := range []bool{f.Model != "", f.Profile != nil, f.Table != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return fmt.Errorf("give exactly one of model, profile or table (got %d)", given)
	}
	var errs []error
	switch {
	case f.Model != "":
		p, err := fnmodel.Builtin(f.Model)
		if err != nil {
			return err
		}
		nd.Profile = &p
	case f.Profile != nil:
		p := *f.Profile
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("profile: %w", err))
		}
		nd.Profile = &p
	default:
		t := *f.Table
		t.Rows = append([]fnmodel.Row(nil), t.Rows...)
		for i := range t.Rows {
			t.Rows[i].SamplesMs = append([]float64(nil), t.Rows[i].SamplesMs...)
		}
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("table: %w", err))
		}
		nd.Table = &t
	}
	if f.FanOut != "" {
		if _, err := video.Reference.Feature(f.FanOut); err != nil {
			errs = append(errs, fmt.Errorf("fanout: %w", err))
		}
	}
	if f.FanOutMax < 0 {
		errs = append(errs, fmt.Errorf("fanout_max = %d, want 0 (no cap) or more", f.FanOutMax))
	}
	if math.IsNaN(f.TimeoutS) || f.TimeoutS < 0 || f.TimeoutS > 900 {
		errs = append(errs, fmt.Errorf("timeout_s = %v, want 0 (platform default) to 900", f.TimeoutS))
	}
	return errors.Join(errs...)
}

// topoOrder is Kahn's algorithm taking ready nodes in spec order, so the order
// is deterministic. On a cycle it returns one cycle as a closed path.
func topoOrder(n int, succs, preds [][]int) (order, cycle []int) {
	indeg := make([]int, n)
	for i := range preds {
		indeg[i] = len(preds[i])
	}
	done := make([]bool, n)
	for len(order) < n {
		next := -1
		for i := 0; i < n; i++ {
			if !done[i] && indeg[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, findCycle(n, succs, done)
		}
		done[next] = true
		order = append(order, next)
		for _, s := range succs[next] {
			indeg[s]--
		}
	}
	return order, nil
}

func findCycle(n int, succs [][]int, skip []bool) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, n)
	var stack []int
	var found []int
	var visit func(u int) bool
	visit = func(u int) bool {
		color[u] = grey
		stack = append(stack, u)
		for _, v := range succs[u] {
			if skip[v] {
				continue
			}
			if color[v] == grey {
				for i, w := range stack {
					if w == v {
						found = append(append([]int(nil), stack[i:]...), v)
						return true
					}
				}
			}
			if color[v] == white && visit(v) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[u] = black
		return false
	}
	for u := 0; u < n; u++ {
		if !skip[u] && color[u] == white && visit(u) {
			return found
		}
	}
	return nil
}

// disconnected returns the nodes outside the weakly connected component of
// node 0.
func disconnected(n int, succs, preds [][]int) []int {
	seen := make([]bool, n)
	queue := []int{0}
	seen[0] = true
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, vs := range [][]int{succs[u], preds[u]} {
			for _, v := range vs {
				if !seen[v] {
					seen[v] = true
					queue = append(queue, v)
				}
			}
		}
	}
	var lost []int
	for i := range seen {
		if !seen[i] {
			lost = append(lost, i)
		}
	}
	return lost
}

// WithTables returns a copy of the DAG in which every function with a
// measured table (looked up by its built-in model name, then by its node
// name) is table-driven: the simulator times it from the table. Its
// basic-operation profile is kept, so profiling (ConfigNavigator's input)
// still sees the modelled twin's features. It also returns the functions left
// on their model. The copy is named name.
func (d *DAG) WithTables(name string, tables map[string]*fnmodel.Table) (*DAG, []string) {
	c := *d
	c.Name = name
	c.Nodes = append([]Node(nil), d.Nodes...)
	var left []string
	for i := range c.Nodes {
		nd := &c.Nodes[i]
		t := tables[nd.Model]
		if t == nil {
			t = tables[nd.Name]
		}
		if t == nil {
			left = append(left, nd.Name)
			continue
		}
		nd.Table = t
	}
	return &c, left
}
