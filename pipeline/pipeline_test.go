package pipeline

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBuiltins(t *testing.T) {
	want := map[string]int{"face-detection": 4, "face-beautification": 7, "autoclip": 8}
	names := BuiltinNames()
	if strings.Join(names, ",") != "autoclip,face-beautification,face-detection" {
		t.Fatalf("built-ins %v", names)
	}
	for name, n := range want {
		dag, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(dag.Nodes) != n {
			t.Errorf("%s: %d functions, want %d (Table 3)", name, len(dag.Nodes), n)
		}
		if e := dag.Entries(); len(e) != 1 || dag.Nodes[e[0]].Name != "decode" {
			t.Errorf("%s: entries %v, want decode", name, e)
		}
		if x := dag.Exits(); len(x) != 1 || dag.Nodes[x[0]].Name != "encode" {
			t.Errorf("%s: exits %v, want encode", name, x)
		}
		// Topological order: every edge goes forward.
		for _, nd := range dag.Nodes {
			for _, s := range nd.Succs {
				if s <= nd.Index {
					t.Errorf("%s: edge %s→%s goes backwards", name, nd.Name, dag.Nodes[s].Name)
				}
			}
		}
	}
}

// show --json must print a spec the reader accepts, and the same spec back.
func TestJSONRoundTrip(t *testing.T) {
	for _, name := range append(BuiltinNames(), "random:n=12,seed=3") {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		data := 2.5
		s.Edges[0].DataMB = &data
		js := s.JSON()
		back, err := Parse(js)
		if err != nil {
			t.Fatalf("%s: re-reading show --json: %v", name, err)
		}
		if !bytes.Equal(back.JSON(), js) {
			t.Fatalf("%s: round trip changed the spec", name)
		}
		if _, err := Compile(back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestValidationErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"cycle", `{name: c, functions: [{name: a, model: decode}, {name: b, model: encode}, {name: x, model: hd}], edges: [[x, a], [a, b], [b, a]]}`, "cycle: a → b → a"},
		{"unknown function", `{name: u, functions: [{name: a, model: decode}], edges: [[a, zz]]}`, `unknown function "zz"`},
		{"unknown model", `{name: m, functions: [{name: a, model: nosuch}]}`, `unknown function model "nosuch"`},
		{"duplicate", `{name: d, functions: [{name: a, model: decode}, {name: a, model: hd}], edges: [[a, a]]}`, `duplicate function name "a"`},
		{"disconnected", `{name: x, functions: [{name: a, model: decode}, {name: b, model: hd}, {name: c, model: encode}], edges: [[a, b]]}`, `not connected to "a": c`},
		{"bad number", `{name: n, functions: [{name: a, profile: {runtime: go, cpu_ms: -5, parallel_fraction: 1.5, threads: 0}}]}`, "cpu_ms = -5"},
		{"bad fraction", `{name: n, functions: [{name: a, profile: {runtime: go, cpu_ms: 5, parallel_fraction: 1.5, threads: 1}}]}`, "parallel_fraction = 1.5"},
		{"both model and profile", `{name: n, functions: [{name: a, model: decode, profile: {runtime: go, cpu_ms: 5, threads: 1}}]}`, "exactly one of model, profile or table"},
		{"bad fanout", `{name: f, functions: [{name: a, model: decode, fanout: elephants}]}`, `unknown input feature "elephants"`},
		{"self loop", `{name: s, functions: [{name: a, model: decode}], edges: [[a, a]]}`, `self-loop on "a"`},
		{"negative data", `{name: s, functions: [{name: a, model: decode}, {name: b, model: hd}], edges: [{from: a, to: b, data_mb: -1}]}`, "data_mb = -1"},
		{"no functions", `{name: e, functions: []}`, "no functions"},
		{"negative parallel depth", `{name: p, parallel_depth: -3, functions: [{name: a, model: decode}]}`, "parallel_depth -3: want 0 (not stated) to 1"},
		{"parallel depth above size", `{name: p, parallel_depth: 5, functions: [{name: a, model: decode}, {name: b, model: hd}], edges: [[a, b]]}`, "parallel_depth 5: want 0 (not stated) to 2"},
		{"bad table", `{name: t, functions: [{name: a, table: {runtime: go, working_set_mb: 10, input: {width: 640, height: 360, fps: 30, seconds: 5, motion: 0.5, faces: 1}, rows: [{memory_mb: 256, samples_ms: [3]}, {memory_mb: 128, samples_ms: [5]}]}}]}`, "does not ascend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.spec))
			if err == nil {
				_, err = Compile(s)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestTooManyFunctions: a spec above MaxFunctions fails at once, naming its
// size and the limit (a 10,000-node spec once failed after 36 s in Sobol).
func TestTooManyFunctions(t *testing.T) {
	s := &Spec{Name: "big"}
	for i := range 10_000 {
		s.Functions = append(s.Functions, Function{Name: fmt.Sprintf("f%d", i), Model: "decode"})
	}
	start := time.Now()
	_, err := Compile(s)
	if err == nil || !strings.Contains(err.Error(), "10000 functions, above the limit of 1000") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := Load("random:n=1001,seed=1"); err == nil || !strings.Contains(err.Error(), "want 1..1000") {
		t.Errorf("random:n=1001: %v", err)
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	_, err := Parse([]byte(`{name: x, functions: [{name: a, modle: decode}]}`))
	if err == nil || !strings.Contains(err.Error(), "modle") {
		t.Fatalf("typo accepted: %v", err)
	}
	if _, err := Parse([]byte(`{name: x, edges: [[a, b, c]]}`)); err == nil {
		t.Fatal("three-element edge accepted")
	}
}

// Random pipelines are valid, deterministic, have n nodes, a single entry and
// exit, and every parallel source has a matching join.
func TestRandom(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for seed := uint64(0); seed < 5; seed++ {
			a, b := Random(n, seed), Random(n, seed)
			if !bytes.Equal(a.JSON(), b.JSON()) {
				t.Fatalf("n=%d seed=%d not deterministic", n, seed)
			}
			dag, err := Compile(a)
			if err != nil {
				t.Fatalf("n=%d seed=%d: %v", n, seed, err)
			}
			if len(dag.Nodes) != n || len(dag.Entries()) != 1 || len(dag.Exits()) != 1 {
				t.Fatalf("n=%d seed=%d: %d nodes, %d entries, %d exits", n, seed, len(dag.Nodes), len(dag.Entries()), len(dag.Exits()))
			}
		}
	}
	if _, err := Load("random:n=0,seed=1"); err == nil {
		t.Error("n=0 accepted")
	}
	if _, err := Load("random:n=5"); err == nil || !strings.Contains(err.Error(), "random:n=N,seed=S") {
		t.Errorf("malformed random spec: %v", err)
	}
}
