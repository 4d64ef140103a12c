package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/confignav/confignav/experiments"
)

func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	against := fs.String("against", filepath.Join("results", "reference", "summary.json"), "reference summary.json")
	summary := fs.String("summary", filepath.Join("results", "latest", "summary.json"), "summary.json of the run to check")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	ref, err := experiments.ReadSummary(*against)
	if err != nil {
		return err
	}
	if experiments.Gated(ref) == 0 {
		return fmt.Errorf("check: reference %s has no gated headline numbers (no experiment lists a headline with a tolerance): a damaged reference would pass every run", *against)
	}
	run, err := experiments.ReadSummary(*summary)
	if err != nil {
		return err
	}
	if run.Meta.Mode != ref.Meta.Mode || run.Meta.Seeds != ref.Meta.Seeds {
		fmt.Fprintf(stderr, "check: warning: run is %s with %d seeds, reference %s with %d seeds\n", run.Meta.Mode, run.Meta.Seeds, ref.Meta.Mode, ref.Meta.Seeds)
	}
	if n := experiments.Check(stdout, run, ref); n > 0 {
		return fmt.Errorf("check: %d headline numbers moved beyond their tolerance, missing from the run, or missing from the reference (NOREF)", n)
	}
	fmt.Fprintln(stdout, "check: every gated headline number matches our reference within its tolerance (whether it agrees with the paper is the last column)")
	return nil
}
