package pipeline

import "testing"

// FuzzParseCompile feeds arbitrary bytes to the spec reader and validator:
// they must return an error or a valid DAG, never panic.
func FuzzParseCompile(f *testing.F) {
	for _, name := range BuiltinNames() {
		s, _ := Builtin(name)
		f.Add(s.JSON())
	}
	f.Add([]byte(`{name: c, functions: [{name: a, model: decode}, {name: b, model: encode}], edges: [[a, b], [b, a]]}`))
	f.Add([]byte(`{name: x, functions: [{name: a, profile: {runtime: go, cpu_ms: 1, threads: 1}}], edges: [{from: a, to: a, data_mb: 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		dag, err := Compile(s)
		if err != nil {
			return
		}
		if len(dag.Nodes) != len(s.Functions) {
			t.Fatalf("%d nodes from %d functions", len(dag.Nodes), len(s.Functions))
		}
		for _, n := range dag.Nodes {
			for _, succ := range n.Succs {
				if succ <= n.Index {
					t.Fatalf("edge backwards in topological order")
				}
			}
		}
	})
}
