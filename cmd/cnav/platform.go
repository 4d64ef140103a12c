package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/confignav/confignav/platform"
)

func runPlatform(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("platform show [--platform FILE] | calibrate --lambda-perf FILE", stderr)
	file := fs.String("platform", "", "platform profile to show (default: the built-in AWS Lambda profile)")
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

// loadPlatform reads a profile file, or returns the default for "".
func loadPlatform(path string) (*platform.Profile, error) {
	if path == "" {
		return platform.Default(), nil
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
