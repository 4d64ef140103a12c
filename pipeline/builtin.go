package pipeline

import (
	"embed"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/confignav/confignav/fnmodel"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinNames lists the built-in pipelines (random:n=N,seed=S is generated).
func BuiltinNames() []string {
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		panic(err) // embedded at build time
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin returns the spec of a built-in or generated pipeline.
func Builtin(name string) (*Spec, error) {
	if strings.HasPrefix(name, "random:") {
		return parseRandom(name)
	}
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("pipeline: unknown pipeline %q (built-in: %s, or random:n=N,seed=S, or a spec file)", name, strings.Join(BuiltinNames(), ", "))
	}
	return Parse(data)
}

// Load returns the compiled pipeline named by a built-in name, a random spec
// or a file path (a name containing a path separator or ending in .yaml,
// .yml or .json is read as a file).
func Load(nameOrPath string) (*DAG, error) {
	var spec *Spec
	var err error
	if isPath(nameOrPath) {
		data, rerr := os.ReadFile(nameOrPath)
		if rerr != nil {
			return nil, fmt.Errorf("pipeline: %w", rerr)
		}
		spec, err = Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nameOrPath, err)
		}
	} else if spec, err = Builtin(nameOrPath); err != nil {
		return nil, err
	}
	return Compile(spec)
}

func isPath(s string) bool {
	return strings.ContainsRune(s, os.PathSeparator) || strings.HasSuffix(s, ".yaml") ||
		strings.HasSuffix(s, ".yml") || strings.HasSuffix(s, ".json")
}

func parseRandom(name string) (*Spec, error) {
	var n int
	var seed uint64
	if _, err := fmt.Sscanf(name, "random:n=%d,seed=%d", &n, &seed); err != nil || fmt.Sprintf("random:n=%d,seed=%d", n, seed) != name {
		return nil, fmt.Errorf("pipeline: %q: want random:n=N,seed=S", name)
	}
	if n < 1 || n > MaxFunctions {
		return nil, fmt.Errorf("pipeline: %q: n = %d, want 1..%d", name, n, MaxFunctions)
	}
	return Random(n, seed), nil
}

// Random generates a series-parallel pipeline of n functions: a recursive
// composition, each step either a sequence of two sub-pipelines or a parallel
// group (a source node, two or three branches, a sink node), so groups nest.
// Models are drawn from the built-in set. The same (n, seed) gives the same
// spec.
func Random(n int, seed uint64) *Spec {
	rng := rand.New(rand.NewPCG(seed, 0x7261_6e64)) // "rand"
	models := fnmodel.BuiltinNames()
	s := &Spec{Name: fmt.Sprintf("random:n=%d,seed=%d", n, seed), Description: "generated series-parallel pipeline"}
	newNode := func() int {
		i := len(s.Functions)
		s.Functions = append(s.Functions, Function{
			Name:  fmt.Sprintf("f%d", i+1),
			Model: models[rng.IntN(len(models))],
		})
		return i
	}
	edge := func(a, b int) {
		s.Edges = append(s.Edges, Edge{From: s.Functions[a].Name, To: s.Functions[b].Name})
	}
	var build func(k int) (entry, exit int)
	build = func(k int) (int, int) {
		switch {
		case k == 1:
			i := newNode()
			return i, i
		case k >= 4 && rng.Float64() < 0.6:
			src := newNode()
			inner := k - 2
			branches := 2
			if inner >= 3 && rng.Float64() < 0.4 {
				branches = 3
			}
			sizes := split(rng, inner, branches)
			var exits []int
			for _, sz := range sizes {
				en, ex := build(sz)
				edge(src, en)
				exits = append(exits, ex)
			}
			sink := newNode()
			for _, ex := range exits {
				edge(ex, sink)
			}
			return src, sink
		default:
			a := 1 + rng.IntN(k-1)
			e1, x1 := build(a)
			e2, x2 := build(k - a)
			edge(x1, e2)
			return e1, x2
		}
	}
	build(n)
	return s
}

// split divides total into parts positive sizes at random.
func split(rng *rand.Rand, total, parts int) []int {
	sizes := make([]int, parts)
	for i := range sizes {
		sizes[i] = 1
	}
	for r := total - parts; r > 0; r-- {
		sizes[rng.IntN(parts)]++
	}
	return sizes
}
