package navigator

import (
	"strings"
	"testing"

	"github.com/confignav/confignav/pipeline"
)

func load(t testing.TB, name string) *pipeline.DAG {
	t.Helper()
	dag, err := pipeline.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return dag
}

// The built-in pipelines' groups, written out, and their nesting depth equals
// Table 3's "parallel depth" under our reading.
func TestPartitionBuiltins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups string
		depth  int
	}{
		{"face-detection", "(decode → encode){face-detect,hd}\n", 1},
		// The per-face fan-out of beautify is the second level: it is not a
		// DAG node set (all instances share one configuration), so the
		// partition of the DAG has one group.
		{"face-beautification", "(decode → restore){roi,beautify,judge-resolution,hd}\n", 1},
		{"autoclip", "(scale → signal-fuse){face-detect,object-detect}\n" +
			"(decode → signal-fuse){scale,border-detect,face-detect,object-detect}\n" +
			"(decode → encode){scale,border-detect,face-detect,object-detect,signal-fuse,scene-crop}\n", 3},
	} {
		p := NewPartition(load(t, tc.name))
		if got := p.String(); got != tc.groups {
			t.Errorf("%s groups:\n%s\nwant\n%s", tc.name, got, tc.groups)
		}
		if p.Depth() != tc.depth {
			t.Errorf("%s depth %d, want %d", tc.name, p.Depth(), tc.depth)
		}
	}
	p := NewPartition(load(t, "autoclip"))
	kinds := map[string]string{}
	for i, nd := range p.DAG.Nodes {
		kinds[nd.Name] = p.Kind[i]
	}
	if kinds["decode"] != "source" || kinds["scale"] != "source" || kinds["signal-fuse"] != "sink" || kinds["encode"] != "sink" || kinds["border-detect"] != "intermediate" {
		t.Errorf("node kinds %v", kinds)
	}
}

// A chain of nested groups is kept whole: a parent with nodes of its own is
// not the union of its children.
func TestPartitionNested(t *testing.T) {
	spec := `
name: nested
functions:
  - {name: s, model: decode}
  - {name: a, model: scale}
  - {name: b, model: roi}
  - {name: c, model: judge-resolution}
  - {name: d, model: restore}
  - {name: t, model: encode}
edges: [[s, a], [s, b], [a, c], [a, d], [c, t], [d, t], [b, t]]
`
	ps, err := pipeline.Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	dag, err := pipeline.Compile(ps)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPartition(dag)
	if got := p.String(); got != "(a → t){c,d}\n(s → t){a,b,c,d}\n" {
		t.Fatalf("groups:\n%s", got)
	}
	if p.Groups[0].Parent != 1 || len(p.Groups[1].Children) != 1 {
		t.Fatalf("links: %+v", p.Groups)
	}
}

// Pruning (§3.2.1): a parent that is exactly the union of its children loses
// the child with the fewest nodes. Such parents do not arise among closed
// groups of a DAG built by the generator, so the rule is tested on its own.
func TestPruneSmallestChild(t *testing.T) {
	p := &Partition{DAG: load(t, "autoclip")}
	groups := []Group{
		{Source: 0, Sink: 7, Nodes: []int{1, 2}},
		{Source: 0, Sink: 7, Nodes: []int{3, 4, 5}},
		{Source: 0, Sink: 7, Nodes: []int{1, 2, 3, 4, 5}},
	}
	out := p.prune(groups)
	if len(out) != 2 || len(out[0].Nodes) != 3 || len(out[1].Nodes) != 5 {
		t.Fatalf("after pruning: %+v", out)
	}
	if len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "pruned") {
		t.Fatalf("skipped: %v", p.Skipped)
	}
}

// Property test on random nested DAGs: groups are closed, nested or disjoint,
// ordered bottom-up, and every child is inside its parent.
func TestPartitionRandomProperties(t *testing.T) {
	for n := 1; n <= 40; n += 3 {
		for seed := uint64(0); seed < 8; seed++ {
			dag, err := pipeline.Compile(pipeline.Random(n, seed))
			if err != nil {
				t.Fatal(err)
			}
			p := NewPartition(dag)
			for i, g := range p.Groups {
				if !closed(dag, g) {
					t.Fatalf("n=%d seed=%d: %s not closed", n, seed, p.Name(g))
				}
				for j, h := range p.Groups {
					if i == j {
						continue
					}
					if intersects(g.Nodes, h.Nodes) && !subset(g.Nodes, h.Nodes) && !subset(h.Nodes, g.Nodes) {
						t.Fatalf("n=%d seed=%d: %s and %s overlap", n, seed, p.Name(g), p.Name(h))
					}
					if j < i && subset(g.Nodes, h.Nodes) && len(g.Nodes) > len(h.Nodes) {
						t.Fatalf("n=%d seed=%d: not bottom-up", n, seed)
					}
				}
				if g.Parent >= 0 && (g.Parent <= i || !subset(g.Nodes, p.Groups[g.Parent].Nodes)) {
					t.Fatalf("n=%d seed=%d: bad parent of %s", n, seed, p.Name(g))
				}
			}
			// In a series-parallel pipeline every fork has its own join: a group.
			for v, nd := range dag.Nodes {
				if len(nd.Succs) < 2 {
					continue
				}
				found := false
				for _, g := range p.Groups {
					found = found || g.Source == v
				}
				if !found {
					t.Fatalf("n=%d seed=%d: fork %s has no group (skipped: %s)", n, seed, nd.Name, strings.Join(p.Skipped, "; "))
				}
			}
		}
	}
}
