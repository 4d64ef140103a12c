package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/confignav/confignav/pipeline"
)

func runPipelines(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pipelines [show NAME|FILE [--json] | validate FILE]", stderr)
	asJSON := fs.Bool("json", false, "print the spec as JSON (a valid spec file)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		for _, name := range pipeline.BuiltinNames() {
			s, err := pipeline.Builtin(name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%-22s %d functions, parallel depth %d: %s\n", name, len(s.Functions), s.ParallelDepth, s.Description)
		}
		fmt.Fprintf(stdout, "%-22s generated series-parallel pipeline of N functions\n", "random:n=N,seed=S")
		return nil
	}
	switch pos[0] {
	case "show":
		if len(pos) != 2 {
			return usagef("pipelines show: want one pipeline name or spec file")
		}
		spec, err := loadSpec(pos[1])
		if err != nil {
			return err
		}
		if _, err := pipeline.Compile(spec); err != nil {
			return err
		}
		if *asJSON {
			_, err = stdout.Write(spec.JSON())
			return err
		}
		return showSpec(stdout, spec)
	case "validate":
		if len(pos) != 2 {
			return usagef("pipelines validate: want one spec file")
		}
		spec, err := loadSpec(pos[1])
		if err != nil {
			return err
		}
		dag, err := pipeline.Compile(spec)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[1], err)
		}
		fmt.Fprintf(stdout, "%s: valid pipeline %q, %d functions\n", pos[1], dag.Name, len(dag.Nodes))
		return nil
	}
	return usagef("pipelines: unknown subcommand %q (want show or validate)", pos[0])
}

// loadSpec reads a built-in name or a spec file.
func loadSpec(nameOrPath string) (*pipeline.Spec, error) {
	if _, err := os.Stat(nameOrPath); err == nil {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, err
		}
		s, err := pipeline.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nameOrPath, err)
		}
		return s, nil
	} else if strings.ContainsRune(nameOrPath, os.PathSeparator) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".json") {
		return nil, fmt.Errorf("pipeline spec: %w", err)
	}
	return pipeline.Builtin(nameOrPath)
}

// loadPipeline reads and compiles a built-in name or a spec file.
func loadPipeline(nameOrPath string) (*pipeline.DAG, error) {
	spec, err := loadSpec(nameOrPath)
	if err != nil {
		return nil, err
	}
	return pipeline.Compile(spec)
}

func showSpec(w io.Writer, s *pipeline.Spec) error {
	fmt.Fprintf(w, "pipeline %s: %s\n", s.Name, s.Description)
	if s.ParallelDepth > 0 {
		fmt.Fprintf(w, "parallel depth %d\n", s.ParallelDepth)
	}
	fmt.Fprintln(w, "functions:")
	for _, f := range s.Functions {
		kind := "model " + f.Model
		switch {
		case f.Profile != nil:
			kind = "inline profile"
		case f.Table != nil:
			kind = fmt.Sprintf("table (%d memory sizes)", len(f.Table.Rows))
		}
		extra := ""
		if f.FanOut != "" {
			extra = fmt.Sprintf(", fan-out by %s", f.FanOut)
			if f.FanOutMax > 0 {
				extra += fmt.Sprintf(" (at most %d)", f.FanOutMax)
			}
		}
		fmt.Fprintf(w, "  %-18s %s%s\n", f.Name, kind, extra)
	}
	fmt.Fprintln(w, "edges:")
	for _, e := range s.Edges {
		if e.DataMB != nil {
			fmt.Fprintf(w, "  %s → %s (%.3g MB)\n", e.From, e.To, *e.DataMB)
		} else {
			fmt.Fprintf(w, "  %s → %s\n", e.From, e.To)
		}
	}
	return nil
}
