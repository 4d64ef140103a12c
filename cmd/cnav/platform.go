package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/confignav/confignav/measure"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
)

func runPlatform(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("platform show [--platform FILE] | calibrate --lambda-perf FILE", stderr)
	file := fs.String("platform", "", "platform profile to show: a file, a named profile ("+strings.Join(platform.Names(), ", ")+") or measured:DIR (default: aws-lambda, billed as today)")
	perf := fs.String("lambda-perf", "", "lambda-perf daily JSON file to fit cold starts to")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("platform: want show or calibrate")
	}
	switch pos[0] {
	case "show":
		p, err := loadPlatform(*file)
		if err != nil {
			return err
		}
		_, err = stdout.Write(p.JSON())
		return err
	case "calibrate":
		if *perf == "" {
			return usagef("platform calibrate: --lambda-perf FILE is required")
		}
		data, err := os.ReadFile(*perf)
		if err != nil {
			return err
		}
		fit, err := platform.Calibrate(data)
		if err != nil {
			return fmt.Errorf("%s: %w", *perf, err)
		}
		out, _ := json.MarshalIndent(map[string]any{"cold_start": map[string]any{"runtimes": fit}}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", out)
		return nil
	}
	return usagef("platform: unknown subcommand %q (want show or calibrate)", pos[0])
}

// platformHelp describes a --platform flag read by loadSetup.
const platformHelp = "platform profile file, or measured:DIR for the platform the tables in DIR were measured on, with those tables (cnav measure; results/reference/measured)"

// loadPlatform reads a profile file or a named profile (aws-lambda,
// paper-2025), or returns the default for "". measured:DIR is the platform
// the tables in DIR were measured on (measure.Platform: the default profile
// with the measuring machine's CPU).
func loadPlatform(path string) (*platform.Profile, error) {
	if dir, ok := strings.CutPrefix(path, "measured:"); ok {
		if dir == "" {
			return nil, usagef("--platform measured:DIR needs a directory")
		}
		return measure.Platform(dir, platform.Default())
	}
	if path == "" {
		return platform.Default(), nil
	}
	if p, ok := platform.Named(path); ok {
		if _, err := os.Stat(path); err != nil { // a file of that name wins
			return p, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := platform.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// loadSetup reads --platform and --pipeline together. --platform
// measured:DIR is the platform the tables were measured on (loadPlatform)
// with every function that has a measured table in DIR (measure.LoadDir)
// made table-driven; functions without one stay on their model and are
// named on stderr.
func loadSetup(platFlag, pipeName string, stderr io.Writer) (*platform.Profile, *pipeline.DAG, error) {
	plat, err := loadPlatform(platFlag)
	if err != nil {
		return nil, nil, err
	}
	dir, measured := strings.CutPrefix(platFlag, "measured:")
	if !measured {
		dag, err := loadPipeline(pipeName)
		return plat, dag, err
	}
	tables, err := measure.LoadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	dag, err := loadPipeline(pipeName)
	if err != nil {
		return nil, nil, err
	}
	dag, left := dag.WithTables(dag.Name, tables)
	if len(left) > 0 {
		fmt.Fprintf(stderr, "cnav: no measured table in %s for %v: they stay on the modelled platform\n", dir, left)
	}
	return plat, dag, nil
}
