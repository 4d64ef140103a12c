package navigator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/confignav/confignav/pipeline"
)

// Group is a parallel group (§3.2.1): the nodes strictly between a source
// node and a sink node on the branches that leave the source and meet again at
// the sink.
type Group struct {
	Source, Sink int
	Nodes        []int // ascending node indices (topological order)
	Parent       int   // index of the smallest enclosing group, -1 at top level
	Children     []int // groups directly inside this one
}

// Partition is the result of §3.2.1 on a pipeline.
type Partition struct {
	DAG *pipeline.DAG
	// Kind of each node: "source" (out-degree > 1), "sink" (in-degree > 1),
	// "source+sink" or "intermediate".
	Kind []string
	// Groups in bottom-up order: every child before its parent.
	Groups []Group
	// Skipped explains candidate groups that were dropped.
	Skipped []string
}

// Partition classifies the nodes, builds the parallel groups, prunes child
// groups as §3.2.1 prescribes, and orders the groups bottom-up.
//
// Choices the paper leaves open:
//   - "appearing in at least two distinct paths" is read as: the sink is
//     reached from at least two different successors of the source (two
//     branches that diverge at this source). Paths that diverge later belong
//     to the later source's group, so no group is counted twice.
//   - A candidate group must be closed (every member's predecessors lie in the
//     group or are the source, every member's successors in the group or are
//     the sink); otherwise it cannot be replaced by one equivalent node and is
//     dropped (never the case for series-parallel pipelines such as the
//     built-ins and random:n=N,seed=S).
//   - Groups that overlap without one containing the other cannot both be
//     collapsed; the smaller is dropped.
//   - Pruning: when a parent group equals the union of its children, the
//     child with the fewest nodes is removed (ties: the later one in
//     bottom-up order), once per parent, as in the paper.
func NewPartition(dag *pipeline.DAG) *Partition {
	n := len(dag.Nodes)
	p := &Partition{DAG: dag, Kind: make([]string, n)}
	for i, nd := range dag.Nodes {
		out, in := len(nd.Succs) > 1, len(nd.Preds) > 1
		switch {
		case out && in:
			p.Kind[i] = "source+sink"
		case out:
			p.Kind[i] = "source"
		case in:
			p.Kind[i] = "sink"
		default:
			p.Kind[i] = "intermediate"
		}
	}
	desc := reach(n, func(i int) []int { return dag.Nodes[i].Succs })
	anc := reach(n, func(i int) []int { return dag.Nodes[i].Preds })

	var cands []Group
	for s := range dag.Nodes {
		if len(dag.Nodes[s].Succs) < 2 {
			continue
		}
		for t := range dag.Nodes {
			if len(dag.Nodes[t].Preds) < 2 || !desc[s][t] {
				continue
			}
			branches := 0
			for _, b := range dag.Nodes[s].Succs {
				if b == t || desc[b][t] {
					branches++
				}
			}
			if branches < 2 {
				continue
			}
			var nodes []int
			for v := range dag.Nodes {
				if v != s && v != t && desc[s][v] && anc[t][v] {
					nodes = append(nodes, v)
				}
			}
			g := Group{Source: s, Sink: t, Nodes: nodes, Parent: -1}
			if !closed(dag, g) {
				p.Skipped = append(p.Skipped, fmt.Sprintf("%s: not closed (an edge enters or leaves it other than through its source and sink)", p.Name(g)))
				continue
			}
			if len(nodes) == 0 {
				continue
			}
			cands = append(cands, g)
		}
	}
	// Bottom-up: fewer nodes first, then by position, for a deterministic order.
	sort.SliceStable(cands, func(a, b int) bool {
		if len(cands[a].Nodes) != len(cands[b].Nodes) {
			return len(cands[a].Nodes) < len(cands[b].Nodes)
		}
		if cands[a].Source != cands[b].Source {
			return cands[a].Source < cands[b].Source
		}
		return cands[a].Sink < cands[b].Sink
	})
	cands = p.dropDuplicatesAndOverlaps(cands)
	cands = p.prune(cands)
	p.Groups = cands
	p.link()
	return p
}

// Name describes a group for messages.
func (p *Partition) Name(g Group) string {
	names := make([]string, len(g.Nodes))
	for i, v := range g.Nodes {
		names[i] = p.DAG.Nodes[v].Name
	}
	return fmt.Sprintf("(%s → %s){%s}", p.DAG.Nodes[g.Source].Name, p.DAG.Nodes[g.Sink].Name, strings.Join(names, ","))
}

// String lists the groups bottom-up, one per line.
func (p *Partition) String() string {
	var b strings.Builder
	for _, g := range p.Groups {
		b.WriteString(p.Name(g))
		b.WriteByte('\n')
	}
	return b.String()
}

func (p *Partition) dropDuplicatesAndOverlaps(cands []Group) []Group {
	var kept []Group
	for i := len(cands) - 1; i >= 0; i-- { // larger groups first
		g := cands[i]
		ok := true
		for _, k := range kept {
			switch {
			case equal(g.Nodes, k.Nodes):
				// The same nodes under another (source, sink): keep the first.
				p.Skipped = append(p.Skipped, fmt.Sprintf("%s: same nodes as %s", p.Name(g), p.Name(k)))
				ok = false
			case !subset(g.Nodes, k.Nodes) && intersects(g.Nodes, k.Nodes):
				p.Skipped = append(p.Skipped, fmt.Sprintf("%s: overlaps %s without nesting", p.Name(g), p.Name(k)))
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			kept = append(kept, g)
		}
	}
	// Back to bottom-up order.
	for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
		kept[i], kept[j] = kept[j], kept[i]
	}
	return kept
}

// prune removes, for each parent that is exactly the union of its children,
// the child with the fewest nodes.
func (p *Partition) prune(groups []Group) []Group {
	removed := make([]bool, len(groups))
	for pi := range groups {
		var kids []int
		for ci := 0; ci < pi; ci++ {
			if !removed[ci] && subset(groups[ci].Nodes, groups[pi].Nodes) && len(groups[ci].Nodes) < len(groups[pi].Nodes) {
				kids = append(kids, ci)
			}
		}
		if len(kids) < 2 {
			continue
		}
		union := map[int]bool{}
		for _, c := range kids {
			for _, v := range groups[c].Nodes {
				union[v] = true
			}
		}
		if len(union) != len(groups[pi].Nodes) {
			continue
		}
		smallest := kids[0]
		for _, c := range kids[1:] {
			if len(groups[c].Nodes) <= len(groups[smallest].Nodes) {
				smallest = c
			}
		}
		removed[smallest] = true
		p.Skipped = append(p.Skipped, fmt.Sprintf("%s: pruned, its parent %s is the union of its children", p.Name(groups[smallest]), p.Name(groups[pi])))
	}
	var out []Group
	for i, g := range groups {
		if !removed[i] {
			out = append(out, g)
		}
	}
	return out
}

// link sets each group's parent (the smallest strict superset) and children.
func (p *Partition) link() {
	for i := range p.Groups {
		p.Groups[i].Parent = -1
		p.Groups[i].Children = nil
	}
	for i := range p.Groups {
		for j := i + 1; j < len(p.Groups); j++ {
			if subset(p.Groups[i].Nodes, p.Groups[j].Nodes) {
				p.Groups[i].Parent = j
				p.Groups[j].Children = append(p.Groups[j].Children, i)
				break
			}
		}
	}
}

// Depth is the nesting depth of the groups (0 when there are none): the
// paper's "parallel depth" of Table 3 under this package's reading.
func (p *Partition) Depth() int {
	depth := 0
	for i := range p.Groups {
		d := 1
		for k := p.Groups[i].Parent; k >= 0; k = p.Groups[k].Parent {
			d++
		}
		depth = max(depth, d)
	}
	return depth
}

func closed(dag *pipeline.DAG, g Group) bool {
	in := map[int]bool{}
	for _, v := range g.Nodes {
		in[v] = true
	}
	for _, v := range g.Nodes {
		for _, q := range dag.Nodes[v].Preds {
			if !in[q] && q != g.Source {
				return false
			}
		}
		for _, q := range dag.Nodes[v].Succs {
			if !in[q] && q != g.Sink {
				return false
			}
		}
	}
	return true
}

// reach computes, for every node, the set of nodes reachable by next.
func reach(n int, next func(int) []int) [][]bool {
	out := make([][]bool, n)
	var visit func(root, v int)
	visit = func(root, v int) {
		for _, w := range next(v) {
			if !out[root][w] {
				out[root][w] = true
				visit(root, w)
			}
		}
	}
	for i := 0; i < n; i++ {
		out[i] = make([]bool, n)
		visit(i, i)
	}
	return out
}

func subset(a, b []int) bool {
	set := map[int]bool{}
	for _, v := range b {
		set[v] = true
	}
	for _, v := range a {
		if !set[v] {
			return false
		}
	}
	return true
}

func intersects(a, b []int) bool {
	set := map[int]bool{}
	for _, v := range b {
		set[v] = true
	}
	for _, v := range a {
		if set[v] {
			return true
		}
	}
	return false
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
